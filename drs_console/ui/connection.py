"""The connection to AWS (or the in-process sandbox) that every page uses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from ..aws.session import APP_CLIENTS, AwsConnection, ConnectionParams, Identity
from ..store.settings import Settings, save_settings
from .gc_tuning import freeze_long_lived
from .layout_memory import LayoutMemory

log = logging.getLogger(__name__)


SANDBOX_REGION = "us-east-1"  # the in-process sandbox's region (shown in the bar before it starts)
SANDBOX_ACCOUNTS = 3  # the hub and two target accounts


def _default_sandbox_factory():
    from ..sandbox import Sandbox
    from ..sandbox.incident import incident_from_env

    try:
        incident = incident_from_env()  # $DRS_CONSOLE_SANDBOX_INCIDENT: a simulated incident
    except ValueError as exc:
        log.warning("%s; no incident simulated", exc)
        incident = None
    return Sandbox(backend=True, history=40, region=SANDBOX_REGION, incident=incident,
                   accounts=SANDBOX_ACCOUNTS)


class ConnectionController(QObject):
    """Owns the current AwsConnection and identity. ``connect`` is a plain coroutine (testable);
    widgets call it through the TaskRunner."""

    connecting = Signal(str)  # description of what is being connected
    connected = Signal(object)  # Identity
    disconnected = Signal()
    failed = Signal(object)  # ConsoleError

    def __init__(
        self,
        settings: Settings,
        *,
        sandbox_factory: Callable[[], object] = _default_sandbox_factory,
        persist: bool = True,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.settings = settings
        self._sandbox_factory = sandbox_factory
        self._persist = persist
        self.ui_layout = LayoutMemory(settings, persist=persist, parent=self)  # splitters, columns
        self.connection: AwsConnection | None = None
        self.identity: Identity | None = None
        self.sandbox = None
        self._connector = None  # aws.accounts.AccountConnector of this connection, made when first used
        self._lock = asyncio.Lock()

    @property
    def sandbox_region(self) -> str:
        return getattr(self.sandbox, "region", None) or SANDBOX_REGION

    @property
    def known_accounts(self) -> list:
        """The accounts reached besides the connected one: the sandbox's own target accounts when
        connected to it, else the settings' (the Accounts page edits those)."""
        if self.settings.sandbox and self.sandbox is not None:
            return list(getattr(self.sandbox, "known_accounts", []) or [])
        return list(self.settings.accounts)

    def accounts_connector(self):
        """The connector to the known accounts from this connection (one per connection: its
        accounts' sessions and clients are made once); None when not connected."""
        if self.connection is None or self.identity is None:
            return None
        if self._connector is None or self._connector.hub is not self.connection:
            from ..aws.accounts import AccountConnector

            self._connector = AccountConnector(self.connection, hub_arn=self.identity.arn)
        return self._connector

    def save_settings(self) -> None:
        if self._persist:
            try:
                save_settings(self.settings)
            except OSError as exc:
                log.warning("could not save settings: %s", exc)

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and self.identity is not None

    async def connect(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        sandbox: bool = False,
    ) -> Identity:
        """Connect and verify with STS GetCallerIdentity. Raises ConsoleError with what to do."""
        async with self._lock:
            self._drop_connection()
            label = "the sandbox" if sandbox else f"profile {profile or '(default)'}"
            self.connecting.emit(label)
            try:
                if sandbox:
                    params = await self._sandbox_params()
                else:
                    self._stop_sandbox()
                    params = ConnectionParams(
                        profile=profile or None, region=region or None, endpoint_url=endpoint_url or None
                    )
                # the Session and every client are made on worker threads, never on the GUI thread
                conn = await AwsConnection.open(params)
                try:
                    identity = await conn.identity()
                    await conn.call(conn.make_clients, APP_CLIENTS)
                except BaseException:
                    conn.close()
                    raise
            except BaseException as exc:
                self.failed.emit(exc)
                raise
            self.connection, self.identity = conn, identity
            self._remember(profile, region, endpoint_url, sandbox)
            log.info("connected: account %s, %s, %s", identity.account_id, identity.region, identity.arn)
            freeze_long_lived("connected")  # the session's clients and models: no gen2 collection walks them
            self.connected.emit(identity)
            return identity

    async def _sandbox_params(self) -> ConnectionParams:
        if self.sandbox is None:
            sandbox = self._sandbox_factory()
            await asyncio.get_running_loop().run_in_executor(None, sandbox.start)
            self.sandbox = sandbox
        return self.sandbox.connection_params()

    def _remember(self, profile, region, endpoint_url, sandbox) -> None:
        s = self.settings
        s.sandbox = sandbox
        if not sandbox:
            s.profile, s.region, s.endpoint_url = profile or None, region or None, endpoint_url or None
        if self._persist:
            try:
                save_settings(s)
            except OSError as exc:
                log.warning("could not save settings: %s", exc)

    def _drop_connection(self) -> None:
        had = self.connection is not None
        if self._connector is not None:
            self._connector.close()
            self._connector = None
        if self.connection is not None:
            self.connection.close()
        self.connection, self.identity = None, None
        if had:
            self.disconnected.emit()

    def _stop_sandbox(self) -> None:
        if self.sandbox is not None:
            sandbox, self.sandbox = self.sandbox, None
            sandbox.stop()

    def close(self) -> None:
        """Drop the connection and stop the sandbox; never blocks on a running AWS call."""
        self._drop_connection()
        self._stop_sandbox()
