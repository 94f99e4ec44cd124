"""The known accounts (`drs-console accounts`): each one's role can be assumed (or its profile
opened) from the connected identity, and DRS is initialized there. One finding per account, named.

A role that cannot be assumed and a DRS that is not initialized FAIL (the account's servers cannot
be read, nor recovered once plans span accounts); anything else (an expired SSO session, the
network, throttling) WARNs.

With the deployed backend, each known account gets a second finding, ``target-role <account>``
(for an account the console reaches by a profile, about the role the state machine assumes there:
target-account.yaml's default, drs-console-target): what a cross-account wave needs of that role (contract 1.2). The hub side: the state
machine's role may call sts:AssumeRole on it (the stack's TargetRoleArns grants exactly those ARNs;
decided as the 'role-permissions' check decides, by simulation or the policy documents). The
target side: the role's trust policy names the state machine's role (or the hub account), read
there with iam:GetRole, the same reading preflight makes (``aws.accounts.role_trusts``)."""

from __future__ import annotations

from collections.abc import Sequence

from ...domain import cross_account as xa
from ...domain.accounts import KnownAccount
from ...domain.errors import ProblemKind
from ..accounts import AccountCheck, AccountConnector, check_accounts, role_trusts
from ..deployment import Deployment, newer_than_console
from ..session import AwsConnection
from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, deploy_command, finding, worst
from .role_checks import role_decisions

FAILING = (ProblemKind.ACCESS_DENIED, ProblemKind.DRS_NOT_INITIALIZED, ProblemKind.BAD_INPUT, ProblemKind.NOT_FOUND)
PARAM_TARGET_ROLES = "TargetRoleArns"  # the template's parameter (aws/deploy.py sets it)
ASSUME = "sts:AssumeRole"


async def known_account_checks(conn: AwsConnection, accounts: Sequence[KnownAccount], hub_arn: str = "",
                               dep: Deployment | None = None) -> list[DoctorFinding]:
    """One finding per account (reached, DRS initialized), each followed, with ``dep`` (the deployed
    backend, its role read), by its ``target-role`` finding when a role reaches it."""
    if not accounts:
        return []
    connector = AccountConnector(conn, hub_arn=hub_arn)
    try:
        results = await check_accounts(connector, accounts)
        roles = await _target_roles(conn, connector, dep, accounts, results) if dep is not None else {}
    finally:
        connector.close()
    out: list[DoctorFinding] = []
    for r in results:
        out.append(_reach_finding(r))
        if r.account.account_id in roles:
            out.append(roles[r.account.account_id])
    return out


def _reach_finding(r: AccountCheck) -> DoctorFinding:
    check = f"account {r.account.account_id}"
    how = "role assumed" if r.account.role_arn else f"profile {r.account.profile} opened"
    if r.ok and r.identity is not None:
        return finding(check, PASS, f"Account {r.account.label}: {how} as {r.identity.arn}; DRS initialized in "
                       f"{r.identity.region}.")
    problem = r.problem
    level = FAIL if problem is not None and problem.kind in FAILING else WARN
    return finding(check, level, problem.message if problem else f"Account {r.account.label} failed.",
                   (problem.remedy if problem else "") or "Run 'drs-console accounts test' for details.")


# -- what the state machine needs of each target role ---------------------------------------------


def target_roles_granted(dep: Deployment) -> list[str]:
    """The stack's TargetRoleArns: the roles its template lets the state machine assume."""
    return [r.strip() for r in dep.parameters.get(PARAM_TARGET_ROLES, "").split(",") if r.strip()]


def grant_command(dep: Deployment, accounts: Sequence[KnownAccount]) -> str:
    """The `backend deploy` that grants every known account's role and keeps those granted now:
    plain when that is its default (the known accounts' roles), else with each --target-role."""
    granted = target_roles_granted(dep)
    known = [xa.state_machine_role(a) for a in accounts]
    base = deploy_command(dep.stack_name, dep.region, options=dep.cli_options)
    if set(granted) <= set(known):
        return f"'{base}' (it sets TargetRoleArns to the known accounts' roles)"
    return "'" + base + "".join(f" --target-role {r}" for r in dict.fromkeys(granted + known)) + "'"


