"""Doctor and the target accounts' roles (contract 1.2): for each known account reached by a role,
the deployed state machine's role may assume it (the stack's TargetRoleArns) and the role's trust
names the state machine's role. In a sandbox whose backend grants only the first target's role."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from drs_console.aws.backend import run_sync
from drs_console.aws.deploy import deploy_backend
from drs_console.aws.deployment import inspect_deployment
from drs_console.aws.doctor.account_checks import known_account_checks
from drs_console.aws.session import AwsConnection
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain.accounts import make_account
from drs_console.sandbox import Sandbox, stepfunctions_compat
from tests.cli.conftest import Ran
from tests.xacct.helpers import admin_client


@pytest.fixture(scope="module")
def only_t1():
    """Hub and two target accounts; the backend deployed with TargetRoleArns = the first's role only."""
    sandbox = Sandbox(servers=6, speed=300.0, accounts=3)
    sandbox.start()
    stepfunctions_compat.apply()
    conn = AwsConnection(sandbox.connection_params())
    try:
        t1 = sandbox.targets[0]
        result = run_sync(lambda: deploy_backend(conn, "drs-console", poll_seconds=0.05, timeout=120.0,
                                                 target_roles=[t1.role_arn])).result
        assert result.ok, result.status
        yield sandbox, conn
    finally:
        conn.close()
        sandbox.stop()


def target_findings(sandbox, conn, accounts):
    dep = asyncio.run(inspect_deployment(conn, "drs-console", account=sandbox.account_id))
    findings = asyncio.run(known_account_checks(conn, accounts, "", dep))
    return {f.check: f for f in findings if f.check.startswith("target-role ")}


def test_a_role_missing_from_target_role_arns_fails_naming_the_account_and_the_redeploy(only_t1):
    sandbox, conn = only_t1
    t1, t2 = sandbox.targets
    found = target_findings(sandbox, conn, [t1.known(), t2.known()])
    ok = found[f"target-role {t1.account_id}"]
    assert ok.level == "PASS" and t1.role_arn in ok.message and "whose trust names it" in ok.message
    bad = found[f"target-role {t2.account_id}"]
    assert bad.level == "FAIL" and bad.fix == "deploy"
    assert f"Target 2 ({t2.account_id})" in bad.message and t2.role_arn in bad.message
    assert "TargetRoleArns does not include it" in bad.message
    assert "Redeploy with TargetRoleArns including it" in bad.remedy
    assert "backend deploy --stack-name drs-console" in bad.remedy


def test_a_trust_not_naming_the_state_machine_fails_with_what_to_update(only_t1):
    sandbox, conn = only_t1
    t1 = sandbox.targets[0]
    iam = admin_client(sandbox, t1.account_id)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "AWS": f"arn:aws:iam::{sandbox.account_id}:role/operators"}}]}  # the operators may, not the state machine
    iam.create_role(RoleName="operators-only", AssumeRolePolicyDocument=json.dumps(trust))
    narrow = make_account(t1.account_id, name="Narrow", role_arn=f"arn:aws:iam::{t1.account_id}:role/operators-only")
    bad = target_findings(sandbox, conn, [narrow])[f"target-role {t1.account_id}"]
    assert bad.level == "FAIL"
    assert "the trust policy of arn:aws:iam::" in bad.message and "names neither the state machine" in bad.message
    assert "HubPrincipalArns" in bad.remedy


def test_an_account_reached_by_a_profile_is_checked_for_the_role_the_state_machine_uses_there(only_t1):
    """The console may reach a target account with an (SSO) profile, but the state machine cannot:
    it assumes the role target-account.yaml makes there (drs-console-target). Doctor checks that
    role too, instead of staying silent until a cross-account wave fails at 3 a.m."""
    from drs_console.domain.cross_account import state_machine_role

    sandbox, conn = only_t1
    t1, t2 = sandbox.targets
    granted = make_account(t1.account_id, name="By profile 1", profile="no-such-profile")
    missing = make_account(t2.account_id, name="By profile 2", profile="no-such-profile")
    assert state_machine_role(missing) == t2.role_arn  # the sandbox's target roles have the default name
    found = target_findings(sandbox, conn, [granted, missing])
    bad = found[f"target-role {t2.account_id}"]
    assert bad.level == "FAIL" and bad.fix == "deploy"
    assert t2.role_arn in bad.message and "profile no-such-profile" in bad.message
    assert "TargetRoleArns does not include it" in bad.message and "Redeploy" in bad.remedy
    ok = found[f"target-role {t1.account_id}"]
    # the hub side passes; the trust could not be read (the profile does not exist): a warning, not silence
    assert ok.level == "WARN" and f"may assume the role {t1.role_arn}" in ok.message
    assert "could not be verified" in ok.message


def test_doctor_fails_then_its_fix_grants_the_known_accounts_roles(only_t1):
    # last in this module: its fix grants the second target's role in the module's stack
    sandbox, conn = only_t1
    t1, t2 = sandbox.targets

    def cli(*argv: str) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        ctx = CliContext(out=out, err=err, _connection=conn)
        return Ran(run_command(build_parser().parse_args(list(argv)), ctx), out.getvalue(), err.getvalue())

    for t in (t1, t2):
        assert cli("accounts", "add", t.account_id, "--name", t.name, "--role-arn", t.role_arn).rc == 0
    ran = cli("doctor", "--probe-timeout", "30", "--json")
    doc = json.loads(ran.out)
    levels = {f["check"]: f["level"] for f in doc["findings"]}
    assert ran.rc == 1 and levels[f"target-role {t1.account_id}"] == "PASS"
    assert levels[f"target-role {t2.account_id}"] == "FAIL"
    assert [f["check"] for f in doc["findings"] if f["level"] == "FAIL"] == [f"target-role {t2.account_id}"]
    ran = cli("doctor", "--probe-timeout", "30", "--fix", "--yes")
    assert ran.rc == 0, ran.out
    again = ran.out.split("Checking again:", 1)[1]
    assert f"PASS  target-role {t2.account_id}" in again and "FAIL" not in again
    stack = sandbox.client("cloudformation").describe_stacks(StackName="drs-console")["Stacks"][0]
    granted = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["TargetRoleArns"]
    assert sorted(granted.split(",")) == sorted([t1.role_arn, t2.role_arn])

