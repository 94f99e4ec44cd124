"""Preflight: is this plan safe to run, here and now? Pure rules over what the aws layer read.

Each check gives PASS, WARN or BLOCK with one line saying what to do. BLOCK stops a run; WARN is
shown and may be accepted. ``aws/preflight.py`` gathers the facts (identity, a fresh
DescribeSourceServers, active DRS jobs, active executions, server leases, the per-job quota,
leftover drill instances, each server's newest recovery snapshot) and calls these functions;
nothing here talks to AWS.

A drill and a recovery differ on replication: a drill BLOCKs servers whose replication is
STALLED or DISCONNECTED (test with healthy data). A real recovery happens because the source site
is down, so there they are WARN: the recovery launches from each server's newest recovery
snapshot, which every server's ``recovery-point`` line shows ("recovers to 2026-12-01 03:12 UTC,
41 min ago"); the plan's worst one is its RPO at this moment. A server with no recovery snapshot
at all has nothing to recover to: BLOCK, for a recovery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .contract import CONTRACT_VERSION
from .inventory import InventorySnapshot, SourceServer, format_age
from .lease import ServerLease
from .plan import Plan
from .status import ReplicationHealth
from .validation import Code, Severity, resolve_plan, validate
from .wording import noun, plural

# DRS's documented default for the per-job quota ("a plan can launch up to 100 instances at once"),
# used when Service Quotas cannot be read; StartRecovery itself takes at most 200 servers.
DOCUMENTED_JOB_QUOTA = 100
START_RECOVERY_MAX = 200
# A recovery point older than this on a server that replicates continuously means it lags.
RECOVERY_POINT_LAG_WARN_SECONDS = 30 * 60


class Level(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    BLOCK = "BLOCK"


_RANK = {Level.PASS: 0, Level.WARN: 1, Level.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class Check:
    """One preflight finding: ``remedy`` is the one line saying what to do (empty for PASS)."""

    check: str  # target, contract, servers, selectors, active-jobs, active-executions, leases, quota, leftovers, plan
    level: Level
    message: str
    remedy: str = ""
    wave_index: int | None = None
    server_ids: tuple[str, ...] = ()
    action: str = ""  # an action the UI can offer: "cleanup"

    def one_line(self) -> str:
        tail = f" -> {self.remedy}" if self.remedy and self.level is not Level.PASS else ""
        return f"{self.level.value:5} {self.check:18} {self.message}{tail}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "level": self.level.value, "message": self.message,
                               "remedy": self.remedy}
        if self.wave_index is not None:
            out["waveIndex"] = self.wave_index
        if self.server_ids:
            out["serverIds"] = list(self.server_ids)
        if self.action:
            out["action"] = self.action
        return out


@dataclass(frozen=True, slots=True)
class ResolvedWave:
    """A wave's servers as they will be run: explicit ones, then the selector's fresh matches."""

    index: int
    name: str
    server_ids: tuple[str, ...]
    from_selector: tuple[str, ...] = ()
    selector: str | None = None
    pause_before: bool = False
    timeout_seconds: int = 3600

    def to_input(self) -> dict[str, Any]:
        """The wave as build_execution_input takes it."""
        return {
            "name": self.name,
            "sourceServerIds": list(self.server_ids),
            "pauseBefore": self.pause_before,
            "timeoutSeconds": self.timeout_seconds,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "serverIds": list(self.server_ids),
            "fromSelector": list(self.from_selector),
            "selector": self.selector,
            "pauseBefore": self.pause_before,
            "timeoutSeconds": self.timeout_seconds,
        }


@dataclass(frozen=True, slots=True)
class LeftoverInstance:
    """A recovery instance still running from an earlier drill of one of the plan's servers."""

    recovery_instance_id: str
    source_server_id: str
    job_id: str = ""
    ec2_state: str = ""
    is_drill: bool = True


