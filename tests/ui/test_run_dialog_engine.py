"""The Run dialog's engine choice: the DRS native plan's mapping problems are shown and Start is
disabled when the plan cannot map (or is not published, or drifted); a native start goes through
the native engine, never the backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime

from drs_console.domain import point_in_time as pit
from drs_console.domain.inventory import SourceServer
from drs_console.domain.native_mapping import map_plan
from drs_console.domain.native_point_in_time import PlanPoints
from drs_console.ui.widgets.engine_choice import NativeCheck
from tests.ui.execution_fakes import FakeEngine
from tests.ui.test_executions_page import Harness, open_dialog, until

PLAN_ARN = "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1"


class NativeFakeEngine(FakeEngine):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.pause = False
        self.published = True
        self.native_starts: list[dict] = []
        self.native_checks: list = []

    async def native_check(self, plan, *, point_in_time=None):
        self.native_checks.append(point_in_time)
        plan = plan.copy()
        plan.waves[0].pause_before = self.pause
        inv = [SourceServer(s.source_server_id) for w in plan.waves for s in w.servers]
        mapping = map_plan(plan, account_id="123456789012", region="us-east-1", inventory=inv)
        points = None
        if point_in_time is not None:  # every server's first snapshot was 3 h ago, then one every 10 min
            now = datetime.now(UTC)
            waves = []
            for i, w in enumerate(plan.waves):
                res = []
                for s in w.servers:
                    snaps = [pit.Snapshot(f"pit-{s.source_server_id[-6:]}{k:011d}", now - timedelta(hours=3)
                                          + timedelta(minutes=10 * k)) for k in range(18)]
                    res.append(pit.resolve_server(s.source_server_id, point_in_time, snaps))
                waves.append(pit.WaveResolution(i, w.name, point_in_time, tuple(res)))
            points = PlanPoints(point_in_time, tuple(waves), tuple(pit.check_point_in_time(waves)))
        return NativeCheck(mapping, PLAN_ARN if self.published else "", points=points)

    async def start_native(self, plan, *, drill, confirmation="", snapshots=None, points=None):
        start = {"drill": drill, "confirmation": confirmation}
        if points is not None:
            start["snapshots"] = points.snapshots()
        self.native_starts.append(start)
        return "rpe-00000000000000001"


@pytest.fixture
def h(qtbot, aloop):
    harness = Harness(qtbot, aloop, [])
    harness.engine = NativeFakeEngine([])
    harness.page.engine = harness.engine
    yield harness
    harness.close()


def test_a_plan_that_cannot_map_shows_why_and_cannot_start_natively(h):
    h.engine.pause = True
    dialog = open_dialog(h)
    assert dialog.start_button.isEnabled()  # the backend can run it (a pause is an approval there)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None, what="the native check")
    text = dialog.engine_choice.problems.text()
    assert dialog.engine_choice.problems.isVisible() and "pause-before" in text and "not an approval" in text
    assert not dialog.start_button.isEnabled()
    dialog.engine_choice.backend_radio.setChecked(True)
    assert dialog.start_button.isEnabled() and not dialog.engine_choice.problems.isVisible()


def test_an_unpublished_plan_says_publish_it_first(h):
    h.engine.published = False
    dialog = open_dialog(h)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None, what="the native check")
    assert "publish it first" in dialog.engine_choice.problems.text() and not dialog.start_button.isEnabled()


def test_a_mappable_published_plan_starts_on_the_native_engine(h):
    dialog = open_dialog(h)
    got: list[str] = []
    dialog.started_native.connect(got.append)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.start_button.isEnabled() and dialog.engine_choice.check is not None,
          what="Start enabled for the native engine")
    assert PLAN_ARN in dialog.engine_choice.problems.text()
    dialog.start_run()
    until(h.aloop, lambda: got, what="the native start")
    assert got == ["rpe-00000000000000001"] and h.engine.native_starts == [{"drill": True, "confirmation": ""}]
    assert not h.engine.started  # never the backend's start


def test_a_native_recovery_needs_the_typed_name_too(h):
    dialog = open_dialog(h)
    dialog.engine_choice.native_radio.setChecked(True)
    dialog.recovery_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None and dialog.native_task is None
          or (dialog.native_task is not None and dialog.native_task.done()), what="the native check")
    assert not dialog.start_button.isEnabled()
    dialog.confirm_edit.setText(dialog.plan.name)
    assert dialog.start_button.isEnabled()


def test_a_native_start_to_a_point_in_time_passes_each_servers_snapshot_and_a_block_disables_start(h):
    dialog = open_dialog(h)
    got: list[str] = []
    dialog.started_native.connect(got.append)
    dialog.engine_choice.native_radio.setChecked(True)
    until(h.aloop, lambda: dialog.engine_choice.check is not None, what="the native check")
    too_early = QDateTime.currentDateTime().addSecs(-4 * 3600)  # before every server's first snapshot
    dialog.pit_edit.setDateTime(too_early)
    dialog.pit_radio.setChecked(True)
    want = too_early.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    until(h.aloop, lambda: dialog.engine_choice.check is not None and dialog.engine_choice.check.points is not None
          and dialog.engine_choice.check.points.point_in_time == want, what="the native check of 4 h ago")
    text = dialog.engine_choice.problems.text()
    assert "no recovery snapshot at or before" in text and "Cannot start" in text
    assert not dialog.start_button.isEnabled()
    assert dialog.start_run() is None and not h.engine.native_starts

    two_hours_ago = QDateTime.currentDateTime().addSecs(-2 * 3600)
    dialog.pit_edit.setDateTime(two_hours_ago)
    want = two_hours_ago.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    until(h.aloop, lambda: dialog.start_button.isEnabled() and dialog.engine_choice.check.points is not None
          and dialog.engine_choice.check.points.point_in_time == want, what="Start enabled for 2 h ago")
    points = dialog.engine_choice.check.points
    expected = points.snapshots()
    assert expected and set(expected) == {s.source_server_id for w in dialog.plan.waves for s in w.servers}
    assert all(snap in dialog.engine_choice.problems.text() for snap in expected.values())  # shown before Start
    dialog.start_run()
    until(h.aloop, lambda: got, what="the native start")
    assert h.engine.native_starts == [{"drill": True, "confirmation": "", "snapshots": expected}]
    assert not h.engine.started
