"""DRS reads that return domain objects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from ..domain.accounts import KnownAccount
from ..domain.errors import ConsoleError
from ..domain.inventory import InventorySnapshot, SourceServer, server_from_drs
from .accounts import AccountConnector, account_error, drs_error
from .session import AwsConnection

ProgressFn = Callable[[int], None]


class DrsService:
    PAGE_SIZE = 200

    def __init__(self, conn: AwsConnection):
        self.conn = conn
        self.client = conn.client("drs")

    async def source_servers(self, progress: ProgressFn | None = None) -> list[SourceServer]:
        """Every source server in the region, page by page (progress gets the count so far)."""
        servers: list[SourceServer] = []
        token: str | None = None
        while True:
            kwargs = {"maxResults": self.PAGE_SIZE}
            if token:
                kwargs["nextToken"] = token
            page = await self.conn.call(self.client.describe_source_servers, **kwargs)
            servers.extend(server_from_drs(item) for item in page.get("items", []))
            if progress:
                progress(len(servers))
            token = page.get("nextToken")
            if not token:
                return servers

    async def inventory(self, account_id: str, progress: ProgressFn | None = None, *,
                        accounts: Sequence[KnownAccount] = (), connector: AccountConnector | None = None,
                        ) -> InventorySnapshot:
        """The connected account's servers and, with ``accounts`` and their ``connector``, every
        known account's (read at the same time). A known account that cannot be read is named in
        ``problems`` (what to do included); the connected account's failure raises."""
        others = [a for a in accounts if a.account_id != account_id] if connector is not None else []
        counts: dict[str, int] = {}

        def counted(key: str) -> ProgressFn:
            def report(n: int) -> None:
                counts[key] = n
                if progress:
                    progress(sum(counts.values()))
            return report

        async def read_other(account: KnownAccount) -> tuple[KnownAccount, list[SourceServer] | ConsoleError]:
            try:
                conn = await connector.connection(account)  # type: ignore[union-attr]
            except ConsoleError as exc:
                return account, account_error(account, exc)
            try:
                return account, await DrsService(conn).source_servers(counted(account.account_id))
            except ConsoleError as exc:
                return account, drs_error(account, conn.region, exc)

        if others:
            hub, *rest = await asyncio.gather(self.source_servers(counted(account_id)), *map(read_other, others))
        else:
            hub, rest = await self.source_servers(counted(account_id)), []
        servers = [_in_account(s, account_id) for s in hub]
        problems: dict[str, str] = {}
        for account, result in rest:
            if isinstance(result, ConsoleError):
                problems[account.account_id] = result.one_line()
            else:
                servers.extend(_in_account(s, account.account_id) for s in result)
        return InventorySnapshot(
            account_id=account_id,
            region=self.conn.region,
            fetched_at=datetime.now(UTC),
            servers=tuple(servers),
            account_names={a.account_id: a.name for a in accounts if a.name},
            problems=problems,
            accounts=(account_id, *(a.account_id for a in others)),
        )


def _in_account(server: SourceServer, account_id: str) -> SourceServer:
    """``server`` with the account it was read from when its ARN named none."""
    return server if server.drs_account_id else replace(server, drs_account_id=account_id)
