"""Recovery snapshots of source servers: DescribeRecoverySnapshots (one server per call, every
page, ``filters.fromDateTime``/``toDateTime``), run on the connection's executor like every AWS
call (never on the GUI thread). ``of_plan_servers``: a plan's servers that other accounts hold in
DRS are read there (the known account's connection), the rest with the connected account's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from ..domain.accounts import KnownAccount
from ..domain.errors import ConsoleError, ProblemKind
from ..domain.snapshots import RecoverySnapshot, newest_first, snapshot_from_drs
from ..domain.wording import plural
from .accounts import AccountConnector
from .drs_batch import SNAPSHOT_READS_IN_FLIGHT, Reader
from .session import AwsConnection

PAGE_SIZE = 1000


def drs_time(dt: datetime) -> str:
    """The filter's timestamp text: '2026-12-01T03:12:00.000Z'."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class SnapshotService:
    def __init__(self, conn: AwsConnection, reader: Reader | None = None):
        self.reader = reader or Reader(conn)

    async def unknown_servers(self, server_ids: Iterable[str]) -> list[str]:
        """The IDs DescribeSourceServers does not know (in the order given)."""
        ids = list(dict.fromkeys(server_ids))
        found = await self.reader.source_servers(ids)
        return [i for i in ids if i not in found]

    async def of_server(self, server_id: str, *, since: datetime | None = None,
                        until: datetime | None = None) -> list[RecoverySnapshot]:
        """Every recovery snapshot of one server in [since, until], newest first (all pages)."""
        filters: dict[str, str] = {}
        if since is not None:
            filters["fromDateTime"] = drs_time(since)
        if until is not None:
            filters["toDateTime"] = drs_time(until)
        out: list[RecoverySnapshot] = []
        token = None
        while True:
            kw: dict = {"sourceServerID": server_id, "order": "DESC", "maxResults": PAGE_SIZE}
            if filters:
                kw["filters"] = filters
            if token:
                kw["nextToken"] = token
            resp = await self.reader.call("drs", "describe_recovery_snapshots", **kw)
            out.extend(s for s in map(snapshot_from_drs, resp.get("items") or []) if s is not None)
            token = resp.get("nextToken")
            if not token:
                return newest_first(out)

    async def of_servers(self, server_ids: Iterable[str], *, since: datetime | None = None,
                         until: datetime | None = None) -> dict[str, list[RecoverySnapshot]]:
        """Server ID -> its snapshots (newest first), ``SNAPSHOT_READS_IN_FLIGHT`` servers at a time."""
        ids = list(dict.fromkeys(server_ids))
        gate = asyncio.Semaphore(SNAPSHOT_READS_IN_FLIGHT)

        async def one(sid: str) -> tuple[str, list[RecoverySnapshot]]:
            async with gate:
                return sid, await self.of_server(sid, since=since, until=until)

        return dict(await asyncio.gather(*(one(s) for s in ids)))


async def of_plan_servers(conn: AwsConnection, server_ids: Iterable[str], *, since: datetime | None = None,
                          account_of: Mapping[str, str] | None = None, accounts: Sequence[KnownAccount] = (),
                          hub_account: str = "", connector: AccountConnector | None = None
                          ) -> dict[str, list[RecoverySnapshot]]:
    """``of_servers`` of a plan's servers, each read in the account that holds it in DRS:
    ``account_of`` (server -> its ``accountId``; absent or ``hub_account``: the connected one's)
    through ``accounts`` (the known accounts). A server of an account that is not known: ConsoleError
    saying how to add it (DRS in the connected account does not know the server)."""
    ids = list(dict.fromkeys(server_ids))
    groups: dict[str, list[str]] = {}
    for sid in ids:
        account = (account_of or {}).get(sid, "")
        groups.setdefault("" if account == hub_account else account, []).append(sid)
    known = {a.account_id: a for a in accounts}
    unknown = [a for a in groups if a and a not in known]
    if unknown:
        a = unknown[0]
        raise ConsoleError(ProblemKind.NOT_FOUND,
                           f"Account {a} holds {plural(len(groups[a]), 'server')} of the plan but is not a known "
                           "account: its recovery snapshots cannot be read.",
                           f"Add it: 'drs-console accounts add {a} --role-arn ARN' (or --profile NAME).")
    own = connector is None and any(groups)
    connector = connector or AccountConnector(conn)
    try:
        out: dict[str, list[RecoverySnapshot]] = {}
        for account, members in groups.items():
            reader_conn = await connector.connection(known[account]) if account else conn
            out.update(await SnapshotService(reader_conn).of_servers(members, since=since))
        return out
    finally:
        if own:
            connector.close()
