"""Plan readiness: could this plan recover its servers now, and has it proved so in a drill?

Pure rules over what the aws layer (``aws/readiness.py``) or the caches read: the plan, an
inventory of its target (live, or the cached one), each server's newest recovery snapshot (its
recovery point, ``domain/preflight.py`` ``RecoveryPoint``; only when connected) and the drills
the history table holds. Nothing here talks to AWS.

A plan is READY, AT RISK or NOT READY (UNKNOWN when there is no inventory of its target to judge
its servers by); each reason is one sentence naming the servers behind it. Which is which:

NOT READY -- a recovery now would not bring the plan's servers back, or nobody has ever seen it do so:
  * ``no-servers``: the plan recovers no server at all;
  * ``missing-server``: a server of the plan is no longer in DRS;
  * ``no-snapshot``: DRS holds no recovery snapshot of a server (nothing to launch from), which
    includes a server whose initial sync is still running;
  * ``never-drilled``: the plan was never drilled, or a server of it was never launched in a
    drill wave that completed.

AT RISK -- it would recover, but with more data lost or more time taken than it should, or
what was proved in a drill no longer holds:
  * ``replication``: a server's replication is STALLED, DISCONNECTED, STOPPED or PAUSED (it
    recovers to its newest snapshot, however old) or catching up (BACKLOG, RESCAN, ...);
  * ``lag``: a server lags, or its newest recovery point is older, than ``LAG_LIMIT_SECONDS``
    (the limit preflight warns at);
  * ``drill-stale``: the plan's last drill, or a server's, is older than ``stale_days``
    (default ``DEFAULT_STALE_DAYS``);
  * ``drill-failed``: the plan's last drill did not complete;
  * ``rto-missed``: the last drill took longer than the plan's RTO target;
  * ``drift``: servers the plan's tag selectors match today were not in its last drill;
  * ``history-unknown``: the drill history could not be read (offline): nothing is proved.

UNKNOWN -- ``no-inventory``: no inventory of the plan's target account and region.

The status is the worst of its reasons (NOT READY > UNKNOWN > AT RISK > READY).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from .contract import ExecutionRecord
from .fields import age_text, duration_text, iso_utc, rto_target_text, utc_text, whole_second
from .history import parse_time
from .inventory import InventorySnapshot, SourceServer, parse_iso_duration
from .plan import Plan
from .preflight import RECOVERY_POINT_LAG_WARN_SECONDS, RecoveryPoint, worst_recovery_point
from .progress import plan_waves
from .status import ExecutionStatus, ReplicationHealth, ReplicationState
from .validation import resolve_plan
from .wording import plural

DEFAULT_STALE_DAYS = 90
MAX_STALE_DAYS = 3650
LAG_LIMIT_SECONDS = RECOVERY_POINT_LAG_WARN_SECONDS
NAMES_SHOWN = 5
NO_SNAPSHOT_YET = frozenset({ReplicationState.INITIATING, ReplicationState.INITIAL_SYNC})


class Readiness(StrEnum):
    READY = "READY"
    AT_RISK = "AT RISK"
    UNKNOWN = "UNKNOWN"
    NOT_READY = "NOT READY"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Readiness.READY: 0, Readiness.AT_RISK: 1, Readiness.UNKNOWN: 2, Readiness.NOT_READY: 3}


class ReasonCode(StrEnum):
    NO_SERVERS = "no-servers"
    MISSING_SERVER = "missing-server"
    NO_SNAPSHOT = "no-snapshot"
    NEVER_DRILLED = "never-drilled"
    NO_INVENTORY = "no-inventory"
    REPLICATION = "replication"
    LAG = "lag"
    DRILL_STALE = "drill-stale"
    DRILL_FAILED = "drill-failed"
    RTO_MISSED = "rto-missed"
    DRIFT = "drift"
    HISTORY_UNKNOWN = "history-unknown"


SEVERITY: Mapping[ReasonCode, Readiness] = {
    ReasonCode.NO_SERVERS: Readiness.NOT_READY,
    ReasonCode.MISSING_SERVER: Readiness.NOT_READY,
    ReasonCode.NO_SNAPSHOT: Readiness.NOT_READY,
    ReasonCode.NEVER_DRILLED: Readiness.NOT_READY,
    ReasonCode.NO_INVENTORY: Readiness.UNKNOWN,
    ReasonCode.REPLICATION: Readiness.AT_RISK,
    ReasonCode.LAG: Readiness.AT_RISK,
    ReasonCode.DRILL_STALE: Readiness.AT_RISK,
    ReasonCode.DRILL_FAILED: Readiness.AT_RISK,
    ReasonCode.RTO_MISSED: Readiness.AT_RISK,
    ReasonCode.DRIFT: Readiness.AT_RISK,
    ReasonCode.HISTORY_UNKNOWN: Readiness.AT_RISK,
}


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    text: str
    server_ids: tuple[str, ...] = ()

    @property
    def status(self) -> Readiness:
        return SEVERITY[self.code]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code.value, "status": self.status.value, "text": self.text,
                "serverIds": list(self.server_ids)}


# --- drills -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrillWave:
    index: int
    name: str
    status: ExecutionStatus | None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    server_ids: tuple[str, ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def completed(self) -> bool:
        return self.status is ExecutionStatus.COMPLETED

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "status": self.status.value if self.status else None,
                "startedAt": iso_utc(self.started_at), "endedAt": iso_utc(self.ended_at),
                "durationSeconds": _whole(self.duration_seconds), "serverIds": list(self.server_ids)}


@dataclass(frozen=True, slots=True)
class DrillRecord:
    """One drill as the history table holds it: its waves' times and the servers each ran."""

    execution_id: str
    plan_id: str
    status: ExecutionStatus | None
    started_at: datetime | None
    ended_at: datetime | None = None
    waves: tuple[DrillWave, ...] = ()
    plan_name: str = ""

    @classmethod
    def from_record(cls, record: ExecutionRecord, plan_doc: Mapping[str, Any] | None) -> DrillRecord:
        """From the execution's record and the plan it ran (its ``planJson``): the servers of each
        wave come from the plan, the times and statuses from the wave records."""
        planned = plan_waves(plan_doc)
        at = whole_second  # whole seconds, as every view shows them (domain/fields.py): the figures agree
        by_index = {w.index: w for w in record.waves}
        waves = []
        for i in range(max(len(planned), len(record.waves))):
            rec = by_index.get(i)
            spec = planned[i] if i < len(planned) else {}
            waves.append(DrillWave(
                index=i,
                name=(rec.name if rec and rec.name else str(spec.get("name") or f"Wave {i + 1}")),
                status=rec.status if rec else None,
                started_at=at(parse_time(rec.started_at)) if rec else None,
                ended_at=at(parse_time(rec.ended_at)) if rec else None,
                server_ids=tuple(spec.get("sourceServerIds") or ()),
            ))
        return cls(record.execution_id, record.plan_id, record.status, at(parse_time(record.started_at)),
                   at(parse_time(record.ended_at)), tuple(waves), record.plan_name)

    @property
    def is_terminal(self) -> bool:
        return self.status is not None and self.status.is_terminal

    @property
    def server_ids(self) -> frozenset[str]:
        return frozenset(s for w in self.waves for s in w.server_ids)

    @property
    def drilled_server_ids(self) -> frozenset[str]:
        """The servers of its waves that completed (launched in a drill that worked)."""
        return frozenset(s for w in self.waves if w.completed for s in w.server_ids)

    @property
    def recovery_time_seconds(self) -> float | None:
        """Achieved RTO: the drill's start to the end of its last wave (None unless every wave ended)."""
        ends = [w.ended_at for w in self.waves]
        if self.started_at is None or not ends or any(e is None for e in ends):
            return None
        return max(0.0, (max(e for e in ends if e) - self.started_at).total_seconds())

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> DrillRecord:
        """Back from ``to_json`` (the drill cache); raises KeyError/TypeError/ValueError if malformed."""
        waves = tuple(
            DrillWave(int(w["index"]), str(w["name"]), ExecutionStatus.parse(w.get("status")),
                      parse_time(w.get("startedAt")), parse_time(w.get("endedAt")),
                      tuple(str(i) for i in w.get("serverIds") or ()))
            for w in doc.get("waves") or ()
        )
        return cls(str(doc["executionId"]), str(doc.get("planId") or ""), ExecutionStatus.parse(doc.get("status")),
                   parse_time(doc.get("startedAt")), parse_time(doc.get("endedAt")), waves,
                   str(doc.get("planName") or ""))

    def to_json(self) -> dict[str, Any]:
        return {"executionId": self.execution_id, "planId": self.plan_id, "planName": self.plan_name,
                "status": self.status.value if self.status else None,
                "startedAt": iso_utc(self.started_at), "endedAt": iso_utc(self.ended_at),
                "recoveryTimeSeconds": _whole(self.recovery_time_seconds),
                "waves": [w.to_json() for w in self.waves]}


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerReadiness:
    """One server of the plan, with every figure readiness is derived from."""

    source_server_id: str
    name: str
    wave_index: int
    from_selector: bool = False
    in_drs: bool | None = None  # None: no inventory to tell
    replication_state: ReplicationState | None = None
    lag_seconds: float | None = None
    recovery_point: RecoveryPoint | None = None  # None: not read
    last_drilled_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.source_server_id})" if self.name and self.name != self.source_server_id \
            else self.source_server_id

    def point_age_seconds(self, now: datetime) -> float | None:
        return self.recovery_point.age_seconds(now) if self.recovery_point else None

    def to_json(self, now: datetime) -> dict[str, Any]:
        point = self.recovery_point
        return {
            "sourceServerId": self.source_server_id,
            "name": self.name,
            "wave": self.wave_index + 1,
            "fromSelector": self.from_selector,
            "inDrs": self.in_drs,
            "replicationState": self.replication_state.value if self.replication_state else None,
            "lagSeconds": _whole(self.lag_seconds),
            "recoveryPointAt": iso_utc(point.at) if point else None,
            "recoveryPointAgeSeconds": _whole(self.point_age_seconds(now)),
            "lastDrilledAt": iso_utc(self.last_drilled_at),
        }


