"""The Run dialog's "Recover to": latest data, or a point in time picked in local time (its UTC
shown); the preflight resolves each server's snapshot and the dialog lists it; a BLOCK disables Start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime

from drs_console.domain import point_in_time as pit
from drs_console.domain.preflight import PreflightReport, ResolvedWave
from drs_console.ui.execution_engine import PreflightResult, check_row
from tests.ui.execution_fakes import FakeEngine
from tests.ui.test_executions_page import Harness, sample_plan, until

A, B = "s-00000000000000aa1", "s-00000000000000bb2"


class PitEngine(FakeEngine):
    """Resolves A always and B only when the time is after its first snapshot (3 h ago)."""

    async def preflight(self, plan, *, override_target=False, drill=True, point_in_time=None):
        self.preflights.append({"override": override_target, "drill": drill, "point_in_time": point_in_time})
        now = datetime.now(UTC)
        waves: tuple = ()
        checks: list = []
        if point_in_time is not None:
            snaps_b = [pit.Snapshot("pit-0000000000000000b", now - timedelta(hours=3))]
            res = (pit.resolve_server(A, point_in_time, [pit.Snapshot("pit-0000000000000000a",
                                                                       point_in_time - timedelta(minutes=4))]),
                   pit.resolve_server(B, point_in_time, snaps_b))
            waves = (pit.WaveResolution(0, "W1", point_in_time, res),)
            checks = pit.check_point_in_time(waves)
        report = PreflightReport(plan.id, plan.name, "123456789012", "us-east-1", drill, tuple(checks),
                                 (ResolvedWave(0, "W1", (A, B)),), checked_at=now,
                                 point_in_time=point_in_time, resolutions=waves)
        return PreflightResult(tuple(check_row(c, n) for n, c in enumerate(checks)), report)


@pytest.fixture
def h(qtbot, aloop):
    harness = Harness(qtbot, aloop, [])
    harness.engine = PitEngine([])
    harness.page.engine = harness.engine
    yield harness
    harness.close()


def _settled(h, dialog, want):
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None
          and h.engine.preflights and h.engine.preflights[-1]["point_in_time"] == want, what="the preflight")


def test_point_in_time_resolves_each_server_and_a_block_disables_start(h):
    h.connect()
    dialog = h.page.open_run_dialog(sample_plan())
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None, what="first preflight")
    assert dialog.point_in_time is None and not dialog.pit_edit.isEnabled()
    assert dialog.start_button.isEnabled()  # latest data: nothing to resolve

    two_hours_ago = QDateTime.currentDateTime().addSecs(-2 * 3600)
    dialog.pit_edit.setDateTime(two_hours_ago)
    dialog.pit_radio.setChecked(True)
    want = two_hours_ago.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    assert dialog.point_in_time == want and dialog.pit_edit.isEnabled()
    assert f"= {want:%Y-%m-%d %H:%M:%S} UTC" in dialog.pit_utc_label.text()
    _settled(h, dialog, want)
    text = dialog.pit_label.text()
    assert dialog.pit_label.isVisible() and "pit-0000000000000000a" in text and "pit-0000000000000000b" in text
    assert "4 min 00 s before the requested time" in text
    assert dialog.start_button.isEnabled()

    four_hours_ago = QDateTime.currentDateTime().addSecs(-4 * 3600)
    dialog.pit_edit.setDateTime(four_hours_ago)  # before B's first snapshot
    want = four_hours_ago.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    _settled(h, dialog, want)
    assert [c.level for c in dialog.result_.checks if c.level == "BLOCK"] == ["BLOCK"]
    assert "no snapshot at or before that time" in dialog.pit_label.text()
    assert not dialog.start_button.isEnabled()

    dialog.latest_radio.setChecked(True)
    _settled(h, dialog, None)
    assert dialog.start_button.isEnabled() and not dialog.pit_label.isVisible()


class TimelineEngine(PitEngine):
    """Every server has a snapshot every 10 minutes over the last 3 hours (none before)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.snapshot_reads: list[tuple[list[str], datetime]] = []

    async def recovery_snapshots(self, server_ids, since):
        from drs_console.domain.snapshots import RecoverySnapshot

        ids = list(server_ids)
        self.snapshot_reads.append((ids, since))
        now = datetime.now(UTC)
        return {sid: [RecoverySnapshot(now - timedelta(minutes=10 * k), f"pit-{k:017d}", sid) for k in range(18)]
                for sid in ids}


