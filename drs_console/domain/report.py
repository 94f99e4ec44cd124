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
from .progress import failed_servers, failure_reasons

CSV_COLUMNS = (
    "record", "wave", "wave_name", "status", "job_id", "started_at", "ended_at", "duration_seconds",
    "server_id", "server_name", "launch_status", "recovery_instance_id", "failure_reason",
)


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
    recovery_time_seconds: float | None  # execution start -> the last wave's end
    failed: tuple[FailedServer, ...]
    events: tuple[JobLogEvent, ...]  # oldest first


def format_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    secs = int(round(value))
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


def _iso(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else ""


def recovery_time(view: ExecutionView) -> float | None:
    """Seconds from the execution's start to the end of its last wave that ended (None while
    running, or when nothing ended)."""
    if view.started_at is None or not view.is_terminal:
        return None
    ends = [w.ended_at for w in view.waves if w.ended_at is not None]
    if not ends:
        return None
    return max(0.0, (max(ends) - view.started_at).total_seconds())


def build_report(view: ExecutionView, events: Iterable[JobLogEvent] = (), now: datetime | None = None) -> ExecutionReport:
    now = now or datetime.now(UTC)
    evs = tuple(sorted(events, key=lambda e: e.time))
    from_log = failure_reasons(evs)
    waves = tuple(
        WaveTiming(
            index=w.index,
            name=w.name,
            status=w.status.value if w.status else "NOT STARTED",
            job_id=w.job_id,
            started_at=w.started_at,
            ended_at=w.ended_at,
            duration_seconds=w.duration_seconds(now),
            servers=len(w.servers),
            launched=w.launched,
            failed=w.failed,
        )
        for w in view.waves
    )
    failed = tuple(
        FailedServer(
            w.index, w.name, s.source_server_id, s.name,
            s.launch_status.value if s.launch_status else "NOT LAUNCHED",
            s.failure_reason or from_log.get(s.source_server_id, "") or (w.cause or w.error),
        )
        for w, s in failed_servers(view)
    )
    return ExecutionReport(view, now, waves, recovery_time(view), failed, evs)


# -- CSV ------------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text  # a spreadsheet must never run a cell as a formula
    return text


def report_csv(view: ExecutionView, events: Iterable[JobLogEvent] = (), now: datetime | None = None) -> str:
    """One row for the execution, one per wave and one per server (``record`` column tells which)."""
    rep = build_report(view, events, now)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    status = view.status.value if view.status else ""
    out.writerow([_cell(x) for x in (
        "execution", "", view.plan_name, status, view.execution_id, _iso(view.started_at), _iso(view.ended_at),
        "" if rep.recovery_time_seconds is None else f"{rep.recovery_time_seconds:.0f}", "", "", "", "",
        view.error)])
    reasons = {(f.wave_index, f.source_server_id): f.reason for f in rep.failed}
    for w, t in zip(view.waves, rep.waves, strict=True):
        out.writerow([_cell(x) for x in (
            "wave", w.index + 1, w.name, t.status, w.job_id, _iso(w.started_at), _iso(w.ended_at),
            "" if t.duration_seconds is None else f"{t.duration_seconds:.0f}", "", "", "", "", w.error)])
        for s in w.servers:
            out.writerow([_cell(x) for x in (
                "server", w.index + 1, w.name, "", w.job_id, "", "", "", s.source_server_id, s.name,
                s.launch_status.value if s.launch_status else "", s.recovery_instance_id,
                reasons.get((w.index, s.source_server_id), s.failure_reason))])
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
        ("Recovery time achieved", format_seconds(rep.recovery_time_seconds)
         + " (execution start to the end of the last wave)"),
        ("Recovery point (RPO at start)", f"{format_seconds(view.rpo_seconds)}: worst recovery point "
         f"{_iso(view.recovery_point_at)}" if view.recovery_point_at is not None else ""),
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
    add(f"<h2>Failed servers ({len(rep.failed)})</h2>")
    if rep.failed:
        add("<table><tr><th>Wave</th><th>Server</th><th>ID</th><th>Launch status</th><th>DRS's reason</th></tr>")
        for f in rep.failed:
            add(f"<tr><td>{f.wave_index + 1} {_e(f.wave_name)}</td><td>{_e(f.name)}</td>"
                f"<td>{_e(f.source_server_id)}</td><td>{_e(f.launch_status)}</td><td>{_e(f.reason)}</td></tr>")
        add("</table>")
    else:
        add("<p>None.</p>")
    add("<h2>Servers</h2><table><tr><th>Wave</th><th>Server</th><th>ID</th><th>Launch status</th>"
        "<th>Recovery instance</th><th>EC2 state</th></tr>")
    for w in view.waves:
        for s in w.servers:
            add(f"<tr><td>{w.index + 1}</td><td>{_e(s.name)}</td><td>{_e(s.source_server_id)}</td>"
                f"<td>{_e(s.launch_status.value if s.launch_status else '')}</td>"
                f"<td>{_e(s.recovery_instance_id)}</td><td>{_e(s.ec2_instance_state)}</td></tr>")
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