@dataclass(frozen=True)
class PlanReadiness:
    plan_id: str
    plan_name: str
    status: Readiness
    reasons: tuple[Reason, ...]
    servers: tuple[ServerReadiness, ...]
    checked_at: datetime
    last_drill: DrillRecord | None = None
    rto_target_minutes: int | None = None
    stale_days: int = DEFAULT_STALE_DAYS
    inventory_at: datetime | None = None
    inventory_live: bool = False
    points_read: bool = False
    history_read: bool = False

    # -- figures ---------------------------------------------------------------------------
    @property
    def worst_lag(self) -> ServerReadiness | None:
        lagging = [s for s in self.servers if s.lag_seconds is not None]
        return max(lagging, key=lambda s: s.lag_seconds or 0.0, default=None)

    @property
    def worst_point(self) -> RecoveryPoint | None:
        return worst_recovery_point(s.recovery_point for s in self.servers if s.recovery_point is not None)

    @property
    def rpo_seconds(self) -> float | None:
        """The plan's RPO now: its oldest recovery point's age, else its worst lag (None: unknown,
        or a server has nothing to recover to)."""
        point = self.worst_point
        if point is not None:
            return point.age_seconds(self.checked_at)
        lag = self.worst_lag
        return lag.lag_seconds if lag else None

    @property
    def inventory_age_seconds(self) -> float | None:
        return None if self.inventory_at is None else max(0.0, (self.checked_at - self.inventory_at).total_seconds())

    @property
    def rto_target_seconds(self) -> int | None:
        return None if self.rto_target_minutes is None else self.rto_target_minutes * 60

    def server(self, server_id: str) -> ServerReadiness | None:
        return next((s for s in self.servers if s.source_server_id == server_id), None)

    # -- text -------------------------------------------------------------------------------
    def source_text(self) -> str:
        """Where the figures come from: 'live inventory', 'cached inventory, 3 h old', ..."""
        if self.inventory_at is None:
            return "no inventory"
        if self.inventory_live:
            return "live inventory"
        return f"cached inventory, {age_text(self.inventory_age_seconds)} old"

    def rpo_text(self) -> str:
        point, lag = self.worst_point, self.worst_lag
        parts = []
        if point is not None:
            who = self._label(point.source_server_id)
            parts.append(f"{who} has no recovery snapshot" if point.at is None else
                         f"oldest recovery point {utc_text(point.at)} ({age_text(point.age_seconds(self.checked_at))} "
                         f"ago, {who})")
        elif not self.points_read:
            parts.append("recovery points not read (offline)")
        if lag is not None:
            parts.append(f"worst lag {age_text(lag.lag_seconds)} ({lag.label})")
        return "; ".join(parts) or "unknown"

    def drill_text(self) -> str:
        d = self.last_drill
        if d is None:
            return "never drilled" if self.history_read else "unknown (history not read)"
        rto = d.recovery_time_seconds
        status = d.status.value if d.status else "UNKNOWN"
        text = f"{utc_text(d.started_at)}: {status}"
        if rto is not None:
            text += f", recovery time {duration_text(rto)}"
        return text

    def _label(self, server_id: str) -> str:
        s = self.server(server_id)
        return s.label if s else server_id

    def to_json(self) -> dict[str, Any]:
        point, lag = self.worst_point, self.worst_lag
        return {
            "planId": self.plan_id,
            "planName": self.plan_name,
            "status": self.status.value,
            "reasons": [r.to_json() for r in self.reasons],
            "checkedAt": iso_utc(self.checked_at),
            "source": {"inventory": "live" if self.inventory_live else ("cached" if self.inventory_at else None),
                       "inventoryFetchedAt": iso_utc(self.inventory_at),
                       "inventoryAgeSeconds": _whole(self.inventory_age_seconds),
                       "recoveryPointsRead": self.points_read, "historyRead": self.history_read},
            "rpo": {"seconds": _whole(self.rpo_seconds),
                    "worstRecoveryPoint": point.to_json() if point else None,
                    "worstLagSeconds": _whole(lag.lag_seconds) if lag else None,
                    "worstLagServerId": lag.source_server_id if lag else None},
            "rtoTargetMinutes": self.rto_target_minutes,
            "staleDays": self.stale_days,
            "lastDrill": self.last_drill.to_json() if self.last_drill else None,
            "servers": [s.to_json(self.checked_at) for s in self.servers],
        }


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds))


