"""DescribeRecoverySnapshots in the DRS simulator: the real API's shape (botocore's model),
pagination, order, date filters, errors, and a realistic point-in-time schedule."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from drs_console.domain.history import parse_time
from drs_console.sandbox import Sandbox

PIT = re.compile(r"pit-[0-9a-zA-Z]{17}")
SNAP = re.compile(r"snap-[0-9a-zA-Z]{17}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _by_state(sandbox: Sandbox, state: str) -> list[str]:
    sim = sandbox.drs
    return [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == state]


def _all(drs, sid, **kw):
    return [i for page in drs.get_paginator("describe_recovery_snapshots").paginate(sourceServerID=sid, **kw)
            for i in page["items"]]


def test_snapshots_have_the_real_shape_schedule_order_and_pages(sandbox: Sandbox, drs):
    sid = _by_state(sandbox, "CONTINUOUS")[0]
    now = sandbox.clock.now()
    first = drs.describe_recovery_snapshots(sourceServerID=sid, maxResults=4)
    assert len(first["items"]) == 4 and first["nextToken"]
    items = _all(drs, sid, PaginationConfig={"PageSize": 4})
    disks = len(sandbox.drs.server(sid)["sourceProperties"]["disks"])
    for item in items:
        assert set(item) == {"snapshotID", "sourceServerID", "expectedTimestamp", "timestamp", "ebsSnapshots"}
        assert PIT.fullmatch(item["snapshotID"]) and item["sourceServerID"] == sid
        assert STAMP.fullmatch(item["expectedTimestamp"]) and STAMP.fullmatch(item["timestamp"])
        assert len(item["ebsSnapshots"]) == disks and all(SNAP.fullmatch(e) for e in item["ebsSnapshots"])
    taken = [parse_time(i["timestamp"]) for i in items]
    assert taken == sorted(taken) and taken[-1] <= now  # ASC by default, none after now
    ages = [(now - t).total_seconds() for t in taken]
    assert ages[-1] <= 10 * 60 + 60  # every 10 minutes
    assert 5 <= sum(a <= 3600 for a in ages) <= 7  # the last hour: every 10 min
    assert 22 <= sum(3600 < a <= 86400 for a in ages) <= 24  # the last day: hourly
    assert 5 <= sum(a > 86400 for a in ages) <= 8  # then daily (7 days retained)
    assert max(ages) <= 8 * 86400
    desc = _all(drs, sid, order="DESC")
    assert [i["snapshotID"] for i in desc] == [i["snapshotID"] for i in reversed(items)]
    newest = drs.describe_recovery_snapshots(sourceServerID=sid, order="DESC", maxResults=1)["items"]
    assert newest == desc[:1]
    lo, hi = taken[-20], taken[-10]
    window = drs.describe_recovery_snapshots(
        sourceServerID=sid,
        filters={"fromDateTime": lo.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                 "toDateTime": hi.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"})["items"]
    assert [parse_time(i["timestamp"]) for i in window] == taken[-20:-9]


def test_no_snapshot_in_initial_sync_none_after_last_contact_and_errors(sandbox: Sandbox, drs, drs_unvalidated):
    syncing = _by_state(sandbox, "INITIAL_SYNC")[0]
    assert drs.describe_recovery_snapshots(sourceServerID=syncing)["items"] == []
    dead = _by_state(sandbox, "DISCONNECTED")[0]
    last_seen = parse_time(sandbox.drs.server(dead)["lifeCycle"]["lastSeenByServiceDateTime"])
    newest = drs.describe_recovery_snapshots(sourceServerID=dead, order="DESC", maxResults=1)["items"]
    assert newest and parse_time(newest[0]["timestamp"]) <= last_seen
    # a server that goes DISCONNECTED now: an hour later, still nothing newer than its last contact
    sid = _by_state(sandbox, "CONTINUOUS")[0]
    sandbox.drs.set_replication_state(sid, "DISCONNECTED")
    cut = sandbox.clock.now()
    sandbox.clock.advance(3600)
    after = _all(drs, sid, order="DESC")
    assert after and parse_time(after[0]["timestamp"]) <= cut
    assert cut - parse_time(after[0]["timestamp"]) <= timedelta(minutes=11)
    with pytest.raises(ClientError) as caught:
        drs.describe_recovery_snapshots(sourceServerID="s-00000000000000000")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    for bad in ({"sourceServerID": sid, "order": "NEWEST"}, {"sourceServerID": sid, "maxResults": 0},
                {"order": "ASC"}, {"sourceServerID": sid, "nextToken": "not-a-token"}):
        with pytest.raises(ClientError) as caught:
            drs_unvalidated.describe_recovery_snapshots(**bad)
        assert caught.value.response["Error"]["Code"] == "ValidationException", bad
