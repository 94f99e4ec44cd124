"""Execution history: rows, filters, and the pure logic of a prune that never deletes a live execution.

Nothing here talks to AWS. The aws layer (``aws/history.py``) reads the history table and DRS jobs
and executes the plans made here; everything that decides *what* may be deleted, *how* the deletes
are batched and *how* the outcome is accounted for lives here so it can be property-tested.

Safety rules (each enforced here and re-checked by DynamoDB at write time):

* only a known terminal status (``status.is_terminal``) is ever deleted; unknown or missing
  statuses never are;
* a CANCELLED execution with a DRS job still PENDING or STARTED is preserved;
* every delete of an execution item is conditional on the record being exactly as the preview saw
  it: a terminal status, the same ``updatedAt`` and the same ``waveCount``; anything that changed
  meanwhile is skipped and reported, never deleted;
* an execution's wave items are deleted in the same TransactWriteItems as its execution item
  (an execution with more than ``MAX_TRANSACT_ITEMS - 1`` waves is the one exception: its
  remaining waves follow in the next transactions, once the execution item is gone).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from . import contract as c
from .fields import duration_text, whole_second
from .lease import is_lease_item
from .status import ACTIVE_STATUSES, TERMINAL_STATUSES, ExecutionStatus, is_terminal
from .wording import noun, plural

# -- service limits (botocore models: dynamodb TransactWriteItems / BatchGetItem, drs DescribeJobs)
MAX_TRANSACT_ITEMS = 100  # TransactWriteItems.TransactItems max
MAX_BATCH_GET_KEYS = 100  # BatchGetItem.RequestItems max keys
MAX_JOB_IDS_PER_DESCRIBE = 1000  # DescribeJobs filters.jobIDs max
JOB_ID_PATTERN = re.compile(r"^drsjob-[0-9a-zA-Z]{17}$")  # DescribeJobs filters.jobIDs member pattern

# CANCELLED executions may leave DRS jobs running: those are kept while a job of theirs is live.
JOB_CHECKED_STATUSES: frozenset[ExecutionStatus] = frozenset({ExecutionStatus.CANCELLED})
LIVE_JOB_STATUSES = frozenset({"PENDING", "STARTED"})


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as the history table holds it (``...Z``), as an aware datetime."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_time(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def format_duration(td: timedelta | None) -> str:
    """The one duration format (domain/fields.py): History's Duration reads as the Executions page's."""
    if td is None or td.total_seconds() < 0:
        return ""
    return duration_text(td.total_seconds(), "")


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ================================================================================================
# rows
# ================================================================================================
@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One execution as the history list shows it (from the execution item alone)."""

    execution_id: str
    raw_status: str
    status: ExecutionStatus | None
    plan_name: str = ""
    plan_id: str = ""
    execution_type: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: str = ""  # raw, compared verbatim by the prune's condition
    wave_count: int = 0
    wave_count_known: bool = False
    wave_counts: tuple[tuple[str, int], ...] = ()
    servers_launched: int = 0
    servers_failed: int = 0
    initiated_by: str = ""
    execution_arn: str = ""
    search_text: str = ""  # casefolded haystack for the free-text filter
    engine: str = "stepfunctions"  # domain.execution.Engine: "native" for a DRS native execution
    native_status: str = ""  # a native execution's own status (CREATED, IN_PROGRESS ...)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> HistoryRow | None:
        """From a deserialized execution item; None when it is not an execution item (a wave or a
        server lease item)."""
        if item.get(c.SK) != c.EXECUTION_SK or is_lease_item(item):
            return None
        pk = str(item.get(c.PK) or "")
        execution_id = str(item.get("executionId") or (pk[len("EXEC#") :] if pk.startswith("EXEC#") else pk))
        if not execution_id:
            return None
        raw = str(item.get("status") or "")
        counts = item.get("waveCounts") or {}
        wave_counts = (
            tuple(sorted((str(k), _int(v)) for k, v in counts.items())) if isinstance(counts, Mapping) else ()
        )
        plan_name = str(item.get("planName") or "")
        plan_id = str(item.get("planId") or "")
        etype = str(item.get("executionType") or "")
        by = str(item.get("initiatedBy") or "")
        return cls(
            execution_id=execution_id,
            raw_status=raw,
            status=ExecutionStatus.parse(raw),
            plan_name=plan_name,
            plan_id=plan_id,
            execution_type=etype,
            started_at=whole_second(parse_time(item.get("startedAt"))),
            ended_at=whole_second(parse_time(item.get("endedAt"))),
            updated_at=str(item.get("updatedAt") or ""),
            wave_count=_int(item.get("waveCount")),
            wave_count_known="waveCount" in item,
            wave_counts=wave_counts,
            servers_launched=_int(item.get("serversLaunched")),
            servers_failed=_int(item.get("serversFailed")),
            initiated_by=by,
            execution_arn=str(item.get("stateMachineExecutionArn") or ""),
            search_text="\n".join((execution_id, raw, plan_name, plan_id, etype, by)).casefold(),
        )

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.raw_status)

    @property
    def is_active(self) -> bool:
        return self.status is not None and self.status in ACTIVE_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.ended_at:
            return self.ended_at - self.started_at
        return None

    @property
    def waves_completed(self) -> int:
        return dict(self.wave_counts).get(ExecutionStatus.COMPLETED.value, 0)

    @property
    def waves_finished(self) -> int:
        return sum(n for _k, n in self.wave_counts)

    @property
    def age_reference(self) -> datetime | None:
        """The time an "older than N days" prune compares: when it ended, else when it started."""
        return self.ended_at or self.started_at

    def to_json(self) -> dict[str, Any]:
        return {
            "executionId": self.execution_id,
            "status": self.raw_status,
            "planName": self.plan_name,
            "planId": self.plan_id,
            "executionType": self.execution_type,
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "endedAt": self.ended_at.isoformat() if self.ended_at else None,
            "durationSeconds": int(self.duration.total_seconds()) if self.duration else None,
            "wavesCompleted": self.waves_completed,
            "waveCount": self.wave_count,
            "serversLaunched": self.servers_launched,
            "serversFailed": self.servers_failed,
            "initiatedBy": self.initiated_by,
            "engine": self.engine,
        }


