"""The state machine's role and the operator's permissions: simulation, else the policy documents."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from ...domain.errors import ConsoleError, ProblemKind
from .. import definition as d
from ..deployment import Deployment, role_problems, trust_doc
from ..session import AwsConnection
from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, deploy_command, finding

OPERATOR_ACTIONS = (
    "drs:DescribeSourceServers",
    "drs:DescribeJobs",
    "states:StartExecution",
    "states:DescribeExecution",
    "states:StopExecution",
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:GetExecutionHistory",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "cloudformation:DescribeStacks",
)
NO_SIMULATION = "the sandbox's IAM does not implement SimulatePrincipalPolicy"


def principal_arn(caller_arn: str) -> str:
    """arn:aws:sts::123:assumed-role/Name/session -> arn:aws:iam::123:role/Name (for simulation)."""
    if ":assumed-role/" in caller_arn:
        prefix, rest = caller_arn.split(":assumed-role/", 1)
        return prefix.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    return caller_arn


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


def _match(pattern: str, value: str, *, case: bool) -> bool:
    return fnmatch.fnmatchcase(value if case else value.lower(), pattern if case else pattern.lower())


def allowed_by_documents(documents: list[Any], action: str, resource: str) -> bool:
    """An Allow statement covers ``action`` on ``resource`` (conditions and Deny not evaluated)."""
    for doc in documents:
        statements = doc.get("Statement") if isinstance(doc, Mapping) else None
        for st in statements if isinstance(statements, list) else [statements] if statements else []:
            if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
                continue
            if "Action" in st:
                ok = any(_match(p, action, case=False) for p in _list(st["Action"]))
            else:
                ok = not any(_match(p, action, case=False) for p in _list(st.get("NotAction")))
            if not ok:
                continue
            if "Resource" in st:
                ok = any(_match(p, resource, case=True) for p in _list(st["Resource"]))
            else:
                ok = not any(_match(p, resource, case=True) for p in _list(st.get("NotResource")))
            if ok:
                return True
    return False


def needed_permissions(dep: Deployment) -> list[tuple[str, str, list[str]]]:
    """(action, resource, states) the deployed definition's Tasks need."""
    deployed = dep.deployed_definition() or {}
    table_arn = str(dep.resolver().attrs.get("HistoryTable.Arn") or "*")
    out = []
    for action, states in sorted(d.required_actions(deployed).items()):
        action, _, on = action.partition("@")
        resource = on or (table_arn if action.startswith("dynamodb:") else "*")
        out.append((action, resource, states))
    return out


