"""Batched DRS and history reads shared by preflight, runs and the monitor.

Batch sizes are the service model's limits (botocore ``drs`` 2020-02-26):
DescribeJobs ``filters.jobIDs`` max 1,000; DescribeSourceServers ``filters.sourceServerIDs`` max 200;
DescribeRecoveryInstances ``filters.recoveryInstanceIDs`` max 200 (``sourceServerIDs`` has no
model limit; we send 200 per call to stay within what the console API documents);
TerminateRecoveryInstances ``recoveryInstanceIDs`` max 200. ``maxResults`` has a minimum of 1 and
no model maximum; we ask for the batch size (at most 1,000) and follow ``nextToken`` anyway.

Every call goes through ``Reader.call`` so that callers can count them (``calls``).
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..domain import contract as c
from ..domain.contract import ExecutionRecord
from ..domain.inventory import SourceServer, server_from_drs
from ..domain.progress import parse_plan
from ..domain.status import ACTIVE_STATUSES
from .backend import deserialize_item
from .session import AwsConnection

JOB_IDS_PER_CALL = 1000
SOURCE_SERVER_IDS_PER_CALL = 200
RECOVERY_INSTANCE_FILTER_PER_CALL = 200
TERMINATE_PER_CALL = 200
PAGE_SIZE = 1000
LIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})
SNAPSHOT_READS_IN_FLIGHT = 8  # DescribeRecoverySnapshots takes one server per call


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def minimum_calls(count: int, limit: int) -> int:
    """The fewest calls that read ``count`` IDs at ``limit`` per call."""
    return math.ceil(count / limit) if count > 0 else 0


class Reader:
    """Reads through one connection, counting calls. ``conn`` may be replaced (re-auth)."""

    def __init__(self, conn: AwsConnection, *, max_attempts: int = 3):
        self.conn = conn
        self.max_attempts = max_attempts
        self.calls = 0
        self.by_operation: Counter[str] = Counter()  # "drs.describe_jobs" -> calls

    def client(self, service: str):
        return self.conn.client(service, max_attempts=self.max_attempts)

    async def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.by_operation[f"{service}.{operation}"] += 1
        client = self.client(service)
        return await self.conn.call(getattr(client, operation), **kwargs)

    # -- DRS -----------------------------------------------------------------------------------
    async def paged(self, operation: str, *, key: str = "items", **kwargs: Any) -> list[dict[str, Any]]:
        """Every page of a DRS list operation (``nextToken``), its ``key`` member's items joined."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            kw = dict(kwargs)
            if token:
                kw["nextToken"] = token
            resp = await self.call("drs", operation, **kw)
            items.extend(resp.get(key) or [])
            token = resp.get("nextToken")
            if not token:
                return items

    async def jobs(self, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(j for j in job_ids if j))
        out: dict[str, dict[str, Any]] = {}
        for batch in chunks(ids, JOB_IDS_PER_CALL):
            for job in await self.paged("describe_jobs", filters={"jobIDs": batch}, maxResults=len(batch)):
                out[str(job.get("jobID"))] = job
        return out

    async def active_jobs(self) -> list[dict[str, Any]]:
        """Every PENDING or STARTED job of the region (DescribeJobs, all pages)."""
        jobs = await self.paged("describe_jobs", filters={}, maxResults=PAGE_SIZE)
        return [j for j in jobs if str(j.get("status", "")).upper() in LIVE_JOB_STATUSES]

    async def all_source_server_items(self) -> list[dict[str, Any]]:
        return await self.paged("describe_source_servers", filters={}, maxResults=PAGE_SIZE)

    async def source_server_items(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(i for i in ids if i))
        out: list[dict[str, Any]] = []
        for batch in chunks(wanted, SOURCE_SERVER_IDS_PER_CALL):
            out.extend(await self.paged(
                "describe_source_servers", filters={"sourceServerIDs": batch}, maxResults=len(batch)
            ))
        return out

    async def source_servers(self, ids: Iterable[str]) -> dict[str, SourceServer]:
        servers = (server_from_drs(i) for i in await self.source_server_items(ids))
        return {s.source_server_id: s for s in servers}

    async def recovery_instances(self, source_server_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(i for i in source_server_ids if i))
        out: list[dict[str, Any]] = []
        for batch in chunks(wanted, RECOVERY_INSTANCE_FILTER_PER_CALL):
            out.extend(
                await self.paged("describe_recovery_instances", filters={"sourceServerIDs": batch},
                                  maxResults=PAGE_SIZE)
            )
        return out

    async def recovery_snapshots(self, source_server_id: str, *, order: str = "DESC",
                                 max_results: int | None = None, limit: int | None = None,
                                 filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """DescribeRecoverySnapshots of one server (``order`` ASC|DESC, ``filters`` fromDateTime /
        toDateTime), following ``nextToken`` until ``limit`` items (None: every page)."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            kw: dict[str, Any] = {"sourceServerID": source_server_id, "order": order}
            if filters:
                kw["filters"] = dict(filters)
            if max_results:
                kw["maxResults"] = max_results
            if token:
                kw["nextToken"] = token
            resp = await self.call("drs", "describe_recovery_snapshots", **kw)
            items.extend(resp.get("items") or [])
            token = resp.get("nextToken")
            if not token or (limit is not None and len(items) >= limit):
                return items[:limit] if limit is not None else items

    async def newest_recovery_snapshots(self, source_server_ids: Iterable[str], *,
                                        concurrency: int = SNAPSHOT_READS_IN_FLIGHT) -> dict[str, dict[str, Any] | None]:
        """Source server ID -> its newest recovery snapshot item (None: it has none). One
        DescribeRecoverySnapshots (DESC, 1 item) per server, ``concurrency`` at a time, in the
        connection's executor (never on the GUI thread)."""
        ids = list(dict.fromkeys(i for i in source_server_ids if i))
        gate = asyncio.Semaphore(max(1, concurrency))

        async def newest(sid: str) -> tuple[str, dict[str, Any] | None]:
            async with gate:
                items = await self.recovery_snapshots(sid, order="DESC", max_results=1, limit=1)
            # whatever order a page came in, the newest is the latest timestamp
            best = max(items, key=lambda i: str(i.get("timestamp") or i.get("expectedTimestamp") or ""),
                       default=None)
            return sid, best

        return dict(await asyncio.gather(*(newest(s) for s in ids)))

    async def job_log(self, job_id: str) -> list[dict[str, Any]]:
        return await self.paged("describe_job_log_items", jobID=job_id, maxResults=PAGE_SIZE)

    # -- history -------------------------------------------------------------------------------
    async def execution_items(self, table: str, execution_id: str) -> list[dict[str, Any]]:
        kw: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": c.execution_pk(execution_id)}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            resp = await self.call("dynamodb", "query", **kw)
            items.extend(deserialize_item(i) for i in resp.get("Items") or [])
            if not resp.get("LastEvaluatedKey"):
                return items
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    async def execution(self, table: str, execution_id: str) -> tuple[ExecutionRecord | None, dict | None]:
        """(the record, the plan it runs from planJson) in one Query."""
        items = await self.execution_items(table, execution_id)
        record = ExecutionRecord.from_items(items)
        head = next((i for i in items if i.get(c.SK) == c.EXECUTION_SK), None)
        return record, parse_plan(head.get("planJson")) if head else None

    async def active_execution_heads(self, table: str) -> list[dict[str, Any]]:
        """Execution items whose status is active (ByStartTime index, every page, filtered), each
        with its planJson (which the index does not project: read by key, for the few active ones)."""
        names = {"#s": "status"}
        values: dict[str, Any] = {":pk": {"S": c.LIST_PK_VALUE}}
        keys = []
        for i, st in enumerate(sorted(ACTIVE_STATUSES)):
            values[f":a{i}"] = {"S": st.value}
            keys.append(f":a{i}")
        kw: dict[str, Any] = {
            "TableName": table,
            "IndexName": c.LIST_INDEX,
            "KeyConditionExpression": f"{c.LIST_PK} = :pk",
            "FilterExpression": f"#s IN ({', '.join(keys)})",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        out: list[dict[str, Any]] = []
        while True:
            resp = await self.call("dynamodb", "query", **kw)
            out.extend(deserialize_item(i) for i in resp.get("Items") or [])
            if not resp.get("LastEvaluatedKey"):
                break
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        for head in out:
            if "planJson" not in head:
                got = await self.call(
                    "dynamodb", "get_item", TableName=table, ConsistentRead=True,
                    Key={c.PK: {"S": str(head.get(c.PK) or "")}, c.SK: {"S": c.EXECUTION_SK}},
                    ProjectionExpression="planJson",
                )
                head.update(deserialize_item(got.get("Item") or {}))
        return out


def instances_by_job(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """DescribeRecoveryInstances items grouped: job ID -> source server ID -> item."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for item in items:
        job = str(item.get("jobID") or "")
        sid = str(item.get("sourceServerID") or "")
        if job and sid:
            out.setdefault(job, {})[sid] = dict(item)
    return out
