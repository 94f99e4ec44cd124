"""``drs-console sandbox serve``: run the sandbox until Ctrl+C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta
from typing import TextIO

from .sandbox import HEALTH_PATH, Sandbox

# Set by a parent that runs the sandbox as its child (the desktop app): the sandbox stops when
# that process is gone, even if it died without stopping it.
PARENT_PID_ENV = "DRS_CONSOLE_SANDBOX_PARENT"


def serve(port: int, servers: int, seed: int, speed: float, history: int, out: TextIO, region: str = "us-east-1",
          incident: timedelta | None = None, accounts: int = 1) -> int:
    """Start a Sandbox on ``port``, print how to reach it, block until interrupted; returns 0.

    The port listens only once the sandbox is ready (every service answers, the backend stack is
    deployed, the history seeded); ``GET /_sandbox/health`` then answers ``{"ready": true, ...}``.
    A port in use raises PortInUse (the CLI exits 2) before anything else is done."""
    stop = threading.Event()
    old_handlers: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                old_handlers[sig] = signal.signal(sig, lambda *_: stop.set())
            except (ValueError, OSError):  # pragma: no cover - unusual platforms
                pass
    sandbox = Sandbox(servers=servers, seed=seed, speed=speed, port=port, history=history, backend=True, region=region,
                      incident=incident, accounts=accounts)
    try:
        url = sandbox.start()
        region = sandbox.region
        print(f"DRS sandbox running at {url}", file=out)
        print(
            f"  account {sandbox.account_id}, region {region}, {servers} source servers, seed {seed}, "
            f"clock x{speed:g}",
            file=out,
        )
        if sandbox.incident_info is not None:
            info = sandbox.incident_info
            print(f"  incident at {info.at:%Y-%m-%d %H:%M:%S} UTC: {len(info.server_ids)} source servers tagged "
                  "drs-console:compromised=true; recover them with --point-in-time before it", file=out)
        print("Try it with the AWS CLI (any fake credentials will do):", file=out)
        creds = "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x"
        print(f"  {creds} aws drs describe-source-servers --endpoint-url {url} --region {region}", file=out)
        print(f"  {creds} aws drs describe-jobs --endpoint-url {url} --region {region}", file=out)
        print(
            f"  {creds} aws drs start-recovery --is-drill --source-servers sourceServerID=<id> "
            f"--endpoint-url {url} --region {region}",
            file=out,
        )
        for target in sandbox.targets:
            print(f"  target account {target.account_id} ({target.name}, {target.servers} source servers): "
                  f"role {target.role_arn}", file=out)
        if sandbox.targets:
            first = sandbox.targets[0]
            print("Reach a target account as the hub does (its servers, not the hub's):", file=out)
            print(f"  {creds} aws sts assume-role --role-arn {first.role_arn} --role-session-name try "
                  f"--endpoint-url {url} --region {region}", file=out)
            print("  then with its AccessKeyId/SecretAccessKey/SessionToken in AWS_ACCESS_KEY_ID/"
                  f"AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN: aws drs describe-source-servers --endpoint-url {url} "
                  f"--region {region}", file=out)
            print(f"  the console: drs-console --endpoint-url {url} accounts add {first.account_id} "
                  f"--role-arn {first.role_arn}", file=out)
        print(f"  readiness: GET {url}{HEALTH_PATH}", file=out)
        print("Press Ctrl+C to stop.", file=out)
        out.flush()
        parent = _parent_pid()
        try:
            while not stop.wait(0.5):
                if parent is not None and os.getppid() != parent:
                    print("The parent process is gone.", file=out)
                    break
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


def _parent_pid() -> int | None:
    try:
        return int(os.environ.get(PARENT_PID_ENV, ""))
    except ValueError:
        return None
