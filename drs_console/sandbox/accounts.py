"""The sandbox's target accounts: besides the hub (moto's default account), N-1 accounts with
their own DRS (seeded servers with their own IDs and names) and the role of
``resources/backend/target-account.yaml``, deployed in each by moto's CloudFormation, trusting
the hub. The hub reaches them as a real hub does: STS AssumeRole of that role, whose credentials
moto maps to the role's account (so DRS answers with THAT account's servers).
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from ..domain.accounts import KnownAccount, make_account
from ..resources import resource_path
from .seed import account_ids as source_account_ids

TARGET_SERVERS = 12  # source servers seeded in each target account
TARGET_ROLE_NAME = "drs-console-target"
TARGET_STACK_NAME = "drs-console-target"
BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"  # what the sandbox deploys the stack with (moto: any role)
MAX_ACCOUNTS = 10


@dataclass(frozen=True)
class TargetAccount:
    account_id: str
    name: str
    variant: str  # host-name prefix of its servers
    servers: int

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{TARGET_ROLE_NAME}"

    def known(self) -> KnownAccount:
        return make_account(self.account_id, name=self.name, role_arn=self.role_arn)


def target_accounts(seed: int, count: int, *, hub: str, servers: int = TARGET_SERVERS) -> list[TargetAccount]:
    """``count`` target accounts (deterministic from the seed), none the hub nor a source account."""
    rng = random.Random(f"drs-sandbox-targets/{seed}")
    taken = {hub, *source_account_ids(seed)}
    out: list[TargetAccount] = []
    while len(out) < count:
        acct = str(rng.randint(10**11, 10**12 - 1))
        if acct in taken:
            continue
        taken.add(acct)
        n = len(out) + 1
        out.append(TargetAccount(acct, f"Target {n}", f"t{n}", servers))
    return out


def deploy_target_role(sandbox: Any, target: TargetAccount, *, hub_principals: str = "",
                       external_id: str = "") -> dict[str, str]:
    """Deploy target-account.yaml in ``target``'s account (through the sandbox's endpoint, with
    credentials moto maps to that account) and return its outputs."""
    import boto3

    sts = sandbox.client("sts")
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{target.account_id}:role/{BOOTSTRAP_ROLE}", RoleSessionName="sandbox-seed"
    )["Credentials"]
    cfn = boto3.client(
        "cloudformation", region_name=sandbox.region, endpoint_url=sandbox.endpoint_url,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    body = resource_path("backend", "target-account.yaml").read_text(encoding="utf-8")
    params = [{"ParameterKey": "HubAccountId", "ParameterValue": sandbox.account_id}]
    if hub_principals:
        params.append({"ParameterKey": "HubPrincipalArns", "ParameterValue": hub_principals})
    if external_id:
        params.append({"ParameterKey": "ExternalId", "ParameterValue": external_id})
    cfn.create_stack(StackName=TARGET_STACK_NAME, TemplateBody=body, Parameters=params,
                     Capabilities=["CAPABILITY_NAMED_IAM"])
    stack = cfn.describe_stacks(StackName=TARGET_STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"target-account.yaml did not deploy in {target.account_id}: {stack['StackStatus']}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


# -- AssumeRole as AWS decides it (moto assumes any role) -----------------------------------------

_trust_lock = threading.Lock()
_enforced: dict[str, str] = {}  # target account -> the hub account its roles must trust
_patched = False


def enforce_trust(targets: dict[str, str]) -> None:
    """From now on, AssumeRole of a role in one of ``targets`` (account -> hub account) is decided
    as AWS decides it: the role must exist, its trust policy must name the hub (its root or one of
    its principals) and, when it has an sts:ExternalId condition, the request must carry that ID.
    Roles elsewhere are assumed as moto assumes them (any)."""
    global _patched
    import warnings

    from moto.sts.models import STSBackend

    # STS's model has no AccessDenied shape (AWS sends it all the same): moto would warn each time
    warnings.filterwarnings("ignore", message=r"Exception\(STSClientError\) with code AccessDenied")

    with _trust_lock:
        _enforced.clear()
        _enforced.update(targets)
        if _patched:
            return
        original = STSBackend.assume_role

        def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
            _check_trust(role_arn, external_id)
            return original(self, region_name, role_session_name, role_arn, policy, duration, external_id)

        STSBackend.assume_role = assume_role  # type: ignore[method-assign]
        _patched = True


def _check_trust(role_arn: str, external_id: str | None) -> None:
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError

    parts = (role_arn or "").split(":")
    account = parts[4] if len(parts) > 5 else ""
    with _trust_lock:
        hub = _enforced.get(account)
    if hub is None or role_arn.endswith(f":role/{BOOTSTRAP_ROLE}"):
        return
    denied = STSClientError(
        "AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - no such role: AWS says AccessDenied
        raise denied from None
    try:
        doc = json.loads(role.assume_role_policy_document)
    except (TypeError, ValueError):
        raise denied from None
    for st in _as_list(doc.get("Statement")):
        if st.get("Effect") != "Allow" or "sts:AssumeRole" not in _as_list(st.get("Action")):
            continue
        principals = _as_list((st.get("Principal") or {}).get("AWS"))
        if not any(p == hub or f":iam::{hub}:" in str(p) for p in principals):
            continue
        wanted = ((st.get("Condition") or {}).get("StringEquals") or {}).get("sts:ExternalId")
        if wanted is not None and external_id not in _as_list(wanted):
            continue
        return
    raise denied


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
