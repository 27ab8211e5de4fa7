"""The local stack's moto server: moto's own server, with devstack's DynamoDB patch applied first.

    python -m devstack.moto_server [--unpatched] <moto.server arguments>

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
    from moto.server import main as moto_main

    moto_main(args)


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
