"""What is deployed, compared with what `backend deploy` would deploy.

``inspect_deployment`` reads the stack (status, parameters, template, resources) and the resources
themselves (state machine, role, table) into a ``Deployment``; ``expected_properties`` resolves the
template's properties of one resource as they apply to that stack. The comparisons here are used
by doctor (to report) and by ``deploy`` (to repair).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import contract as c
from ..domain.errors import BadInput, ConsoleError, ProblemKind
from . import definition as d
from .backend import BackendService, StackInfo, load_definition, render_template
from .cfn_template import Resolver, parse_template, template_defaults
from .session import AwsConnection

STATE_MACHINE, ROLE, TABLE = "StateMachine", "StateMachineRole", "HistoryTable"
PARAM_HASH, PARAM_REPAIR = "DefinitionHash", "RepairToken"


def newer_than_console(version: str) -> bool:
    return bool(version) and d.version_tuple(version) > d.version_tuple(c.CONTRACT_VERSION)

# -- the deployment as it is ----------------------------------------------------------------------
@dataclass
class Deployment:
    stack_name: str
    region: str
    account: str
    stack: StackInfo | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    resources: dict[str, dict[str, str]] = field(default_factory=dict)  # logical -> type/physical/status
    deployed_template: dict[str, Any] | None = None
    deployed_at: datetime | None = None  # when the stack's last create or update completed
    expected_template: dict[str, Any] = field(default_factory=dict)
    state_machine: dict[str, Any] | None = None  # DescribeStateMachine, definition parsed
    state_machine_arn: str = ""
    role: dict[str, Any] | None = None  # GetRole's Role
    role_name: str = ""
    role_inline: dict[str, Any] = field(default_factory=dict)  # policy name -> document
    role_attached: list[str] = field(default_factory=list)
    table: dict[str, Any] | None = None  # DescribeTable's Table
    table_name: str = ""
    ttl: dict[str, Any] = field(default_factory=dict)
    cli_options: str = ""  # the connection's CLI options, so a printed remedy runs where doctor looked

    def physical(self, logical: str) -> str:
        return self.resources.get(logical, {}).get("physical", "")

    @property
    def deployed_contract(self) -> str:
        if self.stack and self.stack.outputs.get(c.OUTPUT_CONTRACT_VERSION):
            return self.stack.outputs[c.OUTPUT_CONTRACT_VERSION]
        if self.state_machine:
            return c.contract_version_of(self.state_machine.get("definition") or {}) or ""
        return ""

    def resolver(self, params: Mapping[str, str] | None = None) -> Resolver:
        template = self.expected_template
        values = template_defaults(template) | dict(self.parameters) | dict(params or {})
        partition = "aws"
        role_arn = (self.role or {}).get("Arn") or (
            f"arn:{partition}:iam::{self.account}:role/{self.role_name}" if self.role_name else ""
        )
        table_arn = (self.table or {}).get("TableArn") or (
            f"arn:{partition}:dynamodb:{self.region}:{self.account}:table/{self.table_name}" if self.table_name else ""
        )
        return Resolver(
            params=values,
            pseudo={
                "AWS::AccountId": self.account,
                "AWS::Region": self.region,
                "AWS::Partition": partition,
                "AWS::StackName": self.stack_name,
                "AWS::URLSuffix": "amazonaws.com",
            },
            physical={
                STATE_MACHINE: self.state_machine_arn,
                ROLE: self.role_name,
                TABLE: self.table_name,
            },
            attrs={f"{ROLE}.Arn": role_arn, f"{TABLE}.Arn": table_arn, f"{STATE_MACHINE}.Arn": self.state_machine_arn},
            conditions=template.get("Conditions") or {},
            list_params=frozenset(k for k, v in (template.get("Parameters") or {}).items()
                                  if str((v or {}).get("Type")) == "CommaDelimitedList"),
        )

    def expected_properties(self, logical: str) -> dict[str, Any]:
        res = (self.expected_template.get("Resources") or {}).get(logical) or {}
        return self.resolver().value(res.get("Properties") or {})

    def expected_definition(self) -> dict[str, Any]:
        props = self.expected_properties(STATE_MACHINE)
        raw = props.get("DefinitionString")
        base = json.loads(raw) if isinstance(raw, str) and raw else load_definition()
        subs = props.get("DefinitionSubstitutions") or {}
        return d.substitute(base, {str(k): str(v) for k, v in subs.items()})

    def deployed_definition(self) -> dict[str, Any] | None:
        if not self.state_machine:
            return None
        value = self.state_machine.get("definition")
        return value if isinstance(value, dict) else None


def _is_missing(exc: ConsoleError) -> bool:
    text = exc.message
    return exc.kind == ProblemKind.NOT_FOUND or any(
        s in text for s in ("does not exist", "NoSuchEntity", "not found", "ResourceNotFound", "cannot be found")
    )


async def or_none(coro) -> Any:
    try:
        return await coro
    except ConsoleError as exc:
        if _is_missing(exc):
            return None
        raise


async def inspect_deployment(conn: AwsConnection, stack_name: str, *, account: str = "") -> Deployment:
    """Read the stack and the resources it says it has."""
    backend = BackendService(conn)
    if not account:
        account = (await conn.identity()).account_id
    dep = Deployment(stack_name, conn.region, account, expected_template=parse_template(render_template()),
                     cli_options=cli_options(conn))
    cfn = conn.client("cloudformation")
    dep.stack = await backend.stack(stack_name)
    if dep.stack is None:
        return dep
    described = await conn.call(cfn.describe_stacks, StackName=stack_name)
    raw = (described.get("Stacks") or [{}])[0]
    dep.parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters") or []}
    resp = await or_none(conn.call(cfn.describe_stack_resources, StackName=stack_name))
    for r in (resp or {}).get("StackResources") or []:
        dep.resources[r["LogicalResourceId"]] = {
            "type": r.get("ResourceType", ""),
            "physical": r.get("PhysicalResourceId", "") or "",
            "status": r.get("ResourceStatus", ""),
        }
    dep.deployed_at = await _last_deployment(conn, stack_name)
    tpl = await or_none(conn.call(cfn.get_template, StackName=stack_name))
    if tpl and tpl.get("TemplateBody"):
        try:
            dep.deployed_template = parse_template(tpl["TemplateBody"])
        except BadInput:
            dep.deployed_template = {}
    dep.state_machine_arn = dep.physical(STATE_MACHINE) or dep.stack.outputs.get(c.OUTPUT_STATE_MACHINE_ARN, "")
    dep.table_name = dep.physical(TABLE) or dep.stack.outputs.get(c.OUTPUT_HISTORY_TABLE, "")
    role = dep.physical(ROLE)
    dep.role_name = role.rsplit("/", 1)[-1] if role else ""
    await read_resources(conn, dep)
    return dep


async def _last_deployment(conn: AwsConnection, stack_name: str) -> datetime | None:
    """When the stack's last CREATE_COMPLETE or UPDATE_COMPLETE happened (its newest events page)."""
    cfn = conn.client("cloudformation")
    resp = await or_none(conn.call(cfn.describe_stack_events, StackName=stack_name))
    for ev in (resp or {}).get("StackEvents") or []:  # newest first
        if ev.get("ResourceType") == "AWS::CloudFormation::Stack" and ev.get("ResourceStatus") in (
            "CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"
        ):
            return ev.get("Timestamp")
    return None


