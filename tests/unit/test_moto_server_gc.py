"""The local moto server freezes what a full garbage collection kept, and only then."""

from __future__ import annotations

import gc
import weakref

from devstack import moto_server


class _Stored:
    """Stands in for a stored item: tracked by the collector, weakly referable."""


def test_a_full_collection_freezes_what_it_kept_and_frozen_objects_are_still_freed():
    gc.unfreeze()
    gc.callbacks.append(moto_server._freeze_survivors)
    try:
        stored = [_Stored() for _ in range(1000)]
        gc.collect(1)  # a younger collection freezes nothing
        assert gc.get_freeze_count() == 0

        gc.collect()
        assert gc.get_freeze_count() >= len(stored)
        assert not any(o is stored[0] for o in gc.get_objects(generation=2))  # not walked again

        gone = weakref.ref(stored.pop())  # dropped: freed by its count, frozen or not
        assert gone() is None
    finally:
        gc.callbacks.remove(moto_server._freeze_survivors)
        gc.unfreeze()
