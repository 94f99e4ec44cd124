"""The offline sandbox: moto's server on 127.0.0.1 with the DRS simulator plugged in."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ..aws.session import ConnectionParams
from .clock import SimClock
from .simulator import DrsSimulator

log = logging.getLogger(__name__)

SANDBOX_ACCESS_KEY = "sandbox-access-key"
SANDBOX_SECRET_KEY = "sandbox-secret"

_running_lock = threading.Lock()
POLL_INTERVAL = 0.05  # how often the server loop checks for shutdown (moto's default is 0.5 s)
_running: Sandbox | None = None


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
    ):
        from moto.core import DEFAULT_ACCOUNT_ID

        self.servers = servers
        self.seed = seed
        self.region = region
        self.port = port
        self.launch_failure_rate = launch_failure_rate
        self.throttle_rate = throttle_rate
        self.history = history  # past executions seeded in the history table (needs backend)
        self.backend = backend or history > 0  # deploy the reference backend on start
        self.backend_outputs: dict[str, str] = {}
        self.account_id: str = DEFAULT_ACCOUNT_ID
        self.clock = SimClock(speed=speed, manual=manual_clock)
        self.endpoint_url: str = ""
        self._server: Any = None
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
            configure(
                SimulatorSettings(
                    clock=self.clock,
                    seed=self.seed,
                    servers=self.servers,
                    home_account=self.account_id,
                    home_region=self.region,
                    launch_failure_rate=self.launch_failure_rate,
                    throttle_rate=self.throttle_rate,
                )
            )
            BackendDict.reset()
            reset_model_data()
            sfn = default_user_config.setdefault("stepfunctions", {})
            self._old_sfn_exec = sfn.get("execute_state_machine", False)
            sfn["execute_state_machine"] = True

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log on stderr
            server = _make_server(self.port)
            server.start()
            self._server = server
            host, port = server.get_host_and_port()
            self.port = port
            self._old_moto_port = os.environ.get("MOTO_PORT")
            os.environ["MOTO_PORT"] = str(port)
            self.endpoint_url = f"http://{host}:{port}"
            _ = self.drs  # create and seed the home simulator now, not on the first request
            if self.backend:
                self._deploy_backend()
            log.info(
                "DRS sandbox running at %s (%d servers, seed %d)", self.endpoint_url, self.servers, self.seed
            )
            return self.endpoint_url
        except BaseException:
            self._release()
            raise

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
        """Stop the server. Idempotent; the moto state stays until the next start()."""
        server, self._server = self._server, None
        if server is not None:
            from .history_seed import stop_seeded_executions

            try:
                stop_seeded_executions(self)
            except Exception:  # noqa: BLE001 - stopping must not raise
                log.exception("stopping the seeded executions failed")
            try:
                server.stop()
                inner = getattr(server, "_server", None)
                if inner is not None:
                    inner.server_close()  # free the port (ThreadedMotoServer.stop does not)
            except Exception:  # noqa: BLE001 - stopping must not raise
                log.exception("stopping the sandbox server failed")
            if self._old_moto_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._old_moto_port
            from moto.core.config import default_user_config

            default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = bool(
                self._old_sfn_exec
            )
        self._release()

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


def _make_server(port: int) -> Any:
    """moto's ThreadedMotoServer on 127.0.0.1, with a short shutdown poll so that stop() is quick."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from .aws_errors import AwsErrorShield

    class QuickStopMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = AwsErrorShield(DomainDispatcherApplication(create_backend_app))  # AWS errors, not HTML 500s
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=POLL_INTERVAL)

    return QuickStopMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
