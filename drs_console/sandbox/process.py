"""The sandbox in a child process (``drs-console sandbox serve``), for the desktop app: moto never
shares the GUI's interpreter (its GIL, its memory). Same face as ``Sandbox`` where the app uses it:
``start()`` (blocking, returns once the child's health endpoint says ready), ``stop()``,
``connection_params()``, ``backend_outputs``. The in-process ``Sandbox`` stays for tests and the CLI.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..aws.session import ConnectionParams
from ..domain.errors import ConsoleError, ProblemKind
from .sandbox import HEALTH_PATH, HOST, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from .serve import PARENT_PID_ENV

log = logging.getLogger(__name__)

EXIT_USAGE = 2  # `sandbox serve` on a port in use
PORT_ATTEMPTS = 3  # a free port can be taken between choosing it and the child binding it


def sandbox_command() -> list[str]:
    """How to run this console's CLI: the frozen executable itself, or this Python with -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "drs_console"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class SandboxProcess:
    def __init__(
        self,
        *,
        servers: int = 60,
        seed: int = 7,
        speed: float = 30.0,
        history: int = 40,
        accounts: int = 3,
        log_file: Path | None = None,
        start_timeout: float = 120.0,
    ):
        self.servers, self.seed, self.speed, self.history = servers, seed, speed, history
        self.accounts = accounts
        self.known_accounts: list = []  # the child's target accounts (from its health answer)
        self.log_file = log_file
        self.start_timeout = start_timeout
        self.region = "us-east-1"
        self.account_id = ""
        self.endpoint_url = ""
        self.backend_outputs: dict[str, str] = {}
        self._proc: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        """Run ``sandbox serve`` on a free port and wait until its health endpoint says ready."""
        if self.running:
            return self.endpoint_url
        for _attempt in range(PORT_ATTEMPTS):
            port = free_port()
            proc = self._spawn(port)
            self._proc = proc
            try:
                health = self._wait_ready(proc, port)
            except BaseException:
                self.stop()
                raise
            if health is not None:
                self.endpoint_url = f"http://{HOST}:{port}"
                self.region = str(health.get("region") or self.region)
                self.account_id = str(health.get("accountId") or "")
                self.backend_outputs = dict(health.get("backend") or {})
                self.known_accounts = _known_accounts(health.get("accounts"))
                log.info("sandbox child process %d ready at %s", proc.pid, self.endpoint_url)
                return self.endpoint_url
            self._proc = None  # the port was taken in between: try another
        raise self._failure("its port was taken every time")

    def _spawn(self, port: int) -> subprocess.Popen:
        cmd = [
            *sandbox_command(), "sandbox", "serve", "--port", str(port), "--servers", str(self.servers),
            "--seed", str(self.seed), "--speed", f"{self.speed:g}", "--history", str(self.history),
            "--accounts", str(self.accounts),
        ]
        env = dict(os.environ)
        env[PARENT_PID_ENV] = str(os.getpid())
        env.setdefault("PYTHONUNBUFFERED", "1")
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            out: Any = open(self.log_file, "ab")  # noqa: SIM115 - the child owns it from here
        else:
            out = subprocess.DEVNULL
        try:
            log.info("starting the sandbox: %s", " ".join(cmd))
            return subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,  # Ctrl+C in the app's terminal is the app's to handle
            )
        finally:
            if out is not subprocess.DEVNULL:
                out.close()

    def _wait_ready(self, proc: subprocess.Popen, port: int) -> dict | None:
        """The health answer once ready; None when the child exited because the port was taken."""
        url = f"http://{HOST}:{port}{HEALTH_PATH}"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                if code == EXIT_USAGE and self._log_says("in use"):
                    return None
                raise self._failure(f"it exited with code {code}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
                    health = json.loads(resp.read().decode())
                if health.get("ready"):
                    return health
            except (urllib.error.URLError, OSError, ValueError):
                pass  # not listening yet: it listens only once ready
            time.sleep(0.05)
        raise self._failure(f"it was not ready within {self.start_timeout:g} s")

    def _log_says(self, text: str) -> bool:
        if self.log_file is None:
            return False
        try:
            with open(self.log_file, "rb") as f:
                f.seek(max(0, f.seek(0, 2) - 2000))
                return text in f.read().decode(errors="replace")
        except OSError:
            return False

    def _failure(self, why: str) -> ConsoleError:
        where = f" Its log: {self.log_file}" if self.log_file else ""
        return ConsoleError(
            ProblemKind.AWS_ERROR, f"The sandbox did not start: {why}.", f"Try again.{where}".strip()
        )

    def stop(self) -> None:
        """Stop the child (SIGTERM, then kill after 3 s; it stops in well under that). Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def connection_params(self) -> ConnectionParams:
        if not self.endpoint_url:
            raise RuntimeError("start() the sandbox first")
        return ConnectionParams(
            region=self.region,
            endpoint_url=self.endpoint_url,
            static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
            label="Sandbox",
        )

    def __repr__(self) -> str:
        pid = self._proc.pid if self._proc else None
        return f"SandboxProcess(pid={pid}, {self.endpoint_url or 'stopped'})"


def _known_accounts(docs: Any) -> list:
    from ..domain.accounts import parse_accounts

    accounts, problems = parse_accounts(docs if isinstance(docs, list) else [])
    for problem in problems:
        log.warning("the sandbox's account %s", problem)
    return accounts
