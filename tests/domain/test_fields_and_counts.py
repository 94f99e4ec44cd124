"""The one formatter per field and the one derivation of the counts every view shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from drs_console.domain import fields as f
from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.execution import (
    ExecutionType,
    ExecutionView,
    ServerTally,
    ServerView,
    WaveTally,
    WaveView,
)
from drs_console.domain.progress import (
    build_view,
    diff_views,
    failed_servers,
    not_launched_servers,
    paused_intervals,
    recovery_time,
    wave_state_text,
)
from drs_console.domain.report import build_report, report_html
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus, ReplicationState

T0 = datetime(2026, 12, 1, 3, 12, 5, tzinfo=UTC)


def test_times_are_utc_with_the_zone_and_durations_have_one_format():
    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    assert f.utc_text(paris) == "2026-12-01 03:12:05 UTC" and f.utc_text(None) == f.DASH
    assert f.iso_utc(paris + timedelta(microseconds=700_000)) == "2026-12-01T03:12:05Z" and f.iso_utc(None) is None
    assert f.clock_text(paris) == "03:12:05"
    assert f.stamp(paris) == "03:12:05 UTC"
    local = f.stamp(T0, local=True)
    assert local.startswith(T0.astimezone().strftime("%H:%M:%S ")) and len(local.split()) == 2  # with its zone
    assert [f.duration_text(x) for x in (None, 0, 12.4, 245, 3723)] == [
        f.DASH, "0 s", "12 s", "4 min 05 s", "1 h 02 min 03 s"]
    assert f.duration_value(12.6) == 13 and f.duration_value(-3) == 0 and f.duration_value(None) is None


def test_every_server_field_has_one_text_and_one_json_value():
    s = ServerView("s-1", "web-1", "i-src", "111122223333", ReplicationState.DISCONNECTED, LaunchStatus.LAUNCHED,
                   "i-rec", "i-rec", "RUNNING", "", T0)
    doc = f.server_json(s)
    assert list(doc) == [x.key for x in f.SERVER_FIELDS]  # the mission's fields, in one order
    assert doc == {"sourceServerId": "s-1", "name": "web-1", "sourceInstanceId": "i-src",
                   "sourceAccountId": "111122223333", "replicationState": "DISCONNECTED", "launchStatus": "LAUNCHED",
                   "recoveryInstanceId": "i-rec", "ec2InstanceId": "i-rec", "ec2InstanceState": "RUNNING",
                   "failureReason": None, "recoveryPoint": "2026-12-01T03:12:05Z",
                   "requestedRecoveryPoint": None, "recoverySnapshotId": None, "recoveryAccountId": None}
    assert f.RECOVERY_POINT.text(s) == "2026-12-01 03:12:05 UTC" and f.FAILURE_REASON.text(s) == f.DASH
    unknown = ServerView("s-2")
    assert [x.text(unknown) for x in f.SERVER_FIELDS[2:]] == [f.DASH, f.DASH, "UNKNOWN", *[f.DASH] * 9]
    assert f.server_label(s) == "web-1 (s-1)" and f.server_label(unknown) == "s-2"


def _wave(i, status, servers=(), launched=0, failed=0, start=None, end=None, job="", pause=False):
    return WaveView(i, f"W{i + 1}", status, job, start, end, pause, 10, tuple(servers), launched, failed)


def test_wave_counts_read_the_same_from_the_waves_and_from_the_record_counts():
    waves = [_wave(0, S.COMPLETED), _wave(1, S.PARTIAL), _wave(2, S.CANCELLED), _wave(3, None)]
    tally = WaveTally.of_waves(waves)
    # what History reads: the execution item's waveCounts and waveCount
    assert WaveTally.of_counts({"COMPLETED": 1, "PARTIAL": 1, "FAILED": 0, "TIMEOUT": 0, "CANCELLED": 1}, 4) == tally
    assert tally.text() == "1/4 completed, 1 partial, 1 cancelled"
    assert tally.detail() == "4 waves: 1 CANCELLED, 1 COMPLETED, 1 PARTIAL, 1 not finished"
    assert (tally.completed, tally.failed, tally.finished) == (1, 1, 3)
    assert WaveTally.of_waves([]).text() == "" and WaveTally.of_counts({}, 3).text() == "0/3 completed"
    # the Gantt's words for a wave with no bar: never "not started" for one that ended
    assert [wave_state_text(w) for w in waves] == ["COMPLETED: never launched", "PARTIAL: never launched",
                                                   "CANCELLED: never launched", "not started"]
    assert wave_state_text(_wave(0, S.PAUSED)) == "paused: waiting for resume"
    a, b = ServerView("s-a"), ServerView("s-b")
    assert ServerTally.of_waves([_wave(0, S.PARTIAL, (a, b), 1, 1)]).text() == "1/2 servers launched, 1 failed"


def _record(status, waves, error="", cause=""):
    items = [{"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": status, "planName": "P",
              "executionType": "DRILL", "startedAt": "2026-12-01T03:00:00.400Z", "endedAt": "2026-12-01T03:10:00Z",
              "error": error, "cause": cause}]
    for i, (st, job, start, end, launched, failed) in enumerate(waves):
        items.append({"PK": "EXEC#e1", "SK": f"WAVE#{i + 1:04d}", "waveIndex": i, "waveName": f"W{i + 1}",
                      "status": st, "jobId": job, "startedAt": start, "endedAt": end,
                      "serversLaunched": launched, "serversFailed": failed})
    return ExecutionRecord.from_items(items)


PLAN = {"waves": [{"name": "W1", "sourceServerIds": ["s-a", "s-b"]},
                  {"name": "W2", "sourceServerIds": ["s-c"], "pauseBefore": True},
                  {"name": "W3", "sourceServerIds": ["s-d"]}]}


def test_a_partial_run_counts_its_failed_servers_even_when_drs_job_is_gone():
    # the job could not be read (no launch status), but the record says 1 of 2 failed: that one is
    # not identifiable, but the report counts it as the record (and the header) does
    rec = _record("FAILED", [("PARTIAL", "drsjob-gone", "2026-12-01T03:00:01Z", "2026-12-01T03:05:00Z", 1, 1),
                             ("FAILED", "drsjob-2", "2026-12-01T03:06:00Z", "2026-12-01T03:07:00Z", 0, 1)],
                  error="DrsConsole.WaveFailed", cause="wave 2 FAILED")
    job2 = {"drsjob-2": {"participatingServers": [{"sourceServerID": "s-c", "launchStatus": "FAILED"}]}}
    view = build_view(execution_id="e1", record=rec, plan=PLAN, jobs=job2)
    assert [(w.index, s.source_server_id) for w, s in failed_servers(view)] == [(1, "s-c")]
    # the wave 3 server never launched: the execution stopped first, and it says so
    (w3, d), = not_launched_servers(view)
    assert d.source_server_id == "s-d"
    assert d.failure_reason == ("not launched: the execution ended FAILED before this wave "
                                "(DrsConsole.WaveFailed: wave 2 FAILED)")
    assert [s.failure_reason for s in view.waves[0].servers] == ["", ""]  # which one failed is unknown
    c = view.waves[1].servers[0]
    assert c.failure_reason == "not launched: wave ended FAILED (DrsConsole.WaveFailed: wave 2 FAILED)"
    page = report_html(view, now=T0)
    # the count is the records' (the header's), with the one DRS could not tell noted
    assert view.server_tally.failed == 2
    assert "Failed servers (2)" in page and "1 more failed" in page and "Servers not launched (1)" in page
    assert build_report(view, now=T0).failed[0].source_server_id == "s-c"
    # the record's times are read to the second
    assert view.started_at == datetime(2026, 12, 1, 3, 0, 0, tzinfo=UTC)


def test_a_partial_wave_with_its_job_lists_exactly_the_failed_server():
    rec = _record("PARTIAL", [("PARTIAL", "drsjob-1", "2026-12-01T03:00:01Z", "2026-12-01T03:05:00Z", 1, 1)])
    job = {"drsjob-1": {"participatingServers": [{"sourceServerID": "s-a", "launchStatus": "LAUNCHED"},
                                                 {"sourceServerID": "s-b", "launchStatus": "FAILED"}]}}
    view = build_view(execution_id="e1", record=rec, plan={"waves": PLAN["waves"][:1]}, jobs=job,
                      reasons={"drsjob-1": {"s-b": "VcpuLimitExceeded: no"}})
    rep = build_report(view, now=T0)
    assert [(x.source_server_id, x.reason) for x in rep.failed] == [("s-b", "VcpuLimitExceeded: no")]
    assert view.server_tally.failed == 1 == len(rep.failed) and rep.not_launched == ()


def test_a_cancelled_wave_s_servers_did_not_launch_but_did_not_fail():
    rec = _record("CANCELLED", [("CANCELLED", "drsjob-1", "2026-12-01T03:00:01Z", "2026-12-01T03:02:00Z", 0, 0)],
                  error="DrsConsole.Cancelled", cause="The operator cancelled the execution.")
    job = {"drsjob-1": {"participatingServers": [{"sourceServerID": "s-a", "launchStatus": "IN_PROGRESS"},
                                                 {"sourceServerID": "s-b", "launchStatus": "LAUNCHED"}]}}
    view = build_view(execution_id="e1", record=rec, plan={"waves": PLAN["waves"][:1]}, jobs=job)
    rep = build_report(view, now=T0)
    assert rep.failed == () and view.server_tally.failed == 0  # the header and the report agree
    assert [(x.source_server_id, x.reason) for x in rep.not_launched] == [
        ("s-a", "not launched: wave ended CANCELLED (DrsConsole.Cancelled: The operator cancelled the execution.)")]


def test_recovery_time_with_and_without_the_time_paused():
    start = T0
    waves = (_wave(0, S.COMPLETED, start=start + timedelta(seconds=2), end=start + timedelta(minutes=5)),
             _wave(1, S.COMPLETED, start=start + timedelta(minutes=25), end=start + timedelta(minutes=30),
                   pause=True))
    view = ExecutionView("e", "p", "P", ExecutionType.DRILL, S.COMPLETED, start, start + timedelta(minutes=30),
                         waves=waves)
    rto = recovery_time(view)
    assert (rto.total_seconds, rto.paused_seconds, rto.active_seconds) == (1800.0, 1200.0, 600.0)
    page = report_html(view, now=T0)
    assert "30 min 00 s (execution start to the end of the last wave, including 20 min 00 s paused)" in page
    assert "Recovery time excluding pauses" in page and "10 min 00 s" in page
    # cancelled while paused before wave 2: the pause after the last wave's end does not count
    cancelled = ExecutionView("e", "p", "P", ExecutionType.DRILL, S.CANCELLED, start, start + timedelta(minutes=40),
                              waves=(waves[0], _wave(1, S.CANCELLED, pause=True)))
    rto = recovery_time(cancelled)
    assert (rto.total_seconds, rto.paused_seconds) == (300.0, 0.0)
    # paused now before wave 2 (a later pauseBefore wave is not counted twice)
    paused = ExecutionView("e", "p", "P", ExecutionType.DRILL, S.PAUSED, start,
                           waves=(waves[0], _wave(1, S.PAUSED, pause=True), _wave(2, None, pause=True)))
    assert paused_intervals(paused, start + timedelta(minutes=9)) == [(waves[0].ended_at, start + timedelta(minutes=9))]
    running = ExecutionView("e", "p", "P", ExecutionType.DRILL, S.RUNNING, start, waves=waves)
    assert recovery_time(running).total_seconds is None


def test_transitions_stream_each_server_in_the_order_things_happened():
    rec1 = _record("RUNNING", [("STARTED", "drsjob-1", "2026-12-01T03:00:01Z", "", 0, 0)])
    job = {"drsjob-1": {"participatingServers": [{"sourceServerID": "s-a", "launchStatus": "IN_PROGRESS"},
                                                 {"sourceServerID": "s-b", "launchStatus": "PENDING"}]}}
    first = build_view(execution_id="e1", record=rec1, plan=PLAN, jobs=job)
    job2 = {"drsjob-1": {"participatingServers": [
        {"sourceServerID": "s-a", "launchStatus": "LAUNCHED", "recoveryInstanceID": "i-1"},
        {"sourceServerID": "s-b", "launchStatus": "IN_PROGRESS"}]}}
    second = build_view(execution_id="e1", record=rec1, plan=PLAN, jobs=job2)
    now = T0 + timedelta(hours=1)
    changes = diff_views(first, second, now)
    assert [(t.kind, t.server.source_server_id, t.server.launch_status) for t in changes] == [
        ("server", "s-a", LaunchStatus.LAUNCHED), ("server", "s-b", LaunchStatus.IN_PROGRESS)]
    assert changes[0].to_json()["server"]["recoveryInstanceId"] == "i-1" and changes[0].at == now
    paused = build_view(execution_id="e1", plan=PLAN, jobs=job2, record=_record("PAUSED", [
        ("COMPLETED", "drsjob-1", "2026-12-01T03:00:01Z", "2026-12-01T03:04:00Z", 2, 0),
        ("PAUSED", "", "", "", 0, 0)]))
    texts = [t.text for t in diff_views(second, paused, now)]
    # wave 1's end (03:04, from the record) before what is seen now; the execution says where it waits
    assert texts[0].startswith('wave 1 "W1": COMPLETED') and 'execution e1: PAUSED before wave 2 "W2"' in texts


def test_history_reads_the_duration_status_reads_to_the_second():
    """Found side by side against `sandbox serve`: an execution recorded from 15:26:00.290 to
    15:26:20.795 read 'elapsed 20 s' in status (15:26:00 to 15:26:20, as shown) but '21 s' in
    History (the raw 20.5 s rounded). Both now take durations between the times they show."""
    from drs_console.domain.history import HistoryRow, format_duration
    from drs_console.domain.progress import build_view

    item = {"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": "FAILED", "planName": "P",
            "executionType": "DRILL", "startedAt": "2026-12-01T15:26:00.290Z",
            "endedAt": "2026-12-01T15:26:20.795196+00:00", "waveCount": 0}
    view = build_view(execution_id="e1", record=ExecutionRecord.from_items([item]), plan={"waves": []})
    row = HistoryRow.from_item(item)
    assert f.duration_text(view.elapsed_seconds(datetime.now(UTC))) == "20 s"
    assert format_duration(row.duration) == "20 s" and row.to_json()["durationSeconds"] == 20
    assert f.utc_text(row.started_at) == f.utc_text(view.started_at) == "2026-12-01 15:26:00 UTC"
    assert f.utc_text(row.ended_at) == f.utc_text(view.ended_at) == "2026-12-01 15:26:20 UTC"
