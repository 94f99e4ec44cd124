"""The Plans page's Readiness column (pytest-qt): a badge per plan with its reasons in the tooltip,
judged off the GUI thread from the cached inventory and drills, and on a change of the inventory
only the rows whose readiness changed are updated."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.readiness import DrillRecord, DrillWave
from drs_console.domain.status import ExecutionStatus, ReplicationState
from drs_console.store.drill_cache import DrillCache
from drs_console.store.plans import PlanLibrary
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.inventory_state import InventoryState
from drs_console.ui.models.plan_models import LibraryColumn
from drs_console.ui.pages.plans import PlansPage
from drs_console.ui.tasks import TaskRunner
from drs_console.ui.widgets.badge import BadgeDelegate

ACCOUNT, REGION = "123456789012", "us-east-1"
IDS = [f"s-{i:017x}" for i in range(4)]
def snapshot(fetched: datetime, stalled: str | None = None) -> InventorySnapshot:
    return InventorySnapshot(ACCOUNT, REGION, fetched, tuple(
        SourceServer(sid, hostname=f"app-{i}", tags={"Name": f"app-{i}"},
                     replication_state=ReplicationState.STALLED if sid == stalled else ReplicationState.CONTINUOUS)
        for i, sid in enumerate(IDS)))


@pytest.fixture
def library(tmp_path):
    lib = PlanLibrary(tmp_path / "plans")
    lib.folder.mkdir(parents=True)
    return lib


def plan_of(name, ids):
    plan = Plan.new(name, target_account_id=ACCOUNT, target_region=REGION, wave_names=["W"])
    plan.add_servers(0, [ServerRef(i) for i in ids])
    return plan


@pytest.fixture
def plans(library):
    drilled, never = plan_of("Drilled", IDS[:2]), plan_of("Never drilled", IDS[2:])
    start = datetime.now(UTC) - timedelta(days=2)
    DrillCache().save(ACCOUNT, REGION, [DrillRecord("d1", drilled.id, ExecutionStatus.COMPLETED, start,
                                                    start + timedelta(minutes=12), (DrillWave(
                                                        0, "W", ExecutionStatus.COMPLETED, start,
                                                        start + timedelta(minutes=12), tuple(IDS[:2])),))])
    return library.save(drilled), library.save(never)


@pytest.fixture
def page(qtbot, library, plans):
    inventory = InventoryState()
    inventory.set(snapshot(datetime.now(UTC) - timedelta(minutes=5)), fresh=False)  # offline: the cached inventory
    reporter = ErrorReporter()
    reporter.interactive = False
    p = PlansPage(ConnectionController(Settings(), persist=False), TaskRunner(reporter.report), inventory, library)
    qtbot.addWidget(p)
    p.show()
    return p


def cell(page, path, role=0):
    from PySide6.QtCore import Qt

    row = page.model.row_of(str(path))
    if row is None:
        return None  # the library is still being read
    return page.model.index(row, LibraryColumn.READINESS).data(Qt.ItemDataRole(role) if role else
                                                                Qt.ItemDataRole.DisplayRole)


def test_the_readiness_column_shows_a_badge_and_the_reasons(qtbot, page, plans):
    from PySide6.QtCore import Qt

    drilled, never = plans
    qtbot.waitUntil(lambda: cell(page, drilled) == "READY" and cell(page, never) == "NOT READY", timeout=300000)
    assert page.model.headerData(LibraryColumn.READINESS, Qt.Orientation.Horizontal) == "Readiness"
    tip = cell(page, never, Qt.ItemDataRole.ToolTipRole)
    assert "NOT READY (from the cached inventory, 5 min old)" in tip
    assert "• NOT READY: The plan has never been drilled" in tip
    assert "Last drill: never drilled" in tip
    assert "Last drill: 20" in cell(page, drilled, Qt.ItemDataRole.ToolTipRole)  # its date
    assert page.readiness.threads and threading.main_thread().name not in page.readiness.threads
    assert isinstance(page.table.itemDelegateForColumn(LibraryColumn.READINESS), BadgeDelegate)


def test_an_inventory_change_updates_only_the_rows_it_changes(qtbot, page, plans):
    drilled, never = plans
    qtbot.waitUntil(lambda: cell(page, drilled) == "READY" and cell(page, never) == "NOT READY", timeout=300000)
    changed_rows = []
    page.model.dataChanged.connect(
        lambda a, b, *_: changed_rows.extend((r, a.column()) for r in range(a.row(), b.row() + 1))
        if a.column() == LibraryColumn.READINESS else None)
    fetched = page.inventory.snapshot.fetched_at
    page.inventory.set(snapshot(fetched, stalled=IDS[0]), fresh=False)  # a server of the drilled plan stalls
    qtbot.waitUntil(lambda: cell(page, drilled) == "AT RISK", timeout=300000)
    from PySide6.QtCore import Qt

    assert "STALLED" in cell(page, drilled, Qt.ItemDataRole.ToolTipRole)
    assert changed_rows == [(page.model.row_of(str(drilled)), LibraryColumn.READINESS)]
    assert cell(page, never) == "NOT READY"


def test_connected_the_facts_are_read_live_and_reused_for_a_minute(qtbot, aloop, page, plans):
    from drs_console.aws.readiness import ReadinessFacts
    from drs_console.aws.session import Identity
    from drs_console.domain.preflight import RecoveryPoint

    drilled, never = plans
    qtbot.waitUntil(lambda: cell(page, never) == "NOT READY", timeout=300000)  # listed, judged offline first
    controller = page.controller
    controller.connection, controller.identity = object(), Identity(ACCOUNT, "arn:aws:iam::x", REGION)
    reads = []
    now = datetime.now(UTC)
    live = snapshot(now)

    async def live_facts(plans_read):
        reads.append(sorted(p.name for p in plans_read))
        drills = DrillCache().load(ACCOUNT, REGION)[0]
        points = {sid: RecoveryPoint(sid, "pit-1", now - timedelta(minutes=3)) for sid in IDS}
        points[IDS[3]] = RecoveryPoint(IDS[3])  # the never-drilled plan's second server: no snapshot
        return ReadinessFacts(live, points, drills, live=True)

    page.readiness.live_facts = live_facts
    try:
        results = aloop.run_until_complete(page.readiness.refresh())
        assert reads == [["Drilled", "Never drilled"]]
        assert results[str(drilled)].status.value == "READY" and results[str(drilled)].inventory_live
        no_snap = next(r for r in results[str(never)].reasons if r.code.value == "no-snapshot")
        assert no_snap.server_ids == (IDS[3],)
        qtbot.waitUntil(lambda: "live inventory" in (cell(page, never, 3) or ""), timeout=30000)
        assert threading.main_thread().name not in page.readiness.threads
        aloop.run_until_complete(page.readiness.refresh())
        assert len(reads) == 1  # the same plans within a minute: the facts are reused, only re-judged
        page.readiness.forget_facts()  # what a new connection does
        aloop.run_until_complete(page.readiness.refresh())
        assert len(reads) == 2
    finally:
        controller.connection, controller.identity = None, None
