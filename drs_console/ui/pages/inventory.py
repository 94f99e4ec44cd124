"""Inventory page: the DRS source servers of the connected account and region."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)
from qasync import asyncSlot

from ...aws.drs import DrsService
from ...aws.session import Identity
from ...domain.inventory import InventorySnapshot, format_age
from ...domain.status import ReplicationHealth, ReplicationState, replication_health
from ...store.inventory_cache import InventoryCache, cache_endpoint
from ..connection import ConnectionController
from ..inventory_state import InventoryState
from ..models.inventory_model import InventoryColumn, InventoryFilterProxy, InventoryModel
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..widgets.badge import BadgeDelegate
from .base import Page

log = logging.getLogger(__name__)

STATE_FILTERS: list[tuple[str, frozenset[ReplicationState] | None]] = [
    ("All replication states", None),
    (
        "Healthy",
        frozenset(s for s in ReplicationState if replication_health(s) is ReplicationHealth.HEALTHY),
    ),
    (
        "Syncing",
        frozenset(s for s in ReplicationState if replication_health(s) is ReplicationHealth.SYNCING),
    ),
    (
        "Unhealthy",
        frozenset(s for s in ReplicationState if replication_health(s) is ReplicationHealth.UNHEALTHY),
    ),
] + [(s.value, frozenset({s})) for s in ReplicationState if s is not ReplicationState.UNKNOWN]


class InventoryPage(Page):
    key = "inventory"
    title = "Inventory"

    def __init__(
        self,
        controller: ConnectionController,
        runner: TaskRunner,
        *,
        cache: InventoryCache | None = None,
        cache_sandbox: bool = False,
        state: InventoryState | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.state = state or InventoryState(self)
        self.controller = controller
        self.runner = runner
        self.cache = cache or InventoryCache()
        self.cache_sandbox = cache_sandbox
        self.snapshot: InventorySnapshot | None = None
        self.offline = True
        self._task: asyncio.Task | None = None
        self._loaded = asyncio.Event()

        self.model = InventoryModel(self)
        self.proxy = InventoryFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setObjectName("inventorySearch")
        self.search.setPlaceholderText("Filter: name, ID, instance, account, tag…")
        self.search.setClearButtonEnabled(True)
        self.state_filter = QComboBox()
        for label, states in STATE_FILTERS:
            self.state_filter.addItem(label, states)
        self.account_filter = QComboBox()
        self.account_filter.setObjectName("inventoryAccountFilter")
        self.account_filter.setToolTip("Show the servers of one account (the accounts page lists them)")
        self.account_filter.addItem("All accounts", None)
        self.account_filter.setVisible(False)  # shown once the inventory spans several accounts
        self.refresh_button = QPushButton("Refresh")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("inventoryStatus")

        self.table = ConsoleTableView()
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(InventoryColumn.REPLICATION, BadgeDelegate(self.table))
        self.table.sortByColumn(InventoryColumn.NAME, Qt.SortOrder.AscendingOrder)
        for col, width in (
            (InventoryColumn.NAME, 170),
            (InventoryColumn.SOURCE_SERVER_ID, 170),
            (InventoryColumn.SOURCE_INSTANCE_ID, 170),
            (InventoryColumn.SOURCE_ACCOUNT_ID, 115),
            (InventoryColumn.ORIGIN_REGION, 100),
            (InventoryColumn.REPLICATION, 125),
            (InventoryColumn.LAG, 80),
            (InventoryColumn.LAST_LAUNCH, 95),
            (InventoryColumn.ACCOUNT, 115),
        ):
            self.table.setColumnWidth(col, width)
        # the account holding each server, shown after its name (its index stays last: see the enum)
        header = self.table.horizontalHeader()
        header.moveSection(header.visualIndex(InventoryColumn.ACCOUNT), 1)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(self.state_filter)
        bar.addWidget(self.account_filter)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.progress)
        bar.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(lambda _t: self._update_status())
        self.state_filter.currentIndexChanged.connect(self._state_changed)
        self.account_filter.currentIndexChanged.connect(self._account_changed)
        self.refresh_button.clicked.connect(self.on_refresh_clicked)
        self.cancel_button.clicked.connect(self.cancel_refresh)
        controller.connected.connect(self._on_connected)
        controller.disconnected.connect(self._on_disconnected)
        controller.failed.connect(lambda _exc: self._on_disconnected())
        self._live_sandbox = False  # the table shows the sandbox's servers (they go with it)
        self._fitted = False
        self.show_cached()

    # -- data ----------------------------------------------------------------------------------
    def show_cached(self, account_id: str | None = None, region: str | None = None) -> bool:
        """Show the cached inventory (offline mode). Returns whether there was one."""
        endpoint = self._endpoint()
        snap = (
            self.cache.load(account_id, region, endpoint)
            if account_id and region
            else self.cache.latest(region or self.controller.settings.region, endpoint)
        )
        if snap is None:
            self.status.setText("No inventory yet: connect to load it.")
            return False
        self._apply(snap, offline=True)
        return True

    def _endpoint(self) -> str:
        """The endpoint whose cache is shown: the connection's, else the one last connected to."""
        conn = self.controller.connection
        if conn is not None:
            return cache_endpoint(conn.params.endpoint_url, conn.params.is_sandbox)
        settings = self.controller.settings
        return cache_endpoint(settings.endpoint_url, settings.sandbox)

    def _apply(self, snap: InventorySnapshot, *, offline: bool) -> None:
        self.snapshot = snap
        self.offline = offline
        self.model.set_accounts(snap.account_id, dict(snap.account_names))
        self.model.set_items(snap.servers)
        self._fill_account_filter(snap)
        if not self._fitted and snap.servers:
            # columns as wide as their content (once, so they never jump), the rest for the Tags
            self._fitted = True
            self.table.fit_columns({c: (60, 200) for c in InventoryColumn if c is not InventoryColumn.TAGS})
        self.state.set(snap, fresh=not offline)
        self._update_status()
        self._loaded.set()

    def _update_status(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        shown, total = self.proxy.rowCount(), len(snap.servers)
        count = f"{shown} of {total} servers" if shown != total else f"{total} servers"
        accounts = snap.account_ids
        where = (f"account {snap.account_id} · {snap.region}" if len(accounts) < 2
                 else f"{len(accounts)} accounts (connected: {snap.account_id}) · {snap.region}")
        if snap.problems:
            where += " · " + " ".join(snap.problems.values())
        if self.offline:
            age = format_age(snap.age())
            self.status.setText(f"{count} · {where} · OFFLINE: cached inventory from {age} ago")
        else:
            when = snap.fetched_at.astimezone().strftime("%H:%M:%S")
            self.status.setText(f"{count} · {where} · loaded {when}")

    def _fill_account_filter(self, snap: InventorySnapshot) -> None:
        """One entry per account of the inventory (the chosen one kept while it is there)."""
        chosen = self.account_filter.currentData()
        accounts = snap.account_ids
        self.account_filter.blockSignals(True)
        try:
            self.account_filter.clear()
            self.account_filter.addItem("All accounts", None)
            for account in accounts:
                count = len(snap.in_account(account))
                label = snap.account_label(account) + (" (connected)" if account == snap.account_id else "")
                if account in snap.problems:
                    label += " (not read)"
                self.account_filter.addItem(f"{label} · {count}", account)
            index = self.account_filter.findData(chosen) if chosen else 0
            self.account_filter.setCurrentIndex(max(index, 0))
        finally:
            self.account_filter.blockSignals(False)
        self.account_filter.setVisible(len(accounts) > 1)
        self.proxy.set_account(self.account_filter.currentData())

    def _account_changed(self) -> None:
        self.proxy.set_account(self.account_filter.currentData())
        self._update_status()

    def _state_changed(self) -> None:
        self.proxy.set_states(self.state_filter.currentData())
        self._update_status()

    def _on_disconnected(self) -> None:
        """What belonged to the connection goes with it: the sandbox's servers are cleared; a real
        account's inventory stays, marked OFFLINE (it is the cached copy)."""
        self.cancel_refresh()
        if self._live_sandbox:
            self._live_sandbox = False
            self.snapshot = None
            self.model.set_items([])
            self.state.set(None, fresh=False)
            self.status.setText("Not connected: connect to load the inventory.")
            return
        if self.snapshot is not None and not self.offline:
            self.offline = True
            self.state.set(self.snapshot, fresh=False)
            self._update_status()

    def _on_connected(self, ident: Identity) -> None:
        self._live_sandbox = ident.sandbox
        if self.snapshot is None or (self.snapshot.account_id, self.snapshot.region) != (
            ident.account_id,
            ident.region,
        ):
            # Never leave another account's servers on screen while loading this one's.
            if not self.show_cached(ident.account_id, ident.region):
                self.model.set_items([])
                self.snapshot = None
        self.start_refresh()

    # -- refresh -------------------------------------------------------------------------------
    @asyncSlot()
    async def on_refresh_clicked(self) -> None:
        self.start_refresh()

    def start_refresh(self) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            return self._task
        if not self.controller.is_connected:
            self.status.setText(self.status.text() + "  (not connected: connect to refresh)")
            return None
        self._task = self.runner.start(self.refresh(), name="inventory-refresh")
        return self._task

    def cancel_refresh(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def refresh(self) -> InventorySnapshot:
        """Load the inventory page by page, updating rows in place; cache it for offline use."""
        conn, ident = self.controller.connection, self.controller.identity
        if conn is None or ident is None:
            raise RuntimeError("not connected")
        self._set_busy(True)
        try:
            snap = await DrsService(conn).inventory(
                ident.account_id, progress=self._progress, accounts=self.controller.known_accounts,
                connector=self.controller.accounts_connector(),
            )
        finally:
            self._set_busy(False)
        if self.controller.identity is not ident:  # reconnected meanwhile: drop the stale result
            return snap
        self._apply(snap, offline=False)
        self._live_sandbox = ident.sandbox
        if not ident.sandbox or self.cache_sandbox:
            try:
                self.cache.save(snap, self._endpoint())  # keyed by endpoint too: never the real account's
            except OSError as exc:
                log.warning("could not cache the inventory: %s", exc)
        return snap

    def _progress(self, count: int) -> None:
        # called on the event loop thread (DrsService awaits each page)
        self.progress.setFormat(f"{count} servers…")

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        if busy:
            self.progress.setFormat("loading…")
        else:
            self._update_status()

    async def ready(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)
        await self._loaded.wait()

    def shutdown(self) -> None:
        self.cancel_refresh()

    @property
    def loaded_at(self) -> datetime | None:
        return self.snapshot.fetched_at if self.snapshot else None


def _now() -> datetime:
    return datetime.now(UTC)
