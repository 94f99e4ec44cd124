"""SimClock and seed data, without any server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from drs_console.domain.inventory import parse_iso_duration, server_from_drs
from drs_console.domain.status import ReplicationState
from drs_console.sandbox import DrsSimulator, SimClock
from drs_console.sandbox.records import iso_duration
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


def test_speed_change_keeps_time_continuous():
    clock = SimClock(speed=1000.0, start=T0)
    before = clock.now()
    clock.speed = 0.0
    frozen = clock.now()
    assert frozen >= before
    assert clock.now() == frozen  # speed 0: stands still
    clock.advance(5)
    assert (clock.now() - frozen).total_seconds() == pytest.approx(5)


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