@dataclass(frozen=True, slots=True)
class RecoveryPoint:
    """A server's newest recovery snapshot (DescribeRecoverySnapshots): the moment a launch now
    recovers it to. ``at`` None: DRS holds no recovery snapshot of the server."""

    source_server_id: str
    snapshot_id: str = ""
    at: datetime | None = None

    def age_seconds(self, now: datetime) -> float | None:
        return None if self.at is None else max(0.0, (now - self.at).total_seconds())

    def to_json(self) -> dict[str, Any]:
        return {"sourceServerId": self.source_server_id, "snapshotId": self.snapshot_id or None,
                "recoveryPointAt": _iso(self.at)}


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if at else None


def format_recovery_point(at: datetime | None, now: datetime) -> str:
    """'recovers to 2026-12-01 03:12 UTC, 41 min ago' (or 'no recovery snapshot')."""
    if at is None:
        return "no recovery snapshot"
    return f"recovers to {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {format_age(now - at)} ago"


def worst_recovery_point(points: Iterable[RecoveryPoint]) -> RecoveryPoint | None:
    """The plan's worst recovery point: a server with none, else the oldest (None: no servers)."""
    worst: RecoveryPoint | None = None
    for point in points:
        if point.at is None:
            return point
        if worst is None or (worst.at is not None and point.at < worst.at):
            worst = point
    return worst


