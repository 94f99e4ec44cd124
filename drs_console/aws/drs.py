"""DRS reads that return domain objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..domain.inventory import InventorySnapshot, SourceServer, server_from_drs
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

    async def inventory(self, account_id: str, progress: ProgressFn | None = None) -> InventorySnapshot:
        servers = await self.source_servers(progress)
        return InventorySnapshot(
            account_id=account_id,
            region=self.conn.region,
            fetched_at=datetime.now(UTC),
            servers=tuple(servers),
        )
