"""What the cross-account tests share."""

from __future__ import annotations

import boto3


def admin_client(sandbox, account_id: str, service: str = "iam"):
    """A client acting in a target account of ``sandbox`` as its administrator (the role the sandbox
    set the account up with), to change what a test needs there."""
    creds = sandbox.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="test")["Credentials"]
    return boto3.client(service, region_name=sandbox.region, endpoint_url=sandbox.endpoint_url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])
