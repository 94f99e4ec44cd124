"""Preflight of a plan whose servers several accounts recover: each server checked in its own
account, every account known and reachable (a role that cannot be assumed BLOCKs, naming it), the
role's trust read there, and the execution input grouped by account (contract 1.2)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from drs_console.aws.backend import validate_execution_input
from drs_console.aws.preflight import preflight
from drs_console.domain.accounts import make_account
from drs_console.domain.plan import Plan, ServerRef, Wave
from tests.xacct.test_cross_account_backend import launchable, xb  # noqa: F401 - the shared sandbox fixture


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
    plan = _plan(sb, xb.servers(2), launchable(sb, t1.account_id, 2)[-1:], launchable(sb, t2.account_id, 1))
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
    plan = _plan(sb, xb.servers(2), launchable(sb, t1.account_id, 1), launchable(sb, t2.account_id, 1))
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
    plan = _plan(sb, xb.servers(2), launchable(sb, t1.account_id, 1), launchable(sb, t2.account_id, 1))
    report = asyncio.run(preflight(xb.conn, xb.location, plan, accounts=[t1.known()]))
    blocking = [c for c in report.blocking if c.check == "accounts"]
    assert len(blocking) == 1 and t2.account_id in blocking[0].message and "not a known account" in blocking[0].message
    assert f"accounts add {t2.account_id}" in blocking[0].remedy


def test_a_trust_not_naming_the_state_machine_blocks(xb):  # noqa: F811
    import json

    import boto3

    sb = xb.sandbox
    t1 = sb.targets[0]
    creds = sb.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{t1.account_id}:role/OrganizationAccountAccessRole", RoleSessionName="test")["Credentials"]
    iam = boto3.client("iam", region_name=sb.region, endpoint_url=sb.endpoint_url,
                       aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "AWS": f"arn:aws:iam::{sb.account_id}:role/operators"}}]}
    iam.create_role(RoleName="narrow", AssumeRolePolicyDocument=json.dumps(doc))
    narrow = make_account(t1.account_id, name="Narrow", role_arn=f"arn:aws:iam::{t1.account_id}:role/narrow")
    plan = Plan.new("Narrow", target_account_id=sb.account_id, target_region=sb.region)
    plan.add_wave(None, Wave("w", servers=[ServerRef(launchable(sb, t1.account_id, 1)[0], account_id=t1.account_id)]))
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