async def _target_roles(conn: AwsConnection, connector: AccountConnector, dep: Deployment,
                        accounts: Sequence[KnownAccount], results: Sequence[AccountCheck]) -> dict[str, DoctorFinding]:
    """Account ID -> its ``target-role`` finding, for each known account (reached by a role, or by a
    profile: then the role target-account.yaml makes there by default). None when the
    state machine or its role is missing (the 'state-machine' and 'role' checks say so)."""
    if not results or dep.state_machine is None or dep.role is None:
        return {}
    sm_role = str(dep.role.get("Arn") or dep.state_machine.get("roleArn") or "")
    # the role the state machine assumes there: the account's role, or (reached by a profile) the
    # role target-account.yaml makes by default: the console's profile is no use to the state machine
    roles = {r.account.account_id: xa.state_machine_role(r.account) for r in results}
    decisions, how = await role_decisions(conn, dep, [(ASSUME, roles[r.account.account_id]) for r in results])
    out = {}
    for r in results:
        role = roles[r.account.account_id]
        trust, note = (await role_trusts(await connector.connection(r.account), role, sm_role,
                                         dep.account)) if r.ok else (None, "")
        allowed = None if decisions is None else decisions.get((ASSUME, role), False)
        out[r.account.account_id] = _target_role_finding(dep, accounts, r, sm_role, allowed, how, trust, note)
    return out


def _target_role_finding(dep: Deployment, accounts: Sequence[KnownAccount], r: AccountCheck, sm_role: str,
                         allowed: bool | None, how: str, trust: bool | None, note: str) -> DoctorFinding:
    account, role = r.account, xa.state_machine_role(r.account)
    check = f"target-role {account.account_id}"
    who = f"the state machine's role {dep.role_name}"
    its_role = f"its role {role}" if account.role_arn else (
        f"the role {role} that target-account.yaml makes there (the console reaches this account with the "
        f"profile {account.profile}; the state machine needs the role)")
    if allowed and trust:
        return finding(check, PASS, f"Account {account.label}: {who} may assume {its_role}, whose trust names it.")
    parts: list[tuple[str, str, str]] = []  # (level, what, what to do)
    fix = ""
    if allowed is None:
        parts.append((WARN, f"whether {who} may assume {its_role} could not be checked: {how}",
                      "Allow iam:SimulatePrincipalPolicy or iam:GetRolePolicy to have it checked."))
    elif not allowed:
        missing = role not in target_roles_granted(dep)
        why = ("the stack's TargetRoleArns does not include it" if dep.stack and missing else
               f"its policies do not allow {ASSUME} on it; checked by {how}")
        if dep.stack and missing:
            todo = f"Redeploy with TargetRoleArns including it: {grant_command(dep, accounts)}."
        elif dep.stack:
            todo = f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' puts the template's " \
                   "policies back."
        else:
            todo = f"Allow {ASSUME} on {role} in the policies of the role {dep.role_name}."
        fix = FIX_DEPLOY if dep.stack and not newer_than_console(dep.deployed_contract) else ""
        parts.append((FAIL, f"{who} may not assume {its_role} ({why}), so a cross-account wave with this "
                      "account's servers fails", todo))
    else:
        parts.append((PASS, f"{who} may assume {its_role}", ""))
    if trust is False:
        parts.append((FAIL, f"the trust policy of {role} names neither the state machine's role ({sm_role}) nor the "
                      f"hub account {dep.account}", xa.TRUST_REMEDY))
    elif trust is None:
        why = note or "the account was not reached, see its 'account' check"
        parts.append((WARN, f"whether {role} trusts the state machine's role could not be verified ({why})",
                      f"Check that its trust policy names the stack output StateMachineRoleArn ({sm_role})."))
    level = worst([finding(check, lv, "") for lv, _w, _t in parts])
    message = f"Account {account.label}: " + "; ".join(w for _lv, w, _t in parts) + "."
    return finding(check, level, message, " ".join(t for _lv, _w, t in parts if t), fix=fix)