@dataclass(frozen=True, slots=True)
class ActiveExecution:
    """An execution the history table says is active, with the servers its plan runs."""

    execution_id: str
    plan_id: str
    plan_name: str
    status: str
    server_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PreflightReport:
    plan_id: str
    plan_name: str
    account_id: str
    region: str
    drill: bool
    checks: tuple[Check, ...]
    waves: tuple[ResolvedWave, ...]
    job_quota: int = DOCUMENTED_JOB_QUOTA
    job_quota_source: str = "documented default"
    leftovers: tuple[LeftoverInstance, ...] = ()
    checked_at: datetime | None = None
    servers: Mapping[str, SourceServer] = field(default_factory=dict)  # fresh DescribeSourceServers
    recovery_points: Mapping[str, RecoveryPoint] = field(default_factory=dict)  # per planned server
    # a point-in-time run (domain/point_in_time.py): the requested time and each wave's resolution
    point_in_time: datetime | None = None
    resolutions: tuple[Any, ...] = ()  # point_in_time.WaveResolution, waves recovering to a time
    max_spread_seconds: int = 15 * 60
    # contract 1.2: the account recovering each server another account than the connected one
    # holds, and the role the state machine assumes in each such account
    server_accounts: Mapping[str, str] = field(default_factory=dict)
    account_roles: Mapping[str, str] = field(default_factory=dict)
    account_labels: Mapping[str, str] = field(default_factory=dict)

    def wave_inputs(self) -> list[dict[str, Any]]:
        """The waves as build_execution_input takes them: a wave recovering to a point in time
        names its requested time and each server's recovery snapshot (contract 1.1); a wave with
        servers of other accounts carries them grouped by account, with the roles (1.2)."""
        from .contract import group_by_account

        by_wave = {r.index: r for r in self.resolutions}
        out = []
        for w in self.waves:
            doc = w.to_input()
            res = by_wave.get(w.index)
            if res is not None and all(r.snapshot for r in res.servers):
                doc["pointInTime"] = _iso(res.requested)
                doc["servers"] = [{"sourceServerID": r.source_server_id, "recoverySnapshotID": r.snapshot.snapshot_id,
                                   "recoverySnapshotTime": _iso(r.snapshot.at)} for r in res.servers]
            if self.server_accounts:
                doc = group_by_account(doc, self.server_accounts, self.account_id, self.account_roles)
            out.append(doc)
        return out

    @property
    def worst_recovery_point(self) -> RecoveryPoint | None:
        """The oldest recovery point of the plan's servers (one without any first): its RPO now."""
        planned = [s for w in self.waves for s in w.server_ids]
        return worst_recovery_point(self.recovery_points[s] for s in planned if s in self.recovery_points)

    def rpo_seconds(self, now: datetime | None = None) -> float | None:
        worst = self.worst_recovery_point
        return None if worst is None else worst.age_seconds(now or self.checked_at or datetime.now(UTC))

    def rpo_line(self, now: datetime | None = None) -> str:
        """'RPO now: 41 min (worst recovery point: pay-db-01 (s-...) recovers to ..., 41 min ago)'."""
        now = now or self.checked_at or datetime.now(UTC)
        worst = self.worst_recovery_point
        if worst is None:
            return "RPO now: unknown (no recovery points were read)"
        who = _names([worst.source_server_id], self.servers)
        if worst.at is None:
            return f"RPO now: none - {who} has no recovery snapshot"
        return (f"RPO now: {format_age(now - worst.at)} (worst recovery point: {who} "
                f"{format_recovery_point(worst.at, now)})")

    @property
    def level(self) -> Level:
        return max((c.level for c in self.checks), key=_RANK.__getitem__, default=Level.PASS)

    @property
    def blocked(self) -> bool:
        return self.level is Level.BLOCK

    @property
    def blocking(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level is Level.BLOCK)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.level is Level.WARN)

    def check(self, name: str) -> list[Check]:
        return [c for c in self.checks if c.check == name]

    def lines(self) -> list[str]:
        head = (f"Preflight of plan {self.plan_name!r} ({'drill' if self.drill else 'RECOVERY'}) in account "
                f"{self.account_id} {self.region}: {self.level.value}")
        out = [head]
        out.extend("  " + c.one_line() for c in self.checks)
        for w in self.waves:
            sel = f" ({len(w.from_selector)} from selector)" if w.from_selector else ""
            accounts = ""
            if self.server_accounts:
                from .cross_account import accounts_line

                mine = {s: self.server_accounts.get(s, self.account_id) for s in w.server_ids}
                accounts = " · " + accounts_line(mine, self.account_id, self.account_labels)
            out.append(f"  wave {w.index + 1} {w.name!r}: {plural(len(w.server_ids), 'server')}{sel}{accounts}")
        if self.resolutions:
            from .point_in_time import resolution_lines

            when = f"{self.point_in_time:%Y-%m-%d %H:%M:%S} UTC" if self.point_in_time else "per wave"
            out.append(f"  Point in time: {when}; each server recovers to its newest snapshot at or before it:")
            out.extend(resolution_lines(self.resolutions))
        elif self.recovery_points:
            out.append("  " + self.rpo_line())
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "planId": self.plan_id,
            "planName": self.plan_name,
            "accountId": self.account_id,
            "region": self.region,
            "executionType": "DRILL" if self.drill else "RECOVERY",
            "result": self.level.value,
            "jobQuota": self.job_quota,
            "jobQuotaSource": self.job_quota_source,
            "checks": [c.to_json() for c in self.checks],
            "waves": [w.to_json() for w in self.waves],
            "leftoverRecoveryInstances": [
                {"recoveryInstanceId": i.recovery_instance_id, "sourceServerId": i.source_server_id,
                 "jobId": i.job_id, "ec2State": i.ec2_state}
                for i in self.leftovers
            ],
            "checkedAt": self.checked_at.isoformat() if self.checked_at else None,
            "recoveryPoints": [self.recovery_points[s].to_json() for w in self.waves for s in w.server_ids
                               if s in self.recovery_points],
            "worstRecoveryPoint": self.worst_recovery_point.to_json() if self.worst_recovery_point else None,
            "rpoSeconds": _int_or_none(self.rpo_seconds()),
            "pointInTime": _iso(self.point_in_time),
            "pointInTimeWaves": _pit_json(self.resolutions),
            "maxSpreadSeconds": self.max_spread_seconds,
            "serverAccounts": dict(self.server_accounts),
            "accountRoles": dict(self.account_roles),
        }


def _pit_json(resolutions: Sequence[Any]) -> list[dict[str, Any]]:
    from .point_in_time import waves_json

    return waves_json(resolutions)


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


# --- resolution -------------------------------------------------------------------------------


