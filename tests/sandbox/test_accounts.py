"""The sandbox serves several accounts: each target account its own DRS (its own seeded servers),
reached as a hub reaches it (STS AssumeRole of the role target-account.yaml made there, decided
by its trust policy), from boto3 and from the AWS CLI."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess

import boto3
import pytest

from drs_console.sandbox import Sandbox
from drs_console.sandbox.accounts import TargetAccount, deploy_target_role, enforce_trust, target_accounts
from drs_console.sandbox.seed import account_ids

AWS = shutil.which("aws")


@pytest.fixture(scope="module")
def sb():
    sandbox = Sandbox(manual_clock=True, servers=20, accounts=3)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def as_role(sb: Sandbox, role_arn: str, service: str = "drs", **assume):
    creds = sb.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test", **assume)["Credentials"]
    return boto3.client(service, region_name=sb.region, endpoint_url=sb.endpoint_url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def ids(items):
    return {i["sourceServerID"] for i in items}


def test_each_target_account_lists_its_own_servers_not_the_hubs(sb):
    hub = ids(sb.client("drs").describe_source_servers()["items"])
    assert len(hub) == 20
    seen = set(hub)
    for t in sb.targets:
        drs = as_role(sb, t.role_arn)
        items = drs.describe_source_servers()["items"]
        assert len(items) == t.servers and not ids(items) & seen  # distinct IDs
        seen |= ids(items)
        assert all(i["arn"].split(":")[4] == t.account_id for i in items)
        names = [i["sourceProperties"]["identificationHints"]["hostname"] for i in items]
        assert all(n.startswith(f"{t.variant}-") for n in names)  # and names
        ident = as_role(sb, t.role_arn, "sts").get_caller_identity()
        assert ident["Account"] == t.account_id and ":assumed-role/drs-console-target/" in ident["Arn"]
        # a job started there stays there
        job = drs.start_recovery(isDrill=True, sourceServers=[{"sourceServerID": items[0]["sourceServerID"]}])["job"]
        assert job["arn"].split(":")[4] == t.account_id
        assert job["jobID"] not in {j["jobID"] for j in sb.client("drs").describe_jobs()["items"]}


def test_the_target_accounts_are_deterministic_and_none_is_the_hub_or_a_source_account():
    a, b = target_accounts(7, 4, hub="123456789012"), target_accounts(7, 4, hub="123456789012")
    assert a == b and len({t.account_id for t in a}) == 4
    assert not {t.account_id for t in a} & {"123456789012", *account_ids(7)}
    assert target_accounts(8, 2, hub="123456789012") != a[:2]


def test_assume_role_is_decided_by_the_trust_policy(sb):
    from botocore.exceptions import ClientError

    target = sb.targets[0]
    with pytest.raises(ClientError) as err:  # no such role in the account
        as_role(sb, target.role_arn.replace("drs-console-target", "nobody"))
    assert err.value.response["Error"]["Code"] == "AccessDenied"

    # a role that requires an external ID, in another (enforced) account
    extra = TargetAccount("999988887777", "Extra", "x", 0)
    enforce_trust({t.account_id: sb.account_id for t in [*sb.targets, extra]})
    try:
        outputs = deploy_target_role(sb, extra, external_id="s3cret-ext")
        assert outputs["ExternalIdRequired"] == "true" and outputs["TargetRoleArn"] == extra.role_arn
        with pytest.raises(ClientError) as err:
            as_role(sb, extra.role_arn)
        assert err.value.response["Error"]["Code"] == "AccessDenied"
        with pytest.raises(ClientError):
            as_role(sb, extra.role_arn, ExternalId="wrong-one")
        assert as_role(sb, extra.role_arn, "sts", ExternalId="s3cret-ext").get_caller_identity()["Account"] == extra.account_id
    finally:
        enforce_trust({t.account_id: sb.account_id for t in sb.targets})


def test_the_target_role_is_the_templates_with_least_privilege(sb):
    target = sb.targets[0]
    iam = as_role(sb, f"arn:aws:iam::{target.account_id}:role/OrganizationAccountAccessRole", "iam")
    role = iam.get_role(RoleName="drs-console-target")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{sb.account_id}:root"
    policy = iam.get_role_policy(RoleName="drs-console-target", PolicyName="drs-console-target")["PolicyDocument"]
    if isinstance(policy, str):  # moto's CloudFormation keeps an inline policy as a Python repr
        policy = ast.literal_eval(policy) if policy.startswith("{'") else json.loads(policy)
    actions = {a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert {"drs:StartRecovery", "drs:DescribeJobs", "drs:DescribeSourceServers", "drs:DescribeJobLogItems",
            "drs:DescribeRecoveryInstances", "iam:PassRole"} <= actions
    assert not any(a.endswith(":*") or a == "*" for a in actions)


def test_health_names_the_target_accounts(sb):
    accounts = sb.health()["accounts"]
    assert [a["accountId"] for a in accounts] == [t.account_id for t in sb.targets]
    assert all(a["roleArn"].endswith(":role/drs-console-target") for a in accounts)


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_reaches_a_target_account_with_assumed_credentials(sb):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": sb.region,
           "AWS_PAGER": ""}
    env.pop("AWS_PROFILE", None)
    common = ["--endpoint-url", sb.endpoint_url, "--region", sb.region, "--output", "json"]
    target = sb.targets[1]

    def aws(*args, environ):
        proc = subprocess.run([AWS, *args, *common], capture_output=True, text=True, env=environ, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    creds = aws("sts", "assume-role", "--role-arn", target.role_arn, "--role-session-name", "cli", environ=env)["Credentials"]
    assumed = {**env, "AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
               "AWS_SESSION_TOKEN": creds["SessionToken"]}
    theirs = aws("drs", "describe-source-servers", environ=assumed)["items"]
    hubs = aws("drs", "describe-source-servers", environ=env)["items"]
    assert ids(theirs) == set(sb.drs_for(target.account_id).server_ids()) and not ids(theirs) & ids(hubs)
