"""resources/backend/target-account.yaml: cfn-lint clean, least privilege for what the state
machine definition calls in DRS, and deployable in a target account of the sandbox (moto's
CloudFormation), its trust naming the hub principals and the external ID."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess

import boto3
import pytest

from drs_console.aws.cfn_template import parse_template
from drs_console.resources import resource_path
from drs_console.sandbox import Sandbox
from drs_console.sandbox.accounts import TargetAccount, deploy_target_role, enforce_trust

TEMPLATE = resource_path("backend", "target-account.yaml")


def policy_actions() -> set[str]:
    role = parse_template(TEMPLATE.read_text())["Resources"]["TargetRole"]["Properties"]
    out: set[str] = set()
    for policy in role["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            out.update([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    return out


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint not installed")
def test_cfn_lint_passes_on_the_target_account_template():
    out = subprocess.run(["cfn-lint", str(TEMPLATE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_role_allows_every_drs_call_of_the_definition_and_no_wildcard_action():
    asl = resource_path("backend", "state-machine.asl.json").read_text()
    called = {f"drs:{m[0].upper()}{m[1:]}" for m in re.findall(r"arn:aws:states:::aws-sdk:drs:(\w+)", asl)}
    actions = policy_actions()
    assert called and called <= actions, called - actions
    # the console's reads in the target account, and what StartRecovery needs to launch instances
    assert {"drs:DescribeSourceServers", "drs:DescribeJobLogItems", "drs:DescribeRecoveryInstances",
            "drs:CreateRecoveryInstanceForDrs", "ec2:RunInstances", "iam:PassRole"} <= actions
    assert not any(a == "*" or a.endswith(":*") for a in actions)


def test_it_deploys_in_a_target_account_with_hub_principals_and_an_external_id():
    with Sandbox(manual_clock=True, servers=1, accounts=1) as sb:
        target = TargetAccount("444455556666", "T", "t", 0)
        enforce_trust({target.account_id: sb.account_id})
        hub_role = f"arn:aws:iam::{sb.account_id}:role/drs-console-waves-role"
        outputs = deploy_target_role(sb, target, hub_principals=hub_role, external_id="ext-42")
        assert outputs["TargetRoleArn"] == target.role_arn and outputs["TargetAccountId"] == target.account_id
        creds = sb.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{target.account_id}:role/OrganizationAccountAccessRole", RoleSessionName="look"
        )["Credentials"]
        iam = boto3.client("iam", region_name=sb.region, endpoint_url=sb.endpoint_url,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        trust = iam.get_role(RoleName="drs-console-target")["Role"]["AssumeRolePolicyDocument"]
        trust = trust if isinstance(trust, dict) else (ast.literal_eval(trust) if trust.startswith("{'") else json.loads(trust))
        statement = trust["Statement"][0]
        assert statement["Principal"]["AWS"] in (hub_role, [hub_role])
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "ext-42"}}
        sts = sb.client("sts")
        assert sts.assume_role(RoleArn=target.role_arn, RoleSessionName="hub",
                               ExternalId="ext-42")["AssumedRoleUser"]["Arn"].split(":")[4] == target.account_id
