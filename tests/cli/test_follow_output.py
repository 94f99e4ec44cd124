"""What `--follow` prints: every wave and server transition, in the order it happened, stamped in UTC
with the zone (or local time with its zone), the PAUSED line saying how to resume."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
from types import SimpleNamespace

import pytest

from drs_console.cli.commands import run as run_cmd
from drs_console.cli.context import CliContext
from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.execution import MonitorUpdate, StreamState
from drs_console.domain.progress import build_view

PLAN = {"waves": [{"name": "DB", "sourceServerIds": ["s-a"]},
                  {"name": "Web", "sourceServerIds": ["s-b"], "pauseBefore": True}]}


def _record(status, waves, ended=""):
    items = [{"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": status, "planName": "P",
              "executionType": "DRILL", "startedAt": "2026-12-01T03:00:00Z", "endedAt": ended}]
    for i, (st, job, start, end) in enumerate(waves):
        items.append({"PK": "EXEC#e1", "SK": f"WAVE#{i + 1:04d}", "waveIndex": i, "waveName": PLAN["waves"][i]["name"],
                      "status": st, "jobId": job, "startedAt": start, "endedAt": end})
    return ExecutionRecord.from_items(items)


def _job(sid, status, rid=""):
    return {"participatingServers": [{"sourceServerID": sid, "launchStatus": status, "recoveryInstanceID": rid}]}


VIEWS = [
    build_view(execution_id="e1", plan=PLAN, record=_record("RUNNING", [("STARTED", "j1", "2026-12-01T03:00:01Z", "")]),
               jobs={"j1": _job("s-a", "IN_PROGRESS")}),
    build_view(execution_id="e1", plan=PLAN, record=_record("PAUSED", [
        ("COMPLETED", "j1", "2026-12-01T03:00:01Z", "2026-12-01T03:04:00Z"), ("PAUSED", "", "", "")]),
        jobs={"j1": _job("s-a", "LAUNCHED", "i-1")}),
    build_view(execution_id="e1", plan=PLAN, record=_record("COMPLETED", [
        ("COMPLETED", "j1", "2026-12-01T03:00:01Z", "2026-12-01T03:04:00Z"),
        ("COMPLETED", "j2", "2026-12-01T03:10:00Z", "2026-12-01T03:12:00Z")], ended="2026-12-01T03:12:01Z"),
        jobs={"j1": _job("s-a", "LAUNCHED", "i-1"), "j2": _job("s-b", "LAUNCHED", "i-2")}),
]


class FakeMonitor:
    def __init__(self, *args, **kwargs):
        self.last_view = None

    async def updates(self):
        for v in VIEWS:
            self.last_view = v
            yield MonitorUpdate(view=v, state=StreamState.ENDED if v.is_terminal else StreamState.LIVE)


def _follow(monkeypatch, *flags):
    monkeypatch.setattr(run_cmd, "ExecutionMonitor", FakeMonitor)
    ctx = CliContext(out=io.StringIO(), err=io.StringIO())
    args = argparse.Namespace(json="--json" in flags, local_time="--local-time" in flags, refresh=1.0)
    conn = SimpleNamespace(params=None)
    code = asyncio.run(run_cmd._follow(ctx, args, conn, None, "e1"))
    return code, ctx.out.getvalue().splitlines()


def test_follow_text_is_in_utc_in_the_order_things_happened(monkeypatch):
    code, lines = _follow(monkeypatch)
    assert code == 0
    events = [line for line in lines if re.match(r"\d\d:\d\d:\d\d UTC ", line)]
    texts = [line[13:] for line in events]
    assert texts[:2] == ["execution e1: RUNNING", 'wave 1 "DB": STARTED job j1']
    assert texts.index('wave 1 "DB" server s-a: LAUNCHED, recovery instance i-1') < texts.index(
        'wave 1 "DB": COMPLETED job j1 (1 launched, 0 failed of 1)')
    # a transition the record dates is stamped with when it happened, not when it was seen
    assert events[1].startswith("03:00:01 UTC") and any(e.startswith("03:04:00 UTC wave 1") for e in events)
    paused = next(t for t in texts if t.startswith("execution e1: PAUSED"))
    assert paused == ('execution e1: PAUSED before wave 2 "Web" - waiting for an operator: resume with '
                      "'drs-console resume e1' (or 'drs-console cancel e1')")
    assert events[-1].startswith("03:12:01 UTC execution e1: COMPLETED")
    # the final view: every server field, times with their zone
    assert "  started 2026-12-01 03:00:00 UTC, ended 2026-12-01 03:12:01 UTC, elapsed 12 min 01 s" in lines
    assert any("s-b: Source instance ID —;" in line and "Recovery instance ID i-2" in line for line in lines)


def test_follow_local_time_and_json_lines(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    import time

    time.tzset()
    try:
        _, lines = _follow(monkeypatch, "--local-time")
        assert lines[1].startswith("12:00:01 JST wave 1")  # 03:00:01 UTC
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    _, lines = _follow(monkeypatch, "--json")
    docs = [json.loads(line) for line in lines]
    servers = [d for d in docs if d.get("kind") == "server"]
    assert [(d["server"]["sourceServerId"], d["server"]["launchStatus"]) for d in servers] == [
        ("s-a", "IN_PROGRESS"), ("s-a", "LAUNCHED"), ("s-b", "LAUNCHED")]
    assert next(d for d in docs if d.get("status") == "PAUSED" and d["kind"] == "execution")["hint"].startswith(
        "waiting for an operator: resume with 'drs-console resume e1'")
    assert docs[-1]["type"] == "end" and docs[-1]["view"]["waves"][1]["servers"][0]["recoveryInstanceId"] == "i-2"


@pytest.mark.parametrize("command", ["run", "status"])
def test_follow_takes_local_time(command):
    from drs_console.cli.main import build_parser

    argv = [command, "x", "--follow", "--local-time"]
    assert build_parser().parse_args(argv).local_time


# -- a launch seen late: DRS's job ended, the state machine has not yet polled it -------------------
RACE_PLAN = {"waves": [{"name": "DB", "sourceServerIds": ["s-a", "s-b"]}]}


def _race_record(status, wave_status, ended=""):
    items = [{"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": status, "planName": "P",
              "executionType": "DRILL", "startedAt": "2026-12-01T03:00:00Z", "endedAt": ended},
             {"PK": "EXEC#e1", "SK": "WAVE#0001", "waveIndex": 0, "waveName": "DB", "status": wave_status,
              "jobId": "j1", "startedAt": "2026-12-01T03:00:01.250Z",
              "endedAt": "2026-12-01T03:04:00.800000Z" if wave_status == "PARTIAL" else ""}]
    return ExecutionRecord.from_items(items)


def _race_job(status, *parts, ended=""):
    job = {"status": status, "participatingServers": [
        {"sourceServerID": sid, "launchStatus": st, **({"recoveryInstanceID": rid} if rid else {})}
        for sid, st, rid in parts]}
    return {"j1": job | ({"endDateTime": ended} if ended else {})}


def _at(text):
    from drs_console.domain.progress import parse_time

    return parse_time(text)


RACE = [
    # 03:00:30: the job runs, both servers in progress
    (build_view(execution_id="e1", plan=RACE_PLAN, record=_race_record("RUNNING", "IN_PROGRESS"),
                jobs=_race_job("STARTED", ("s-a", "IN_PROGRESS", ""), ("s-b", "IN_PROGRESS", ""))),
     _at("2026-12-01T03:00:30.4Z")),
    # 03:03:59.9: s-a launched, the job runs on
    (build_view(execution_id="e1", plan=RACE_PLAN, record=_race_record("RUNNING", "IN_PROGRESS"),
                jobs=_race_job("STARTED", ("s-a", "LAUNCHED", "i-1"), ("s-b", "IN_PROGRESS", ""))),
     _at("2026-12-01T03:03:59.9Z")),
    # 03:04:01.3: DRS's job ended at 03:04:00.8 (s-a launched, s-b failed); the record still polls
    (build_view(execution_id="e1", plan=RACE_PLAN, record=_race_record("RUNNING", "IN_PROGRESS"),
                jobs=_race_job("COMPLETED", ("s-a", "LAUNCHED", "i-1"), ("s-b", "FAILED", ""),
                               ended="2026-12-01T03:04:00.800000Z")),
     _at("2026-12-01T03:04:01.3Z")),
    # 03:04:06: the state machine polled: the wave ended when the job did
    (build_view(execution_id="e1", plan=RACE_PLAN,
                record=_race_record("PARTIAL", "PARTIAL", ended="2026-12-01T03:04:02.100Z"),
                jobs=_race_job("COMPLETED", ("s-a", "LAUNCHED", "i-1"), ("s-b", "FAILED", ""),
                               ended="2026-12-01T03:04:00.800000Z")),
     _at("2026-12-01T03:04:06.0Z")),
]


class RaceMonitor(FakeMonitor):
    async def updates(self):
        for v, seen in RACE:
            self.last_view = v
            yield MonitorUpdate(view=v, state=StreamState.ENDED if v.is_terminal else StreamState.LIVE,
                                observed_at=seen)


@pytest.mark.parametrize("flags", [(), ("--json",)])
def test_a_launch_seen_after_its_job_ended_is_stamped_within_its_wave(monkeypatch, flags):
    """DRS ended the wave's job at 03:04:00.8; the follow saw s-b fail at 03:04:01.3, before the
    state machine wrote the job's end as the wave's: the failure is stamped 03:04:00 (the job's
    end), not 03:04:01, after the wave's PARTIAL line that concluded it. s-a, seen launched by the
    read of 03:03:59.9, is stamped then (when the monitor read, not when the line is printed)."""
    monkeypatch.setattr(run_cmd, "ExecutionMonitor", RaceMonitor)
    ctx = CliContext(out=io.StringIO(), err=io.StringIO())
    args = argparse.Namespace(json=bool(flags), local_time=False, refresh=1.0)
    asyncio.run(run_cmd._follow(ctx, args, SimpleNamespace(params=None), None, "e1"))
    lines = ctx.out.getvalue().splitlines()
    if flags:
        docs = [json.loads(line) for line in lines if '"transition"' in line]
        stamped = [(d["at"][11:19], d["text"]) for d in docs]
    else:
        stamped = [(line[:8], line[13:]) for line in lines if re.match(r"\d\d:\d\d:\d\d UTC ", line)]
    wave_end = next(at for at, text in stamped if text.startswith('wave 1 "DB": PARTIAL'))
    assert wave_end == "03:04:00"
    launches = {(text.split(" server ")[1].split(":")[0], at) for at, text in stamped
                if " server " in text and ("LAUNCHED" in text or "FAILED" in text)}
    assert launches == {("s-a", "03:03:59"), ("s-b", "03:04:00")}
    started = next(at for at, text in stamped if text.startswith('wave 1 "DB": STARTED'))
    assert all(started <= at <= wave_end for at, text in stamped if text.startswith("wave 1"))
    assert [at for at, _ in stamped] == sorted(at for at, _ in stamped)  # in the order it happened
