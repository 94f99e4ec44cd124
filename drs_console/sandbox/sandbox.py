"""The offline sandbox: moto's server on 127.0.0.1 with the DRS simulator plugged in."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

from ..aws.session import ConnectionParams
from ..domain.errors import BadInput
from .clock import SimClock
from .simulator import DrsSimulator

log = logging.getLogger(__name__)

SANDBOX_ACCESS_KEY = "sandbox-access-key"
SANDBOX_SECRET_KEY = "sandbox-secret"

_running_lock = threading.Lock()
POLL_INTERVAL = 0.05  # how often the server loop checks for shutdown (moto's default is 0.5 s)
_running: Sandbox | None = None
HOST = "127.0.0.1"
HEALTH_PATH = "/_sandbox/health"
STOP_EXECUTIONS_SECONDS = 10.0  # how long stop() waits for the running executions to end


class PortInUse(BadInput):
    def __init__(self, port: int):
        super().__init__(
            f"Port {port} on {HOST} is in use by another program.",
            "Stop that program, or choose another --port (0 picks a free one).",
        )
        self.port = port


class Sandbox:
    """A local, offline AWS (moto) with a simulated DRS, for the GUI, the CLI and tests.

    moto keeps its state in process-global backends, so only one Sandbox can run at a time in a
    process; ``start()`` resets every moto backend, so each Sandbox starts clean.
    """

    def __init__(
        self,
        *,
        servers: int = 60,
        seed: int = 7,
        speed: float = 30.0,
        region: str = "us-east-1",
        port: int = 0,
        launch_failure_rate: float = 0.0,
        throttle_rate: float = 0.0,
        manual_clock: bool = False,
        history: int = 0,
        backend: bool = False,
        incident: timedelta | None = None,
        accounts: int = 1,
    ):
        """``accounts``: the hub (moto's default account) plus ``accounts - 1`` target accounts,
        each with its own seeded DRS and the role of target-account.yaml (sandbox/accounts.py)."""
        from moto.core import DEFAULT_ACCOUNT_ID

        from .accounts import MAX_ACCOUNTS, target_accounts

        self.servers = servers
        self.seed = seed
        self.region = region
        self.port = port
        self.launch_failure_rate = launch_failure_rate
        self.throttle_rate = throttle_rate
        self.history = history  # past executions seeded in the history table (needs backend)
        self.backend = backend or history > 0  # deploy the reference backend on start
        self.backend_outputs: dict[str, str] = {}
        self.incident = incident  # a simulated incident that long ago (sandbox/incident.py)
        self.incident_info: Any = None  # incident.Incident once started
        self.account_id: str = DEFAULT_ACCOUNT_ID
        if not 1 <= accounts <= MAX_ACCOUNTS:
            raise BadInput(f"{accounts} accounts is out of range.", f"Use 1 (the hub alone) to {MAX_ACCOUNTS}.")
        self.targets = target_accounts(seed, accounts - 1, hub=self.account_id)
        self.clock = SimClock(speed=speed, manual=manual_clock)
        self.endpoint_url: str = ""
        self.ready = False  # True once every service answers, the backend is deployed and seeded
        self._server: Any = None  # the server the sandbox itself uses (deploy, seeding)
        self._public: Any = None  # with an explicit port: the server on it, listening once ready
        self._old_moto_port: str | None = None
        self._old_sfn_exec: bool | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> str:
        global _running
        if self._server is not None:
            return self.endpoint_url
        from moto.core.base_backend import BackendDict
        from moto.core.config import default_user_config
        from moto.core.model_instances import reset_model_data

        from .drs.models import SimulatorSettings, configure
        from .install import install_drs

        with _running_lock:
            if _running is not None and _running is not self:
                raise RuntimeError(
                    "Another Sandbox is running in this process (moto's state is process-global); stop it first."
                )
            _running = self
        try:
            install_drs()
            from . import moto_speed

            moto_speed.apply()  # what moto redoes with the same result, once per process
            configure(
                SimulatorSettings(
                    clock=self.clock,
                    seed=self.seed,
                    servers=self.servers,
                    home_account=self.account_id,
                    home_region=self.region,
                    launch_failure_rate=self.launch_failure_rate,
                    throttle_rate=self.throttle_rate,
                    targets={t.account_id: (t.servers, t.variant) for t in self.targets},
                )
            )
            from .accounts import enforce_trust

            enforce_trust({t.account_id: self.account_id for t in self.targets})
            BackendDict.reset()
            reset_model_data()
            from ..aws.accounts import ROLE_CACHE

            ROLE_CACHE.clear()  # credentials of an earlier sandbox's roles mean nothing to this one
            sfn = default_user_config.setdefault("stepfunctions", {})
            self._old_sfn_exec = sfn.get("execute_state_machine", False)
            sfn["execute_state_machine"] = True

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log on stderr
            # An explicit port is reserved now (so "in use" fails at once) and listens only when
            # the sandbox is ready: whoever connects the moment it answers finds the stack deployed.
            reserved = _reserve(self.port) if self.port else None
            try:
                server = _HttpServer(self._app(), 0)
            except BaseException:
                if reserved is not None:
                    reserved.close()
                raise
            self._server = server
            self._old_moto_port = os.environ.get("MOTO_PORT")
            os.environ["MOTO_PORT"] = str(server.port)
            self.endpoint_url = f"http://{HOST}:{server.port}"
            _ = self.drs  # create and seed the home simulator now, not on the first request
            if self.incident is not None:
                from .incident import apply_incident

                self.incident_info = apply_incident(self.drs, self.incident)
            try:
                self._deploy_targets()
                if self.backend:
                    self._deploy_backend()
            except BaseException:
                if reserved is not None:
                    reserved.close()
                raise
            if reserved is not None:
                self._public = _HttpServer(self._app(), self.port, sock=reserved)
                self.endpoint_url = f"http://{HOST}:{self.port}"
            self.port = self._public.port if self._public else server.port
            self.ready = True
            log.info(
                "DRS sandbox running at %s (%d servers, seed %d)", self.endpoint_url, self.servers, self.seed
            )
            return self.endpoint_url
        except BaseException:
            self.stop()
            raise

    def _deploy_targets(self) -> None:
        """Each target account: its seeded DRS made now, and target-account.yaml deployed there."""
        from .accounts import deploy_target_role

        for target in self.targets:
            _ = self.drs_for(target.account_id)
            deploy_target_role(self, target)

    @property
    def known_accounts(self) -> list:
        """The target accounts as the console knows them (a role each): what `--sandbox` shows."""
        return [t.known() for t in self.targets]

    def _deploy_backend(self) -> None:
        """The reference backend exactly as `backend deploy` makes it (same template and ASL),
        then the seeded history."""
        from .backend import deploy_reference_backend
        from .history_seed import speed_up_moto_transactions

        speed_up_moto_transactions()  # prune-sized transactions without moto copying whole tables
        self.backend_outputs = deploy_reference_backend(self)
        if self.history > 0:
            from .history_seed import seed_history

            seed_history(self, self.history, self.backend_outputs["HistoryTableName"], seed=self.seed,
                         state_machine_arn=self.backend_outputs.get("StateMachineArn", ""), real_active=True)

    def stop(self) -> None:
        """Stop the server(s). Idempotent; the moto state stays until the next start()."""
        self.ready = False
        if self._server is not None:
            from .history_seed import stop_seeded_executions

            self.endpoint_url = f"http://{HOST}:{self._server.port}"  # the one they were seeded through
            try:
                stop_seeded_executions(self)  # while its servers still answer
            except Exception:  # noqa: BLE001 - stopping must not raise
                log.exception("stopping the seeded executions failed")
            try:
                _stop_running_executions()
            except Exception:  # noqa: BLE001 - stopping must not raise
                log.exception("stopping the running Step Functions executions failed")
        public, self._public = self._public, None
        server, self._server = self._server, None
        for each in (public, server):
            if each is not None:
                each.stop()
        if server is not None:
            if self._old_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._old_moto_port
            from moto.core.config import default_user_config

            default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = bool(
                self._old_sfn_exec
            )
        self._release()

    def health(self) -> dict[str, Any]:
        """What ``GET /_sandbox/health`` answers (HTTP 200 when ready, else 503)."""
        return {
            "ready": self.ready,
            "endpoint": self.endpoint_url,
            "region": self.region,
            "accountId": self.account_id,
            "servers": self.servers,
            "backend": dict(self.backend_outputs) if self.backend else None,
            **({"incident": self.incident_info.to_json()} if self.incident_info is not None else {}),
            "accounts": [a.as_dict() for a in self.known_accounts],
        }

    def _app(self) -> Any:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from .aws_errors import AwsErrorShield

        # AWS errors for what moto does not implement (not HTML 500s); the health endpoint first
        return _HealthMiddleware(AwsErrorShield(DomainDispatcherApplication(create_backend_app)), self)

    def _release(self) -> None:
        global _running
        with _running_lock:
            if _running is self:
                _running = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access --------------------------------------------------------------------------------
    @property
    def drs(self) -> DrsSimulator:
        """The DRS simulator of the sandbox's account and region (looked up each time, so it
        stays right after a moto reset)."""
        from .drs.models import drs_backends
        from .install import install_drs

        install_drs()
        return drs_backends[self.account_id][self.region].simulator

    def drs_for(self, account_id: str) -> DrsSimulator:
        """The DRS simulator of ``account_id`` (a target account, or any other) in the sandbox's region."""
        from .drs.models import drs_backends
        from .install import install_drs

        install_drs()
        return drs_backends[account_id][self.region].simulator

    def connection_params(self) -> ConnectionParams:
        if not self.endpoint_url:
            raise RuntimeError("start() the Sandbox first")
        return ConnectionParams(
            region=self.region,
            endpoint_url=self.endpoint_url,
            static_credentials=(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
            label="Sandbox",
        )

    def client(self, service: str = "drs", **kwargs: Any):
        """A boto3 client for this sandbox (handy in tests and scripts)."""
        import boto3

        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=SANDBOX_ACCESS_KEY,
            aws_secret_access_key=SANDBOX_SECRET_KEY,
            **kwargs,
        )

    def __repr__(self) -> str:
        state = self.endpoint_url if self.running else "stopped"
        return f"Sandbox({state}, servers={self.servers}, seed={self.seed}, clock={self.clock!r})"