CSV_HEADER = (
    "Plan",
    "Type",
    "Status",
    "Started (UTC)",
    "Ended (UTC)",
    "Duration",
    "Waves completed",
    "Waves total",
    "Servers launched",
    "Servers failed",
    "Initiated by",
    "Execution ID",
)


def csv_text(rows: Iterable[HistoryRow]) -> str:
    """The rows as CSV (RFC 4180, CRLF line ends), with a header line."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            (
                _csv_safe(r.plan_name),
                r.execution_type,
                r.raw_status,
                format_time(r.started_at),
                format_time(r.ended_at),
                int(r.duration.total_seconds()) if r.duration else "",
                r.waves_completed,
                r.wave_count,
                r.servers_launched,
                r.servers_failed,
                _csv_safe(r.initiated_by),
                _csv_safe(r.execution_id),
            )
        )
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ================================================================================================
# filters
# ================================================================================================
class StatusGroup(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"


def statuses_of(spec: str) -> frozenset[ExecutionStatus]:
    """'active', 'finished' or one status name (any case) -> the statuses it means."""
    key = spec.strip().lower()
    if key == StatusGroup.ACTIVE:
        return ACTIVE_STATUSES
    if key in (StatusGroup.FINISHED, "terminal"):
        return TERMINAL_STATUSES
    status = ExecutionStatus.parse(spec.strip())
    if status is None:
        raise ValueError(
            f"unknown status {spec!r}: use active, finished or one of {', '.join(s.value for s in ExecutionStatus)}."
        )
    return frozenset({status})


DATE_RANGES: dict[str, timedelta] = {
    "last hour": timedelta(hours=1),
    "last 24 h": timedelta(hours=24),
    "last 7 days": timedelta(days=7),
    "last 30 days": timedelta(days=30),
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day|days|w|wk)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400, "days": 86400,
          "w": 604800, "wk": 604800}


def parse_since(text: str, now: datetime) -> datetime:
    """'90m', '24h', '7d', '2w', a date ('2024-05-01') or an ISO timestamp -> an aware datetime."""
    m = _DURATION.match(text or "")
    if m:
        return now - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
    dt = parse_time(text)
    if dt is None:
        raise ValueError(f"{text!r} is neither a duration (30m, 24h, 7d, 2w) nor a date (2024-05-01).")
    return dt


_BARE_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def parse_until(text: str, now: datetime) -> datetime:
    """Like ``parse_since``; a bare date ('2024-05-01') means the end of that day (UTC), so that
    "until 2024-05-01" includes what started on it."""
    dt = parse_since(text, now)
    if _BARE_DATE.match(text or ""):
        dt += timedelta(days=1) - timedelta(microseconds=1)
    return dt


@dataclass(frozen=True)
class HistoryFilter:
    """What the history list shows: None/empty means "any"."""

    statuses: frozenset[ExecutionStatus] | None = None
    execution_type: str | None = None  # DRILL | RECOVERY
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""
    engine: str | None = None  # "stepfunctions" | "native" (domain.execution.Engine)

    def accepts(self, row: HistoryRow) -> bool:
        if self.statuses is not None and row.status not in self.statuses:
            return False
        if self.engine and row.engine != self.engine:
            return False
        if self.execution_type and row.execution_type != self.execution_type:
            return False
        if self.since is not None or self.until is not None:
            when = row.started_at
            if when is None:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when > self.until:
                return False
        if self.text:
            needle = self.text.casefold()
            return needle in row.search_text
        return True

    def apply(self, rows: Iterable[HistoryRow]) -> list[HistoryRow]:
        return [r for r in rows if self.accepts(r)]


# ================================================================================================
# prune: scope and preview
# ================================================================================================
class ScopeKind(StrEnum):
    SELECTED = "selected"
    ALL_FINISHED = "all-finished"
    OLDER_THAN = "older-than"


@dataclass(frozen=True)
class PruneScope:
    kind: ScopeKind
    execution_ids: frozenset[str] = frozenset()
    older_than_days: float = 0

    @classmethod
    def selected(cls, ids: Iterable[str]) -> PruneScope:
        return cls(ScopeKind.SELECTED, execution_ids=frozenset(ids))

    @classmethod
    def all_finished(cls) -> PruneScope:
        return cls(ScopeKind.ALL_FINISHED)

    @classmethod
    def older_than(cls, days: float) -> PruneScope:
        if days < 0:
            raise ValueError("days must be >= 0")
        return cls(ScopeKind.OLDER_THAN, older_than_days=days)

    def includes(self, row: HistoryRow, now: datetime) -> bool:
        """Whether ``row`` is in scope, whatever its status (status is judged separately)."""
        if self.kind is ScopeKind.SELECTED:
            return row.execution_id in self.execution_ids
        if self.kind is ScopeKind.OLDER_THAN:
            if not row.is_terminal:
                return True  # not ended, so never pruned: always counted among the preserved
            ref = row.age_reference
            # no timestamp: its age is unknown, so it is never "older than" anything
            return ref is not None and ref <= now - timedelta(days=self.older_than_days)
        return True

    def describe(self) -> str:
        if self.kind is ScopeKind.SELECTED:
            return f"the {plural(len(self.execution_ids), 'selected execution')}"
        if self.kind is ScopeKind.OLDER_THAN:
            return f"finished executions older than {self.older_than_days:g} {noun(self.older_than_days, 'day')}"
        return "every finished execution"


@dataclass(frozen=True)
class PruneCandidate:
    """A terminal execution to delete, with what its delete is conditional on."""

    execution_id: str
    raw_status: str
    updated_at: str
    wave_count: int
    wave_count_known: bool = True
    extra_wave_sks: tuple[str, ...] = ()  # wave items found by a Query when waveCount is missing

    @classmethod
    def of(cls, row: HistoryRow) -> PruneCandidate:
        return cls(row.execution_id, row.raw_status, row.updated_at, row.wave_count, row.wave_count_known)

    @property
    def pk(self) -> str:
        return c.execution_pk(self.execution_id)

    @property
    def wave_sks(self) -> tuple[str, ...]:
        """Sort keys of every wave item: WAVE#0001..WAVE#<waveCount> (plus any found by a Query)."""
        own = tuple(c.wave_sk(i) for i in range(max(0, self.wave_count)))
        extra = tuple(sk for sk in self.extra_wave_sks if sk not in own)
        return own + extra

    @property
    def write_count(self) -> int:
        return 1 + len(self.wave_sks)


