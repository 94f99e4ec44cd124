"""Plans whose servers other accounts recover (contract 1.2): which account recovers each server,
the role the state machine assumes there, and the preflight rules per account. Pure Python."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .accounts import KnownAccount
from .plan import Plan
from .wording import noun, plural

# the role resources/backend/target-account.yaml makes (its RoleName default)
DEFAULT_TARGET_ROLE_NAME = "drs-console-target"
# what to do when a target role's trust does not name the hub state machine's role (preflight, doctor)
TRUST_REMEDY = ("Update target-account.yaml in that account with HubPrincipalArns naming the stack output "
                "StateMachineRoleArn (or the hub account).")


def plan_server_accounts(plan: Plan, hub_account: str) -> dict[str, str]:
    """Source server ID -> the account that recovers it, for every explicit server of ``plan``: its
    ``accountId``, else the connected (hub) account, which preflight's target check requires to be
    the plan's target account (or a drill overriding it). Servers a tag selector adds are the hub's
    (the selector matches the connected account's inventory)."""
    default = hub_account
    return {ref.source_server_id: ref.recovering_account(default) for w in plan.waves for ref in w.servers}


def other_accounts(account_of: Mapping[str, str], hub_account: str) -> list[str]:
    """The accounts besides the hub that recover servers of the plan, in first-seen order."""
    return [a for a in dict.fromkeys(account_of.values()) if a and a != hub_account]


def state_machine_role(account: KnownAccount) -> str:
    """The role in ``account`` the state machine assumes: the account's role, or (an account reached
    by a profile) the role target-account.yaml makes there by default."""
    if account.role_arn:
        return account.role_arn
    return f"arn:aws:iam::{account.account_id}:role/{DEFAULT_TARGET_ROLE_NAME}"


def trust_names(policy: Any, principal_arn: str, hub_account: str) -> bool:
    """Whether a role's trust policy (document or JSON text) lets ``principal_arn`` (the hub state
    machine's role) assume it: an Allow of sts:AssumeRole naming that ARN, the hub's root or account."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    statements = (policy or {}).get("Statement") if isinstance(policy, Mapping) else None
    for st in statements if isinstance(statements, list) else [statements] if statements else []:
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        names = principal.get("AWS") if isinstance(principal, Mapping) else principal
        names = names if isinstance(names, list) else [names]
        for name in names:
            name = str(name or "")
            if name in (principal_arn, hub_account, f"arn:aws:iam::{hub_account}:root", "*"):
                return True
    return False


@dataclass(frozen=True)
class AccountReach:
    """What preflight found reaching one account of the plan."""

    account_id: str
    label: str
    role_arn: str = ""  # the role the state machine assumes there
    problem: str = ""  # why it cannot be reached ("" when reached)
    remedy: str = ""
    trust: bool | None = None  # the role's trust names the hub state machine's role (None: unverified)
    trust_note: str = ""
    job_quota: int = 0
    job_quota_source: str = ""


def check_accounts(reaches: Sequence[AccountReach], state_machine_role_arn: str) -> list[Any]:
    """Every other account of the plan known and reachable (BLOCK naming it), and its role trusting
    the hub state machine's role (BLOCK when it does not, WARN when it cannot be verified)."""
    from .preflight import Check, Level

    out = []
    for r in reaches:
        if r.problem:
            out.append(Check("accounts", Level.BLOCK, r.problem, r.remedy))
            continue
        if r.trust is False:
            out.append(Check("accounts", Level.BLOCK,
                             f"Account {r.label}: the trust policy of {r.role_arn} does not name the backend "
                             f"state machine's role {state_machine_role_arn or '(unknown)'}.",
                             TRUST_REMEDY))
        elif r.trust is None:
            out.append(Check("accounts", Level.WARN,
                             f"Account {r.label}: reached; whether {r.role_arn} trusts the backend state machine "
                             f"could not be verified ({r.trust_note}).",
                             "Check its trust policy names the stack output StateMachineRoleArn."))
        else:
            out.append(Check("accounts", Level.PASS,
                             f"Account {r.label}: reached; the state machine assumes {r.role_arn}, which trusts it."))
    return out


def check_account_quotas(waves: Sequence[Any], account_of: Mapping[str, str], hub_account: str,
                         reaches: Iterable[AccountReach]) -> list[Any]:
    """Each wave's group of an account (one DRS job there) fits that account's per-job quota."""
    from .preflight import START_RECOVERY_MAX, Check, Level

    quotas = {r.account_id: r for r in reaches if not r.problem}
    out = []
    for w in waves:
        counts: dict[str, int] = {}
        for sid in w.server_ids:
            account = account_of.get(sid) or hub_account
            counts[account] = counts.get(account, 0) + 1
        for account, n in counts.items():
            reach = quotas.get(account)
            if reach is None or account == hub_account:
                continue
            limit = min(reach.job_quota, START_RECOVERY_MAX) if reach.job_quota > 0 else START_RECOVERY_MAX
            if n > limit:
                out.append(Check("quota", Level.BLOCK,
                                 f'wave {w.index + 1} "{w.name}" has {plural(n, "server")} of account {reach.label}, '
                                 f"more than {limit} per recovery job there (quota {reach.job_quota}, "
                                 f"{reach.job_quota_source}).",
                                 "Split the wave, or request a quota increase in that account.",
                                 wave_index=w.index))
    return out


def accounts_line(account_of: Mapping[str, str], hub_account: str, labels: Mapping[str, str]) -> str:
    """'Accounts: hub 123... (5 servers), Target 1 (210...) (2 servers)' for the preflight text."""
    counts: dict[str, int] = {}
    for account in account_of.values():
        counts[account or hub_account] = counts.get(account or hub_account, 0) + 1
    parts = [f"{labels.get(a, a)} ({plural(n, 'server')})" for a, n in counts.items()]
    return f"{noun(len(parts), 'Account')}: " + ", ".join(parts)