def resolve_waves(plan: Plan, servers: Sequence[SourceServer] | None) -> tuple[ResolvedWave, ...]:
    """Every wave's run-time servers against a (fresh) inventory; see validation.resolve_plan."""
    out = []
    for rw in resolve_plan(plan, servers):
        out.append(
            ResolvedWave(
                index=rw.index,
                name=rw.wave.name.strip() or f"Wave {rw.index + 1}",
                server_ids=rw.server_ids,
                from_selector=tuple(s for s in rw.server_ids if s in rw.from_selector),
                selector=rw.wave.selector,
                pause_before=rw.wave.pause_before,
                timeout_seconds=max(1, int(rw.wave.timeout_minutes) * 60),
            )
        )
    return tuple(out)


def _names(ids: Iterable[str], servers: Mapping[str, SourceServer], limit: int = 5) -> str:
    ids = list(ids)
    shown = [f"{servers[i].name} ({i})" if i in servers and servers[i].name != i else i for i in ids[:limit]]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(shown) + more


def _wave_label(w: ResolvedWave) -> str:
    return f'wave {w.index + 1} "{w.name}"'


# --- rules ------------------------------------------------------------------------------------


def check_target(plan: Plan, account_id: str, region: str, *, drill: bool, override: bool) -> Check:
    """The connected account and region must be the plan's target (override: drills only)."""
    want_account = plan.target_account_id.strip()
    want_region = plan.target_region.strip()
    wrong = []
    if want_account != account_id:
        wrong.append(f"account {account_id} (the plan targets {want_account or 'no account'})")
    if want_region != region:
        wrong.append(f"region {region} (the plan targets {want_region or 'no region'})")
    if not wrong:
        return Check("target", Level.PASS, f"Connected to the plan's target: account {account_id} in {region}.")
    what = "Connected to " + " and ".join(wrong) + "."
    if override and drill:
        return Check("target", Level.WARN, what + " Overridden for this drill.",
                     "Make sure this is the account and region you mean to drill in.")
    if override:
        return Check("target", Level.BLOCK, what + " The target override is allowed for drills only.",
                     "Connect to the plan's target account and region for a real recovery.")
    return Check("target", Level.BLOCK, what,
                 "Connect to the plan's target account and region (or pass --override-target for a drill).")


def contract_check_from_version(version: str | None, state_machine: str) -> Check:
    if version is None:
        return Check("contract", Level.BLOCK,
                     f"State machine {state_machine} declares no DRS Console contract version.",
                     "Deploy the reference backend with 'drs-console backend deploy'.")
    if version != CONTRACT_VERSION:
        return Check("contract", Level.BLOCK,
                     f"State machine {state_machine} speaks contract {version}; this console speaks "
                     f"{CONTRACT_VERSION}.", "Run 'drs-console backend deploy' to update it.")
    return Check("contract", Level.PASS, f"The backend speaks contract {version}.")


def check_plan(plan: Plan, inventory: InventorySnapshot | None, job_quota: int) -> list[Check]:
    """Plan validation errors the other checks do not report themselves (one BLOCK each)."""
    handled = {
        Code.WRONG_ACCOUNT, Code.WRONG_REGION, Code.SERVER_NOT_IN_INVENTORY, Code.REPLICATION_SYNCING,
        Code.REPLICATION_UNHEALTHY, Code.REPLICATION_UNKNOWN, Code.WAVE_OVER_QUOTA, Code.WAVE_TOO_MANY,
        Code.SELECTOR_SYNTAX, Code.WAVE_EMPTY, Code.NO_INVENTORY, Code.STALE_INVENTORY, Code.OTHER_INVENTORY,
        Code.POLL_INTERVAL_LOW, Code.TARGET_ACCOUNT_MISSING, Code.TARGET_REGION_MISSING,
        Code.TARGET_ACCOUNT_INVALID, Code.TARGET_REGION_INVALID,
    }
    out = []
    for p in validate(plan, inventory, inventory_fresh=True, job_quota=job_quota):
        if p.code in handled or p.severity is not Severity.ERROR:
            continue
        out.append(Check("plan", Level.BLOCK, f"{p.location.render()}: {p.message}".lstrip(": "),
                         "Fix the plan in the plan editor (or 'drs-console plan validate').",
                         wave_index=p.location.wave_index,
                         server_ids=(p.location.server_id,) if p.location.server_id else ()))
    if not out:
        out.append(Check("plan", Level.PASS, f"The plan is valid ({plural(len(plan.waves), 'wave')})."))
    return out