@dataclass(frozen=True)
class PrunePreview:
    scope: PruneScope
    to_delete: tuple[PruneCandidate, ...]
    preserved_active: tuple[str, ...]  # in scope but active (or of an unknown status)
    preserved_live_jobs: Mapping[str, tuple[str, ...]]  # execution ID -> its live DRS job IDs
    out_of_scope: int = 0
    jobs_checked: int = 0

    @property
    def delete_count(self) -> int:
        return len(self.to_delete)

    @property
    def by_status(self) -> dict[str, int]:
        counts = Counter(cand.raw_status for cand in self.to_delete)
        return {s.value: counts[s.value] for s in ExecutionStatus if counts.get(s.value)}

    @property
    def item_count(self) -> int:
        return sum(cand.write_count for cand in self.to_delete)

    def summary_lines(self) -> list[str]:
        lines = [f"Scope: {self.scope.describe()}."]
        if self.to_delete:
            detail = ", ".join(f"{n} {s}" for s, n in self.by_status.items())
            lines.append(f"Would delete {plural(self.delete_count, 'execution')} ({detail}) and their wave records.")
        else:
            lines.append("Nothing to delete.")
        lines.append(f"Preserved: {plural(len(self.preserved_active), 'active execution')}.")
        lines.append(
            f"Preserved: {plural(len(self.preserved_live_jobs), 'CANCELLED execution')} with a DRS job still "
            "PENDING or STARTED."
        )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope.describe(),
            "wouldDelete": self.delete_count,
            "wouldDeleteByStatus": self.by_status,
            "preservedActive": len(self.preserved_active),
            "preservedLiveJobs": len(self.preserved_live_jobs),
            "preservedLiveJobIds": {k: list(v) for k, v in sorted(self.preserved_live_jobs.items())},
            "jobsChecked": self.jobs_checked,
        }


