"""The DRS native executions in History: listed as rows beside the history table's, and pruned
with the same rules (``DeleteRecoveryPlanExecution``; never an active execution — CREATED,
IN_PROGRESS, CANCELLING — nor one with a DRS job not completed). The CLI's ``history list|prune``
and the GUI's History page both use these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...domain import history as h
from ...domain.errors import ConsoleError
from ...domain.native_view import ACTIVE_NATIVE, history_row
from ...domain.wording import plural
from ..session import AwsConnection


async def native_history_rows(conn: AwsConnection) -> list[h.HistoryRow]:
    """Every DRS native execution of the connection's region, as History rows, newest first."""
    from .native import NativeEngine

    return [history_row(v) for v in await NativeEngine(conn).list_executions(limit=0)]


class NativePrune:
    """What a prune does with the DRS native executions: in scope and finished ->
    DeleteRecoveryPlanExecution; active or with a DRS job not completed -> kept."""

    def __init__(self, scope: h.PruneScope, to_delete: list[h.HistoryRow], active: list[str],
                 live: dict[str, list[str]]):
        self.scope, self.to_delete, self.active, self.live = scope, to_delete, active, live

    @property
    def delete_count(self) -> int:
        return len(self.to_delete)

    def by_status(self) -> dict[str, int]:
        by: dict[str, int] = {}
        for r in self.to_delete:
            by[r.native_status] = by.get(r.native_status, 0) + 1
        return dict(sorted(by.items()))

    def summary_lines(self) -> list[str]:
        detail = ", ".join(f"{n} {s}" for s, n in self.by_status().items())
        return [
            (f"DRS native: would delete {plural(len(self.to_delete), 'execution')} ({detail})." if self.to_delete
             else "DRS native: nothing to delete."),
            f"DRS native preserved: {plural(len(self.active), 'active execution')}, "
            f"{plural(len(self.live), 'execution')} with a DRS job not completed.",
        ]

    def to_json(self) -> dict:
        return {"scope": self.scope.describe(), "toDelete": [r.execution_id for r in self.to_delete],
                "preservedActive": self.active, "preservedLiveJobs": self.live}

    async def run(self, conn: AwsConnection) -> dict[str, Any]:
        """Delete them, each re-checked at that moment (active, live jobs): {"deleted": [IDs],
        "refused": ["ID: why"]}."""
        from .native import NativeEngine

        engine = NativeEngine(conn)
        deleted, refused = [], []
        for r in self.to_delete:
            try:
                await engine.delete_execution(r.execution_arn or r.execution_id)
                deleted.append(r.execution_id)
            except ConsoleError as exc:
                refused.append(f"{r.execution_id}: {exc.message}")
        return {"deleted": deleted, "refused": refused}


async def native_prune_preview(conn: AwsConnection, rows: list[h.HistoryRow], scope: h.PruneScope, *,
                               now: datetime | None = None) -> NativePrune:
    """The native rows in ``scope`` sorted into deleted / kept (reads each candidate's DRS jobs)."""
    from .native import NativeEngine

    now = now or datetime.now(UTC)
    engine = NativeEngine(conn)
    to_delete, active, live = [], [], {}
    for r in rows:
        if r.engine != "native" or not scope.includes(r, now):
            continue
        if r.native_status in ACTIVE_NATIVE or not r.is_terminal:
            active.append(r.execution_id)
            continue
        jobs = await engine.live_jobs(r.execution_arn)
        if jobs:
            live[r.execution_id] = jobs
            continue
        to_delete.append(r)
    return NativePrune(scope, to_delete, active, live)