def _stop_running_executions(timeout: float = STOP_EXECUTIONS_SECONDS) -> None:
    """Stop every Step Functions execution still running in moto (any account, region or state
    machine) and wait until each has ended. moto runs an execution on a thread of this process that
    outlives the sandbox: left running, it goes on polling, and once the next sandbox of the process
    starts (MOTO_PORT then names that one's server) it writes into that sandbox's history table: a
    FAILED execution without its ID, plan or waves, from a drill the user left running before
    connecting to a profile and back to the sandbox."""
    import datetime
    import time

    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from ..domain import contract as c

    running = [
        execution
        for regions in list(stepfunctions_parser_backends.values())
        for backend in list(regions.values())
        for machine in list(backend.state_machines)
        for execution in list(getattr(machine, "executions", ()))
        if getattr(execution, "exec_status", None) == ExecutionStatus.RUNNING
    ]
    now = datetime.datetime.now(tz=datetime.UTC)
    for execution in running:
        execution.stop(stop_date=now, error=c.ERROR_STOPPED, cause="The sandbox stopped.")
    deadline = time.monotonic() + timeout
    while any(e.exec_status == ExecutionStatus.RUNNING for e in running) and time.monotonic() < deadline:
        time.sleep(0.01)
    left = [e.exec_arn for e in running if e.exec_status == ExecutionStatus.RUNNING]
    if left:
        log.warning("%d Step Functions execution(s) did not stop with the sandbox: %s", len(left), left)
    elif running:
        log.debug("stopped %d running Step Functions execution(s) with the sandbox", len(running))


