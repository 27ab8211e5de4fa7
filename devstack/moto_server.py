"""The local stack's moto server: moto's own app, with devstack's DynamoDB patch applied first.

    python -m devstack.moto_server [--unpatched | --werkzeug] [-H HOST] [-p PORT]

Patched, moto's app is served by waitress (see serve) and what survives a full garbage
collection is frozen (see _freeze_survivors). --unpatched runs moto's own server exactly as
released (the benchmark's baseline; it takes moto.server's other arguments too); --werkzeug
runs the patched moto on moto's own server (to measure the server alone). With
SITEBOOK_GC_LOG=1 in the environment, every full (generation 2) garbage collection is logged
to stderr: when it ended (epoch seconds), how long it took and what it found.
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
        if "--werkzeug" not in args:
            serve(args)
            return
        args.remove("--werkzeug")  # the patch on moto's own server: bench/moto_server_cost.py
    from moto.server import main as moto_main

    moto_main(args)


# Requests waitress answers at once. Each long poll of an SQS queue (the pump's, the event
# pump's: up to 20 s each) holds one, so there are many more than the cores; a request
# beyond them waits in waitress's queue, never on a new connection.
THREADS = 64


def serve(argv: list[str]) -> None:
    """Serve moto's app on ``-H`` / ``-p`` with waitress until interrupted (see server)."""
    running = server(argv)
    print(
        f"moto {_moto_version()} (devstack's patch) on http://{running.effective_host}:"
        f"{running.effective_port}, served by waitress",
        flush=True,
    )
    running.run()


def _moto_version() -> str:
    import moto

    return moto.__version__


def server(argv: list[str]):
    """A waitress server (not yet running: call ``.run()``) of moto's app, every service as
    ``moto.server`` builds it, on ``-H`` / ``-p`` (default 127.0.0.1:5000; port 0: any free
    one, see ``.effective_port``).

    moto's own server is werkzeug's development server, which answers every request with
    ``Connection: close`` and logs a line for each: each of a client's requests opened a
    new TCP connection and started a new thread, and its answer went out in chunks. That was
    ~4 ms of the server's CPU and ~3.5 ms of the client's for a GetItem, most of a small
    request's cost (docs/decisions/local-stack.md, "The server: keep-alive"). waitress keeps
    connections open and writes each answer at once. Raises SystemExit on unknown arguments.
    """
    import argparse

    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    parser = argparse.ArgumentParser(prog="devstack.moto_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto.server.main sets it
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # as moto.server.main: an error's traceback in its answer and the log
    return waitress.create_server(
        app,
        host=args.host,
        port=args.port,
        threads=THREADS,
        connection_limit=1000,  # idle keep-alive connections of every process of the stack
        channel_timeout=300,  # an idle connection is closed after this many seconds
        asyncore_use_poll=True,  # poll(), not select(): no limit of 1,024 descriptors
        ident="moto",
    )


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
