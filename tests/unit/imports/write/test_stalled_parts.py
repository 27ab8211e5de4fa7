"""Which messages the watchdog sends to set a stalled import's parts going again."""

from __future__ import annotations

from chalicelib.imports.write.parts import PLANNER, stalled_parts
from chalicelib.store.import_parts import WriteProgress

LEVELS = [[[0, 2], [2, 3], [3, 5]], [[5, 6], [6, 8]], [[8, 9]]]


def test_every_unfinished_part_of_the_queued_levels_is_sent_again():
    progress = WriteProgress(LEVELS, next_group={0: 1, 2: 3, 3: 3}, levels_queued=1)

    assert stalled_parts(progress) == [[0, 2], [3, 5]]


def test_with_every_queued_part_written_the_last_one_is_sent_to_queue_the_next_level():
    progress = WriteProgress(
        LEVELS, next_group={0: 2, 2: 3, 3: 5, 5: 6, 6: 8}, levels_queued=2, groups_done=8
    )

    assert stalled_parts(progress) == [[6, 8]]


def test_with_every_group_written_the_last_part_is_sent_to_claim_the_finish():
    done = {0: 2, 2: 3, 3: 5, 5: 6, 6: 8, 8: 9}
    progress = WriteProgress(LEVELS, next_group=done, levels_queued=3, groups_done=9)

    assert stalled_parts(progress) == [[8, 9]]


def test_the_planners_path_goes_on_when_no_level_was_queued_or_it_holds_the_finish():
    assert stalled_parts(WriteProgress(LEVELS, levels_queued=0)) is None
    assert stalled_parts(WriteProgress([], levels_queued=0, finisher=PLANNER)) is None
