"""The readiness audit page: per plan its readiness and reasons, the last drill's per-wave timings
against the plan's RTO target, and the servers behind each figure. Self-contained HTML (inline
CSS, no scripts, no external resources, every value escaped), in the execution report's style
(``domain/report.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .fields import DASH, age_text, duration_text, rto_target_text, utc_text
from .readiness import PlanReadiness, Readiness, ServerReadiness
from .report import _CSS as REPORT_CSS
from .report import _e
from .wording import plural

_CSS = REPORT_CSS + """
.r{display:inline-block;padding:.05em .6em;border-radius:1em;color:#fff;font-weight:600;font-size:.9em}
.r-READY{background:#17692b}.r-AT-RISK{background:#9a5b00}.r-NOT-READY{background:#a11}.r-UNKNOWN{background:#667}
td.over{color:#a11;font-weight:600}td.within{color:#17692b}ul.reasons li{margin:.2em 0}
"""


def _badge(status: Readiness) -> str:
    return f'<span class="r r-{_e(status.value.replace(" ", "-"))}">{_e(status.value)}</span>'


def _labels(readiness: PlanReadiness, ids: Sequence[str]) -> str:
    return ", ".join(readiness.server(i).label if readiness.server(i) else i for i in ids)


def _server_row(r: PlanReadiness, s: ServerReadiness) -> str:
    point = s.recovery_point
    if point is None:
        at, age = ("not read" if not r.points_read else DASH), DASH
    elif point.at is None:
        at, age = "none", DASH
    else:
        at, age = utc_text(point.at), age_text(point.age_seconds(r.checked_at))
    in_drs = {True: "yes", False: "NO", None: DASH}[s.in_drs]
    cells = (f"{s.wave_index + 1}", s.name or DASH, s.source_server_id,
             in_drs + (" (selector)" if s.from_selector else ""),
             s.replication_state.value if s.replication_state else DASH, age_text(s.lag_seconds), at, age,
             utc_text(s.last_drilled_at, "never"))
    return "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>"


def _plan_section(r: PlanReadiness) -> list[str]:
    out: list[str] = []
    add = out.append
    add(f'<h2 id="plan-{_e(r.plan_id)}">{_e(r.plan_name or "(unnamed plan)")} {_badge(r.status)}</h2>')
    add('<table class="meta">')
    for label, value in (
        ("Plan", r.plan_id),
        ("Readiness", r.status.value),
        ("Judged from", f"{r.source_text()}, at {utc_text(r.checked_at)}"),
        ("RPO now", (f"{age_text(r.rpo_seconds)}: " if r.rpo_seconds is not None else "") + r.rpo_text()),
        ("RTO target", rto_target_text(r.rto_target_minutes)),
        ("Last drill", r.drill_text()),
        ("Drill age limit", f"{r.stale_days} days"),
    ):
        add(f"<tr><td>{_e(label)}</td><td>{_e(value)}</td></tr>")
    add("</table>")
    if r.reasons:
        add('<ul class="reasons">')
        for reason in r.reasons:
            who = f' <span class="small">Servers: {_e(_labels(r, reason.server_ids))}</span>' \
                if reason.server_ids else ""
            add(f"<li>{_badge(reason.status)} {_e(reason.text)}{who}</li>")
        add("</ul>")
    else:
        add("<p>Ready: every server replicates continuously, recently drilled.</p>")
    d = r.last_drill
    if d is not None:
        target = r.rto_target_seconds
        add(f"<h3>Last drill {_e(d.execution_id)}: per-wave timings"
            + (f" against the RTO target of {_e(rto_target_text(r.rto_target_minutes))}" if target else "")
            + "</h3>")
        add("<table><tr><th>#</th><th>Wave</th><th>Status</th><th>Started</th><th>Ended</th><th>Duration</th>"
            "<th>Elapsed since the drill started</th><th>Against the RTO target</th><th>Servers</th></tr>")
        for w in d.waves:
            elapsed = (w.ended_at - d.started_at).total_seconds() if w.ended_at and d.started_at else None
            if target is None or elapsed is None:
                verdict, css = DASH, ""
            elif elapsed <= target:
                verdict, css = f"within ({duration_text(target - elapsed)} to spare)", "within"
            else:
                verdict, css = f"over by {duration_text(elapsed - target)}", "over"
            add(f"<tr><td class=num>{w.index + 1}</td><td>{_e(w.name)}</td>"
                f"<td>{_e(w.status.value if w.status else 'NOT RUN')}</td><td>{_e(utc_text(w.started_at))}</td>"
                f"<td>{_e(utc_text(w.ended_at))}</td><td>{_e(duration_text(w.duration_seconds))}</td>"
                f"<td>{_e(duration_text(elapsed))}</td><td class=\"{css}\">{_e(verdict)}</td>"
                f"<td>{_e(_labels(r, w.server_ids))}</td></tr>")
        add("</table>")
        add(f'<p>Recovery time achieved: {_e(duration_text(d.recovery_time_seconds))} '
            f'(drill start to the end of its last wave).</p>')
    add(f"<h3>Servers ({len(r.servers)})</h3>")
    add("<table><tr><th>Wave</th><th>Name</th><th>Source server ID</th><th>In DRS</th><th>Replication</th>"
        "<th>Lag</th><th>Recovery point</th><th>Age</th><th>Last drilled</th></tr>")
    out.extend(_server_row(r, s) for s in r.servers)
    add("</table>")
    return out


def readiness_html(results: Sequence[PlanReadiness], *, now: datetime | None = None, source: str = "") -> str:
    """The audit page of ``results`` (one section per plan, a summary table first)."""
    now = now or datetime.now(UTC)
    counts = {s: sum(1 for r in results if r.status is s) for s in Readiness}
    rows = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            "<title>DRS Console: plan readiness</title>", f"<style>{_CSS}</style></head><body>",
            "<h1>Plan readiness</h1>",
            f'<p>{_e(plural(len(results), "plan"))}: '
            + ", ".join(f"{counts[s]} {_e(s.value)}" for s in Readiness if counts[s]) + "."
            + (f' <span class="small">{_e(source)}</span>' if source else "") + "</p>"]
    rows.append("<table><tr><th>Plan</th><th>Readiness</th><th>RPO now</th><th>Last drill</th>"
                "<th>RTO target</th><th>Reasons</th></tr>")
    for r in results:
        rows.append(f'<tr><td><a href="#plan-{_e(r.plan_id)}">{_e(r.plan_name or "(unnamed plan)")}</a></td>'
                    f"<td>{_badge(r.status)}</td><td>{_e(age_text(r.rpo_seconds))}</td>"
                    f"<td>{_e(r.drill_text())}</td><td>{_e(rto_target_text(r.rto_target_minutes))}</td>"
                    f"<td>{len(r.reasons)}</td></tr>")
    rows.append("</table>")
    for r in results:
        rows.extend(_plan_section(r))
    rows.append(f'<p class="small">Generated by DRS Console at {_e(utc_text(now))}.</p>')
    rows.append("</body></html>")
    return "\n".join(rows) + "\n"
