"""SimClock and seed data, without any server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.domain.inventory import parse_iso_duration, server_from_drs
from drs_console.domain.status import ReplicationState
from drs_console.sandbox import DrsSimulator, SimClock
from drs_console.sandbox.records import iso_duration, parse_drs_time
from drs_console.sandbox.seed import account_ids, seed_servers

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_manual_clock_moves_only_when_advanced():
    clock = SimClock(manual=True, start=T0)
    assert clock.now() == T0
    assert clock.now() == T0
    clock.advance(90)
    assert (clock.now() - T0).total_seconds() == 90
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_real_time_clock_is_real_time_whatever_the_speed():
    clock = SimClock(speed=1000.0)
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert before - timedelta(seconds=1) <= now <= after  # never ahead of now
    clock.speed = 5.0
    assert clock.now() <= datetime.now(UTC)
    with pytest.raises(RuntimeError, match="never runs ahead"):
        clock.advance(5)
    with pytest.raises(ValueError):
        SimClock(start=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ValueError):
        clock.speed = -1.0


def test_speed_shortens_durations_only():
    clock = SimClock(speed=30.0)
    assert clock.duration(1200) == timedelta(seconds=40)  # a 20-minute step takes 40 s
    clock.speed = 600.0
    assert clock.duration(1200) == timedelta(seconds=2)
    manual = SimClock(manual=True, speed=30.0, start=T0)
    assert manual.duration(1200) == timedelta(seconds=1200)  # manual: the test moves time


def test_a_job_at_speed_30_runs_within_its_real_seconds():
    """A job that takes ~6 simulated minutes starts and ends, in DescribeJobs, its log items and its
    recovery instances, within its real duration at speed 30, and nothing is stamped after now."""
    clock = SimClock(speed=30.0)
    sim = DrsSimulator(clock=clock, servers=12, seed=7)
    ids = [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]
    requested = datetime.now(UTC)
    _status, body = sim.handle("StartRecovery", {"sourceServers": [{"sourceServerID": ids[0]}], "isDrill": True})
    job_id = body["job"]["jobID"]
    planned_end = max(e.at for e in sim._events)
    real_seconds = (planned_end - requested).total_seconds()
    assert 0 < real_seconds < 360 / 30 + 2  # ~6 simulated minutes: ~12 real seconds
    # look at it at the planned end, in manual mode (no sleeping)
    clock.set_manual(True)
    clock.advance(max(0.0, (planned_end - clock.now()).total_seconds()) + 0.01)
    job = sim.job(job_id)
    now = clock.now()
    stamps = [parse_drs_time(job["creationDateTime"]), parse_drs_time(job["endDateTime"])]
    stamps += [parse_drs_time(i["logDateTime"]) for i in sim.describe_job_log_items(jobID=job_id)["items"]]
    inst = sim.describe_recovery_instances(filters={"sourceServerIDs": [ids[0]]})["items"][0]
    stamps.append(parse_drs_time(inst["recoveryInstanceProperties"]["lastUpdatedDateTime"]))
    assert job["status"] == "COMPLETED"
    assert all(requested - timedelta(seconds=1) <= t <= now for t in stamps), stamps
    assert parse_drs_time(inst["pointInTimeSnapshotDateTime"]) <= stamps[1]  # data of a moment before
    assert (stamps[1] - stamps[0]).total_seconds() <= real_seconds + 1


def test_iso_duration():
    assert iso_duration(0) == "PT0S"
    assert iso_duration(725) == "PT12M5S"
    assert iso_duration(86400 + 4 * 3600) == "P1DT4H"
    for secs in (0, 3, 61, 3600, 90061):
        assert parse_iso_duration(iso_duration(secs)).total_seconds() == secs


def test_same_seed_same_servers_different_seed_different():
    a = seed_servers(seed=7, count=60, region="us-east-1", account_id="123456789012", start=T0)
    b = seed_servers(seed=7, count=60, region="us-east-1", account_id="123456789012", start=T0)
    c = seed_servers(seed=8, count=60, region="us-east-1", account_id="123456789012", start=T0)
    assert [s.item(T0, "us-east-1") for s in a] == [s.item(T0, "us-east-1") for s in b]
    assert [s.source_server_id for s in a] != [s.source_server_id for s in c]


def test_seed_is_realistic_and_parses_into_complete_source_servers():
    sim = DrsSimulator(clock=SimClock(manual=True, start=T0), servers=60, seed=7)
    items = sim.describe_source_servers()["items"]
    assert len(items) == 60
    accounts = account_ids(7)
    assert 2 <= len(accounts) <= 3
    states = {i["dataReplicationInfo"]["dataReplicationState"] for i in items}
    assert {"CONTINUOUS", "INITIAL_SYNC", "BACKLOG", "STALLED", "DISCONNECTED"} <= states
    continuous = sum(i["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS" for i in items)
    assert continuous > 40
    hostnames = set()
    for item in items:
        s = server_from_drs(item)
        assert re.fullmatch(r"s-[0-9a-f]{17}", s.source_server_id)
        assert re.fullmatch(r"i-[0-9a-f]{17}", s.instance_id)
        assert re.fullmatch(r"\d{12}", s.account_id) and s.account_id in accounts
        assert s.origin_region and s.origin_region != "us-east-1"
        assert s.fqdn == f"{s.hostname}.corp.example.com"
        assert s.replication_state is not ReplicationState.UNKNOWN
        assert parse_iso_duration(s.lag_duration) is not None
        assert s.last_launch_result == "NOT_STARTED"
        assert set(s.tags) == {"Name", "Application", "Tier", "Environment"}
        assert item["arn"].endswith(f":source-server/{s.source_server_id}")
        hostnames.add(s.hostname)
    assert "pay-web-01" in hostnames
    assert len(hostnames) == 60


def test_more_servers_than_the_catalogue():
    servers = seed_servers(seed=3, count=250, region="eu-west-1", account_id="123456789012", start=T0)
    assert len({s.hostname for s in servers}) == 250
    assert len({s.source_server_id for s in servers}) == 250


def test_the_speed_environment_variable_is_read_in_one_place(monkeypatch):
    """$DRS_CONSOLE_SANDBOX_SPEED: the desktop, --sandbox and run read it through one function; a
    value that is not a speed is refused with what to set (the desktop used to ignore it silently)."""
    import pytest

    from drs_console.sandbox.clock import SPEED_ENV, speed_from_env

    monkeypatch.delenv(SPEED_ENV, raising=False)
    assert speed_from_env() is None
    monkeypatch.setenv(SPEED_ENV, " 300 ")
    assert speed_from_env() == 300.0
    for bad in ("fast", "nan", "inf", "-1"):
        monkeypatch.setenv(SPEED_ENV, bad)
        with pytest.raises(ValueError, match="set it to a number like 300"):
            speed_from_env()


def test_real_time_is_the_systems_time_that_step_functions_writes_with(monkeypatch):
    """moto stamps the state machine's records with datetime.now: the DRS simulator's clock is the
    same clock, also after the system's moved on without the process (a laptop's sleep) or was
    set back (then the sandbox's stands still: no timestamp goes back)."""
    from drs_console.sandbox import clock as clock_module

    shift = {"by": timedelta(0)}

    class SystemClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + shift["by"]

    monkeypatch.setattr(clock_module, "datetime", SystemClock)
    clock = SimClock(speed=30.0)
    shift["by"] = timedelta(hours=2)  # the laptop slept two hours
    assert abs(clock.now() - SystemClock.now(UTC)) < timedelta(seconds=1)
    woke = clock.now()
    shift["by"] = timedelta(hours=1)  # the system's clock set back an hour
    assert clock.now() == woke
    shift["by"] = timedelta(hours=2, seconds=5)
    assert clock.now() > woke
    # a manual clock moved ahead, back in real time: it waits for the system's to catch up
    clock.set_manual(True)
    ahead = clock.advance(60)
    clock.set_manual(False)
    assert clock.now() == ahead
    shift["by"] = timedelta(hours=2, seconds=70)
    assert ahead < clock.now() <= SystemClock.now(UTC)
