"""Preflight of a plan whose servers several accounts recover: each server checked in its own
account, every account known and reachable (a role that cannot be assumed BLOCKs, naming it), the
role's trust read there, and the execution input grouped by account (contract 1.2). To a point in
time, each server's snapshot is resolved in its own account: BLOCK naming a remote server's oldest
snapshot, a wave's spread WARN across its accounts, each group's snapshots in the input."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from drs_console.aws.backend import validate_execution_input
from drs_console.aws.preflight import preflight
from drs_console.domain.accounts import make_account
from drs_console.domain.plan import Plan, ServerRef, Wave
from tests.xacct.helpers import continuous
from tests.xacct.test_cross_account_backend import xb  # noqa: F401 - the shared sandbox fixture


def _plan(sb, hub_ids, t1_ids, t2_ids) -> Plan:
    t1, t2 = sb.targets
    plan = Plan.new("Cross", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("hub", servers=[ServerRef(hub_ids[0])]))
    plan.add_wave(None, Wave("mixed", servers=[ServerRef(hub_ids[1])]
                             + [ServerRef(s, account_id=t1.account_id) for s in t1_ids]
                             + [ServerRef(s, account_id=t2.account_id) for s in t2_ids]))
    return plan


def check(report, name):
    return [c for c in report.checks if c.check == name]


def test_servers_of_three_accounts_pass_and_the_input_groups_them(xb):  # noqa: F811
    sb = xb.sandbox
    t1, t2 = sb.targets
    plan = _plan(sb, xb.servers(2), continuous(sb, t1.account_id, 2)[-1:], continuous(sb, t2.account_id, 1))
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=sb.known_accounts))
    assert not report.blocked, [c.one_line() for c in report.blocking]
    servers = check(report, "servers")
    assert servers[0].level.value == "PASS" and "All 4 servers exist" in servers[0].message
    accounts = check(report, "accounts")
    assert [c.level.value for c in accounts] == ["PASS", "PASS"]
    assert t1.role_arn in accounts[0].message and "trusts it" in accounts[0].message
    waves = report.wave_inputs()
    assert "accounts" not in waves[0]
    assert [(g["accountId"], g.get("roleArn")) for g in waves[1]["accounts"]] == [
        (sb.account_id, None), (t1.account_id, t1.role_arn), (t2.account_id, t2.role_arn)]
    doc = xb.execution_input(waves)
    validate_execution_input(doc)
    assert any("Target 1" in line for line in report.lines())


def test_a_role_that_cannot_be_assumed_blocks_naming_the_account(xb):  # noqa: F811
    sb = xb.sandbox
    t1, t2 = sb.targets
    plan = _plan(sb, xb.servers(2), continuous(sb, t1.account_id, 1), continuous(sb, t2.account_id, 1))
    bad = dataclasses.replace(t2.known(), role_arn=f"arn:aws:iam::{t2.account_id}:role/not-deployed")
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=[t1.known(), bad]))
    assert report.blocked
    blocking = [c for c in report.blocking if c.check == "accounts"]
    assert len(blocking) == 1 and t2.account_id in blocking[0].message and "could not be assumed" in blocking[0].message
    # its servers cannot be read, so they are not in DRS as far as preflight knows
    assert any(c.check == "servers" and c.level.value == "BLOCK" for c in report.checks)


def test_an_unknown_account_blocks_with_what_to_do(xb):  # noqa: F811
    sb = xb.sandbox
    t1, t2 = sb.targets
    plan = _plan(sb, xb.servers(2), continuous(sb, t1.account_id, 1), continuous(sb, t2.account_id, 1))
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=[t1.known()]))
    blocking = [c for c in report.blocking if c.check == "accounts"]
    assert len(blocking) == 1 and t2.account_id in blocking[0].message and "not a known account" in blocking[0].message
    assert f"accounts add {t2.account_id}" in blocking[0].remedy


def test_a_trust_not_naming_the_state_machine_blocks(xb):  # noqa: F811
    import json

    from tests.xacct.helpers import admin_client

    sb = xb.sandbox
    t1 = sb.targets[0]
    iam = admin_client(sb, t1.account_id)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "AWS": f"arn:aws:iam::{sb.account_id}:role/operators"}}]}
    iam.create_role(RoleName="narrow", AssumeRolePolicyDocument=json.dumps(doc))
    narrow = make_account(t1.account_id, name="Narrow", role_arn=f"arn:aws:iam::{t1.account_id}:role/narrow")
    plan = Plan.new("Narrow", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("w", servers=[ServerRef(continuous(sb, t1.account_id, 1)[0], account_id=t1.account_id)]))
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=[narrow]))
    blocking = [c for c in report.blocking if c.check == "accounts"]
    assert len(blocking) == 1 and "does not name the backend state machine's role" in blocking[0].message


@pytest.mark.parametrize("n", [1])
def test_single_account_plans_carry_no_groups(xb, n):  # noqa: F811
    sb = xb.sandbox
    plan = Plan.new("Hub", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("w", servers=[ServerRef(s) for s in xb.servers(n)]))
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=sb.known_accounts))
    assert not report.check("accounts") and not report.server_accounts
    assert all("accounts" not in w for w in report.wave_inputs())


# -- a point in time across accounts: each server resolved where it is recovered -------------------


def _snapshot_for(sb, role_arn, sid, at):
    """The snapshot DRS in the server's own account (boto3 as its role) names for ``at``."""
    from drs_console.domain import point_in_time as pit
    from tests.xacct.helpers import as_role

    drs = as_role(sb, role_arn)
    items = drs.describe_recovery_snapshots(sourceServerID=sid, order="DESC",
                                            filters={"toDateTime": pit.iso(at)})["items"]
    return pit.resolve_server(sid, at, [s for s in map(pit.snapshot_from_item, items) if s]).snapshot


