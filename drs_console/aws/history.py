"""The history table: list every execution, preview a prune, and run it batch by batch.

The decisions (scope, what is preserved, batching, accounting) are ``domain.history``; this module
only reads and writes. Every call goes through ``AwsConnection.call``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..domain import contract as c
from ..domain import history as h
from ..domain.errors import ConsoleError, ProblemKind
from .backend import deserialize_item
from .session import AwsConnection

log = logging.getLogger(__name__)

PageCallback = Callable[[list[h.HistoryRow], int], None]  # (rows of this page, rows so far)
ProgressCallback = Callable[[int, int], None]  # (executions settled, executions to settle)
BatchHook = Callable[[int, h.Transaction], Awaitable[None] | None]

MAX_TRANSIENT_RETRIES = 6
BACKOFF_BASE = 0.2
BACKOFF_CAP = 5.0


def _serialize(value: Any) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer().serialize(value)


class PruneControl:
    """Lets the caller stop a prune between batches (never in the middle of one)."""

    def __init__(self) -> None:
        self.stop_requested = False

    def cancel(self) -> None:
        self.stop_requested = True


class HistoryService:
    """History reads and the safe prune, for one connection and one history table."""

    def __init__(self, conn: AwsConnection, table: str, *, backoff_base: float = BACKOFF_BASE):
        self.conn = conn
        self.table = table
        self.ddb = conn.client("dynamodb")
        self.backoff_base = backoff_base

    # -- listing -------------------------------------------------------------------------------
    async def pages(self, *, page_size: int | None = None) -> AsyncIterator[list[h.HistoryRow]]:
        """Every execution, newest first, one page of the ByStartTime index at a time."""
        kw: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": c.LIST_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": c.LIST_PK},
            "ExpressionAttributeValues": {":pk": {"S": c.LIST_PK_VALUE}},
            "ScanIndexForward": False,
        }
        if page_size:
            kw["Limit"] = page_size
        while True:
            try:
                resp = await self.conn.call(self.ddb.query, **kw)
            except ConsoleError as exc:
                if exc.kind is ProblemKind.NOT_FOUND:
                    raise ConsoleError(
                        ProblemKind.NOT_FOUND,
                        f"The history table {self.table!r} (index {c.LIST_INDEX}) does not exist in {self.conn.region}.",
                        "Check --history-table, or deploy the backend with 'drs-console backend deploy'.",
                    ) from exc
                raise
            rows = []
            for raw in resp.get("Items") or []:
                row = h.HistoryRow.from_item(deserialize_item(raw))
                if row is not None:
                    rows.append(row)
            yield rows
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            kw["ExclusiveStartKey"] = last

    async def list_all(self, on_page: PageCallback | None = None, *, page_size: int | None = None) -> list[h.HistoryRow]:
        """Every execution in the table (all pages). ``on_page`` sees each page as it arrives."""
        out: list[h.HistoryRow] = []
        seen: set[str] = set()
        async for page in self.pages(page_size=page_size):
            fresh = [r for r in page if r.execution_id not in seen]
            seen.update(r.execution_id for r in fresh)
            out.extend(fresh)
            if on_page is not None:
                on_page(fresh, len(out))
        return out

    # -- wave items and DRS jobs ---------------------------------------------------------------
    async def wave_items(self, rows: Iterable[h.HistoryRow]) -> dict[str, list[dict[str, Any]]]:
        """The wave items of each execution (consistent reads): BatchGetItem on WAVE#0001..n
        where waveCount is known, a Query on the execution's key otherwise."""
        out: dict[str, list[dict[str, Any]]] = {}
        keys: list[dict[str, Any]] = []
        for row in rows:
            out.setdefault(row.execution_id, [])
            if not row.wave_count_known:
                out[row.execution_id] = await self._query_waves(row.execution_id)
                continue
            pk = c.execution_pk(row.execution_id)
            keys.extend({"PK": {"S": pk}, "SK": {"S": c.wave_sk(i)}} for i in range(row.wave_count))
        for batch in h.chunks(keys, h.MAX_BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self.table: {"Keys": batch, "ConsistentRead": True, "ProjectionExpression": "PK, SK, jobId"}
            }
            attempt = 0
            while request:
                resp = await self.conn.call(self.ddb.batch_get_item, RequestItems=request)
                for raw in (resp.get("Responses") or {}).get(self.table, []):
                    item = deserialize_item(raw)
                    eid = str(item.get("PK", ""))[len("EXEC#") :]
                    out.setdefault(eid, []).append(item)
                request = resp.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    await asyncio.sleep(self._backoff(attempt))
        return out

    async def _query_waves(self, execution_id: str) -> list[dict[str, Any]]:
        kw: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :w)",
            "ExpressionAttributeValues": {
                ":pk": {"S": c.execution_pk(execution_id)},
                ":w": {"S": c.WAVE_SK_PREFIX},
            },
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            resp = await self.conn.call(self.ddb.query, **kw)
            items.extend(deserialize_item(i) for i in resp.get("Items") or [])
            if not resp.get("LastEvaluatedKey"):
                return items
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    async def live_jobs(self, job_ids: Iterable[str]) -> tuple[set[str], int]:
        """(the job IDs DRS reports PENDING or STARTED, number of DescribeJobs calls), asking for
        up to 1000 job IDs per call (the filter's limit)."""
        drs = self.conn.client("drs")
        live: set[str] = set()
        calls = 0
        for batch in h.chunks(h.valid_job_ids(job_ids), h.MAX_JOB_IDS_PER_DESCRIBE):
            token = None
            while True:
                kw: dict[str, Any] = {"filters": {"jobIDs": batch}, "maxResults": len(batch)}
                if token:
                    kw["nextToken"] = token
                resp = await self.conn.call(drs.describe_jobs, **kw)
                calls += 1
                for job in resp.get("items") or []:
                    if str(job.get("status", "")).upper() in h.LIVE_JOB_STATUSES:
                        live.add(job.get("jobID", ""))
                token = resp.get("nextToken")
                if not token:
                    break
        return live, calls

    # -- prune ---------------------------------------------------------------------------------
    async def preview(
        self, rows: Iterable[h.HistoryRow], scope: h.PruneScope, *, now: datetime | None = None
    ) -> h.PrunePreview:
        """What a prune of ``scope`` over ``rows`` would delete and preserve (reads only)."""
        rows = list(rows)
        now = now or datetime.now(UTC)
        terminal, _kept, _out = h.split_scope(rows, scope, now)
        checked = [r for r in terminal if h.needs_job_check(r)]
        job_ids_of: dict[str, list[str]] = {}
        live: set[str] = set()
        if checked:
            waves = await self.wave_items(checked)
            for eid, items in waves.items():
                job_ids_of[eid] = [str(i.get("jobId")) for i in items if i.get("jobId")]
            live, _calls = await self.live_jobs(j for ids in job_ids_of.values() for j in ids)
        preview = h.build_preview(
            rows, scope, now, job_ids_of=job_ids_of, live_job_ids=live,
            jobs_checked=len(h.valid_job_ids(j for ids in job_ids_of.values() for j in ids)),
        )
        return await self._resolve_unknown_waves(preview)

    async def _resolve_unknown_waves(self, preview: h.PrunePreview) -> h.PrunePreview:
        """Candidates without a waveCount get their wave items' keys from a Query."""
        unknown = [cand for cand in preview.to_delete if not cand.wave_count_known]
        if not unknown:
            return preview
        resolved: dict[str, h.PruneCandidate] = {}
        for cand in unknown:
            items = await self._query_waves(cand.execution_id)
            sks = tuple(sorted(str(i.get("SK")) for i in items))
            resolved[cand.execution_id] = h.PruneCandidate(
                cand.execution_id, cand.raw_status, cand.updated_at, 0, False, extra_wave_sks=sks
            )
        return h.PrunePreview(
            scope=preview.scope,
            to_delete=tuple(resolved.get(cd.execution_id, cd) for cd in preview.to_delete),
            preserved_active=preview.preserved_active,
            preserved_live_jobs=preview.preserved_live_jobs,
            out_of_scope=preview.out_of_scope,
            jobs_checked=preview.jobs_checked,
        )

    async def prune(
        self,
        preview: h.PrunePreview,
        *,
        progress: ProgressCallback | None = None,
        control: PruneControl | None = None,
        before_batch: BatchHook | None = None,
        max_items: int = h.MAX_TRANSACT_ITEMS,
    ) -> h.PruneResult:
        """Delete what ``preview`` listed, in TransactWriteItems batches, each execution item
        conditional on being unchanged and terminal. Stops between batches when ``control`` is
        cancelled. Never raises for an item; an AWS refusal of a whole call stops the prune and is
        reported on the result (``error``) after everything not done is accounted for."""
        result = h.PruneResult(
            preserved_active=tuple(preview.preserved_active),
            preserved_live_jobs=tuple(preview.preserved_live_jobs),
        )
        total = len(preview.to_delete)
        plan = h.plan_transactions(preview.to_delete, max_items)
        if progress:
            progress(0, total)
        for index, tx in enumerate(plan):
            if control is not None and control.stop_requested:
                self._not_attempted(plan[index:], result)
                result.cancelled = True
                break
            if before_batch is not None:
                maybe = before_batch(index, tx)
                if asyncio.iscoroutine(maybe):
                    await maybe
            # wave-only parts continue an execution whose execution item is already deleted
            parts = tuple(
                p for p in tx.parts if p.include_head or result.outcomes.get(p.execution_id) is h.Outcome.DELETED
            )
            try:
                await self._run_transaction(h.Transaction(parts), result)
            except ConsoleError as exc:
                for p in parts:
                    if p.include_head and p.execution_id not in result.outcomes:
                        result.settle(p.execution_id, h.Outcome.FAILED, exc.one_line())
                self._not_attempted(plan[index + 1 :], result)
                result.error = exc.one_line()
                result.error_is_aws = exc.is_aws_side
                break
            finally:
                if progress:
                    progress(len(result.outcomes), total)
        if progress and (result.cancelled or result.error):
            progress(len(result.outcomes), total)  # everything is accounted for, including what was not attempted
        return result

    @staticmethod
    def _not_attempted(rest: list[h.Transaction], result: h.PruneResult) -> None:
        for tx in rest:
            for p in tx.parts:
                if p.include_head and p.execution_id not in result.outcomes:
                    result.settle(p.execution_id, h.Outcome.NOT_ATTEMPTED, "the prune was cancelled first")
                elif not p.include_head and result.outcomes.get(p.execution_id) is h.Outcome.DELETED:
                    result.leftover_waves[p.execution_id] = (
                        result.leftover_waves.get(p.execution_id, 0) + len(p.wave_sks)
                    )

    def _items(self, tx: h.Transaction) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for part in tx.parts:
            pk = {"S": part.candidate.pk}
            if part.include_head:
                expr, names, values = h.head_condition(part.candidate)
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"PK": pk, "SK": {"S": c.EXECUTION_SK}},
                            "ConditionExpression": expr,
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": {k: _serialize(v) for k, v in values.items()},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    }
                )
            for sk in part.wave_sks:
                items.append({"Delete": {"TableName": self.table, "Key": {"PK": pk, "SK": {"S": sk}}}})
        return items

    def _transact_sync(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """One TransactWriteItems: None when it committed, else its CancellationReasons. botocore
        fills ClientRequestToken (an idempotency token), so its own retries never apply twice."""
        from botocore.exceptions import ClientError

        try:
            self.ddb.transact_write_items(TransactItems=items)
            return None
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            out = []
            for r in reasons:
                r = dict(r)
                if r.get("Item"):
                    r["Item"] = deserialize_item(r["Item"])
                out.append(r)
            return out

    async def _run_transaction(self, tx: h.Transaction, result: h.PruneResult) -> None:
        pending = tx
        transient = 0
        while pending.parts:
            items = self._items(pending)
            try:
                reasons = await self.conn.call(self._transact_sync, items)
            except ConsoleError as exc:
                if exc.kind is not ProblemKind.THROTTLED or transient >= MAX_TRANSIENT_RETRIES:
                    raise
                transient += 1
                await asyncio.sleep(self._backoff(transient))
                continue
            finally:
                result.write_calls += 1
            result.writes += len(items)
            if reasons is None:
                for part in pending.parts:
                    if part.include_head:
                        result.settle(part.execution_id, h.Outcome.DELETED)
                return
            verdict = h.judge_cancellation(pending, reasons)
            for eid, (outcome, reason) in verdict.final.items():
                part = next(p for p in pending.parts if p.execution_id == eid)
                if part.include_head:
                    result.settle(eid, outcome, reason)
                else:  # a wave-only part of an execution already deleted
                    result.leftover_waves[eid] = result.leftover_waves.get(eid, 0) + len(part.wave_sks)
                    result.reasons[eid] = f"{len(part.wave_sks)} wave records left: {reason}"
            retry = list(verdict.retry_now)
            if verdict.retry_later:
                transient += 1
                if transient > MAX_TRANSIENT_RETRIES:
                    for part in verdict.retry_later:
                        if part.include_head:
                            result.settle(part.execution_id, h.Outcome.FAILED, "throttled or in conflict after retries")
                        else:
                            result.leftover_waves[part.execution_id] = len(part.wave_sks)
                else:
                    retry.extend(verdict.retry_later)
                    await asyncio.sleep(self._backoff(transient))
            pending = h.Transaction(tuple(retry))

    def _backoff(self, attempt: int) -> float:
        import random

        return min(BACKOFF_CAP, self.backoff_base * (2 ** (attempt - 1))) * (0.5 + random.random() / 2)


async def history_table_name(conn: AwsConnection, *, stack_name: str = c.DEFAULT_STACK_NAME,
                             explicit: str | None = None) -> str:
    """The history table: ``explicit`` if given, else the backend stack's HistoryTableName output."""
    if explicit:
        return explicit
    from .backend import BackendService

    info = await BackendService(conn).stack(stack_name)
    if info is None:
        raise ConsoleError(
            ProblemKind.NOT_FOUND,
            f"The backend stack {stack_name!r} does not exist in {conn.region}.",
            "Deploy it with 'drs-console backend deploy', or pass --history-table NAME.",
        )
    table = info.outputs.get(c.OUTPUT_HISTORY_TABLE, "")
    if not table:
        raise ConsoleError(
            ProblemKind.NOT_FOUND,
            f"The stack {stack_name!r} ({info.status}) has no {c.OUTPUT_HISTORY_TABLE} output.",
            "Deploy the DRS Console backend with 'drs-console backend deploy', or pass --history-table NAME.",
        )
    return table


def rows_from_items(items: Iterable[Mapping[str, Any]]) -> list[h.HistoryRow]:
    out = []
    for item in items:
        row = h.HistoryRow.from_item(item)
        if row is not None:
            out.append(row)
    return out