def check_selectors(plan: Plan, waves: Sequence[ResolvedWave], servers: Mapping[str, SourceServer]) -> list[Check]:
    """Tag selectors resolve against the fresh DescribeSourceServers to the servers shown."""
    out = []
    for w, wave in zip(waves, plan.waves, strict=True):
        if not wave.selector:
            if not w.server_ids:
                out.append(Check("selectors", Level.BLOCK, f"{_wave_label(w)} has no servers.",
                                 "Add servers or a selector to the wave.", wave_index=w.index))
            continue
        from .selector import SelectorSyntaxError, TagSelector

        try:
            TagSelector.parse(wave.selector)
        except SelectorSyntaxError as exc:
            out.append(Check("selectors", Level.BLOCK, f"{_wave_label(w)} selector: {exc.message}",
                             "Fix the selector expression.", wave_index=w.index))
            continue
        if not w.server_ids:
            out.append(Check("selectors", Level.BLOCK,
                             f"{_wave_label(w)}: selector {wave.selector!r} matches no source server now.",
                             "Fix the selector or the servers' tags.", wave_index=w.index))
            continue
        out.append(Check("selectors", Level.PASS,
                         f"{_wave_label(w)}: selector {wave.selector!r} resolves to "
                         f"{plural(len(w.from_selector), 'server')}: {_names(w.from_selector, servers)}.",
                         wave_index=w.index, server_ids=w.from_selector))
    if not out:
        out.append(Check("selectors", Level.PASS, "No tag selectors: every server is listed explicitly."))
    return out


def check_servers(waves: Sequence[ResolvedWave], servers: Mapping[str, SourceServer], *,
                  drill: bool = True) -> list[Check]:
    """Every server exists in DRS and its replication is healthy (syncing: WARN). For a recovery,
    STALLED/DISCONNECTED replication is WARN: the source site may be down, which is why one
    recovers (``check_recovery_points`` then says what each server recovers to)."""
    out = []
    for w in waves:
        missing = [s for s in w.server_ids if s not in servers]
        if missing:
            out.append(Check("servers", Level.BLOCK,
                             f"{_wave_label(w)}: {plural(len(missing), 'server')} {noun(len(missing), 'is')} not in DRS: "
                             f"{_names(missing, servers)}.",
                             "Remove them from the plan or check the account and region.",
                             wave_index=w.index, server_ids=tuple(missing)))
        by_health: dict[ReplicationHealth, list[str]] = {}
        for sid in w.server_ids:
            if sid in servers:
                by_health.setdefault(servers[sid].health, []).append(sid)
        bad = by_health.get(ReplicationHealth.UNHEALTHY, [])
        if bad and not drill:
            states = sorted({servers[s].replication_state.value for s in bad})
            out.append(Check("servers", Level.WARN,
                             f"{_wave_label(w)}: replication of {_names(bad, servers)} is {'/'.join(states)}; "
                             "the recovery launches from their newest recovery snapshots.",
                             "Check each server's recovery point below: data written after it is lost.",
                             wave_index=w.index, server_ids=tuple(bad)))
        elif bad:
            states = sorted({servers[s].replication_state.value for s in bad})
            out.append(Check("servers", Level.BLOCK,
                             f"{_wave_label(w)}: replication of {_names(bad, servers)} is {'/'.join(states)}.",
                             "Fix replication (DRS console: Source servers) or remove the servers from the wave.",
                             wave_index=w.index, server_ids=tuple(bad)))
        syncing = by_health.get(ReplicationHealth.SYNCING, []) + by_health.get(ReplicationHealth.UNKNOWN, [])
        if syncing:
            states = sorted({servers[s].replication_state.value for s in syncing})
            out.append(Check("servers", Level.WARN,
                             f"{_wave_label(w)}: replication of {_names(syncing, servers)} is "
                             f"{'/'.join(states)}, not continuous.",
                             "Wait for continuous replication, or accept an older recovery point.",
                             wave_index=w.index, server_ids=tuple(syncing)))
    if not out:
        total = sum(len(w.server_ids) for w in waves)
        out.append(Check("servers", Level.PASS, f"All {plural(total, 'server')} exist and replicate continuously."
                         if total != 1 else "The 1 server exists and replicates continuously."))
    return out


