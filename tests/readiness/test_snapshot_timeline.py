"""The snapshot timeline widget (a strip of recovery snapshot times per server, a requested point
as a line) and the Plans page's "Recovery points" dialog that feeds it (pytest-qt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPointF

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.snapshots import RecoverySnapshot
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.inventory_state import InventoryState
from drs_console.ui.recovery_points_dialog import RecoveryPointsDialog
from drs_console.ui.tasks import TaskRunner
from drs_console.ui.widgets.snapshot_timeline import SnapshotTimeline

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
A, B = "s-0000000000000000a", "s-0000000000000000b"


def color_at(widget, x, y):
    return widget.grab().toImage().pixelColor(int(x), int(y))


def is_green(c):
    return c.green() > 100 and c.green() > c.red() + 40


def is_red(c):
    return c.red() > 150 and c.red() > c.green() + 60


@pytest.fixture
def timeline(qtbot):
    w = SnapshotTimeline()
    qtbot.addWidget(w)
    w.resize(900, 160)
    times = [NOW - timedelta(days=d) for d in (6, 4, 2)] + [NOW - timedelta(hours=3)]
    w.set_snapshots({A: times, B: []}, now=NOW)
    w.set_names({A: "pay-db-01"})
    w.set_window(NOW - timedelta(days=7), NOW)
    w.show()
    qtbot.waitExposed(w)
    return w, times


def test_each_snapshot_is_a_mark_on_its_servers_strip(timeline):
    w, times = timeline
    strip_a, strip_b = w.row_rect(0), w.row_rect(1)
    for t in times:
        assert is_green(color_at(w, w.x_of(t), strip_a.center().y()))
    between = w.x_of(NOW - timedelta(days=5))
    assert not is_green(color_at(w, between, strip_a.center().y()))
    assert not any(is_green(color_at(w, x, strip_b.center().y())) for x in range(int(strip_b.left()), int(strip_b.right()), 3))
    assert w.x_of(NOW - timedelta(days=7)) == pytest.approx(strip_a.left())
    assert w.x_of(NOW) == pytest.approx(strip_a.right())


def test_the_requested_point_is_a_line_across_every_strip_and_can_be_cleared(timeline):
    w, _times = timeline
    point = NOW - timedelta(days=3, hours=5)
    w.set_point(point)
    x = w.x_of(point)
    assert is_red(color_at(w, x, w.row_rect(0).center().y()))
    assert is_red(color_at(w, x, w.row_rect(1).center().y()))
    w.set_point(None)
    assert not is_red(color_at(w, x, w.row_rect(1).center().y()))


def test_a_point_before_the_window_widens_it(timeline):
    w, _ = timeline
    w.set_point(NOW - timedelta(days=10))
    start, end = w.window()
    assert start <= NOW - timedelta(days=10) and end == NOW
    assert w.row_rect(0).left() <= w.x_of(NOW - timedelta(days=10)) <= w.row_rect(0).right()


def test_hovering_a_mark_names_the_server_and_the_snapshot(timeline):
    w, times = timeline
    y = w.row_rect(0).center().y()
    hit = w.snapshot_at(QPointF(w.x_of(times[-1]) + 2, y))
    assert hit == (A, times[-1])
    assert w.snapshot_at(QPointF(w.x_of(NOW - timedelta(days=5)), y)) is None
    assert w.snapshot_at(QPointF(w.x_of(times[0]), w.row_rect(1).center().y())) is None  # B has none
    assert w.tooltip_text(A, times[-1]) == (f"pay-db-01 ({A})\nrecovery snapshot 2026-12-01 09:00:00 UTC, 3 h ago")


@pytest.fixture
def dialog(qtbot):
    plan = Plan.new("Payments", wave_names=["DB", "Web"])
    plan.add_servers(0, [ServerRef(A, name="pay-db-01")])
    plan.set_selector(1, "Tier=web")
    inventory = InventoryState()
    inventory.set(InventorySnapshot("123456789012", "us-east-1", NOW, (
        SourceServer(A, tags={"Name": "pay-db-01"}), SourceServer(B, tags={"Name": "pay-web-01", "Tier": "web"}),
        SourceServer("s-0000000000000000c", tags={"Tier": "db"}))), fresh=True)
    reporter = ErrorReporter()
    reporter.interactive = False
    asked = []

    async def fetch(ids, since):
        asked.append((list(ids), since))
        return {A: [RecoverySnapshot(datetime.now(UTC) - timedelta(hours=h), f"pit-{h}", A) for h in (1, 5, 30)]}

    d = RecoveryPointsDialog(plan, ConnectionController(Settings(), persist=False), TaskRunner(reporter.report),
                             inventory, fetch=fetch)
    qtbot.addWidget(d)
    return d, asked


def test_the_dialog_reads_the_snapshots_of_the_servers_the_plan_would_run(aloop, dialog):
    d, asked = dialog
    aloop.run_until_complete(d.load())
    (ids, since), = asked
    assert ids == [A, B]  # the explicit server, then the selector's match
    assert abs(datetime.now(UTC) - since - timedelta(days=7)) < timedelta(seconds=5)
    assert list(d.timeline.snapshots) == [A, B] and len(d.timeline.snapshots[A]) == 3
    assert d.timeline.names[B] == "pay-web-01"
    assert d.status.text().startswith("3 recovery snapshots of 2 servers since") and "1 server with none" in d.status.text()
    d.window_box.setCurrentIndex(0)  # the last 24 hours
    aloop.run_until_complete(d.load())
    assert abs(datetime.now(UTC) - asked[-1][1] - timedelta(days=1)) < timedelta(seconds=5)


def test_the_dialog_says_when_it_is_not_connected(aloop, qtbot, dialog):
    d, _ = dialog
    plain = RecoveryPointsDialog(d.plan, d.controller, d.runner, d.inventory)
    qtbot.addWidget(plain)
    aloop.run_until_complete(plain.load())
    assert "Not connected" in plain.timeline.empty_text and plain.timeline.snapshots == {}
