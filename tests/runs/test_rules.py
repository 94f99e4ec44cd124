"""Pure parts: execution names, confirmation, preflight rules, views, transitions and reports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.aws.runs import check_confirmation, execution_id_for, plan_slug
from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.errors import BadInput
from drs_console.domain.execution import ExecutionType, ExecutionView, JobLogEvent, ServerView, WaveView
from drs_console.domain.inventory import SourceServer
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.preflight import (
    Level,
    ResolvedWave,
    check_active_jobs,
    check_quota,
    check_target,
    resolve_waves,
)
from drs_console.domain.progress import build_view, diff_views, events_from_log, failure_reasons
from drs_console.domain.report import build_report, recovery_time, report_csv, report_html
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus, ReplicationState

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_execution_id_is_a_readable_valid_step_functions_name():
    value = execution_id_for("Payments – EU failover (prod)!", T0, "abc123")
    assert value == "payments-eu-failover-prod-20250101T120000Z-abc123"
    long = execution_id_for("x" * 300, T0)
    assert len(long) <= 64 and re.fullmatch(r"[A-Za-z0-9-]+", long)
    assert plan_slug("ÄÖÜ ñ") == "aou-n" and plan_slug("!!!") == "plan"
    assert execution_id_for("a", T0) != execution_id_for("a", T0)  # random suffix


def test_recovery_confirmation_must_equal_the_plan_name_exactly():
    plan = Plan.new("ERP prod")
    check_confirmation(plan, recovery=False, confirm="")
    check_confirmation(plan, recovery=True, confirm="ERP prod")
    for wrong in ("", "erp prod", "ERP prod ", " ERP prod", "ERP"):
        with pytest.raises(BadInput):
            check_confirmation(plan, recovery=True, confirm=wrong)


def test_target_rule():
    plan = Plan.new("p", target_account_id="111111111111", target_region="us-east-1")
    assert check_target(plan, "111111111111", "us-east-1", drill=True, override=False).level is Level.PASS
    assert check_target(plan, "222222222222", "us-east-1", drill=True, override=False).level is Level.BLOCK
    assert check_target(plan, "111111111111", "eu-west-1", drill=True, override=True).level is Level.WARN
    assert check_target(plan, "111111111111", "eu-west-1", drill=False, override=True).level is Level.BLOCK


def test_quota_rule_uses_the_lower_of_quota_and_200():
    waves = [ResolvedWave(0, "a", tuple(f"s-{i:017d}" for i in range(150))), ResolvedWave(1, "b", ("s-1",))]
    assert [c.level for c in check_quota(waves, 100, "documented default")] == [Level.BLOCK]
    assert [c.level for c in check_quota(waves, 500, "applied")] == [Level.PASS]
    big = [ResolvedWave(0, "a", tuple(f"s-{i:017d}" for i in range(201)))]
    assert check_quota(big, 500, "applied")[0].level is Level.BLOCK


def test_active_jobs_rule_names_the_job():
    waves = [ResolvedWave(0, "a", ("s-1", "s-2"))]
    found = check_active_jobs(waves, {"s-2": "drsjob-1"}, {})
    assert found[0].level is Level.BLOCK and found[0].server_ids == ("s-2",) and "drsjob-1" in found[0].message


def test_resolve_waves_adds_selector_matches_after_explicit_servers():
    servers = [SourceServer(f"s-{i}", tags={"App": "x" if i % 2 else "y"}) for i in range(6)]
    plan = Plan.new("p")
    plan.waves.append(Wave(name="W", servers=[ServerRef("s-0")], selector="App=x", timeout_minutes=7))
    (w,) = resolve_waves(plan, servers)
    assert w.server_ids == ("s-0", "s-1", "s-3", "s-5") and w.from_selector == ("s-1", "s-3", "s-5")
    assert w.to_input()["timeoutSeconds"] == 420


def _record(waves, status="RUNNING", ended=""):
    items = [{"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": status, "planName": "P",
              "planId": "pid", "executionType": "DRILL", "startedAt": "2025-01-01T12:00:00Z", "endedAt": ended}]
    for i, (st, job, start, end) in enumerate(waves):
        items.append({"PK": "EXEC#e1", "SK": f"WAVE#{i + 1:04d}", "waveIndex": i, "waveName": f"W{i + 1}",
                      "status": st, "jobId": job, "startedAt": start, "endedAt": end})
    return ExecutionRecord.from_items(items)


PLAN = {"id": "pid", "name": "P", "waves": [
    {"name": "W1", "sourceServerIds": ["s-a", "s-b"], "pauseBefore": False, "timeoutSeconds": 600},
    {"name": "W2", "sourceServerIds": ["s-c"], "pauseBefore": True, "timeoutSeconds": 600}]}


def test_build_view_and_transitions():
    first = build_view(execution_id="e1", record=_record([("STARTED", "drsjob-1", "2025-01-01T12:00:05Z", "")]),
                       plan=PLAN)
    assert [w.status for w in first.waves] == [S.STARTED, None] and first.waves[1].pause_before
    assert [t.text for t in diff_views(None, first)] == ["execution e1: RUNNING", 'wave 1 "W1": STARTED job drsjob-1']
    job = {"jobID": "drsjob-1", "status": "COMPLETED", "participatingServers": [
        {"sourceServerID": "s-a", "launchStatus": "LAUNCHED", "recoveryInstanceID": "i-1"},
        {"sourceServerID": "s-b", "launchStatus": "FAILED"}]}
    later = build_view(
        execution_id="e1",
        record=_record([("PARTIAL", "drsjob-1", "2025-01-01T12:00:05Z", "2025-01-01T12:05:00Z"),
                        ("COMPLETED", "drsjob-2", "2025-01-01T12:06:00Z", "2025-01-01T12:10:00Z")],
                       status="PARTIAL", ended="2025-01-01T12:10:01Z"),
        plan=PLAN, jobs={"drsjob-1": job}, reasons={"drsjob-1": {"s-b": "VcpuLimitExceeded: no"}})
    texts = [t.text for t in diff_views(first, later)]
    # an outage may hide intermediate states: the diff still reports every wave's and server's
    # change, in the order they happened (a wave's servers before its end), the execution's end last
    assert texts == ['wave 1 "W1" server s-a: LAUNCHED, recovery instance i-1',
                     'wave 1 "W1" server s-b: FAILED - VcpuLimitExceeded: no',
                     'wave 1 "W1": PARTIAL job drsjob-1 (1 launched, 1 failed of 2)',
                     'wave 2 "W2": STARTED job drsjob-2',  # its start, unseen, at the record's time
                     'wave 2 "W2": COMPLETED job drsjob-2 (0 launched, 0 failed of 1)',
                     "execution e1: PARTIAL"]
    stamps = [t.at for t in diff_views(first, later)]
    assert stamps[3] == datetime(2025, 1, 1, 12, 6, 0, tzinfo=UTC)
    assert stamps == sorted(stamps) and stamps[-1] == datetime(2025, 1, 1, 12, 10, 1, tzinfo=UTC)
    assert diff_views(later, later) == []
    b = later.waves[0].servers[1]
    assert b.launch_status is LaunchStatus.FAILED and b.failure_reason == "VcpuLimitExceeded: no"
    rto = recovery_time(later)
    # wave 2 paused for a go-ahead from 12:05:00 (wave 1's end) to 12:06:00 (its start)
    assert (rto.total_seconds, rto.paused_seconds, rto.active_seconds) == (600.0, 60.0, 540.0)


def test_job_log_events_and_failure_reasons():
    items = [
        {"logDateTime": "2025-01-01T12:00:02.000000+00:00", "event": "JOB_START"},
        {"logDateTime": "2025-01-01T12:01:00.000000+00:00", "event": "LAUNCH_FAILED",
         "eventData": {"sourceServerID": "s-b", "rawError": "InsufficientInstanceCapacity: none"}},
        {"logDateTime": "2025-01-01T12:00:30.000000+00:00", "event": "LAUNCH_START",
         "eventData": {"sourceServerID": "s-b", "targetInstanceID": "i-9"}},
    ]
    events = events_from_log(items, {"s-b": "db-01"})
    assert [e.event for e in events] == ["JOB_START", "LAUNCH_START", "LAUNCH_FAILED"]
    assert events[1].detail == "targetInstanceID=i-9" and events[2].server_name == "db-01"
    assert failure_reasons(events) == {"s-b": "InsufficientInstanceCapacity: none"}


def _hostile_view():
    evil = '<script>alert("x")</script>'
    server = ServerView("s-1", name=evil, launch_status=LaunchStatus.FAILED, failure_reason="=cmd|' /C calc'!A0")
    wave = WaveView(0, evil, S.FAILED, "drsjob-1", T0, T0 + timedelta(minutes=3), servers=(server,), failed=1)
    return ExecutionView("e1", "p", "+SUM(1)", ExecutionType.DRILL, S.FAILED, T0, T0 + timedelta(minutes=4),
                         waves=(wave,), error=evil)


def test_html_report_escapes_everything_and_is_self_contained():
    view = _hostile_view()
    events = [JobLogEvent(T0, "LAUNCH_FAILED", "s-1", "<b>x</b>", "<img src=x onerror=1>")]
    page = report_html(view, events, now=T0)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<img" not in page
    # self-contained: no URL, no external stylesheet or font, no tag that loads anything
    assert "http" not in page.lower() and "url(" not in page and "@import" not in page
    assert not re.search(r"<(script|link|img|iframe|object|embed|base)\b", page, re.IGNORECASE)
    tags = re.findall(r"<[a-zA-Z][^>]*>", page)
    assert tags and not [t for t in tags if re.search(r"\b(src|href|srcset|action)\s*=", t, re.IGNORECASE)]
    # the wave's duration and the recovery time achieved, with and without pauses (none here)
    assert page.count("3 min 00 s") == 3 and "including 0 s paused" in page


def test_csv_report_is_spreadsheet_safe():
    view = _hostile_view()
    rows = list(csv.reader(io.StringIO(report_csv(view, now=T0))))
    head = rows[0]
    assert head[0] == "record" and rows[1][0] == "execution" and rows[1][head.index("plan_name")] == "'+SUM(1)"
    server = dict(zip(head, next(r for r in rows if r[0] == "server"), strict=True))
    assert server["failure_reason"].startswith("'=") and server["server_name"] == '<script>alert("x")</script>'
    rep = build_report(view, now=T0)
    assert rep.failed[0].reason.startswith("=") and rep.recovery_time_seconds == 180.0


def test_replication_state_unknown_server_view():
    view = build_view(execution_id="e", record=None, plan=PLAN)
    assert view.status is S.PENDING and all(s.replication_state is ReplicationState.UNKNOWN
                                            for w in view.waves for s in w.servers)


def test_a_later_wave_status_is_stamped_when_seen_not_with_the_waves_start():
    """IN_PROGRESS comes after STARTED: stamped with the wave's start it would print before lines
    already printed (a --follow reader saw 09:49:05 then 09:49:03)."""
    first = build_view(execution_id="e1", record=_record([("STARTED", "drsjob-1", "2025-01-01T12:00:05Z", "")]),
                       plan=PLAN)
    later = build_view(execution_id="e1", record=_record([("IN_PROGRESS", "drsjob-1", "2025-01-01T12:00:05Z", "")]),
                       plan=PLAN)
    seen = datetime(2025, 1, 1, 12, 3, 0, tzinfo=UTC)
    (t,) = diff_views(first, later, now=seen)
    assert t.status is S.IN_PROGRESS and t.at == seen
    (start,) = [t for t in diff_views(None, first, now=seen) if t.kind == "wave"]
    assert start.at == datetime(2025, 1, 1, 12, 0, 5, tzinfo=UTC)  # the record's time of the start
