"""The local stack's moto server: moto's own server, with devstack's DynamoDB patch applied first.

    python -m devstack.moto_server [--unpatched] <moto.server arguments>

Patched, what survives a full garbage collection is frozen (see _freeze_survivors).
--unpatched runs moto exactly as released (the benchmark's baseline). With SITEBOOK_GC_LOG=1
in the environment, every full (generation 2) garbage collection is logged to stderr: when
it ended (epoch seconds), how long it took and what it found.
"""

from __future__ import annotations

import gc
import os
import sys
import time

GC_LOG = "SITEBOOK_GC_LOG"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(GC_LOG) == "1":
        gc.callbacks.append(_log_full_collection)
    if "--unpatched" in args:
        args.remove("--unpatched")
    else:
        from devstack import moto_patch

        try:
            moto_patch.apply()
        except moto_patch.MotoVersionMismatch as exc:
            sys.exit(f"moto server not started: {exc}")
        gc.callbacks.append(_freeze_survivors)
    from moto.server import main as moto_main

    moto_main(args)


def _freeze_survivors(phase: str, info: dict) -> None:
    """After each full garbage collection, move every object it kept out of the collector's
    sight (gc.freeze): later collections walk only what arrived since.

    The server holds every stored item, stream record and message (≈3 million objects at
    20,000 customers), and a full collection walks them all (2–3 s of CPU, no request
    answered meanwhile). CPython 3.11 runs one whenever objects that outlived two younger
    collections exceed a quarter of those the last full one kept: a load grows the store by
    that much again and again, and requests in flight when a younger collection runs (a
    page of a thousand items being answered) count too, then die. Frozen objects are still
    freed when no longer referenced; only a reference cycle among them would stay, and
    moto's stored items hold none.
    """
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


_started: list[float] = []  # wall and CPU seconds of the full collection running now


def _log_full_collection(phase: str, info: dict) -> None:
    # A full collection walks every tracked object while holding the GIL: the server answers
    # nobody meanwhile. Logged to tell such pauses from other slowness in a benchmark.
    if info["generation"] != 2:
        return
    if phase == "start":
        _started[:] = [time.perf_counter(), time.process_time()]
        return
    wall, cpu = time.perf_counter() - _started[0], time.process_time() - _started[1]
    print(
        f"gc gen2 ended {time.time():.3f}: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU,"
        f" collected {info['collected']}, frozen {gc.get_freeze_count()},"
        f" per generation {gc.get_count()}",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    main()
