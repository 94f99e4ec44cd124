"""StartRecovery's ``recoverySnapshotID`` in the DRS simulator: the recovery instance records the
snapshot it launched from (``pointInTimeSnapshotDateTime``); a snapshot that is not one of the
server's fails that server in the job (StartRecovery models no ValidationException for it: the
job log says USING_PREVIOUS_SNAPSHOT_FAILED, then LAUNCH_FAILED); a malformed ID is refused by
the model's pattern (ValidationException)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from drs_console.domain.history import parse_time
from drs_console.sandbox import Sandbox


def _continuous(sandbox: Sandbox, n: int) -> list[str]:
    sim = sandbox.drs
    out = [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]
    return out[:n]


def _run_job(sandbox: Sandbox, drs, job_id: str) -> dict:
    for _ in range(200):
        job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
        if job["status"] == "COMPLETED":
            return job
        sandbox.clock.advance(60)
    raise AssertionError("the job did not complete")


def test_launch_from_a_named_snapshot_records_it_and_a_foreign_one_fails(sandbox: Sandbox, drs):
    a, b, c = _continuous(sandbox, 3)
    two_hours_ago = (sandbox.clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    snap_a = drs.describe_recovery_snapshots(sourceServerID=a, order="DESC", maxResults=1,
                                             filters={"toDateTime": two_hours_ago})["items"][0]
    snap_b = drs.describe_recovery_snapshots(sourceServerID=b, order="DESC", maxResults=1)["items"][0]
    job = drs.start_recovery(isDrill=True, sourceServers=[
        {"sourceServerID": a, "recoverySnapshotID": snap_a["snapshotID"]},
        {"sourceServerID": c, "recoverySnapshotID": snap_b["snapshotID"]},  # b's snapshot for c
        {"sourceServerID": b},  # latest data: an on-demand snapshot
    ])["job"]
    done = _run_job(sandbox, drs, job["jobID"])
    status = {p["sourceServerID"]: p["launchStatus"] for p in done["participatingServers"]}
    assert status == {a: "LAUNCHED", c: "FAILED", b: "LAUNCHED"}

    instances = {i["sourceServerID"]: i for i in drs.describe_recovery_instances(
        filters={"sourceServerIDs": [a, b]})["items"] if i["jobID"] == job["jobID"]}
    assert parse_time(instances[a]["pointInTimeSnapshotDateTime"]) == parse_time(snap_a["timestamp"])
    assert parse_time(instances[b]["pointInTimeSnapshotDateTime"]) > parse_time(snap_b["timestamp"]) - timedelta(
        minutes=1)  # the on-demand snapshot is newer than a's two-hour-old one
    assert parse_time(instances[a]["pointInTimeSnapshotDateTime"]) < parse_time(two_hours_ago) + timedelta(seconds=1)

    log = drs.describe_job_log_items(jobID=job["jobID"])["items"]
    events_c = [i["event"] for i in log if i.get("eventData", {}).get("sourceServerID") == c]
    assert events_c == ["USING_PREVIOUS_SNAPSHOT_FAILED", "LAUNCH_FAILED"]
    failed = next(i for i in log if i["event"] == "LAUNCH_FAILED" and i.get("eventData", {}).get("sourceServerID") == c)
    assert snap_b["snapshotID"] in failed["eventData"]["rawError"]
    events_a = [i["event"] for i in log if i.get("eventData", {}).get("sourceServerID") == a]
    assert "USING_PREVIOUS_SNAPSHOT" in events_a and "SNAPSHOT_START" not in events_a


def test_a_malformed_snapshot_id_is_a_validation_error(sandbox: Sandbox, drs_unvalidated):
    sid = _continuous(sandbox, 1)[0]
    with pytest.raises(ClientError) as err:
        drs_unvalidated.start_recovery(sourceServers=[{"sourceServerID": sid, "recoverySnapshotID": "pit-short"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_an_incident_marks_servers_compromised_since_then():
    from drs_console.sandbox.incident import TAG, TAG_AT, compromised_servers

    sb = Sandbox(manual_clock=True, incident=timedelta(hours=2))
    sb.start()
    try:
        info = sb.incident_info
        assert info is not None and info.at == (sb.clock.now() - timedelta(hours=2)).replace(microsecond=0)
        drs = sb.client("drs")
        assert list(info.server_ids) == compromised_servers(sb.drs) and len(info.server_ids) >= 4
        assert "s-079dcdb51b3fd80be" in info.server_ids  # the sample plan's pay-db-01
        tagged = {i["sourceServerID"] for i in drs.describe_source_servers(filters={})["items"]
                  if i.get("tags", {}).get(TAG) == "true"}
        assert tagged == set(info.server_ids)
        item = drs.describe_source_servers(filters={"sourceServerIDs": [info.server_ids[0]]})["items"][0]
        assert parse_time(item["tags"][TAG_AT]) == info.at
        assert sb.health()["incident"]["compromisedServerIds"] == list(info.server_ids)
        # each has a snapshot from before the incident to recover to
        before = drs.describe_recovery_snapshots(sourceServerID=info.server_ids[0], order="DESC", maxResults=1,
                                                 filters={"toDateTime": info.at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        assert parse_time(before["items"][0]["timestamp"]) <= info.at
    finally:
        sb.stop()


def test_incident_durations_are_read_or_refused(monkeypatch):
    from drs_console.sandbox.incident import INCIDENT_ENV, incident_from_env

    monkeypatch.setenv(INCIDENT_ENV, "90m")
    assert incident_from_env() == timedelta(minutes=90)
    monkeypatch.setenv(INCIDENT_ENV, "soon")
    with pytest.raises(ValueError, match="2h"):
        incident_from_env()
