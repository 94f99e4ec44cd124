"""The execution report: per-wave timings, the recovery time achieved, failed servers with DRS's
reasons. Pure functions over an ExecutionView and its job log events; HTML (self-contained, every
value escaped) and CSV (spreadsheet-safe)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .execution import ExecutionView, JobLogEvent
from .fields import (
    FAILURE_REASON,
    POINT_IN_TIME_LABEL,
    SERVER_FIELDS,
    duration_text,
    duration_value,
    iso_utc,
    point_in_time_text,
    server_job_id,
    wave_jobs_text,
    wave_point_in_time_text,
)
from .progress import RecoveryTime, failed_servers, failure_reasons, not_launched_servers, recovery_time

EXECUTION_COLUMNS = (
    "record", "execution_id", "plan_name", "execution_type", "wave", "wave_name", "status", "job_id",
    "started_at", "ended_at", "duration_seconds", "recovery_time_seconds",
    "recovery_time_excluding_paused_seconds", "paused_seconds", "servers", "launched", "failed", "error", "cause",
    "point_in_time",
)
CSV_COLUMNS = EXECUTION_COLUMNS + tuple(f.csv for f in SERVER_FIELDS)


@dataclass(frozen=True, slots=True)
class WaveTiming:
    index: int
    name: str
    status: str
    job_id: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    servers: int
    launched: int
    failed: int


@dataclass(frozen=True, slots=True)
class FailedServer:
    wave_index: int
    wave_name: str
    source_server_id: str
    name: str
    launch_status: str
    reason: str


@dataclass(frozen=True)
class ExecutionReport:
    view: ExecutionView
    generated_at: datetime
    waves: tuple[WaveTiming, ...]
    rto: RecoveryTime  # execution start -> the last wave's end, with and without time paused
    failed: tuple[FailedServer, ...]  # servers that failed to launch in a wave that ran
    not_launched: tuple[FailedServer, ...]  # servers of cancelled waves or of waves never reached
    events: tuple[JobLogEvent, ...]  # oldest first

    @property
    def recovery_time_seconds(self) -> float | None:
        return self.rto.total_seconds


def format_seconds(value: float | None) -> str:
    return duration_text(value)


def _iso(dt: datetime | None) -> str:
    return iso_utc(dt) or ""


def _failed(pairs, from_log: dict[str, str]) -> tuple[FailedServer, ...]:
    return tuple(
        FailedServer(
            w.index, w.name, s.source_server_id, s.name,
            s.launch_status.value if s.launch_status else "NOT LAUNCHED",
            s.failure_reason or from_log.get(s.source_server_id, "") or (w.cause or w.error),
        )
        for w, s in pairs
    )


def build_report(view: ExecutionView, events: Iterable[JobLogEvent] = (), now: datetime | None = None) -> ExecutionReport:
    now = now or datetime.now(UTC)
    evs = tuple(sorted(events, key=lambda e: e.time))
    from_log = failure_reasons(evs)
    waves = tuple(
        WaveTiming(
            index=w.index,
            name=w.name,
            status=w.status.value if w.status else "NOT STARTED",
            job_id=wave_jobs_text(w),
            started_at=w.started_at,
            ended_at=w.ended_at,
            duration_seconds=w.duration_seconds(now),
            servers=len(w.servers),
            launched=w.launched,
            failed=w.failed,
        )
        for w in view.waves
    )
    return ExecutionReport(view, now, waves, recovery_time(view, now), _failed(failed_servers(view), from_log),
                           _failed(not_launched_servers(view), from_log), evs)


def rto_lines(rto: RecoveryTime) -> tuple[tuple[str, str], ...]:
    """The recovery time, labelled, with and without time paused (report, status)."""
    if rto.total_seconds is None:
        return (("Recovery time achieved", duration_text(None) + " (not finished)"),)
    return (
        ("Recovery time achieved", f"{duration_text(rto.total_seconds)} (execution start to the end of the last "
                                   f"wave, including {duration_text(rto.paused_seconds)} paused)"),
        ("Recovery time excluding pauses", f"{duration_text(rto.active_seconds)} (without the time spent waiting "
                                           "for an operator to resume)"),
    )


# -- CSV ------------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text  # a spreadsheet must never run a cell as a formula
    return text


def report_csv(view: ExecutionView, events: Iterable[JobLogEvent] = (), now: datetime | None = None) -> str:
    """One row for the execution, one per wave and one per server (``record`` column tells which);
    every value in its own column."""
    rep = build_report(view, events, now)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)

    def row(**values: object) -> None:
        out.writerow([_cell(values.get(col)) for col in CSV_COLUMNS])

    rto = rep.rto
    tally = view.server_tally
    row(record="execution", execution_id=view.execution_id, plan_name=view.plan_name,
        execution_type=view.execution_type.value, status=view.status.value if view.status else "",
        started_at=iso_utc(view.started_at), ended_at=iso_utc(view.ended_at),
        duration_seconds=duration_value(view.elapsed_seconds(rep.generated_at)),
        recovery_time_seconds=duration_value(rto.total_seconds),
        recovery_time_excluding_paused_seconds=duration_value(rto.active_seconds),
        paused_seconds=duration_value(rto.paused_seconds) if rto.total_seconds is not None else None,
        servers=tally.total, launched=tally.launched, failed=tally.failed, error=view.error, cause=view.cause,
        point_in_time=iso_utc(view.point_in_time))
    reasons = {(f.wave_index, f.source_server_id): f.reason for f in rep.failed + rep.not_launched}
    for w, t in zip(view.waves, rep.waves, strict=True):
        row(record="wave", execution_id=view.execution_id, wave=w.index + 1, wave_name=w.name, status=t.status,
            job_id=t.job_id, started_at=iso_utc(w.started_at), ended_at=iso_utc(w.ended_at),
            duration_seconds=duration_value(t.duration_seconds), servers=t.servers, launched=t.launched,
            failed=t.failed, error=w.error, cause=w.cause, point_in_time=iso_utc(w.point_in_time))
        for s in w.servers:
            fields = {f.csv: f.json(s) for f in SERVER_FIELDS}
            fields[FAILURE_REASON.csv] = reasons.get((w.index, s.source_server_id)) or s.failure_reason
            row(record="server", execution_id=view.execution_id, wave=w.index + 1, wave_name=w.name,
                job_id=server_job_id(w, s), **fields)
    return buf.getvalue()


# -- HTML -----------------------------------------------------------------------------------------
_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#1d2330}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccd;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#eef}td.num{text-align:right}.s-COMPLETED{color:#17692b}
.s-PARTIAL,.s-TIMEOUT{color:#9a5b00}.s-FAILED,.s-CANCELLED{color:#a11}.meta td:first-child{font-weight:600}
.small{color:#667;font-size:.9em}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _status(value: str) -> str:
    return f'<span class="s-{_e(value)}">{_e(value)}</span>'


def report_html(view: ExecutionView, events: Iterable[JobLogEvent] = (), now: datetime | None = None,
                *, max_events: int = 2000) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no external resources)."""
    rep = build_report(view, events, now)
    status = view.status.value if view.status else "UNKNOWN"
    kind = "Drill" if view.is_drill else "RECOVERY"
    rows: list[str] = []
    add = rows.append
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add(f"<title>{_e(kind)} report: {_e(view.plan_name)} ({_e(view.execution_id)})</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add(f"<h1>{_e(kind)} of {_e(view.plan_name)}: {_status(status)}</h1>")
    add('<table class="meta">')
    meta: Sequence[tuple[str, object]] = (
        ("Execution", view.execution_id),
        ("Plan", f"{view.plan_name} ({view.plan_id})"),
        ("Account / region", f"{view.account_id} / {view.region}"),
        ("Initiated by", view.initiated_by),
        ("Started", _iso(view.started_at)),
        ("Ended", _iso(view.ended_at)),
        ("Waves", view.wave_tally.text()),
        ("Servers", view.server_tally.text()),
        *rto_lines(rep.rto),
        ("Recovery point (RPO at start)", f"{format_seconds(view.rpo_seconds)}: worst recovery point "
         f"{_iso(view.recovery_point_at)}" if view.recovery_point_at is not None else ""),
        (POINT_IN_TIME_LABEL, point_in_time_text(view.point_in_time)),
        *((f"Point in time, wave {w.index + 1}", wave_point_in_time_text(w.point_in_time, view.point_in_time))
          for w in view.waves),
        ("Error", f"{view.error}: {view.cause}".strip(": ")),
    )
    for label, value in meta:
        if value:
            add(f"<tr><td>{_e(label)}</td><td>{_e(value)}</td></tr>")
    add("</table>")
    add("<h2>Waves</h2><table><tr><th>#</th><th>Wave</th><th>Status</th><th>DRS job</th><th>Started</th>"
        "<th>Ended</th><th>Duration</th><th>Servers</th><th>Launched</th><th>Failed</th></tr>")
    for t in rep.waves:
        add(f"<tr><td class=num>{t.index + 1}</td><td>{_e(t.name)}</td><td>{_status(t.status)}</td>"
            f"<td>{_e(t.job_id)}</td><td>{_e(_iso(t.started_at))}</td><td>{_e(_iso(t.ended_at))}</td>"
            f"<td>{_e(format_seconds(t.duration_seconds))}</td><td class=num>{t.servers}</td>"
            f"<td class=num>{t.launched}</td><td class=num>{t.failed}</td></tr>")
    add("</table>")
    for title, group in (("Failed servers", rep.failed), ("Servers not launched", rep.not_launched)):
        if title == "Servers not launched" and not group:
            continue
        count = max(len(group), view.server_tally.failed) if title == "Failed servers" else len(group)
        add(f"<h2>{title} ({count})</h2>")
        if count > len(group):
            add(f'<p class="small">{count - len(group)} more failed (the waves\' records say so) but DRS\'s job '
                "could not be read to tell which.</p>")
        if group:
            add("<table><tr><th>Wave</th><th>Server</th><th>ID</th><th>Launch status</th><th>Why</th></tr>")
            for f in group:
                add(f"<tr><td>{f.wave_index + 1} {_e(f.wave_name)}</td><td>{_e(f.name)}</td>"
                    f"<td>{_e(f.source_server_id)}</td><td>{_e(f.launch_status)}</td><td>{_e(f.reason)}</td></tr>")
            add("</table>")
        else:
            add("<p>None.</p>")
    add("<h2>Servers</h2><table><tr><th>Wave</th>" + "".join(f"<th>{_e(f.header)}</th>" for f in SERVER_FIELDS)
        + "</tr>")
    for w in view.waves:
        for s in w.servers:
            add(f"<tr><td>{w.index + 1}</td>" + "".join(f"<td>{_e(f.text(s))}</td>" for f in SERVER_FIELDS)
                + "</tr>")
    add("</table>")
    shown = rep.events[-max_events:]
    add(f"<h2>DRS job log ({len(rep.events)} events)</h2>")
    if len(shown) < len(rep.events):
        add(f'<p class="small">The last {len(shown)} events are shown.</p>')
    add("<table><tr><th>Time</th><th>Event</th><th>Server</th><th>Detail</th></tr>")
    for ev in shown:
        add(f"<tr><td>{_e(_iso(ev.time))}</td><td>{_e(ev.event)}</td>"
            f"<td>{_e(ev.server_name or ev.source_server_id)}</td><td>{_e(ev.detail)}</td></tr>")
    add("</table>")
    add(f'<p class="small">Generated by DRS Console at {_e(_iso(rep.generated_at))}.</p>')
    add("</body></html>")
    return "\n".join(rows) + "\n"
