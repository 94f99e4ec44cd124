"""An ExecutionView as plain JSON values: what ``status --json``, ``--follow --json``'s end line and
the runbooks read. The figures are progress.py's, each value formatted by fields.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .execution import Engine, ExecutionView
from .fields import duration_value, iso_utc, server_json
from .progress import recovery_time


def view_json(view: ExecutionView, *, servers: bool = True, now: datetime | None = None) -> dict[str, Any]:
    """An ExecutionView as plain JSON values (for the CLI's --json)."""
    now = now or datetime.now(UTC)
    rto = recovery_time(view, now)
    tally = view.wave_tally
    stally = view.server_tally
    return {
        "executionId": view.execution_id,
        "planId": view.plan_id,
        "planName": view.plan_name,
        "executionType": view.execution_type.value,
        "status": view.status.value if view.status else None,
        "startedAt": iso_utc(view.started_at),
        "endedAt": iso_utc(view.ended_at),
        "elapsedSeconds": duration_value(view.elapsed_seconds(now)),
        "recoveryTimeSeconds": duration_value(rto.total_seconds),
        "recoveryTimeExcludingPausedSeconds": duration_value(rto.active_seconds),
        "pausedSeconds": duration_value(rto.paused_seconds) if rto.total_seconds is not None else None,
        "initiatedBy": view.initiated_by,
        "executionArn": view.execution_arn,
        "accountId": view.account_id,
        "region": view.region,
        "error": view.error,
        "cause": view.cause,
        "waveCount": tally.total,
        "waveCounts": dict(tally.counts),
        "wavesText": tally.text(),
        "serverCount": stally.total,
        "serversLaunched": stally.launched,
        "serversFailed": stally.failed,
        "pointInTime": iso_utc(view.point_in_time),
        "waves": [
            {
                "wave": w.index + 1,
                "name": w.name,
                "status": w.status.value if w.status else None,
                "jobId": w.job_id or None,
                **({"jobs": [{"accountId": a, "jobId": j} for a, j in w.jobs]} if w.jobs else {}),
                "startedAt": iso_utc(w.started_at),
                "endedAt": iso_utc(w.ended_at),
                "durationSeconds": duration_value(w.duration_seconds(now)),
                "pauseBefore": w.pause_before,
                "timeoutMinutes": w.timeout_minutes,
                "serverCount": len(w.servers),
                "launched": w.launched,
                "failed": w.failed,
                "error": w.error,
                "cause": w.cause,
                "pointInTime": iso_utc(w.point_in_time),
                **({"servers": [server_json(s) for s in w.servers]} if servers else {}),
                **({"nativeStatus": w.native_status or (w.status.value if w.status else None),
                    "jobIds": list(w.job_ids), "stepKind": w.step_kind, "waitMinutes": w.wait_minutes or None,
                    "attempt": w.attempt or None} if view.engine is Engine.NATIVE else {}),
            }
            for w in view.waves
        ],
        **({"engine": view.engine.value, "nativeStatus": view.native_status or (view.status.value if view.status else None),
            "recoveryPlanArn": view.recovery_plan_arn} if view.engine is Engine.NATIVE else {}),
    }