def check_active_jobs(waves: Sequence[ResolvedWave], busy: Mapping[str, str],
                      servers: Mapping[str, SourceServer]) -> list[Check]:
    """No server may be in an active (PENDING/STARTED) DRS job. ``busy``: server ID -> job ID."""
    out = []
    for w in waves:
        clash = [s for s in w.server_ids if s in busy]
        if clash:
            jobs = sorted({busy[s] for s in clash})
            out.append(Check("active-jobs", Level.BLOCK,
                             f"{_wave_label(w)}: {_names(clash, servers)} {noun(len(clash), 'is')} in active DRS "
                             f"{noun(len(jobs), 'job')} {', '.join(jobs)}.",
                             "Wait until the job completes (DRS console: Recovery job history), then run again.",
                             wave_index=w.index, server_ids=tuple(clash)))
    if not out:
        out.append(Check("active-jobs", Level.PASS, "No server of the plan is in an active DRS job."))
    return out


def check_active_executions(waves: Sequence[ResolvedWave], active: Sequence[ActiveExecution],
                            servers: Mapping[str, SourceServer]) -> list[Check]:
    """No server may be in an execution the history table records as active."""
    out = []
    mine = {s for w in waves for s in w.server_ids}
    for ex in active:
        clash = sorted(mine & ex.server_ids)
        if clash:
            out.append(Check("active-executions", Level.BLOCK,
                             f"Execution {ex.execution_id} of plan {ex.plan_name!r} is {ex.status} and runs "
                             f"{_names(clash, servers)}.",
                             f"Wait for it to end, or cancel it ('drs-console cancel {ex.execution_id}').",
                             server_ids=tuple(clash)))
    if not out:
        n = len(active)
        extra = f" ({plural(n, 'other active execution')} {noun(n, 'uses', 'use')} other servers)" if n else ""
        out.append(Check("active-executions", Level.PASS, f"No active execution uses these servers{extra}."))
    return out


def check_leases(waves: Sequence[ResolvedWave], leases: Iterable[ServerLease], servers: Mapping[str, SourceServer],
                 now: datetime, *, active_ids: Iterable[str] = (), own_execution: str = "") -> list[Check]:
    """No server may be leased by another execution (the state machine would refuse the wave).
    ``active_ids``: executions the history table records as active (the others' leases outlived
    them and only wait to expire)."""
    wave_of = {s: w for w in waves for s in w.server_ids}
    active = set(active_ids)
    by_holder: dict[str, list[ServerLease]] = {}
    for lease in leases:
        if lease.source_server_id in wave_of and lease.held_by_other(own_execution, now):
            by_holder.setdefault(lease.holder, []).append(lease)
    out = []
    for holder, held in sorted(by_holder.items()):
        ids = tuple(sorted(le.source_server_id for le in held))
        until = max((le.expires for le in held if le.expires), default=None)
        when = f"{until:%Y-%m-%d %H:%M} UTC" if until else ""
        until_text = f" until {when}" if when else ""
        waves_text = ", ".join(sorted({_wave_label(wave_of[s]) for s in ids}))
        if holder in active:
            remedy = f"Wait for it to end, or cancel it ('drs-console cancel {holder}')."
        else:
            remedy = (f"Its execution is not active any more; the lease expires {'at ' + when if when else 'by itself'}"
                      " (or delete the lease item from the history table).")
        out.append(Check("leases", Level.BLOCK,
                         f"{waves_text}: {_names(ids, servers)} {'is' if len(ids) == 1 else 'are'} in execution "
                         f"{holder} (server lease{until_text}).", remedy, server_ids=ids))
    if not out:
        out.append(Check("leases", Level.PASS, "No server of the plan is leased by another execution."))
    return out