async def _simulate(conn: AwsConnection, arn: str, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    iam = conn.client("iam")
    result: dict[tuple[str, str], bool] = {}
    by_resource: dict[str, list[str]] = {}
    for action, resource in pairs:
        by_resource.setdefault(resource, []).append(action)
    for resource, actions in by_resource.items():
        resp = await conn.call(iam.simulate_principal_policy, PolicySourceArn=arn, ActionNames=actions,
                               ResourceArns=[resource])
        for r in resp.get("EvaluationResults") or []:
            result[(r["EvalActionName"], resource)] = r.get("EvalDecision") == "allowed"
    return result


def _why_not_simulated(conn: AwsConnection, exc: BaseException | None) -> str:
    if exc is None or conn.params.is_sandbox:
        return NO_SIMULATION
    text = exc.message if isinstance(exc, ConsoleError) else str(exc)
    if isinstance(exc, ConsoleError) and exc.kind == ProblemKind.ACCESS_DENIED:
        return "iam:SimulatePrincipalPolicy is not allowed for you"
    unparsable = any(s in text for s in ("Unable to parse", "invalid XML", "<html", "<!doctype", "NotImplemented",
                                         "not been implemented", "500", "InternalFailure", "InvalidAction",
                                         "UnknownOperation", "not valid for this web service"))
    if unparsable or not isinstance(exc, ConsoleError):
        return "the IAM endpoint does not implement SimulatePrincipalPolicy"
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"SimulatePrincipalPolicy failed ({first[:120]})"


async def role_check(conn: AwsConnection, dep: Deployment) -> list[DoctorFinding]:
    where = deploy_command(dep.stack_name, dep.region, options=dep.cli_options)
    if not dep.role_name:
        return [finding("role", FAIL, "The state machine has no role to check.", "See the 'resources' check.")]
    if dep.role is None:
        owned = bool(dep.stack)
        return [finding(
            "role", FAIL,
            f"The state machine's role {dep.role_name} does not exist: every Task fails with an access error.",
            f"'{where}' creates it again under the same name." if owned else
            f"Create the role {dep.role_name} again (trusting states.amazonaws.com, with the policies of "
            "resources/backend/template.yaml) in the IAM console, or redeploy the backend with 'backend deploy'.",
            fix=FIX_DEPLOY if owned else "",
        )]
    out: list[DoctorFinding] = []
    trust = trust_doc(dep.role)
    trusts = any(
        st.get("Effect") == "Allow" and "states.amazonaws.com" in _list((st.get("Principal") or {}).get("Service"))
        for st in (trust.get("Statement") or []) if isinstance(st, Mapping)
    ) if isinstance(trust, Mapping) else False
    problems = role_problems(dep) if dep.stack else []
    if not trusts:
        out.append(finding("role", FAIL, f"The role {dep.role_name} does not trust states.amazonaws.com: Step "
                           "Functions cannot assume it.", f"'{where}' puts the template's trust policy back.",
                           fix=FIX_DEPLOY if dep.stack else ""))
    elif problems:
        out.append(finding("role", FAIL, f"The role differs from the template: {'; '.join(problems)}.",
                           f"'{where}' puts the template's policies back.", details=problems, fix=FIX_DEPLOY))
    else:
        wanted = {p.get("PolicyName") for p in (dep.expected_properties("StateMachineRole").get("Policies") or [])}
        extra = [f"inline policy {n}" for n in dep.role_inline if n not in wanted] if dep.stack else []
        extra += [f"attached policy {a}" for a in dep.role_attached]
        if extra:
            commands = [
                f"aws iam detach-role-policy --role-name {dep.role_name} --policy-arn {x.split(' ', 2)[2]}"
                if x.startswith("attached") else
                f"aws iam delete-role-policy --role-name {dep.role_name} --policy-name {x.split(' ', 2)[2]}"
                for x in extra
            ]
            out.append(finding(
                "role", WARN,
                f"The role {dep.role_name} has the template's policies and more, which the template does not "
                f"grant: {', '.join(extra)}.",
                "If nothing else needs them, remove them (the console does not): " + "; ".join(commands) + ".",
                details=extra,
            ))
        else:
            out.append(finding("role", PASS, f"The role {dep.role_name} exists, trusts states.amazonaws.com and has "
                               "the template's policies, no others."))
    out.append(await role_permissions(conn, dep))
    return out


async def role_decisions(conn: AwsConnection, dep: Deployment, pairs: list[tuple[str, str]],
                         ) -> tuple[dict[tuple[str, str], bool] | None, str]:
    """Whether the state machine's role may do each (action, resource): by policy simulation, else by
    reading its policy documents. (decisions, how they were decided), or (None, why neither worked)."""
    assert dep.role is not None
    exc: BaseException | None = None
    if not conn.params.is_sandbox:
        try:
            return await _simulate(conn, dep.role["Arn"], pairs), "policy simulation (SimulatePrincipalPolicy)"
        except Exception as e:  # noqa: BLE001 - denied, unsupported, unparsable: fall back to the documents
            exc = e
    documents = list(dep.role_inline.values()) + await _attached_documents(conn, dep)
    if not documents and exc is not None:
        return None, f"{_why_not_simulated(conn, exc)}, and its policies could not be read"
    return ({(a, r): allowed_by_documents(documents, a, r) for a, r in pairs},
            f"reading its policy documents ({_why_not_simulated(conn, exc)}; conditions and Deny statements were "
            "not evaluated)")


async def role_permissions(conn: AwsConnection, dep: Deployment) -> DoctorFinding:
    assert dep.role is not None
    needed = needed_permissions(dep)
    if not needed:
        return finding("role-permissions", PASS, "The definition's Tasks need no permissions.")
    decisions, how = await role_decisions(conn, dep, [(a, r) for a, r, _ in needed])
    if decisions is None:
        return finding("role-permissions", WARN, f"The role's permissions could not be checked: {how}.",
                       "Allow iam:SimulatePrincipalPolicy or iam:GetRolePolicy and iam:ListRolePolicies to have them "
                       "checked.")
    missing = [f"{a} on {r} (needed by {', '.join(s[:3])})" for a, r, s in needed if not decisions.get((a, r), False)]
    if missing:
        return finding("role-permissions", FAIL,
                       f"The role {dep.role_name} is not allowed: {'; '.join(missing)}. Checked by {how}.",
                       f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' puts the template's policies back."
                       if dep.stack else "Grant these actions to the state machine's role.",
                       details=missing, fix=FIX_DEPLOY if dep.stack else "")
    return finding("role-permissions", PASS,
                   f"The role allows all {len(needed)} actions the definition's Tasks need. Checked by {how}.")


async def _attached_documents(conn: AwsConnection, dep: Deployment) -> list[Any]:
    iam = conn.client("iam")
    docs = []
    for arn in dep.role_attached:
        try:
            pol = (await conn.call(iam.get_policy, PolicyArn=arn))["Policy"]
            ver = await conn.call(iam.get_policy_version, PolicyArn=arn, VersionId=pol["DefaultVersionId"])
            from ..deployment import policy_document

            docs.append(policy_document(ver["PolicyVersion"]["Document"]))
        except ConsoleError:
            continue
    return docs


async def operator_permissions(conn: AwsConnection, caller_arn: str) -> DoctorFinding:
    if not caller_arn:
        return finding("permissions", WARN, "Your permissions were not checked (no identity).", "")
    if conn.params.is_sandbox:
        return finding("permissions", WARN, f"Your permissions were not checked: {NO_SIMULATION} (and it does not "
                       "enforce IAM).", "Run doctor against your AWS account to have them checked.")
    iam = conn.client("iam")
    try:
        resp = await conn.call(iam.simulate_principal_policy, PolicySourceArn=principal_arn(caller_arn),
                               ActionNames=list(OPERATOR_ACTIONS))
    except Exception as exc:  # noqa: BLE001 - denied, unsupported, unparsable: all only a WARN
        return finding("permissions", WARN, f"Your permissions were not checked: {_why_not_simulated(conn, exc)}.",
                       "Ask for iam:SimulatePrincipalPolicy to have them checked, or ignore this.")
    denied = [r["EvalActionName"] for r in resp.get("EvaluationResults") or [] if r.get("EvalDecision") != "allowed"]
    if denied:
        return finding("permissions", FAIL, "You are not allowed: " + ", ".join(denied),
                       "Ask your AWS administrator for these actions.", details=denied)
    return finding("permissions", PASS, f"Allowed all {len(OPERATOR_ACTIONS)} operator actions.")