async def read_resources(conn: AwsConnection, dep: Deployment) -> None:
    """(Re)read the state machine, role and table of ``dep``."""
    sfn, iam, ddb = conn.client("stepfunctions"), conn.client("iam"), conn.client("dynamodb")
    dep.state_machine = None
    if dep.state_machine_arn:
        sm = await or_none(conn.call(sfn.describe_state_machine, stateMachineArn=dep.state_machine_arn))
        if sm is not None:
            sm = dict(sm)
            try:
                sm["definition"] = json.loads(sm.get("definition") or "{}")
            except ValueError:
                sm["definition"] = {"(unparsable)": sm.get("definition")}
            dep.state_machine = sm
            if not dep.role_name and sm.get("roleArn"):
                dep.role_name = str(sm["roleArn"]).rsplit("/", 1)[-1]
    dep.role, dep.role_inline, dep.role_attached = None, {}, []
    if dep.role_name:
        got = await or_none(conn.call(iam.get_role, RoleName=dep.role_name))
        if got is not None:
            dep.role = got["Role"]
            names = (await conn.call(iam.list_role_policies, RoleName=dep.role_name)).get("PolicyNames") or []
            for name in names:
                doc = (await conn.call(iam.get_role_policy, RoleName=dep.role_name, PolicyName=name))["PolicyDocument"]
                dep.role_inline[name] = policy_document(doc)
            attached = await conn.call(iam.list_attached_role_policies, RoleName=dep.role_name)
            dep.role_attached = [p["PolicyArn"] for p in attached.get("AttachedPolicies") or []]
    dep.table, dep.ttl = None, {}
    if dep.table_name:
        got = await or_none(conn.call(ddb.describe_table, TableName=dep.table_name))
        if got is not None:
            dep.table = got["Table"]
            ttl = await or_none(conn.call(ddb.describe_time_to_live, TableName=dep.table_name))
            dep.ttl = (ttl or {}).get("TimeToLiveDescription") or {}


