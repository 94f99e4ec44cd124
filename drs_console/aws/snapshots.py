"""Recovery snapshots of source servers: DescribeRecoverySnapshots (one server per call, every
page, ``filters.fromDateTime``/``toDateTime``), run on the connection's executor like every AWS
call (never on the GUI thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime

from ..domain.snapshots import RecoverySnapshot, newest_first, snapshot_from_drs
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
