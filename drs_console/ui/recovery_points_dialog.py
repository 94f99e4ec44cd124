"""The "Recovery points" dialog of a plan: every server's recovery snapshots over the last days
(``widgets/snapshot_timeline.py``), read with DescribeRecoverySnapshots through the aws layer
(``aws/snapshots.py``) on the connection's executor, never on the GUI thread. Non-modal (opened
with ``open()``); ``load()`` is a plain coroutine tests await."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..domain.plan import Plan
from ..domain.snapshots import RecoverySnapshot
from ..domain.text import printable
from ..domain.validation import resolve_plan
from .connection import ConnectionController
from .inventory_state import InventoryState
from .tasks import TaskRunner
from .widgets.point_timeline import read_snapshots
from .widgets.snapshot_timeline import SnapshotTimeline

log = logging.getLogger(__name__)
WINDOWS = (("Last 24 hours", 1), ("Last 3 days", 3), ("Last 7 days", 7))
Fetch = Callable[[Iterable[str], datetime], Awaitable[dict[str, list[RecoverySnapshot]]]]


class RecoveryPointsDialog(QDialog):
    def __init__(self, plan: Plan, controller: ConnectionController, runner: TaskRunner, inventory: InventoryState,
                 parent: QWidget | None = None, *, fetch: Fetch | None = None):
        super().__init__(parent)
        self.plan = plan
        self.controller = controller
        self.runner = runner
        self.inventory = inventory
        self.fetch: Fetch = fetch or self._describe
        self.setObjectName("recoveryPointsDialog")
        self.setWindowTitle(printable(f"Recovery points: {plan.name or '(unnamed plan)'}"))
        self.window_box = QComboBox()
        for label, days in WINDOWS:
            self.window_box.addItem(label, days)
        self.window_box.setCurrentIndex(len(WINDOWS) - 1)
        self.reload_button = QPushButton("Reload")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.timeline = SnapshotTimeline()
        self.timeline.empty_text = "Reading the recovery snapshots…"
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.timeline)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.window_box)
        top.addWidget(self.reload_button)
        top.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(1000, 420)
        self.window_box.activated.connect(lambda _i: self.start_load())
        self.reload_button.clicked.connect(self.start_load)

    def server_ids(self) -> tuple[list[str], dict[str, str]]:
        """The plan's servers as it would run now (selectors against the shared inventory), and names."""
        snap = self.inventory.snapshot
        names = {r.source_server_id: r.name for w in self.plan.waves for r in w.servers if r.name}
        if snap is not None:
            names.update({s.source_server_id: s.name for s in snap.servers})
        ids = list(dict.fromkeys(s for rw in resolve_plan(self.plan, list(snap.own_servers) if snap else None)
                                 for s in rw.server_ids))
        return ids, names

    def start_load(self) -> None:
        self.runner.start(self.load(), name="recovery-points")

    async def load(self) -> None:
        ids, names = self.server_ids()
        days = int(self.window_box.currentData())
        now = datetime.now(UTC)
        since = now - timedelta(days=days)
        self.timeline.set_names(names)
        self.timeline.set_window(since, now)
        if not ids:
            self.timeline.empty_text = "The plan has no servers."
            self.timeline.set_snapshots({}, now)
            return
        if self.fetch == self._describe and not self.controller.is_connected:
            self.timeline.empty_text = "Not connected: connect to read the recovery snapshots."
            self.timeline.set_snapshots({}, now)
            self.status.setText("Recovery snapshots are read live from DRS.")
            return
        text = await read_snapshots(self.timeline, self.status, ids, since, self.fetch)
        if text is not None:
            self.status.setText(text + ".")

    async def _describe(self, ids: Iterable[str], since: datetime) -> dict[str, list[RecoverySnapshot]]:
        """Read live; a server another account holds (its ``accountId``) in that account."""
        from ..aws.snapshots import of_plan_servers

        conn = self.controller.connection
        assert conn is not None
        ident = self.controller.identity
        known = getattr(self.controller, "known_accounts", None)
        return await of_plan_servers(
            conn, ids, since=since, hub_account=ident.account_id if ident else "",
            account_of={r.source_server_id: r.account_id for w in self.plan.waves for r in w.servers if r.account_id},
            accounts=list(known()) if callable(known) else [],
            connector=self.controller.accounts_connector() if hasattr(self.controller, "accounts_connector") else None)