def policy_document(doc: Any) -> Any:
    if isinstance(doc, str):
        from urllib.parse import unquote

        text = unquote(doc)
        try:
            return json.loads(text)
        except ValueError:
            import ast

            try:  # moto's CloudFormation stores inline policies as Python literals
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return {}
            return value if isinstance(value, dict) else {}
    return doc


def trust_doc(role: Mapping[str, Any]) -> Any:
    return policy_document(role.get("AssumeRolePolicyDocument") or {})


def same_policy(a: Any, b: Any) -> bool:
    """Policy documents equal up to one-element lists vs scalars and key order."""

    def norm(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: norm(x) for k, x in sorted(v.items())}
        if isinstance(v, list):
            items = [norm(x) for x in v]
            if len(items) == 1:
                return items[0]
            return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
        return v

    return norm(a) == norm(b)


# -- comparisons both doctor and deploy use -------------------------------------------------------
def definition_differs(dep: Deployment) -> bool:
    deployed = dep.deployed_definition()
    return deployed is None or d.canonical(deployed) != d.canonical(dep.expected_definition())


def role_arn_differs(dep: Deployment) -> bool:
    if not dep.state_machine or not dep.role:
        return False
    return dep.state_machine.get("roleArn") != dep.role.get("Arn")


def role_problems(dep: Deployment) -> list[str]:
    """How the role differs from the template: missing, trust policy, inline policies."""
    if not dep.role_name:
        return ["the stack has no state machine role"]
    if dep.role is None:
        return [f"the role {dep.role_name} does not exist (deleted outside CloudFormation)"]
    props = dep.expected_properties(ROLE)
    out = []
    if not same_policy(trust_doc(dep.role), props.get("AssumeRolePolicyDocument")):
        out.append(f"the trust policy of {dep.role_name} differs from the template")
    for pol in props.get("Policies") or []:
        name = pol.get("PolicyName")
        if name not in dep.role_inline:
            out.append(f"the inline policy {name} of {dep.role_name} is missing")
        elif not same_policy(dep.role_inline[name], pol.get("PolicyDocument")):
            out.append(f"the inline policy {name} of {dep.role_name} differs from the template")
    return out


