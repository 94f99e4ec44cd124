"""`backend deploy`: the change set, then the repair of what a change set cannot see.

``deploy_backend`` runs the change set (``BackendService.deploy``) and repairs out-of-band edits:
of the state machine (forced through the ``RepairToken`` parameter, inside the change set; created
again when deleted), of the role (deleted, trust or inline policy changed) and of the table (index,
TTL, deleted). It refuses to downgrade a newer backend unless asked, and says what the operator
must do for what it cannot repair.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain import contract as c
from ..domain.errors import BadInput, ConsoleError, ProblemKind
from . import definition as d
from .backend import BackendService, DeployResult, ProgressCallback, load_definition
from .deployment import (
    PARAM_HASH,
    PARAM_REPAIR,
    ROLE,
    STATE_MACHINE,
    TABLE,
    Deployment,
    definition_differs,
    inspect_deployment,
    newer_than_console,
    or_none,
    read_resources,
    role_arn_differs,
    same_policy,
    table_problems,
    trust_doc,
)
from .session import AwsConnection

__all__ = ["DeployOutcome", "deploy_backend", "newer_than_console"]


@dataclass
class DeployOutcome:
    result: DeployResult
    repairs: list[str] = field(default_factory=list)  # what was put back, one line each
    manual: list[str] = field(default_factory=list)  # what the operator must do, exact steps

    @property
    def ok(self) -> bool:
        return self.result.ok and not self.manual


PARAM_TARGET_ROLES = "TargetRoleArns"


async def deploy_backend(
    conn: AwsConnection,
    stack_name: str = c.DEFAULT_STACK_NAME,
    *,
    allow_downgrade: bool = False,
    progress: ProgressCallback | None = None,
    poll_seconds: float = 5.0,
    timeout: float = 1800.0,
    target_roles: Sequence[str] | None = None,
    add_target_roles: Sequence[str] = (),
) -> DeployOutcome:
    """`backend deploy`: the change set, then the repair of out-of-band changes. ``target_roles``:
    the target accounts' roles the state machine may assume (template parameter TargetRoleArns);
    None keeps what the stack has. ``add_target_roles``: roles granted besides those (what doctor
    --fix and the Backend page add: the known accounts' roles, none taken away)."""
    backend = BackendService(conn, poll_seconds=poll_seconds)
    dep = await inspect_deployment(conn, stack_name)
    region = conn.region
    if dep.stack and newer_than_console(dep.deployed_contract) and not allow_downgrade:
        raise BadInput(
            f"The backend in stack {stack_name!r} ({region}) implements contract {dep.deployed_contract}, "
            f"newer than this console's {c.CONTRACT_VERSION}: deploying would downgrade it.",
            "Update DRS Console to a version that speaks it, or pass --allow-downgrade to replace it anyway.",
        )
    if dep.stack and dep.stack.status == "UPDATE_ROLLBACK_FAILED":
        raise ConsoleError(
            ProblemKind.AWS_ERROR,
            f"The stack {stack_name!r} is UPDATE_ROLLBACK_FAILED: CloudFormation cannot update it until its rollback "
            "is finished.",
            f"Run 'aws cloudformation continue-update-rollback --stack-name {stack_name} --region {region}' "
            "(skip the resources it names with --resources-to-skip if they were deleted), then deploy again.",
        )
    bundled_hash = d.definition_hash(load_definition())
    repair_token = dep.parameters.get(PARAM_REPAIR, "")
    repairs: list[str] = []
    manual: list[str] = []
    existing = dep.stack is not None and dep.stack.is_usable
    if existing:
        # what was deleted or edited outside CloudFormation first: the change set must find it in place
        repairs += await _repair_resources(conn, dep, stack_name, poll_seconds, manual)
    sm_differs = existing and dep.state_machine is not None and (definition_differs(dep) or role_arn_differs(dep))
    rolled_back = existing and dep.stack is not None and dep.stack.status == "UPDATE_ROLLBACK_COMPLETE"
    if sm_differs or rolled_back or repairs:
        # force the update (the template may not have changed): the state machine gets the bundled
        # definition back, and the stack records this deployment (doctor counts runs from it)
        repair_token = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    params = {PARAM_HASH: bundled_hash, PARAM_REPAIR: repair_token}
    kept = list(target_roles) if target_roles is not None else \
        [r for r in dep.parameters.get(PARAM_TARGET_ROLES, "").split(",") if r.strip()]
    roles = ",".join(dict.fromkeys([r.strip() for r in kept] + [r.strip() for r in add_target_roles if r.strip()]))
    if roles:
        params[PARAM_TARGET_ROLES] = roles
    result = await backend.deploy(stack_name, progress=progress, parameters=params, timeout=timeout)
    if not result.ok:
        return DeployOutcome(result, repairs, manual)
    if sm_differs:
        repairs.append(f"State machine: the bundled definition was put back through the change set "
                       f"({PARAM_REPAIR}={repair_token}).")
    elif rolled_back:
        repairs.append(f"Stack: the rolled-back update was deployed again ({PARAM_REPAIR}={repair_token}).")
    dep = await inspect_deployment(conn, stack_name, account=dep.account)
    repairs += await _repair_resources(conn, dep, stack_name, poll_seconds, manual)
    if dep.state_machine is not None and (definition_differs(dep) or role_arn_differs(dep)):
        sfn = conn.client("stepfunctions")
        await conn.call(
            sfn.update_state_machine,
            stateMachineArn=dep.state_machine_arn,
            definition=json.dumps(dep.expected_definition()),
            roleArn=str(dep.resolver().attrs.get(f"{ROLE}.Arn")),
        )
        repairs.append(f"State machine {dep.state_machine_arn}: the bundled definition and role were put back.")
    final = result
    if repairs or manual:
        info = await backend.stack(stack_name)
        final = DeployResult(stack_name, info.status if info else result.status, True,
                             dict(info.outputs) if info else dict(result.outputs), result.failures)
    return DeployOutcome(final, repairs, manual)


async def _repair_resources(
    conn: AwsConnection, dep: Deployment, stack_name: str, poll_seconds: float, manual: list[str]
) -> list[str]:
    """The role, the table and a deleted state machine as the template has them; what cannot be
    repaired is added to ``manual``."""
    done = await _repair_role(conn, dep)
    fixed, cannot = await _repair_table(conn, dep, poll_seconds)
    done += fixed
    manual += [m for m in cannot if m not in manual]
    await read_resources(conn, dep)
    if dep.state_machine is None and dep.state_machine_arn:
        done += await _recreate_state_machine(conn, dep, stack_name)
        await read_resources(conn, dep)
    return done


async def _recreate_state_machine(conn: AwsConnection, dep: Deployment, stack_name: str) -> list[str]:
    """A state machine deleted under the stack: created again under the same name, so under the same
    ARN the stack records (CloudFormation tracks it by that ARN)."""
    props = dep.expected_properties(STATE_MACHINE)
    name = dep.state_machine_arn.rsplit(":", 1)[-1]
    sfn = conn.client("stepfunctions")
    kw: dict[str, Any] = {
        "name": name,
        "definition": json.dumps(dep.expected_definition()),
        "roleArn": str(dep.resolver().attrs.get(f"{ROLE}.Arn")),
        "type": props.get("StateMachineType") or "STANDARD",
    }
    tags = [{"key": t["Key"], "value": str(t["Value"])} for t in props.get("Tags") or []]
    if tags:
        kw["tags"] = tags
    try:
        created = await conn.call(sfn.create_state_machine, **kw)
    except ConsoleError as exc:
        raise ConsoleError(
            exc.kind,
            f"The state machine {dep.state_machine_arn} was deleted outside CloudFormation and could not be "
            f"created again: {exc.message}",
            f"Delete the stack ('aws cloudformation delete-stack --stack-name {stack_name} --region {dep.region}'; "
            "the history table is retained) and run 'drs-console backend deploy' again.",
        ) from exc
    if created.get("stateMachineArn") != dep.state_machine_arn:
        return [f"State machine {name}: created again as {created.get('stateMachineArn')}, but the stack names "
                f"{dep.state_machine_arn}."]
    return [f"State machine {name}: it had been deleted; created again under the ARN the stack records."]


async def _repair_role(conn: AwsConnection, dep: Deployment) -> list[str]:
    if not dep.role_name:
        return []
    iam = conn.client("iam")
    props = dep.expected_properties(ROLE)
    done: list[str] = []
    if dep.role is None:
        kw: dict[str, Any] = {
            "RoleName": dep.role_name,
            "AssumeRolePolicyDocument": json.dumps(props.get("AssumeRolePolicyDocument") or {}),
        }
        if props.get("Description"):
            kw["Description"] = props["Description"]
        if props.get("Path"):
            kw["Path"] = props["Path"]
        await conn.call(iam.create_role, **kw)
        done.append(f"Role {dep.role_name}: it had been deleted; created again with the template's trust policy.")
        dep.role = (await conn.call(iam.get_role, RoleName=dep.role_name))["Role"]
    elif not same_policy(trust_doc(dep.role), props.get("AssumeRolePolicyDocument")):
        await conn.call(iam.update_assume_role_policy, RoleName=dep.role_name,
                        PolicyDocument=json.dumps(props.get("AssumeRolePolicyDocument") or {}))
        done.append(f"Role {dep.role_name}: the template's trust policy was put back.")
    for pol in props.get("Policies") or []:
        name, doc = pol.get("PolicyName"), pol.get("PolicyDocument")
        if name not in dep.role_inline or not same_policy(dep.role_inline[name], doc):
            await conn.call(iam.put_role_policy, RoleName=dep.role_name, PolicyName=name, PolicyDocument=json.dumps(doc))
            done.append(f"Role {dep.role_name}: the inline policy {name} was put back as the template has it.")
    return done


async def _repair_table(conn: AwsConnection, dep: Deployment, poll_seconds: float) -> tuple[list[str], list[str]]:
    fixable, fatal = table_problems(dep)
    region, name = dep.region, dep.table_name
    manual = [
        f"{problem}: the items cannot be converted in place. Export what you need, then delete the table "
        f"('aws dynamodb delete-table --table-name {name} --region {region}') and run 'drs-console backend deploy', "
        "which creates it again."
        for problem in fatal
    ]
    if not fixable or fatal:
        return [], manual
    ddb = conn.client("dynamodb")
    props = dep.expected_properties(TABLE)
    done: list[str] = []
    if dep.table is None:
        kw: dict[str, Any] = {
            k: props[k]
            for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode", "Tags")
            if props.get(k)
        }
        sse = props.get("SSESpecification") or {}
        if sse:
            kw["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", True))}
        await conn.call(ddb.create_table, TableName=name, **kw)
        await _wait_table(conn, name, poll_seconds)
        done.append(f"Table {name}: it did not exist; created as the template has it (empty).")
        await read_resources(conn, dep)
    else:
        have = {g["IndexName"]: g for g in dep.table.get("GlobalSecondaryIndexes") or []}
        for gsi in props.get("GlobalSecondaryIndexes") or []:
            index = gsi["IndexName"]
            problem = next((p for p in fixable if f"index {index} " in p), None)
            if not problem:
                continue
            if index in have:
                await conn.call(ddb.update_table, TableName=name,
                                GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}])
                await _wait_table(conn, name, poll_seconds, gone_index=index)
            create = {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            if props.get("BillingMode") != "PAY_PER_REQUEST" and gsi.get("ProvisionedThroughput"):
                create["ProvisionedThroughput"] = gsi["ProvisionedThroughput"]
            await conn.call(
                ddb.update_table,
                TableName=name,
                # every attribute the template defines (moto replaces the table's list with this one)
                AttributeDefinitions=list(props.get("AttributeDefinitions") or []),
                GlobalSecondaryIndexUpdates=[{"Create": create}],
            )
            await _wait_table(conn, name, poll_seconds)
            done.append(f"Table {name}: {problem}; the index was rebuilt as the template has it.")
    ttl_spec = props.get("TimeToLiveSpecification") or {}
    if ttl_spec.get("AttributeName"):
        ttl = await or_none(conn.call(ddb.describe_time_to_live, TableName=name))
        desc = (ttl or {}).get("TimeToLiveDescription") or {}
        if desc.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or desc.get("AttributeName") != ttl_spec["AttributeName"]:
            await conn.call(ddb.update_time_to_live, TableName=name,
                            TimeToLiveSpecification={"AttributeName": ttl_spec["AttributeName"], "Enabled": True})
            done.append(f"Table {name}: TTL enabled on {ttl_spec['AttributeName']}.")
    pitr = (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")
    if pitr and dep.table is not None and any("did not exist" in x for x in done):
        try:
            await conn.call(ddb.update_continuous_backups, TableName=name,
                            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        except ConsoleError:
            pass
    return done, manual


async def _wait_table(conn: AwsConnection, name: str, poll_seconds: float, *, gone_index: str = "",
                      timeout: float = 900.0) -> None:
    ddb = conn.client("dynamodb")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        t = (await conn.call(ddb.describe_table, TableName=name))["Table"]
        indexes = t.get("GlobalSecondaryIndexes") or []
        busy = t.get("TableStatus") != "ACTIVE" or any(g.get("IndexStatus", "ACTIVE") != "ACTIVE" for g in indexes)
        if gone_index:
            busy = busy or any(g["IndexName"] == gone_index for g in indexes)
        if not busy:
            return
        await asyncio.sleep(poll_seconds)
