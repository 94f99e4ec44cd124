"""``drs-console sandbox serve``: run the sandbox until Ctrl+C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from typing import TextIO

from .sandbox import Sandbox


def serve(port: int, servers: int, seed: int, speed: float, history: int, out: TextIO, region: str = "us-east-1") -> int:
    """Start a Sandbox on ``port``, print how to reach it, block until interrupted; returns 0."""
    stop = threading.Event()
    old_handlers: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                old_handlers[sig] = signal.signal(sig, lambda *_: stop.set())
            except (ValueError, OSError):  # pragma: no cover - unusual platforms
                pass
    sandbox = Sandbox(servers=servers, seed=seed, speed=speed, port=port, history=history, backend=True, region=region)
    try:
        url = sandbox.start()
        region = sandbox.region
        print(f"DRS sandbox running at {url}", file=out)
        print(
            f"  account {sandbox.account_id}, region {region}, {servers} source servers, seed {seed}, "
            f"clock x{speed:g}",
            file=out,
        )
        print("Try it with the AWS CLI (any fake credentials will do):", file=out)
        creds = "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x"
        print(f"  {creds} aws drs describe-source-servers --endpoint-url {url} --region {region}", file=out)
        print(f"  {creds} aws drs describe-jobs --endpoint-url {url} --region {region}", file=out)
        print(
            f"  {creds} aws drs start-recovery --is-drill --source-servers sourceServerID=<id> "
            f"--endpoint-url {url} --region {region}",
            file=out,
        )
        print("Press Ctrl+C to stop.", file=out)
        out.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        print("Stopping the sandbox.", file=out)
        return 0
    finally:
        sandbox.stop()
        for sig, handler in old_handlers.items():
            try:
                signal.signal(sig, handler)  # type: ignore[arg-type]
            except (ValueError, OSError, TypeError):  # pragma: no cover
                pass
