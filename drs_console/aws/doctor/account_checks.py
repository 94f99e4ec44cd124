"""The known accounts (`drs-console accounts`): each one's role can be assumed (or its profile
opened) from the connected identity, and DRS is initialized there. One finding per account, named.

A role that cannot be assumed and a DRS that is not initialized FAIL (the account's servers cannot
be read, nor recovered once plans span accounts); anything else (an expired SSO session, the
network, throttling) WARNs."""

from __future__ import annotations

from collections.abc import Sequence

from ...domain.accounts import KnownAccount
from ...domain.errors import ProblemKind
from ..accounts import AccountConnector, check_accounts
from ..session import AwsConnection
from .findings import FAIL, PASS, WARN, DoctorFinding, finding

FAILING = (ProblemKind.ACCESS_DENIED, ProblemKind.DRS_NOT_INITIALIZED, ProblemKind.BAD_INPUT, ProblemKind.NOT_FOUND)


async def known_account_checks(conn: AwsConnection, accounts: Sequence[KnownAccount], hub_arn: str = "",
                               ) -> list[DoctorFinding]:
    if not accounts:
        return []
    connector = AccountConnector(conn, hub_arn=hub_arn)
    try:
        results = await check_accounts(connector, accounts)
    finally:
        connector.close()
    out: list[DoctorFinding] = []
    for r in results:
        check = f"account {r.account.account_id}"
        how = "role assumed" if r.account.role_arn else f"profile {r.account.profile} opened"
        if r.ok and r.identity is not None:
            out.append(finding(check, PASS, f"Account {r.account.label}: {how} as {r.identity.arn}; DRS initialized "
                               f"in {r.identity.region}."))
            continue
        problem = r.problem
        level = FAIL if problem is not None and problem.kind in FAILING else WARN
        out.append(finding(check, level, problem.message if problem else f"Account {r.account.label} failed.",
                           (problem.remedy if problem else "") or "Run 'drs-console accounts test' for details."))
    return out
