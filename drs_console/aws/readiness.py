"""Readiness facts, read live: what ``domain/readiness.py`` judges plans by.

``read_facts(conn, plans, ...)`` reads, for every plan at once: the region's inventory
(DescribeSourceServers, all pages), each planned server's newest recovery snapshot (its recovery
point: ``aws/preflight.recovery_points``, one DescribeRecoverySnapshots per server) and the plans'
drills from the history table (the ByStartTime index, then one Query per drill for its wave
records and the plan it ran, newest first, at most ``DRILLS_PER_PLAN`` per plan). A history that
cannot be read (no backend deployed) leaves ``drills`` None and says why in ``history_note``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..domain import contract as c
from ..domain.errors import ConsoleError
from ..domain.inventory import InventorySnapshot
from ..domain.plan import Plan
from ..domain.preflight import RecoveryPoint
from ..domain.readiness import DEFAULT_STALE_DAYS, DrillRecord, PlanReadiness, assess
from ..domain.validation import resolve_plan
from .drs import DrsService
from .drs_batch import Reader
from .history import HistoryService, history_table_name
from .preflight import recovery_points
from .session import AwsConnection

DRILLS_PER_PLAN = 25
DRILL_READS_IN_FLIGHT = 8


@dataclass(frozen=True)
class ReadinessFacts:
    inventory: InventorySnapshot | None
    points: dict[str, RecoveryPoint] | None
    drills: list[DrillRecord] | None
    live: bool = True
    history_note: str = ""  # why the history was not read, "" when it was

    def assess(self, plans: Sequence[Plan], *, now: datetime | None = None,
               stale_days: int = DEFAULT_STALE_DAYS) -> list[PlanReadiness]:
        now = now or datetime.now(UTC)
        return [assess(p, self.inventory, now=now, inventory_live=self.live, points=self.points,
                       drills=self.drills, stale_days=stale_days) for p in plans]


async def read_drills(conn: AwsConnection, table: str, plan_ids: set[str], *,
                      per_plan: int = DRILLS_PER_PLAN) -> list[DrillRecord]:
    """The finished drills of ``plan_ids``, newest first, at most ``per_plan`` each."""
    rows = await HistoryService(conn, table).list_all()
    wanted: list[str] = []
    taken: dict[str, int] = {}
    for row in rows:  # newest first
        if row.plan_id in plan_ids and row.execution_type == c.ExecutionType.DRILL and row.is_terminal:
            if taken.get(row.plan_id, 0) < per_plan:
                taken[row.plan_id] = taken.get(row.plan_id, 0) + 1
                wanted.append(row.execution_id)
    reader = Reader(conn)
    gate = asyncio.Semaphore(DRILL_READS_IN_FLIGHT)

    async def one(execution_id: str) -> DrillRecord | None:
        async with gate:
            record, plan_doc = await reader.execution(table, execution_id)
        return DrillRecord.from_record(record, plan_doc) if record is not None else None

    return [d for d in await asyncio.gather(*(one(e) for e in wanted)) if d is not None]


async def read_facts(conn: AwsConnection, plans: Sequence[Plan], *, inventory: InventorySnapshot | None = None,
                     stack_name: str = c.DEFAULT_STACK_NAME, history_table: str | None = None) -> ReadinessFacts:
    """Everything readiness needs, fresh (``inventory``: one just read, to reuse)."""
    if inventory is None:
        ident = await conn.identity()
        inventory = await DrsService(conn).inventory(ident.account_id)
    present = inventory.by_id()
    planned = {sid for p in plans for rw in resolve_plan(p, list(inventory.own_servers)) for sid in rw.server_ids}
    points = await recovery_points(Reader(conn), sorted(planned & set(present)))
    drills: list[DrillRecord] | None = None
    note = ""
    try:
        table = await history_table_name(conn, stack_name=stack_name, explicit=history_table)
        drills = await read_drills(conn, table, {p.id for p in plans})
    except ConsoleError as exc:
        note = exc.message
    return ReadinessFacts(inventory, points, drills, True, note)