def split_scope(
    rows: Iterable[HistoryRow], scope: PruneScope, now: datetime
) -> tuple[list[HistoryRow], list[HistoryRow], int]:
    """(terminal rows in scope, non-terminal rows in scope, number out of scope)."""
    terminal: list[HistoryRow] = []
    kept: list[HistoryRow] = []
    out = 0
    for row in rows:
        if not scope.includes(row, now):
            out += 1
        elif row.is_terminal:
            terminal.append(row)
        else:
            kept.append(row)
    return terminal, kept, out


def needs_job_check(row: HistoryRow) -> bool:
    return row.status in JOB_CHECKED_STATUSES


def valid_job_ids(job_ids: Iterable[str]) -> list[str]:
    """Distinct job IDs DescribeJobs accepts (anything else cannot be a DRS job), in first-seen order."""
    seen: dict[str, None] = {}
    for j in job_ids:
        if j and JOB_ID_PATTERN.match(j):
            seen.setdefault(j, None)
    return list(seen)


def chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    if size < 1:
        raise ValueError("size must be >= 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def build_preview(
    rows: Iterable[HistoryRow],
    scope: PruneScope,
    now: datetime,
    *,
    job_ids_of: Mapping[str, Iterable[str]] | None = None,
    live_job_ids: Iterable[str] = (),
    jobs_checked: int = 0,
) -> PrunePreview:
    """What a prune of ``scope`` would do. ``job_ids_of`` maps the CANCELLED executions in scope to
    their wave job IDs; ``live_job_ids`` are the ones DescribeJobs reported PENDING or STARTED."""
    live = set(live_job_ids)
    job_ids_of = job_ids_of or {}
    terminal, kept, out = split_scope(rows, scope, now)
    to_delete: list[PruneCandidate] = []
    preserved_live: dict[str, tuple[str, ...]] = {}
    for row in terminal:
        if needs_job_check(row):
            running = tuple(j for j in job_ids_of.get(row.execution_id, ()) if j in live)
            if running:
                preserved_live[row.execution_id] = running
                continue
        to_delete.append(PruneCandidate.of(row))
    return PrunePreview(
        scope=scope,
        to_delete=tuple(to_delete),
        preserved_active=tuple(r.execution_id for r in kept),
        preserved_live_jobs=preserved_live,
        out_of_scope=out,
        jobs_checked=jobs_checked,
    )


# ================================================================================================
# prune: batching plan
# ================================================================================================
@dataclass(frozen=True)
class DeletePart:
    """Part of one execution's delete inside a transaction: its execution item (conditional) and/or
    some of its wave items (unconditional)."""

    candidate: PruneCandidate
    include_head: bool
    wave_sks: tuple[str, ...]

    @property
    def execution_id(self) -> str:
        return self.candidate.execution_id

    @property
    def write_count(self) -> int:
        return int(self.include_head) + len(self.wave_sks)


@dataclass(frozen=True)
class Transaction:
    parts: tuple[DeletePart, ...]

    @property
    def write_count(self) -> int:
        return sum(p.write_count for p in self.parts)

    @property
    def execution_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.execution_id for p in self.parts))


