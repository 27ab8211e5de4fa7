"""`chalice local` for the local stage, answering errors the way the deployed API Gateway does."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, create_local_server

from devstack.environment import CONFIG
from devstack.gateway import ProblemLocalGateway
from devstack.keys import ROOT


class ProblemRequestHandler(ChaliceRequestHandler):
    def __init__(self, request, client_address, server, app_object, config) -> None:
        # BaseHTTPRequestHandler answers the request inside __init__, so the gateway goes first.
        self.local_gateway = ProblemLocalGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's signature
        print("api:", format % args, flush=True)


def build_server(host: str, port: int, stage: str = "local") -> LocalDevServer:
    from app import app

    config = Config.create(
        chalice_stage=stage,
        app_name="sitebook",
        project_dir=str(ROOT),
        config_from_disk=json.loads(CONFIG.read_text()),
        chalice_app=app,
    )
    create_local_server(
        app, config, host, port
    ).server.server_close()  # installs the local app class
    return LocalDevServer(app, config, host, port, handler_cls=ProblemRequestHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    build_server(args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
