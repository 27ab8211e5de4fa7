"""A webhook receiver for tests: a tiny http.server on 127.0.0.1 in a thread."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WAIT_SECONDS = 60


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST; refuses the first ``refuse_first``.

    A refusal answers ``refuse_status`` (500, or a 3xx with a Location to test redirects).
    Its URL has a path of its own: a port the OS hands out again after an earlier receiver
    stopped still gets that receiver's late retries, which are answered 410 and not recorded.
    """

    refuse_first: int = 0
    refuse_status: int = 500
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    path: str = field(default_factory=lambda: f"/hooks/sitebook-{uuid.uuid4().hex}")

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != receiver.path:  # another receiver's subscription, port reused
                    self.send_response(410)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.requests.append(Received(dict(self.headers), body, time.time()))
                    refuse = len(receiver.requests) <= receiver.refuse_first
                self.send_response(receiver.refuse_status if refuse else 204)
                if refuse and 300 <= receiver.refuse_status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def accepted(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        with self.lock:
            return list(self.requests[self.refuse_first :])

    def events(self) -> list[Received]:
        """The first accepted delivery of each event id, in arrival order.

        Delivery is at least once: a receiver keys on Sitebook-Event-Id (docs/webhooks.md),
        so a redelivered event counts once here too.
        """
        first: dict[str, Received] = {}
        for received in self.accepted():
            first.setdefault(received.headers.get("Sitebook-Event-Id", ""), received)
        return list(first.values())

    def wait_for(self, count: int, seconds: float = WAIT_SECONDS) -> list[Received]:
        """The first ``count`` distinct events delivered, waiting up to ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.events()
            if len(got) >= count:
                return got[:count]
            time.sleep(0.1)
        raise AssertionError(f"{len(self.events())} of {count} events arrived in {seconds}s")