def plan_transactions(
    candidates: Iterable[PruneCandidate], max_items: int = MAX_TRANSACT_ITEMS
) -> list[Transaction]:
    """Pack executions into transactions of at most ``max_items`` writes, each execution whole
    (its execution item with all its waves) in one transaction. An execution with more waves than
    fit is the only one split: its execution item and the first waves first, alone in their
    transaction, then the rest of its waves in the following ones."""
    if max_items < 2:
        raise ValueError("max_items must be >= 2")
    out: list[Transaction] = []
    current: list[DeletePart] = []
    used = 0
    for cand in candidates:
        sks = cand.wave_sks
        need = 1 + len(sks)
        if need <= max_items:
            if used + need > max_items:
                out.append(Transaction(tuple(current)))
                current, used = [], 0
            current.append(DeletePart(cand, True, sks))
            used += need
            continue
        # too big for one transaction: flush, then head + first waves, then the remaining waves
        if current:
            out.append(Transaction(tuple(current)))
            current, used = [], 0
        first = sks[: max_items - 1]
        out.append(Transaction((DeletePart(cand, True, first),)))
        for chunk in chunks(sks[max_items - 1 :], max_items):
            out.append(Transaction((DeletePart(cand, False, tuple(chunk)),)))
    if current:
        out.append(Transaction(tuple(current)))
    return out


# ================================================================================================
# prune: outcome
# ================================================================================================
class Outcome(StrEnum):
    DELETED = "deleted"
    SKIPPED_ACTIVE = "skipped-now-active"  # no longer terminal at the moment of the delete
    SKIPPED_CHANGED = "skipped-changed"  # still terminal, but changed since the preview
    NOT_FOUND = "not-found"
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"  # the prune was cancelled before its batch


TRANSIENT_CODES = frozenset(
    {"ThrottlingError", "TransactionConflict", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
     "InternalServerError", "ThrottlingException"}
)
NO_ERROR_CODES = frozenset({"None", "", None})


def classify_condition_failure(cand: PruneCandidate, current: Mapping[str, Any] | None) -> Outcome:
    """Why the execution item's condition failed, from the item as it is now (ALL_OLD)."""
    if not current:
        return Outcome.NOT_FOUND
    if not is_terminal(str(current.get("status") or "")):
        return Outcome.SKIPPED_ACTIVE
    return Outcome.SKIPPED_CHANGED


@dataclass(frozen=True)
class CancellationVerdict:
    """What to do after a TransactWriteItems was cancelled."""

    final: Mapping[str, tuple[Outcome, str]]  # execution ID -> (outcome, reason)
    retry_now: tuple[DeletePart, ...]  # not at fault: retry at once without the others
    retry_later: tuple[DeletePart, ...]  # transient (throttling, conflict): retry after a backoff


def judge_cancellation(
    transaction: Transaction, reasons: Sequence[Mapping[str, Any]]
) -> CancellationVerdict:
    """Split a cancelled transaction's executions by CancellationReasons (one per write, in order;
    ``Item`` deserialized when present). An execution with any write at fault is settled or retried
    later as a whole; the others are retried at once."""
    # map every write back to its part
    owners: list[DeletePart] = []
    is_head: list[bool] = []
    for part in transaction.parts:
        if part.include_head:
            owners.append(part)
            is_head.append(True)
        for _sk in part.wave_sks:
            owners.append(part)
            is_head.append(False)
    final: dict[str, tuple[Outcome, str]] = {}
    later: dict[str, DeletePart] = {}
    if len(reasons) != len(owners):
        # the service did not say which write failed: retry everything later, one by one
        return CancellationVerdict({}, (), tuple(transaction.parts))
    for part, head, reason in zip(owners, is_head, reasons, strict=True):
        code = reason.get("Code")
        if code in NO_ERROR_CODES:
            continue
        eid = part.execution_id
        if code == "ConditionalCheckFailed" and head:
            outcome = classify_condition_failure(part.candidate, reason.get("Item"))
            final[eid] = (outcome, _condition_reason(outcome, reason.get("Item")))
        elif code in TRANSIENT_CODES:
            if eid not in final:
                later[eid] = part
        else:
            final[eid] = (Outcome.FAILED, f"{code}: {reason.get('Message') or ''}".strip(": "))
    for eid in final:
        later.pop(eid, None)
    now = tuple(p for p in transaction.parts if p.execution_id not in final and p.execution_id not in later)
    return CancellationVerdict(final, now, tuple(later.values()))


