"""Recent runs: the newest real Step Functions executions (probes left out) and history records."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ...domain.errors import ConsoleError
from ...domain.wording import noun, plural
from ..backend import BackendService, ExecutionInfo
from ..deployment import Deployment
from .findings import FAIL, PASS, WARN, DoctorFinding, finding

PROBE_PREFIX = "drs-console-probe-"
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
MAX_PAGES = 5


async def newest_runs(backend: BackendService, arn: str, n: int) -> list[ExecutionInfo]:
    """The newest ``n`` executions that are not doctor's probes (paging past any number of probes, bounded)."""
    sfn = backend.conn.client("stepfunctions")
    runs: list[ExecutionInfo] = []
    token = None
    for _ in range(MAX_PAGES):
        kw: dict[str, Any] = {"stateMachineArn": arn, "maxResults": 100}
        if token:
            kw["nextToken"] = token
        resp = await backend.conn.call(sfn.list_executions, **kw)
        for e in resp.get("executions") or []:
            if e.get("name", "").startswith(PROBE_PREFIX):
                continue
            runs.append(ExecutionInfo(e["executionArn"], e.get("name", ""), e.get("status", ""),
                                      e.get("startDate"), e.get("stopDate")))
        token = resp.get("nextToken")
        if not token or len(runs) >= n:
            break
    runs.sort(key=lambda r: r.start_date.timestamp() if r.start_date else 0, reverse=True)
    return runs[:n]


def _level(failed: int, total: int) -> str:
    return PASS if not failed else FAIL if failed == total else WARN


async def executions_check(backend: BackendService, dep: Deployment, n: int) -> DoctorFinding:
    if not dep.state_machine_arn or dep.state_machine is None:
        return finding("executions", PASS, "No state machine, no executions to read.")
    runs = await newest_runs(backend, dep.state_machine_arn, n)
    if not runs:
        return finding("executions", PASS, "No executions yet (other than doctor's probes).")
    ended = [r for r in runs if not r.running]
    since = dep.deployed_at
    if since is not None:  # runs of an earlier deployment say nothing about this one
        before = [r for r in ended if r.start_date is not None and r.start_date < since]
        ended = [r for r in ended if r not in before]
    else:
        before = []
    earlier = [r for r in before if r.status in FAILED_STATUSES]
    note = (f" ({plural(len(earlier), 'run')} that failed before the last deployment, "
            f"{since.strftime('%Y-%m-%d %H:%M:%S')}, {noun(len(earlier), 'is', 'are')} not counted.)" if earlier and since else "")
    failed = [r for r in ended if r.status in FAILED_STATUSES]
    if not failed:
        if not ended:
            return finding("executions", PASS, "No executions since the last deployment (other than doctor's "
                           f"probes).{note}" if since else "No executions yet (other than doctor's probes).")
        return finding("executions", PASS, f"None of the newest {len(ended)} executions failed.{note}")
    details = [await backend.execution_failure(r.arn) for r in failed]
    counts = Counter(f.status for f in details)
    groups = Counter((f.status, f.error, f.cause[:200], f.state) for f in details)
    (status, error, cause, state), k = groups.most_common(1)[0]
    where = f" in state {state}" if state else ""
    what = ", ".join(f"{v} {s}" for s, v in sorted(counts.items()))
    lines = [
        f"{f.name}: {f.status}" + (f" in state {f.state}" if f.state else "") + f": {f.error}: {f.cause[:300]}".rstrip(": ")
        for f in details
    ]
    level = _level(len(failed), len(ended))
    head = (f"All {len(failed)} of the newest {len(ended)} executions failed ({what})" if level == FAIL
            else f"{len(failed)} of the newest {len(ended)} executions failed ({what})")
    return finding(
        "executions", level,
        f"{head}; {k} with {status}{where}: {error}: {cause}".rstrip(": ") + "." + note,
        "Read the causes ('drs-console doctor --json' lists each failure); fix what they name and run again.",
        details=lines,
    )


async def records_check(backend: BackendService, dep: Deployment, n: int) -> DoctorFinding:
    if dep.table is None:
        return finding("history-records", PASS, "No history table, no records to read.")
    try:
        records = await backend.list_executions(dep.table_name, limit=n)
    except ConsoleError as exc:
        return finding("history-records", WARN, f"The history records could not be listed: {exc.message[:160]}",
                       "See the 'history-table' check.")
    ended = [r for r in records if r.is_terminal]
    failed = [r for r in ended if r.raw_status == "FAILED"]
    if not ended:
        return finding("history-records", PASS, "No finished execution recorded yet.")
    if not failed:
        return finding("history-records", PASS, f"None of the newest {len(ended)} recorded executions FAILED.")
    groups = Counter((r.error, r.cause[:200]) for r in failed)
    (error, cause), k = groups.most_common(1)[0]
    lines = [f"{r.execution_id} ({r.plan_name}): FAILED: {r.error}: {r.cause[:300]}".rstrip(": ") for r in failed]
    level = _level(len(failed), len(ended))
    return finding(
        "history-records", level,
        f"{len(failed)} of the newest {len(ended)} recorded executions FAILED; {k} with {error}: {cause}".rstrip(": ")
        + ".",
        "Read the causes ('drs-console history list --status FAILED --json'); a record can fail while its Step Functions execution "
        "succeeded.", details=lines,
    )