def test_point_in_time_shows_every_servers_snapshots_with_the_chosen_point_as_a_line(h):
    h.engine = TimelineEngine([])
    h.page.engine = h.engine
    h.connect()
    plan = sample_plan()
    dialog = h.page.open_run_dialog(plan)
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None, what="first preflight")
    assert not dialog.point_timeline.isVisible() and not h.engine.snapshot_reads  # latest data: nothing read

    two_hours_ago = QDateTime.currentDateTime().addSecs(-2 * 3600)
    dialog.pit_edit.setDateTime(two_hours_ago)
    dialog.pit_radio.setChecked(True)
    want = two_hours_ago.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    until(h.aloop, lambda: dialog.timeline_task is not None and dialog.timeline_task.done(), what="the snapshots")
    assert dialog.point_timeline.isVisible()
    (ids, since), = h.engine.snapshot_reads  # once the preflight resolved the servers: one read
    listed = [r.source_server_id for w in plan.waves for r in w.servers]
    assert set(listed) | {A, B} == set(ids) and since < datetime.now(UTC) - timedelta(days=6)  # read off the GUI thread once
    strips = dialog.point_timeline.timeline.snapshots
    assert set(strips) == set(ids) and all(len(times) == 18 for times in strips.values())
    assert dialog.point_timeline.timeline.point == want  # the chosen point, drawn across every strip
    start, end = dialog.point_timeline.timeline.window()
    assert start <= want - timedelta(hours=3) and end >= want
    assert "red line is the chosen point" in dialog.point_timeline.status.text()

    later = QDateTime.currentDateTime().addSecs(-30 * 60)
    dialog.pit_edit.setDateTime(later)  # moving the point moves the line; nothing is read again
    assert dialog.point_timeline.timeline.point == later.toPython().astimezone().astimezone(UTC).replace(microsecond=0)
    assert len(h.engine.snapshot_reads) == 1

    long_ago = QDateTime.currentDateTime().addSecs(-10 * 86400)  # before what was read: read again from then
    dialog.pit_edit.setDateTime(long_ago)
    until(h.aloop, lambda: len(h.engine.snapshot_reads) == 2 and dialog.timeline_task.done(), what="the re-read")
    assert h.engine.snapshot_reads[1][1] < long_ago.toPython().astimezone().astimezone(UTC)

    dialog.latest_radio.setChecked(True)
    assert not dialog.point_timeline.isVisible()


def test_the_timeline_reads_a_remote_servers_snapshots_in_its_account(h):
    """A plan with a server another account holds: the timeline's read names that account for it
    (the engine reads it there, aws/snapshots.of_plan_servers); a hub-only plan's read names none."""
    from drs_console.domain.plan import ServerRef

    class AccountsEngine(TimelineEngine):
        async def recovery_snapshots(self, server_ids, since, *, account_of=None):
            self.account_of = account_of
            return await super().recovery_snapshots(server_ids, since)

    h.engine = AccountsEngine([])
    h.page.engine = h.engine
    h.connect()
    plan = sample_plan()
    remote = "s-0000000000000rem1"
    plan.waves[0].servers.append(ServerRef(remote, name="t1-db", account_id="210987654321"))
    dialog = h.page.open_run_dialog(plan)
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None, what="first preflight")
    dialog.pit_edit.setDateTime(QDateTime.currentDateTime().addSecs(-2 * 3600))
    dialog.pit_radio.setChecked(True)
    until(h.aloop, lambda: dialog.timeline_task is not None and dialog.timeline_task.done(), what="the snapshots")
    assert h.engine.account_of == {remote: "210987654321"}
    assert remote in dialog.point_timeline.timeline.snapshots