def _condition_reason(outcome: Outcome, current: Mapping[str, Any] | None) -> str:
    if outcome is Outcome.NOT_FOUND:
        return "no longer in the history table"
    status = str((current or {}).get("status") or "no status")
    if outcome is Outcome.SKIPPED_ACTIVE:
        return f"now {status}: not deleted"
    return f"changed since the preview (now {status}): not deleted"


@dataclass
class PruneResult:
    """Every candidate of a prune ends in exactly one outcome; preserved ones are listed apart."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    preserved_active: tuple[str, ...] = ()
    preserved_live_jobs: tuple[str, ...] = ()
    write_calls: int = 0  # TransactWriteItems calls made
    writes: int = 0  # items those calls carried
    cancelled: bool = False
    leftover_waves: dict[str, int] = field(default_factory=dict)  # only for > 99-wave executions
    error: str = ""  # set when AWS refused a whole call and the prune stopped
    error_is_aws: bool = False

    def settle(self, execution_id: str, outcome: Outcome, reason: str = "") -> None:
        # a settled execution never moves back (for split executions: first failure wins)
        previous = self.outcomes.get(execution_id)
        if previous is not None and previous is not Outcome.DELETED:
            return
        self.outcomes[execution_id] = outcome
        if reason:
            self.reasons[execution_id] = reason
        else:
            self.reasons.pop(execution_id, None)

    def ids(self, outcome: Outcome) -> list[str]:
        return [k for k, v in self.outcomes.items() if v is outcome]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for v in self.outcomes.values() if v is outcome)

    @property
    def deleted(self) -> list[str]:
        return self.ids(Outcome.DELETED)

    @property
    def failed(self) -> dict[str, str]:
        return {k: self.reasons.get(k, "") for k in self.ids(Outcome.FAILED)}

    def to_json(self) -> dict[str, Any]:
        return {
            "deleted": self.count(Outcome.DELETED),
            "skippedNowActive": self.count(Outcome.SKIPPED_ACTIVE),
            "skippedChanged": self.count(Outcome.SKIPPED_CHANGED),
            "skippedLiveJobs": len(self.preserved_live_jobs),
            "preservedActive": len(self.preserved_active),
            "notFound": self.count(Outcome.NOT_FOUND),
            "failed": [{"executionId": k, "reason": v} for k, v in self.failed.items()],
            "notAttempted": self.count(Outcome.NOT_ATTEMPTED),
            "cancelled": self.cancelled,
            "writeCalls": self.write_calls,
            "writes": self.writes,
            "leftoverWaveRecords": sum(self.leftover_waves.values()),
            "error": self.error or None,
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"Deleted {plural(self.count(Outcome.DELETED), 'execution')}.",
            f"Skipped {self.count(Outcome.SKIPPED_ACTIVE)} that became active, "
            f"{self.count(Outcome.SKIPPED_CHANGED)} that changed since the preview, "
            f"{len(self.preserved_live_jobs)} with live DRS jobs.",
            f"Not found: {self.count(Outcome.NOT_FOUND)}. Failed: {self.count(Outcome.FAILED)}.",
        ]
        if self.error:
            lines.append(f"Stopped: {self.error}")
        if self.cancelled:
            lines.append(f"Cancelled: {self.count(Outcome.NOT_ATTEMPTED)} not attempted.")
        for eid, reason in list(self.failed.items())[:10]:
            lines.append(f"  {eid}: {reason}")
        return lines


def head_condition(cand: PruneCandidate) -> tuple[str, dict[str, str], dict[str, Any]]:
    """ConditionExpression, names and (plain) values for deleting ``cand``'s execution item: its
    status is terminal right now, and it is the record the preview saw (updatedAt, waveCount)."""
    names = {"#s": "status", "#u": "updatedAt", "#w": "waveCount"}
    values: dict[str, Any] = {}
    terms = []
    for i, status in enumerate(sorted(TERMINAL_STATUSES)):
        values[f":t{i}"] = status.value
        terms.append(f":t{i}")
    expr = f"#s IN ({', '.join(terms)})"
    if cand.updated_at:
        values[":u"] = cand.updated_at
        expr += " AND #u = :u"
    else:
        expr += " AND attribute_not_exists(#u)"
    if cand.wave_count_known:
        values[":w"] = cand.wave_count
        expr += " AND #w = :w"
    else:
        expr += " AND attribute_not_exists(#w)"
    return expr, names, values