def table_problems(dep: Deployment) -> tuple[list[str], list[str]]:
    """(repairable, not repairable) differences of the table from the template."""
    if not dep.table_name:
        return [], ["the stack has no history table"]
    if dep.table is None:
        return [f"the table {dep.table_name} does not exist"], []
    props = dep.expected_properties(TABLE)
    fixable, fatal = [], []
    types = {a["AttributeName"]: a["AttributeType"] for a in dep.table.get("AttributeDefinitions") or []}
    want_types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions") or []}
    keys = keys_of(dep.table.get("KeySchema"))
    want_keys = keys_of(props.get("KeySchema"))
    if keys != want_keys or any(types.get(k) != want_types.get(k) for k in want_keys):
        fatal.append(
            f"the table {dep.table_name} has keys {_key_text(keys, types)}, not {_key_text(want_keys, want_types)}"
        )
    have = {g["IndexName"]: g for g in dep.table.get("GlobalSecondaryIndexes") or []}
    for gsi in props.get("GlobalSecondaryIndexes") or []:
        name = gsi["IndexName"]
        got = have.get(name)
        if got is None:
            fixable.append(f"the index {name} is missing")
            continue
        gk, wk = keys_of(got.get("KeySchema")), keys_of(gsi.get("KeySchema"))
        if gk != wk or any(types.get(k) != want_types.get(k) for k in wk):
            fixable.append(f"the index {name} has keys {_key_text(gk, types)}, not {_key_text(wk, want_types)}")
        elif not _same_projection(got.get("Projection") or {}, gsi.get("Projection") or {}):
            fixable.append(
                f"the index {name} projects {_projection_text(got.get('Projection') or {})}, "
                f"not {_projection_text(gsi.get('Projection') or {})}"
            )
    ttl_want = (props.get("TimeToLiveSpecification") or {}).get("AttributeName")
    if ttl_want:
        status = dep.ttl.get("TimeToLiveStatus", "DISABLED")
        attr = dep.ttl.get("AttributeName", "")
        if status not in ("ENABLED", "ENABLING") or attr != ttl_want:
            fixable.append(f"TTL is {status}{' on ' + attr if attr else ''}, not ENABLED on {ttl_want}")
    return fixable, fatal


def keys_of(schema: Any) -> dict[str, str]:
    return {k["AttributeName"]: k["KeyType"] for k in schema or []}


def _key_text(keys: Mapping[str, str], types: Mapping[str, str]) -> str:
    return ", ".join(f"{k} ({types.get(k, '?')}, {t})" for k, t in keys.items()) or "none"


def _same_projection(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("ProjectionType") == b.get("ProjectionType") and sorted(a.get("NonKeyAttributes") or []) == sorted(
        b.get("NonKeyAttributes") or []
    )


def _projection_text(p: Mapping[str, Any]) -> str:
    extra = p.get("NonKeyAttributes")
    return f"{p.get('ProjectionType', '?')}" + (f" {sorted(extra)}" if extra else "")


def template_changes(dep: Deployment) -> list[str]:
    """How the stack's deployed template differs from what `backend deploy` would deploy, by resource."""
    if dep.deployed_template is None:
        return []
    old, new = dep.deployed_template, dep.expected_template
    out = []
    old_res, new_res = old.get("Resources") or {}, new.get("Resources") or {}
    for name in sorted(set(old_res) | set(new_res)):
        if name not in old_res:
            out.append(f"{name}: would be added")
        elif name not in new_res:
            out.append(f"{name}: would be removed")
        elif old_res[name] != new_res[name]:
            fields = sorted(
                k for k in set(old_res[name].get("Properties") or {}) | set(new_res[name].get("Properties") or {})
                if (old_res[name].get("Properties") or {}).get(k) != (new_res[name].get("Properties") or {}).get(k)
            )
            out.append(f"{name}: {', '.join(fields) or 'attributes'} would change")
    for section in ("Parameters", "Outputs", "Conditions"):
        if (old.get(section) or {}) != (new.get(section) or {}):
            out.append(f"{section}: would change")
    return out


def cli_options(conn: AwsConnection) -> str:
    """``--profile P --endpoint-url URL`` for a remedy command, as the connection was made."""
    params = conn.params
    out = ""
    if params.is_sandbox:
        return " --sandbox"
    if params.profile:
        out += f" --profile {params.profile}"
    if params.endpoint_url:
        out += f" --endpoint-url {params.endpoint_url}"
    return out