# --- the rules --------------------------------------------------------------------------------


def inventory_for(plan: Plan, inventory: InventorySnapshot | None) -> InventorySnapshot | None:
    """``inventory`` if it is of the plan's target (a plan without a target takes any)."""
    if inventory is None:
        return None
    if plan.target_account_id and inventory.account_id and plan.target_account_id != inventory.account_id:
        return None
    if plan.target_region and inventory.region and plan.target_region != inventory.region:
        return None
    return inventory


def assess(
    plan: Plan,
    inventory: InventorySnapshot | None,
    *,
    now: datetime | None = None,
    inventory_live: bool = False,
    points: Mapping[str, RecoveryPoint] | None = None,
    drills: Sequence[DrillRecord] | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> PlanReadiness:
    """The plan's readiness. ``points`` None: recovery points were not read (offline); ``drills``
    None: the history was not read; otherwise every drill of the plan the history holds."""
    now = now or datetime.now(UTC)
    inventory = inventory_for(plan, inventory)
    by_id = inventory.by_id() if inventory else {}
    resolved = resolve_plan(plan, list(inventory.own_servers) if inventory else None)
    mine = [d for d in drills or () if d.plan_id == plan.id and d.is_terminal and d.started_at is not None]
    mine.sort(key=lambda d: d.started_at or now, reverse=True)
    last = mine[0] if mine else None
    drilled_at: dict[str, datetime] = {}
    for d in mine:  # newest first: the first drill seen of a server is its last
        for sid in d.drilled_server_ids:
            drilled_at.setdefault(sid, d.started_at or now)

    servers: list[ServerReadiness] = []
    seen: set[str] = set()
    for rw in resolved:
        names = {r.source_server_id: r.name for r in rw.wave.servers}
        for sid in rw.server_ids:
            if sid in seen:
                continue
            seen.add(sid)
            live = by_id.get(sid)
            lag = parse_iso_duration(live.lag_duration) if live and live.lag_duration else None
            servers.append(ServerReadiness(
                source_server_id=sid,
                name=(live.name if live else names.get(sid, "")) or "",
                wave_index=rw.index,
                from_selector=sid in rw.from_selector,
                in_drs=(sid in by_id) if inventory else None,
                replication_state=live.replication_state if live else None,
                lag_seconds=lag.total_seconds() if lag is not None else None,
                recovery_point=(points.get(sid, RecoveryPoint(sid)) if points is not None and live else None),
                last_drilled_at=drilled_at.get(sid),
            ))

    reasons: list[Reason] = []
    add = reasons.append
    if not servers and (inventory is not None or not any(w.selector for w in plan.waves)):
        add(Reason(ReasonCode.NO_SERVERS, "The plan recovers no server: add servers or a tag selector to its waves."))
    if inventory is None:
        where = f"account {plan.target_account_id or '?'}, {plan.target_region or '?'}"
        add(Reason(ReasonCode.NO_INVENTORY, f"No inventory of {where} to check the servers against: connect, "
                                            "or run 'drs-console inventory' there."))
    else:
        reasons.extend(_server_reasons(servers, by_id, now))
    reasons.extend(_drill_reasons(plan, servers, last, drills is not None, now, stale_days))
    reasons.sort(key=lambda r: -r.status.rank)
    status = max((r.status for r in reasons), key=lambda s: s.rank, default=Readiness.READY)
    return PlanReadiness(
        plan_id=plan.id, plan_name=plan.name, status=status, reasons=tuple(reasons), servers=tuple(servers),
        checked_at=now, last_drill=last, rto_target_minutes=plan.rto_target_minutes, stale_days=stale_days,
        inventory_at=inventory.fetched_at if inventory else None, inventory_live=inventory_live and inventory is not None,
        points_read=points is not None, history_read=drills is not None,
    )


def _names(servers: Iterable[ServerReadiness]) -> str:
    items = list(servers)
    shown = ", ".join(s.label for s in items[:NAMES_SHOWN])
    return shown + (f" and {len(items) - NAMES_SHOWN} more" if len(items) > NAMES_SHOWN else "")


def _ids(servers: Iterable[ServerReadiness]) -> tuple[str, ...]:
    return tuple(s.source_server_id for s in servers)


def _server_reasons(servers: Sequence[ServerReadiness], by_id: Mapping[str, SourceServer],
                    now: datetime) -> list[Reason]:
    out: list[Reason] = []
    missing = [s for s in servers if s.in_drs is False]
    if missing:
        out.append(Reason(ReasonCode.MISSING_SERVER,
                          f"{plural(len(missing), 'server')} of the plan no longer in DRS: {_names(missing)}. "
                          "Remove them from the plan, or add them back to DRS.", _ids(missing)))
    present = [s for s in servers if s.in_drs]
    no_point = [s for s in present if (s.recovery_point is not None and s.recovery_point.at is None)
                or (s.recovery_point is None and s.replication_state in NO_SNAPSHOT_YET)]
    if no_point:
        out.append(Reason(ReasonCode.NO_SNAPSHOT,
                          f"{plural(len(no_point), 'server')} with no recovery snapshot to launch from: "
                          f"{_names(no_point)}{_states(no_point)}. Wait until the initial sync has completed.",
                          _ids(no_point)))
    blank = {s.source_server_id for s in no_point}
    troubled = [s for s in present if s.source_server_id not in blank and s.replication_state is not None
                and by_id[s.source_server_id].health is not ReplicationHealth.HEALTHY]
    if troubled:
        out.append(Reason(ReasonCode.REPLICATION,
                          f"{plural(len(troubled), 'server')} not in continuous replication: {_names(troubled)}"
                          f"{_states(troubled)}. A recovery now loses the data written since "
                          f"{'its' if len(troubled) == 1 else 'their'} newest recovery point.", _ids(troubled)))
    unhealthy = {s.source_server_id for s in troubled} | blank
    lagging = [s for s in present if s.source_server_id not in unhealthy and _behind(s, now) > LAG_LIMIT_SECONDS]
    if lagging:
        worst = max(_behind(s, now) for s in lagging)
        out.append(Reason(ReasonCode.LAG,
                          f"{plural(len(lagging), 'server')} {'lags' if len(lagging) == 1 else 'lag'} more than "
                          f"{age_text(LAG_LIMIT_SECONDS)} behind (worst {age_text(worst)}): {_names(lagging)}.",
                          _ids(lagging)))
    return out


def _behind(s: ServerReadiness, now: datetime) -> float:
    """How far behind a server's data is: its lag, or its newest recovery point's age (the worse)."""
    return max(s.lag_seconds or 0.0, s.point_age_seconds(now) or 0.0)


def _states(servers: Sequence[ServerReadiness]) -> str:
    states = sorted({s.replication_state.value for s in servers if s.replication_state})
    return f" ({', '.join(states)})" if states else ""


def _drill_reasons(plan: Plan, servers: Sequence[ServerReadiness], last: DrillRecord | None, history_read: bool,
                   now: datetime, stale_days: int) -> list[Reason]:
    out: list[Reason] = []
    if not history_read:
        out.append(Reason(ReasonCode.HISTORY_UNKNOWN, "The drill history was not read (offline): when the plan was "
                                                      "last drilled is unknown. Connect to check it."))
        return out
    if last is None:
        out.append(Reason(ReasonCode.NEVER_DRILLED, "The plan has never been drilled: run a drill to prove it "
                                                    "recovers.", _ids(servers)))
        return out
    stale_before = now - timedelta(days=stale_days)
    when = utc_text(last.started_at)
    never = [s for s in servers if s.last_drilled_at is None and s.in_drs is not False]
    if never:
        out.append(Reason(ReasonCode.NEVER_DRILLED,
                          f"{plural(len(never), 'server')} never launched in a completed drill wave: {_names(never)}.",
                          _ids(never)))
    if last.started_at is not None and last.started_at < stale_before:
        out.append(Reason(ReasonCode.DRILL_STALE,
                          f"The last drill ({when}) is {age_text((now - last.started_at).total_seconds())} old, "
                          f"more than {stale_days} days: drill it again.", _ids(servers)))
    else:
        stale = [s for s in servers if s.last_drilled_at is not None and s.last_drilled_at < stale_before]
        if stale:
            out.append(Reason(ReasonCode.DRILL_STALE,
                              f"{plural(len(stale), 'server')} not drilled in the last {stale_days} days: "
                              f"{_names(stale)}.", _ids(stale)))
    if last.status is not ExecutionStatus.COMPLETED:
        failed = [w for w in last.waves if w.status is not ExecutionStatus.COMPLETED]
        which = ", ".join(f"wave {w.index + 1} {w.name!r} {w.status.value if w.status else 'not run'}"
                          for w in failed[:3])
        ids = tuple(sid for w in failed for sid in w.server_ids)
        out.append(Reason(ReasonCode.DRILL_FAILED,
                          f"The last drill ({when}) ended {last.status.value if last.status else 'UNKNOWN'}"
                          + (f": {which}" if which else "") + ".", ids))
    rto = last.recovery_time_seconds
    if plan.rto_target_minutes is not None and rto is not None and rto > plan.rto_target_minutes * 60:
        out.append(Reason(ReasonCode.RTO_MISSED,
                          f"The last drill took {duration_text(rto)}, more than the RTO target of "
                          f"{rto_target_text(plan.rto_target_minutes)}.", tuple(sorted(last.server_ids))))
    joined = [s for s in servers if s.source_server_id not in last.server_ids and s.from_selector]
    if joined:
        out.append(Reason(ReasonCode.DRIFT,
                          f"{plural(len(joined), 'server')} matched by the plan's tag selectors today "
                          f"{'was' if len(joined) == 1 else 'were'} not in its last drill ({when}): {_names(joined)}.",
                          _ids(joined)))
    return out


def wave_timings(readiness: PlanReadiness) -> list[tuple[DrillWave, float | None]]:
    """The last drill's waves with each one's duration (the audit page's per-wave figures)."""
    d = readiness.last_drill
    return [(w, w.duration_seconds) for w in d.waves] if d else []


def stale_days_problem(days: Any) -> str | None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_STALE_DAYS:
        return f"the drill age limit must be whole days from 1 to {MAX_STALE_DAYS}"
    return None


__all__ = [
    "DEFAULT_STALE_DAYS", "LAG_LIMIT_SECONDS", "DrillRecord", "DrillWave", "PlanReadiness", "Readiness", "Reason",
    "ReasonCode", "SEVERITY", "ServerReadiness", "assess", "inventory_for", "stale_days_problem",
    "wave_timings",
]