def _pit(report, level):
    return [c for c in report.check("point-in-time") if c.level.value == level]


def test_a_point_in_time_resolves_each_server_in_the_account_that_recovers_it(xb):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    sb = xb.sandbox
    t1, t2 = sb.targets
    hub_ids, t1_ids, t2_ids = xb.servers(2), continuous(sb, t1.account_id, 4)[-2:], continuous(sb, t2.account_id, 3)[-1:]
    plan = _plan(sb, hub_ids, t1_ids, t2_ids)
    at = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    report = asyncio.run(preflight(xb.conn, xb.location, plan, point_in_time=at, accounts=sb.known_accounts))
    assert not report.blocked, [c.one_line() for c in report.blocking]
    assert not any("not supported" in c.message for c in report.checks)
    resolved = {r.source_server_id: r for w in report.resolutions for r in w.servers}
    assert set(resolved) == {*hub_ids, *t1_ids, *t2_ids} and all(r.ok for r in resolved.values())
    for sid, role in [(s, t1.role_arn) for s in t1_ids] + [(s, t2.role_arn) for s in t2_ids]:
        assert resolved[sid].snapshot == _snapshot_for(sb, role, sid, at)  # read in its own account
        assert sid not in sb.drs.server_ids()  # the hub does not hold it: DescribeRecoverySnapshots there refuses it
    assert len(_pit(report, "PASS")) == 5 and not _pit(report, "WARN")
    # the input: every account group names its servers' snapshots, as the wave does
    wave = report.wave_inputs()[1]
    assert wave["pointInTime"] == pit_iso(at)
    by_group = {g["accountId"]: {x["sourceServerID"]: x["recoverySnapshotID"] for x in g["servers"]}
                for g in wave["accounts"]}
    assert by_group == {sb.account_id: {hub_ids[1]: resolved[hub_ids[1]].snapshot.snapshot_id},
                        t1.account_id: {s: resolved[s].snapshot.snapshot_id for s in t1_ids},
                        t2.account_id: {s: resolved[s].snapshot.snapshot_id for s in t2_ids}}
    doc = xb.execution_input(report.wave_inputs(), point_in_time=pit_iso(at))
    validate_execution_input(doc)
    # a group naming another snapshot than its wave is refused (the views read the wave's)
    import json

    doc = json.loads(json.dumps(doc))  # as sent: the group's servers are not the wave's objects
    doc["plan"]["waves"][1]["accounts"][1]["servers"][0]["recoverySnapshotID"] = "pit-" + "0" * 17
    from drs_console.domain.errors import BadInput

    with pytest.raises(BadInput, match="the one the wave's servers name"):
        validate_execution_input(doc)


def pit_iso(at):
    from drs_console.domain.point_in_time import iso

    return iso(at)


def test_a_remote_server_without_a_snapshot_that_old_blocks_naming_its_oldest(xb):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    sb = xb.sandbox
    t1 = sb.targets[0]
    hub_id, young = xb.servers(1)[0], continuous(sb, t1.account_id, 6)[-1]
    now = datetime.now(UTC)
    sb.drs_for(t1.account_id).set_added_at(young, now - timedelta(hours=8))  # first snapshot ~2 h ago
    plan = Plan.new("Young", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("w", servers=[ServerRef(hub_id), ServerRef(young, account_id=t1.account_id)]))
    at = now - timedelta(hours=4)
    report = asyncio.run(preflight(xb.conn, xb.location, plan, point_in_time=at, accounts=sb.known_accounts))
    blocks = _pit(report, "BLOCK")
    assert [c.server_ids for c in blocks] == [(young,)] and report.blocked
    oldest = as_role_client(sb, t1.role_arn).describe_recovery_snapshots(
        sourceServerID=young, order="ASC", maxResults=1)["items"][0]
    assert f"its oldest is {oldest['snapshotID']}" in blocks[0].message  # its real oldest, in account t1
    assert [c.server_ids for c in _pit(report, "PASS")] == [(hub_id,)]
    assert "servers" not in report.wave_inputs()[0]  # a blocked wave names no snapshots


