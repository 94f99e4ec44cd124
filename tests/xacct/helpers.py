"""What the cross-account tests share."""

from __future__ import annotations

import boto3


def as_role(sb, role_arn: str, service: str = "drs"):
    """A client of ``service`` acting as ``role_arn`` (assumed through the sandbox's STS)."""
    creds = sb.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
    return boto3.client(service, region_name=sb.region, endpoint_url=sb.endpoint_url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def admin_client(sandbox, account_id: str, service: str = "iam"):
    """A client acting in a target account of ``sandbox`` as its administrator (the role the sandbox
    set the account up with), to change what a test needs there."""
    return as_role(sandbox, f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", service)


def continuous(sb, account: str, n: int) -> list[str]:
    """The first ``n`` source servers of ``account`` in continuous replication (launchable)."""
    drs = sb.drs_for(account)
    return [s for s in drs.server_ids()
            if drs.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"][:n]
