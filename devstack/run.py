"""`make run`: moto on loopback, resources, the demo tenant, the API, the queue and event pumps."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from devstack.environment import local_environment
from devstack.keys import LOCAL_DIR, PUBLIC_KEY, ROOT, ensure_key_pair


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:.0f}s") from None
            time.sleep(0.2)


@dataclass
class LocalStack:
    """The moto server, the API and the pump as child processes; stop() ends every one of them."""

    api_port: int = 8000
    moto_port: int = 5005
    log_dir: str | None = None
    pump_lease_seconds: int | None = None
    # False runs moto as released, without devstack/moto_patch.py (a benchmark's baseline).
    patch_moto: bool = True
    # Set over the local stage's environment, e.g. a bench's higher MAX_IMPORT_ROWS.
    env_overrides: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    commands: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def _spawn(self, name: str, *args: str, quiet: bool = False) -> subprocess.Popen:
        mode = "a" if name in self.commands else "w"  # a restart's log follows its predecessor's
        self.commands[name] = (args, quiet)
        out = None
        if self.log_dir or quiet:
            folder = self.log_dir or str(LOCAL_DIR)
            os.makedirs(folder, exist_ok=True)
            out = open(os.path.join(folder, f"{name}.log"), mode)  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start(self, *, seed: bool = True) -> LocalStack:
        ensure_key_pair()
        self.env = local_environment(moto_port=self.moto_port, public_key=PUBLIC_KEY)
        self.env.update(self.env_overrides)
        try:
            self._spawn(
                "moto",
                "-m",
                "devstack.moto_server",
                *(() if self.patch_moto else ("--unpatched",)),
                "-H",
                "127.0.0.1",
                "-p",
                str(self.moto_port),
                quiet=True,
            )
            wait_for(f"{self.moto_url}/moto-api/")
            queue_url = self._create_resources(seed=seed)
            self.env["IMPORT_QUEUE_URL"] = queue_url
            self._spawn("api", "-m", "devstack.serve", "--port", str(self.api_port))
            lease = ("--lease-seconds", str(self.pump_lease_seconds))
            self._spawn("pump", "-m", "devstack.pump", *(lease if self.pump_lease_seconds else ()))
            self._spawn("events", "-m", "devstack.event_pump")
            wait_for(f"{self.api_url}/v1/health")
        except BaseException:
            self.stop()
            raise
        return self

    def _create_resources(self, *, seed: bool) -> str:
        os.environ.update(self.env)
        from chalicelib import aws
        from chalicelib.settings import reset_settings
        from chalicelib.store.base import unbind
        from devstack.resources import StackNames, create_stack

        reset_settings()
        aws.reset_clients()
        unbind()
        names = StackNames(
            self.env["TABLE_NAME"], self.env["BUCKET_NAME"], self.env["IMPORT_QUEUE_NAME"]
        )
        stack = create_stack(
            names, dynamodb=aws.client("dynamodb"), s3=aws.client("s3"), sqs=aws.client("sqs")
        )
        os.environ["IMPORT_QUEUE_URL"] = stack.queue_url
        self.env["IMPORT_DLQ_URL"] = os.environ["IMPORT_DLQ_URL"] = stack.dead_letter_queue_url
        self.env["WEBHOOK_QUEUE_URL"] = os.environ["WEBHOOK_QUEUE_URL"] = stack.webhook_queue_url
        self.env["WEBHOOK_DLQ_URL"] = os.environ["WEBHOOK_DLQ_URL"] = (
            stack.webhook_dead_letter_queue_url
        )
        reset_settings()
        if seed:
            from devstack.seed import seed_tenant

            seed_tenant()
        return stack.queue_url

    def process(self, name: str) -> subprocess.Popen:
        """The running process started as ``name`` ("moto", "api", "pump" or "events")."""
        args, _ = self.commands[name]
        return next(p for p in self.processes if p.args[1:] == [*args] and p.poll() is None)

    def kill(self, name: str) -> None:
        """SIGKILL one process, as a crashed Lambda or a pulled plug would end it."""
        process = self.process(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.processes.remove(process)

    def restart(self, name: str) -> subprocess.Popen:
        args, quiet = self.commands[name]
        return self._spawn(name, *args, quiet=quiet)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 5005))
    args = parser.parse_args()
    stack = LocalStack(api_port=args.port, moto_port=args.moto_port)
    # Ctrl-C and SIGTERM both end in stop(), even when SIGINT was inherited as ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.start()
        env = stack.env
        token_curl = f'curl -H "Authorization: Bearer $(make -s token)" {stack.api_url}'
        print(
            "\n".join(
                [
                    "",
                    "Sitebook is running.",
                    f"  API          {stack.api_url}/v1   (OpenAPI at /v1/openapi.json)",
                    f"  AWS (moto)   {stack.moto_url}  DynamoDB, S3, SQS (log: .local/moto.log)",
                    f"               table {env['TABLE_NAME']}, bucket {env['BUCKET_NAME']}",
                    "  Demo tenant  'demo': an admin, a staff user and default lookups",
                    "  Token        make token  (or: make token ROLE=staff TENANT=other)",
                    f"  Try          {token_curl}/v1/lookups/payment-terms",
                    "Ctrl-C stops everything.",
                    "",
                ]
            ),
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes):
            time.sleep(0.5)
        print("A local process stopped; shutting down.", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