def as_role_client(sb, role_arn):
    from tests.xacct.helpers import as_role

    return as_role(sb, role_arn)


def test_a_wave_spread_over_the_window_across_accounts_warns(xb):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    sb = xb.sandbox
    t2 = sb.targets[1]
    hub_id, lagging = xb.servers(1)[0], continuous(sb, t2.account_id, 5)[-1]
    remote = sb.drs_for(t2.account_id)
    remote.set_replication_state(lagging, "DISCONNECTED", lag_seconds=3 * 3600)  # no data after 3 h ago
    try:
        plan = Plan.new("Spread", target_account_id=sb.account_id, target_region=sb.region)
        plan.add_wave(None, Wave("app", servers=[ServerRef(hub_id), ServerRef(lagging, account_id=t2.account_id)]))
        at = datetime.now(UTC) - timedelta(minutes=30)
        # a recovery (a drill of a DISCONNECTED server BLOCKs on its replication)
        report = asyncio.run(preflight(xb.conn, xb.location, plan, drill=False, point_in_time=at,
                                       accounts=sb.known_accounts))
        wide = asyncio.run(preflight(xb.conn, xb.location, plan, drill=False, point_in_time=at,
                                     accounts=sb.known_accounts, max_spread=timedelta(hours=4)))
    finally:
        remote.set_replication_state(lagging, "CONTINUOUS")
    warns = _pit(report, "WARN")
    assert len(warns) == 1 and "inconsistent points" in warns[0].message and not report.blocked, [c.one_line() for c in report.blocking]
    assert set(warns[0].server_ids) == {hub_id, lagging}  # the hub's server and account t2's
    resolved = {r.source_server_id: r for r in report.resolutions[0].servers}
    assert resolved[hub_id].before_seconds < 15 * 60 and resolved[lagging].before_seconds > 2 * 3600
    assert not _pit(wide, "WARN")


def test_the_timeline_reads_each_servers_snapshots_in_its_account(xb, qtbot):  # noqa: F811
    """What the Run dialog's point-in-time timeline and the Recovery points dialog read
    (aws/snapshots.of_plan_servers): a remote server's snapshots in its account, as DRS there lists them."""
    from datetime import UTC, datetime, timedelta

    from drs_console.aws.snapshots import of_plan_servers
    from drs_console.domain.errors import ConsoleError
    from drs_console.domain.progress import parse_time

    sb = xb.sandbox
    t1 = sb.targets[0]
    hub_id, remote = xb.servers(1)[0], continuous(sb, t1.account_id, 7)[-1]
    since = datetime.now(UTC) - timedelta(days=1)
    got = asyncio.run(of_plan_servers(xb.conn, [hub_id, remote], since=since, account_of={remote: t1.account_id},
                                      accounts=sb.known_accounts, hub_account=sb.account_id))
    listed = as_role_client(sb, t1.role_arn).describe_recovery_snapshots(sourceServerID=remote)["items"]
    assert {s.snapshot_id for s in got[remote]} == {i["snapshotID"] for i in listed if parse_time(i["timestamp"]) >= since}
    assert len(got[remote]) > 20 and len(got[hub_id]) > 20
    # the plan's Recovery points dialog reads the same, through the connection's shared connector
    from types import SimpleNamespace

    from drs_console.aws.accounts import AccountConnector
    from drs_console.ui.inventory_state import InventoryState
    from drs_console.ui.recovery_points_dialog import RecoveryPointsDialog
    from drs_console.ui.tasks import TaskRunner

    plan = Plan.new("Points", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("w", servers=[ServerRef(hub_id), ServerRef(remote, account_id=t1.account_id)]))
    connector = AccountConnector(xb.conn)
    controller = SimpleNamespace(connection=xb.conn, identity=SimpleNamespace(account_id=sb.account_id),
                                 is_connected=True, known_accounts=lambda: sb.known_accounts,
                                 accounts_connector=lambda: connector)
    dialog = RecoveryPointsDialog(plan, controller, TaskRunner(lambda _exc: None), InventoryState())
    qtbot.addWidget(dialog)
    try:
        read = asyncio.run(dialog._describe([hub_id, remote], since))
    finally:
        connector.close()
    assert {k: [x.snapshot_id for x in v] for k, v in read.items()} == {
        k: [x.snapshot_id for x in v] for k, v in got.items()}
    with pytest.raises(ConsoleError) as err:  # an account that is not known says how to add it
        asyncio.run(of_plan_servers(xb.conn, [remote], since=since, account_of={remote: t1.account_id},
                                    accounts=[], hub_account=sb.account_id))
    assert t1.account_id in err.value.message and f"accounts add {t1.account_id}" in err.value.remedy