def _reserve(port: int) -> socket.socket:
    """Bind (not listen on) ``port``; PortInUse when another program has it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(port) from None
        raise
    return sock


class _HttpServer:
    """moto's WSGI app served on 127.0.0.1 by a threaded werkzeug server, made in the calling
    thread (so a bind error raises here instead of killing a server thread while start() waits),
    with a short shutdown poll so that stop() is quick."""

    def __init__(self, app: Any, port: int, *, sock: socket.socket | None = None):
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        if sock is None:
            sock = _reserve(port)
        try:
            self._server = make_server(HOST, port, app, True, request_handler=MotoRequestHandler, fd=sock.fileno())
        finally:
            sock.close()  # werkzeug serves a duplicate of it
        self._server.server_activate()  # listen
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_INTERVAL},
            name=f"sandbox-http-{self.port}", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        try:
            self._server.shutdown()
            self._server.server_close()  # free the port
            self._thread.join(5)
        except Exception:  # noqa: BLE001 - stopping must not raise
            log.exception("stopping the sandbox server failed")


class _HealthMiddleware:
    """Answers ``GET /_sandbox/health`` with the sandbox's readiness; everything else is moto's."""

    def __init__(self, app: Any, sandbox: Sandbox):
        self.app = app
        self.sandbox = sandbox

    def __call__(self, environ: dict, start_response: Any):
        if environ.get("PATH_INFO") == HEALTH_PATH:
            health = self.sandbox.health()
            body = json.dumps(health).encode()
            status = "200 OK" if health["ready"] else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)
