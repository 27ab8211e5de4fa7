"""The local stack's moto server: moto's own server, with devstack's DynamoDB patch applied first.

    python -m devstack.moto_server [--unpatched] <moto.server arguments>

--unpatched runs moto exactly as released (the benchmark's baseline).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
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


if __name__ == "__main__":
    main()