def check_quota(waves: Sequence[ResolvedWave], quota: int, source: str) -> list[Check]:
    """Every wave fits the DRS per-job quota (and StartRecovery's 200)."""
    limit = min(quota, START_RECOVERY_MAX) if quota > 0 else START_RECOVERY_MAX
    out = []
    for w in waves:
        n = len(w.server_ids)
        if n > limit:
            out.append(Check("quota", Level.BLOCK,
                             f"{_wave_label(w)} has {plural(n, 'server')}, more than {limit} per recovery job "
                             f"(quota {quota}, {source}).",
                             "Split the wave, or request a quota increase in Service Quotas.",
                             wave_index=w.index))
    if not out:
        biggest = max((len(w.server_ids) for w in waves), default=0)
        out.append(Check("quota", Level.PASS,
                         f"The largest wave has {plural(biggest, 'server')}; the per-job quota is {quota} ({source})."))
    return out


def check_leftovers(leftovers: Sequence[LeftoverInstance], servers: Mapping[str, SourceServer]) -> Check:
    if not leftovers:
        return Check("leftovers", Level.PASS, "No drill instances left from earlier drills of these servers.")
    ids = [i.recovery_instance_id for i in leftovers]
    srcs = sorted({i.source_server_id for i in leftovers})
    return Check("leftovers", Level.WARN,
                 f"{plural(len(ids), 'recovery instance')} from earlier drills still {noun(len(ids), 'runs', 'run')} "
                 f"for {_names(srcs, servers)}: "
                 f"{', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}.",
                 "Clean them up first ('drs-console cleanup --leftovers-of PLAN_FILE', the Executions page, or "
                 "DRS); they keep costing money.",
                 server_ids=tuple(srcs), action="cleanup")


def check_recovery_points(waves: Sequence[ResolvedWave], servers: Mapping[str, SourceServer],
                          points: Mapping[str, RecoveryPoint], *, drill: bool, now: datetime) -> list[Check]:
    """One line per server saying what it recovers to (its newest recovery snapshot and its age).

    Recovery: no snapshot BLOCKs (nothing to recover to); replication that is not continuous, or a
    recovery point older than RECOVERY_POINT_LAG_WARN_SECONDS, WARNs; otherwise PASS. A drill keeps
    its own rules (``check_servers``): here it only WARNs."""
    out = []
    for w in waves:
        for sid in w.server_ids:
            if sid not in servers:
                continue  # check_servers BLOCKs it
            server = servers[sid]
            point = points.get(sid, RecoveryPoint(sid))
            state = server.replication_state.value
            label = f"{_names([sid], servers)}: {state}, {format_recovery_point(point.at, now)}"
            if point.at is None:
                out.append(Check("recovery-point", Level.WARN if drill else Level.BLOCK,
                                 f"{label}: DRS holds no recovery snapshot of it, there is nothing to launch from.",
                                 "Remove it from the plan, or wait until its initial sync has completed.",
                                 wave_index=w.index, server_ids=(sid,)))
                continue
            age = point.age_seconds(now) or 0.0
            if server.health is not ReplicationHealth.HEALTHY:
                out.append(Check("recovery-point", Level.WARN, label + ".",
                                 "Data written after this point in time is lost.", wave_index=w.index,
                                 server_ids=(sid,)))
            elif age > RECOVERY_POINT_LAG_WARN_SECONDS:
                out.append(Check("recovery-point", Level.WARN, label + ": replication lags.",
                                 "Data written after this point in time is lost; check its replication.",
                                 wave_index=w.index, server_ids=(sid,)))
            else:
                out.append(Check("recovery-point", Level.PASS, label + ".", wave_index=w.index, server_ids=(sid,)))
    return out
