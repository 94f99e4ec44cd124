"""The DRS simulator: source servers, jobs, log items and recovery instances of one account/region.

All state changes happen on the simulator clock. A job is planned when it is created (every
step's time, with per-server jitter drawn from the seed); ``catch_up()`` applies the planned
events whose time has come. Every public method catches up first, so what a client sees depends
only on the seed, the calls made and the clock – never on when a background thread happened to
run (there is none).

The simulator is thread-safe: one re-entrant lock guards all state.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .clock import SimClock
from .drs_api import (  # noqa: F401 - DrsError and the helpers are part of this module's API
    DEFAULT_PAGE_SIZE,
    OPERATIONS,
    DrsError,
    _page,
    _snake,
    conflict,
    not_found,
    validation_error,
)
from .records import (
    JobRecord,
    LastLaunch,
    LogItem,
    Participant,
    RecoveryInstanceRecord,
    ServerRecord,
    hex_id,
    parse_drs_time,
)
from .recovery_plan_runs import RecoveryPlanRuns
from .recovery_plans import RecoveryPlans
from .seed import seed_servers
from .snapshots import (
    FROZEN_STATES,
    newest_snapshot,
    no_snapshot_reason,
    recovery_snapshots,
    replicated_until,
)

MAX_SERVERS_PER_REQUEST = 200
DEFAULT_JOB_QUOTA = 100
TERMINATED_RETENTION_SECONDS = 600.0  # terminated recovery instances stay visible this long

# Simulated durations in seconds: (low, high), drawn per server from the seed.
START_DELAY = (5.0, 15.0)  # job PENDING -> STARTED
SNAPSHOT_OFFSET = (1.0, 8.0)
SNAPSHOT = (45.0, 80.0)
CONVERSION_GAP = (2.0, 5.0)
CONVERSION = (95.0, 145.0)
LAUNCH_GAP = (1.0, 3.0)
LAUNCH = (45.0, 80.0)
LAUNCH_FAIL = (20.0, 60.0)
NO_SNAPSHOT_FAIL = (1.0, 4.0)  # JOB_START -> LAUNCH_FAILED of a server with no recovery snapshot
END_GAP = (2.0, 5.0)
TERMINATE = (30.0, 75.0)

LAUNCH_ERRORS = (
    "InsufficientInstanceCapacity: We currently do not have sufficient {itype} capacity in the "
    "Availability Zone you requested ({az}). Our system will be working on provisioning additional capacity.",
    "VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit of 64 allows "
    "for the instance bucket that the specified instance type belongs to.",
    "InvalidGroup.NotFound: The security group 'sg-{hex8}' does not exist in VPC 'vpc-{hex8}'",
    "InvalidSubnetID.NotFound: The subnet ID 'subnet-{hex8}' does not exist",
)


@dataclass
class _Event:
    at: datetime
    seq: int
    action: Callable[[], None]

    def __lt__(self, other: _Event) -> bool:  # heap ordering only on (time, seq)
        return (self.at, self.seq) < (other.at, other.seq)


class DrsSimulator:
    """DRS of one account and region, driven by a SimClock."""

    def __init__(
        self,
        *,
        clock: SimClock,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        seed: int = 7,
        servers: int = 0,
        launch_failure_rate: float = 0.0,
        throttle_rate: float = 0.0,
        job_quota: int = DEFAULT_JOB_QUOTA,
    ):
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.seed = seed
        self.lock = threading.RLock()
        self._launch_failure_rate = _rate(launch_failure_rate)
        self._throttle_rate = _rate(throttle_rate)
        self._job_quota = int(job_quota)
        self._fail_ids: set[str] = set()
        self._fail_once: dict[str, int] = {}
        self._throttle_rng = random.Random(f"drs-sandbox-throttle/{seed}")
        self._id_rng = random.Random(f"drs-sandbox-ids/{seed}/{account_id}/{region}")
        self._events: list[_Event] = []
        self._event_seq = itertools.count()
        self._job_seq = itertools.count(1)
        self._servers: dict[str, ServerRecord] = {}
        self._jobs: dict[str, JobRecord] = {}
        self._instances: dict[str, RecoveryInstanceRecord] = {}
        self._arn_tags: dict[str, dict[str, str]] = {}
        self.recovery_plans = RecoveryPlans(self)
        self.recovery_plan_runs = RecoveryPlanRuns(self)
        self.initialized = True  # False: every operation but InitializeService is refused, as in AWS
        if servers:
            self.add_servers(
                seed_servers(
                    seed=seed, count=servers, region=region, account_id=account_id, start=clock.now()
                )
            )

    # ============================================================================================
    # settings and fault injection
    # ============================================================================================
    @property
    def launch_failure_rate(self) -> float:
        return self._launch_failure_rate

    def set_launch_failure_rate(self, rate: float) -> None:
        """Probability (0..1) that a server's launch fails; decided when a job is created."""
        with self.lock:
            self._launch_failure_rate = _rate(rate)

    def fail_servers(self, server_ids: Iterable[str]) -> None:
        """These servers always fail to launch (added to any earlier set)."""
        with self.lock:
            self._fail_ids.update(server_ids)

    def fail_next_launch(self, source_server_id: str, times: int = 1) -> None:
        """The next ``times`` launch jobs that include this server fail its launch (then it launches
        again as usual): a failed step that a retry completes."""
        with self.lock:
            self._fail_once[source_server_id] = self._fail_once.get(source_server_id, 0) + int(times)

    def clear_failures(self) -> None:
        """Forget fail_servers(), fail_next_launch() and set the launch failure rate to 0."""
        with self.lock:
            self._fail_ids.clear()
            self._fail_once.clear()
            self._launch_failure_rate = 0.0

    @property
    def failing_servers(self) -> frozenset[str]:
        return frozenset(self._fail_ids)

    @property
    def throttle_rate(self) -> float:
        return self._throttle_rate

    def set_throttle_rate(self, rate: float) -> None:
        """Probability (0..1) that a request is answered with ThrottlingException (HTTP 429)."""
        with self.lock:
            self._throttle_rate = _rate(rate)

    @property
    def job_quota(self) -> int:
        return self._job_quota

    def set_job_quota(self, quota: int) -> None:
        """Most source servers one StartRecovery may launch (DRS's default quota is 100)."""
        if quota < 1:
            raise ValueError("quota must be >= 1")
        with self.lock:
            self._job_quota = int(quota)

    # ============================================================================================
    # inspection helpers (for tests and the sandbox UI; no throttling)
    # ============================================================================================
    def server_ids(self) -> list[str]:
        with self.lock:
            return list(self._servers)

    def server(self, source_server_id: str) -> dict[str, Any]:
        with self.lock:
            self.catch_up()
            return self._servers[source_server_id].item(self.clock.now(), self.region)

    def job(self, job_id: str) -> dict[str, Any]:
        with self.lock:
            self.catch_up()
            return self._jobs[job_id].item()

    def job_ids(self) -> list[str]:
        """All job IDs, newest first."""
        with self.lock:
            self.catch_up()
            return [j.job_id for j in self._jobs_newest_first()]

    def active_job_ids(self) -> list[str]:
        with self.lock:
            self.catch_up()
            return [j.job_id for j in self._jobs_newest_first() if j.active]

    def add_servers(self, servers: Iterable[ServerRecord]) -> None:
        with self.lock:
            for s in servers:
                self._servers[s.source_server_id] = s

    def set_replication_state(
        self, source_server_id: str, state: str, *, lag_seconds: int | None = None
    ) -> None:
        """Set a server's replication state. Entering STALLED or DISCONNECTED freezes its data at
        now minus ``lag_seconds`` (its last contact): no recovery snapshot is newer."""
        with self.lock:
            s = self._servers[source_server_id]
            frozen = ("STALLED", "DISCONNECTED")
            if state in frozen and (s.replication_state not in frozen or lag_seconds is not None):
                s.frozen_at = self.clock.now() - timedelta(seconds=lag_seconds or 0)
            elif state not in frozen:
                s.frozen_at = None
            s.replication_state = state
            if lag_seconds is not None:
                s.lag_seconds = lag_seconds
            elif state == "CONTINUOUS":
                s.lag_seconds = min(s.lag_seconds, 4)

    def set_added_at(self, source_server_id: str, at: datetime) -> None:
        """When the server was added to DRS: its recovery snapshots start after its initial sync
        (a few hours later), so a server added recently has none older than that."""
        with self.lock:
            self._servers[source_server_id].added_at = at

    def reset(self) -> None:
        """Forget jobs and recovery instances; source servers go back to NOT_STARTED."""
        with self.lock:
            self._events.clear()
            self._jobs.clear()
            self._instances.clear()
            self.recovery_plan_runs.reset()
            self.recovery_plans.reset()
            for s in self._servers.values():
                s.last_launch_result = "NOT_STARTED"
                s.last_launch = None
                s.recovery_instance_id = ""

    # ============================================================================================
    # request entry point
    # ============================================================================================
    def handle(self, operation: str, params: dict[str, Any], *, throttle: bool = True) -> tuple[int, dict]:
        """Serve one (already validated) DRS operation. Returns (HTTP status, body dict);
        raises DrsError for DRS errors."""
        with self.lock:
            if throttle:
                self.maybe_throttle(operation)
            if operation not in OPERATIONS:
                raise DrsError(
                    "ValidationException",
                    f"The DRS sandbox does not implement {operation}.",
                    400,
                    fields={"reason": "unknownOperation"},
                )
            if not self.initialized and operation != "InitializeService":
                raise DrsError("UninitializedAccountException", "Account not initialized", 400)
            self.catch_up()
            name = _snake(operation)
            owner = next(o for o in (self.recovery_plans, self.recovery_plan_runs, self) if hasattr(o, name))
            body = getattr(owner, name)(**params)
            return OPERATIONS[operation], body

    def maybe_throttle(self, operation: str) -> None:
        """Raise ThrottlingException at the configured rate (deterministic from the seed)."""
        if self._throttle_rate and self._throttle_rng.random() < self._throttle_rate:
            raise DrsError(
                "ThrottlingException",
                f"Rate exceeded for {operation}",
                429,
                fields={"serviceCode": "drs", "quotaCode": "L-DRS-API-RATE"},  # Retry-After: a header
                headers={"Retry-After": "1"},
            )

    # ============================================================================================
    # the clock
    # ============================================================================================
    def catch_up(self) -> None:
        """Apply every planned event up to the clock's now."""
        with self.lock:
            now = self.clock.now()
            while self._events and self._events[0].at <= now:
                heapq.heappop(self._events).action()

    def _at(self, when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, _Event(when, next(self._event_seq), action))

    # ============================================================================================
    # operations (botocore parameter names)
    # ============================================================================================
    def describe_source_servers(
        self, filters: dict | None = None, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict:
        filters = filters or {}
        ids = filters.get("sourceServerIDs")
        hardware = filters.get("hardwareId")
        staging = filters.get("stagingAccountIDs")
        selected = []
        for s in self._servers.values():
            if ids and s.source_server_id not in ids:
                continue
            if hardware and hardware not in (s.aws_instance_id, s.source_server_id):
                continue
            if staging and not (s.staging_status == "EXTENDED" and s.staging_account_id in staging):
                continue
            selected.append(s)
        now = self.clock.now()
        page, token = _page(selected, maxResults, nextToken, "DescribeSourceServers")
        out: dict[str, Any] = {"items": [s.item(now, self.region) for s in page]}
        if token:
            out["nextToken"] = token
        return out

    def describe_jobs(
        self, filters: dict | None = None, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict:
        filters = filters or {}
        ids = filters.get("jobIDs")
        start = parse_drs_time(filters["fromDate"]) if filters.get("fromDate") else None
        end = parse_drs_time(filters["toDate"]) if filters.get("toDate") else None
        selected = []
        for j in self._jobs_newest_first():
            if ids and j.job_id not in ids:
                continue
            if start and j.created_at < start:
                continue
            if end and j.created_at > end:
                continue
            selected.append(j)
        page, token = _page(selected, maxResults, nextToken, "DescribeJobs")
        out: dict[str, Any] = {"items": [j.item() for j in page]}
        if token:
            out["nextToken"] = token
        return out

    def describe_job_log_items(
        self, jobID: str, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict:
        job = self._jobs.get(jobID)
        items = list(job.log) if job else []
        page, token = _page(items, maxResults, nextToken, f"DescribeJobLogItems/{jobID}")
        out: dict[str, Any] = {"items": [i.item() for i in page]}
        if token:
            out["nextToken"] = token
        return out

    def describe_recovery_instances(
        self, filters: dict | None = None, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict:
        filters = filters or {}
        ids = filters.get("recoveryInstanceIDs")
        sources = filters.get("sourceServerIDs")
        selected = [
            r
            for r in self._instances.values()
            if (not ids or r.recovery_instance_id in ids) and (not sources or r.source_server_id in sources)
        ]
        now = self.clock.now()
        page, token = _page(selected, maxResults, nextToken, "DescribeRecoveryInstances")
        out: dict[str, Any] = {"items": [r.item(now) for r in page]}
        if token:
            out["nextToken"] = token
        return out

    def describe_recovery_snapshots(
        self,
        sourceServerID: str,
        filters: dict | None = None,
        order: str | None = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
    ) -> dict:
        server = self._servers.get(sourceServerID)
        if server is None:
            # DescribeRecoverySnapshots models no ResourceNotFoundException
            raise validation_error(
                f"Source server {sourceServerID} was not found.", reason="other", field="sourceServerID"
            )
        filters = filters or {}
        start = parse_drs_time(filters["fromDateTime"]) if filters.get("fromDateTime") else None
        end = parse_drs_time(filters["toDateTime"]) if filters.get("toDateTime") else None
        snaps = [
            snap
            for snap in recovery_snapshots(server, self.clock.now())
            if (start is None or snap.taken >= start) and (end is None or snap.taken <= end)
        ]
        if order == "DESC":
            snaps.reverse()
        scope = f"DescribeRecoverySnapshots/{sourceServerID}/{order or 'ASC'}/{filters.get('fromDateTime')}/{filters.get('toDateTime')}"
        page, token = _page(snaps, maxResults, nextToken, scope)
        out: dict[str, Any] = {"items": [snap.item() for snap in page]}
        if token:
            out["nextToken"] = token
        return out

    def list_tags_for_resource(self, resourceArn: str) -> dict:
        return {"tags": dict(self._tags_of(resourceArn))}

    def tag_resource(self, resourceArn: str, tags: dict[str, str]) -> dict:
        self._tags_of(resourceArn).update(tags)
        return {}

    def untag_resource(self, resourceArn: str, tagKeys: list[str]) -> dict:
        target = self._tags_of(resourceArn)
        for k in tagKeys:
            target.pop(k, None)
        return {}

    def initialize_service(self) -> dict:
        self.initialized = True
        return {}

    def delete_job(self, jobID: str) -> dict:
        job = self._jobs.get(jobID)
        if job is None:
            raise not_found(f"Job {jobID} was not found.", jobID, "JOB")
        if job.active:
            raise conflict(f"Job {jobID} is {job.status} and cannot be deleted.", jobID, "JOB")
        del self._jobs[jobID]
        return {}

    def start_recovery_at(
        self,
        source_server_ids: list[str],
        *,
        at: datetime,
        drill: bool,
        tags: dict[str, str] | None = None,
        scaled: bool = False,
        fail: Iterable[str] = (),
    ) -> str:
        """Seeding: a launch job created at ``at`` (not after now), as if StartRecovery had been
        called then; its steps up to now apply at once. ``scaled=False``: the steps take as long
        as on AWS (history); True: as long as the sandbox's speed makes them. Exactly the servers in
        ``fail`` fail to launch. Returns the job ID."""
        with self.lock:
            if at > self.clock.now():
                raise ValueError("a job cannot be created in the future")
            self.catch_up()
            job_id = self.start_recovery(
                [{"sourceServerID": s} for s in source_server_ids],
                isDrill=drill,
                tags=tags,
                _at=at,
                _scaled=scaled,
                _fail=frozenset(fail),
            )["job"]["jobID"]
            self.catch_up()
            return job_id

    def terminate_recovery_instances_at(self, recovery_instance_ids: list[str], *, at: datetime) -> str:
        """Seeding: a TERMINATE job created at ``at`` (history: drill instances cleaned up)."""
        with self.lock:
            if at > self.clock.now():
                raise ValueError("a job cannot be created in the future")
            self.catch_up()
            job = self.terminate_recovery_instances(recovery_instance_ids, _at=at)["job"]["jobID"]
            self.catch_up()
            return job

    def start_recovery(
        self,
        sourceServers: list[dict],
        isDrill: bool = False,
        tags: dict[str, str] | None = None,
        *,
        _at: datetime | None = None,
        _scaled: bool = True,
        _fail: frozenset[str] | None = None,
    ) -> dict:
        ids: list[str] = []
        wanted: dict[str, str] = {}  # source server ID -> the recoverySnapshotID asked for
        for entry in sourceServers:
            sid = entry["sourceServerID"]
            if sid not in ids:
                ids.append(sid)
                wanted[sid] = str(entry.get("recoverySnapshotID") or "")
        if len(sourceServers) > MAX_SERVERS_PER_REQUEST:
            raise validation_error(
                f"sourceServers must have at most {MAX_SERVERS_PER_REQUEST} items.", field="sourceServers"
            )
        unknown = [sid for sid in ids if sid not in self._servers]
        if unknown:
            raise not_found(f"Source server(s) not found: {', '.join(unknown)}", unknown[0], "SOURCE_SERVER")
        if len(ids) > self._job_quota:
            raise DrsError(
                "ServiceQuotaExceededException",
                f"A job may launch at most {self._job_quota} source servers; {len(ids)} were requested.",
                402,
                fields={
                    "resourceType": "JOB",
                    "resourceId": "",
                    "serviceCode": "drs",
                    "quotaCode": "L-SOURCE-SERVERS-PER-JOB",
                },
            )
        busy = self._servers_in_active_launch_jobs()
        clashes = [sid for sid in ids if sid in busy]
        if clashes:
            raise conflict(
                f"Source server(s) {', '.join(clashes)} are already in active job {busy[clashes[0]]}.",
                clashes[0],
                "SOURCE_SERVER",
            )
        now = _at or self.clock.now()
        job = self._new_job(
            job_type="LAUNCH",
            initiated_by="START_DRILL" if isDrill else "START_RECOVERY",
            participants=[Participant(sid, recovery_snapshot_id=wanted.get(sid, "")) for sid in ids],
            tags=dict(tags or {}),
            is_drill=bool(isDrill),
            at=now,
            scaled=_scaled,
        )
        job.fail_ids = _fail
        launch_type = "DRILL" if isDrill else "RECOVERY"
        for sid in ids:
            s = self._servers[sid]
            s.last_launch_result = "PENDING"
            s.last_launch = LastLaunch(now, job.job_id, launch_type, "PENDING")
        self._plan_launch(job)
        return {"job": job.item()}

    def terminate_recovery_instances(self, recoveryInstanceIDs: list[str], *, _at: datetime | None = None) -> dict:
        ids: list[str] = []
        for rid in recoveryInstanceIDs:
            if rid not in ids:
                ids.append(rid)
        unknown = [rid for rid in ids if rid not in self._instances]
        if unknown:
            raise not_found(
                f"Recovery instance(s) not found: {', '.join(unknown)}", unknown[0], "RECOVERY_INSTANCE"
            )
        busy = self._instances_in_active_terminate_jobs()
        for rid in ids:
            inst = self._instances[rid]
            if rid in busy or inst.ec2_state in ("SHUTTING-DOWN", "TERMINATED"):
                raise conflict(
                    f"Recovery instance {rid} is already being terminated.", rid, "RECOVERY_INSTANCE"
                )
        job = self._new_job(
            job_type="TERMINATE",
            initiated_by="TERMINATE_RECOVERY_INSTANCES",
            participants=[Participant(self._instances[rid].source_server_id, "PENDING", rid) for rid in ids],
            tags={},
            is_drill=False,
            at=_at,
            scaled=_at is None,
        )
        self._plan_terminate(job)
        return {"job": job.item()}

    # ============================================================================================
    # job planning
    # ============================================================================================
    def _new_job(
        self,
        *,
        job_type: str,
        initiated_by: str,
        participants: list[Participant],
        tags: dict,
        is_drill: bool,
        at: datetime | None = None,
        scaled: bool = True,
    ) -> JobRecord:
        job_id = "drsjob-" + hex_id(self._id_rng)
        while job_id in self._jobs:
            job_id = "drsjob-" + hex_id(self._id_rng)
        arn = f"arn:aws:drs:{self.region}:{self.account_id}:job/{job_id}"
        job = JobRecord(
            job_id=job_id,
            arn=arn,
            job_type=job_type,
            initiated_by=initiated_by,
            created_at=at or self.clock.now(),
            seq=next(self._job_seq),
            participants=participants,
            tags=tags,
            is_drill=is_drill,
            scaled=scaled,
        )
        self._jobs[job_id] = job
        self._arn_tags[arn] = job.tags
        return job

    def _dur(self, job: JobRecord, rng: random.Random, bounds: tuple[float, float]) -> timedelta:
        """A step's duration: drawn in AWS seconds, shortened by the clock's speed (one clock:
        the speed changes how long a step takes, never when it is stamped)."""
        seconds = round(rng.uniform(*bounds), 3)
        return self.clock.duration(seconds) if job.scaled else timedelta(seconds=seconds)

    def _rng_for(self, job: JobRecord, key: str) -> random.Random:
        return random.Random(f"drs-sandbox-job/{self.seed}/{job.job_id}/{key}")

    def _plan_start(self, job: JobRecord) -> datetime:
        rng = self._rng_for(job, "job")
        started = job.created_at + self._dur(job, rng, START_DELAY)

        def start() -> None:
            job.status = "STARTED"
            job.log.append(LogItem(started, "JOB_START"))

        self._at(started, start)
        return started

    def _plan_end(self, job: JobRecord, last: datetime) -> None:
        ended = last + self._dur(job, self._rng_for(job, "end"), END_GAP)

        def end() -> None:
            job.status = "COMPLETED"
            job.ended_at = ended
            job.log.append(LogItem(ended, "JOB_END"))
            if job.on_end is not None:
                job.on_end(ended)

        self._at(ended, end)

    def _plan_launch(self, job: JobRecord) -> None:
        started = self._plan_start(job)
        last = started
        for p in job.participants:
            sid = p.source_server_id
            server = self._servers[sid]
            rng = self._rng_for(job, sid)
            fails = sid in self._fail_ids or rng.random() < self._launch_failure_rate
            if job.fail_ids is None and self._fail_once.get(sid):
                self._fail_once[sid] -= 1
                fails = True
            if job.fail_ids is not None:
                fails = sid in job.fail_ids
            else:
                # DRS cannot launch a server it holds no recovery snapshot of (drill or recovery):
                # the server fails in the job at once, and the job log says why
                reason = no_snapshot_reason(server, min(job.created_at, self.clock.now()))
                if reason:
                    t_fail = started + self._dur(job, rng, NO_SNAPSHOT_FAIL)
                    self._at(t_fail, self._step(job, p, t_fail, "LAUNCH_FAILED", {"rawError": reason},
                                                status="FAILED"))
                    last = max(last, t_fail)
                    continue
            chosen = None
            if p.recovery_snapshot_id:
                # StartRecovery models no ValidationException for it: a snapshot that is not one of
                # this server's (unknown, expired, another server's) fails the server in the job
                chosen = next((x for x in recovery_snapshots(server, min(job.created_at, self.clock.now()))
                               if x.snapshot_id == p.recovery_snapshot_id), None)
                if chosen is None:
                    t_fail = started + self._dur(job, rng, NO_SNAPSHOT_FAIL)
                    why = (f"Recovery snapshot {p.recovery_snapshot_id} was not found for source server {sid}: "
                           "it is not one of its point-in-time snapshots.")
                    self._at(t_fail, self._step(job, p, t_fail, "USING_PREVIOUS_SNAPSHOT_FAILED", {"rawError": why}))
                    self._at(t_fail, self._step(job, p, t_fail, "LAUNCH_FAILED", {"rawError": why}, status="FAILED"))
                    last = max(last, t_fail)
                    continue
            conversion_server = "i-" + hex_id(rng)
            target = "i-" + hex_id(rng)
            t_snap = started + self._dur(job, rng, SNAPSHOT_OFFSET)
            t_snap_end = t_snap + self._dur(job, rng, SNAPSHOT)
            t_conv = t_snap_end + self._dur(job, rng, CONVERSION_GAP)
            t_conv_end = t_conv + self._dur(job, rng, CONVERSION)
            t_launch = t_conv_end + self._dur(job, rng, LAUNCH_GAP)
            t_done = t_launch + self._dur(job, rng, LAUNCH_FAIL if fails else LAUNCH)
            raw_error = rng.choice(LAUNCH_ERRORS).format(
                itype=server.recommended_instance_type,
                az=f"{self.region}a",
                hex8=hex_id(rng, 8),
            )
            if chosen is not None:  # a point-in-time launch takes no new snapshot
                self._at(t_snap, self._step(job, p, t_snap, "USING_PREVIOUS_SNAPSHOT", {}, status="IN_PROGRESS"))
            else:
                self._at(t_snap, self._step(job, p, t_snap, "SNAPSHOT_START", {}, status="IN_PROGRESS"))
                self._at(t_snap_end, self._step(job, p, t_snap_end, "SNAPSHOT_END", {}))
            self._at(
                t_conv,
                self._step(job, p, t_conv, "CONVERSION_START", {"conversionServerID": conversion_server}),
            )
            self._at(
                t_conv_end,
                self._step(job, p, t_conv_end, "CONVERSION_END", {"conversionServerID": conversion_server}),
            )
            self._at(t_launch, self._step(job, p, t_launch, "LAUNCH_START", {"targetInstanceID": target}))
            if fails:
                self._at(
                    t_done,
                    self._step(
                        job,
                        p,
                        t_done,
                        "LAUNCH_FAILED",
                        {"targetInstanceID": target, "rawError": raw_error},
                        status="FAILED",
                    ),
                )
            else:
                # the launch takes a new snapshot of the replicated data; a STALLED or DISCONNECTED
                # server's data stopped at its last contact: it launches from its newest recovery snapshot
                point = replicated_until(server, t_snap) or t_snap
                if chosen is not None:
                    point = chosen.taken
                elif server.frozen_at is not None and server.replication_state in FROZEN_STATES:
                    newest = newest_snapshot(server, min(t_snap, self.clock.now()))
                    point = newest.taken if newest else point
                self._at(t_done, self._launched(job, p, target, min(point, t_snap), t_done))
            last = max(last, t_done)
        self._plan_end(job, last)

    def _step(
        self,
        job: JobRecord,
        p: Participant,
        at: datetime,
        event: str,
        data: dict,
        *,
        status: str | None = None,
    ) -> Callable[[], None]:
        def apply() -> None:
            job.log.append(LogItem(at, event, {"sourceServerID": p.source_server_id, **data}))
            if status:
                p.launch_status = status
                server = self._servers.get(p.source_server_id)
                if server and server.last_launch and server.last_launch.job_id == job.job_id:
                    server.last_launch.status = status
                    if status == "FAILED":
                        server.last_launch_result = "FAILED"

        return apply

    def _launched(
        self, job: JobRecord, p: Participant, instance_id: str, snapshot_at: datetime, at: datetime
    ) -> Callable[[], None]:
        def apply() -> None:
            server = self._servers[p.source_server_id]
            # DRS replaces the previous recovery instance of a source server
            old = self._instances.get(server.recovery_instance_id)
            if old is not None and old.ec2_state not in ("TERMINATED",):
                self._terminate_now(old, at)
            arn = f"arn:aws:drs:{self.region}:{self.account_id}:recovery-instance/{instance_id}"
            tags = dict(server.tags)
            inst = RecoveryInstanceRecord(
                recovery_instance_id=instance_id,
                arn=arn,
                source_server_id=server.source_server_id,
                job_id=job.job_id,
                is_drill=job.is_drill,
                launched_at=at,
                snapshot_at=snapshot_at,
                tags=tags,
                origin_environment="AWS",
                origin_az=server.origin_az,
                hostname=server.hostname,
                instance_type=server.recommended_instance_type,
            )
            self._instances[instance_id] = inst
            self._arn_tags[arn] = inst.tags
            p.launch_status = "LAUNCHED"
            p.recovery_instance_id = instance_id
            if server.last_launch and server.last_launch.job_id == job.job_id:
                server.last_launch.status = "LAUNCHED"
                server.last_launch_result = "SUCCEEDED"
            server.recovery_instance_id = instance_id

        return apply

    def _plan_terminate(self, job: JobRecord) -> None:
        started = self._plan_start(job)
        last = started
        for p in job.participants:
            rng = self._rng_for(job, p.recovery_instance_id)
            t_begin = started + self._dur(job, rng, SNAPSHOT_OFFSET)
            t_done = t_begin + self._dur(job, rng, TERMINATE)
            inst = self._instances[p.recovery_instance_id]

            def begin(
                p: Participant = p, inst: RecoveryInstanceRecord = inst, at: datetime = t_begin
            ) -> None:
                p.launch_status = "IN_PROGRESS"
                if inst.ec2_state != "TERMINATED":
                    inst.ec2_state = "SHUTTING-DOWN"
                job.log.append(
                    LogItem(
                        at,
                        "CLEANUP_START",
                        {"sourceServerID": p.source_server_id, "targetInstanceID": inst.recovery_instance_id},
                    )
                )

            def done(p: Participant = p, inst: RecoveryInstanceRecord = inst, at: datetime = t_done) -> None:
                self._terminate_now(inst, at)
                p.launch_status = "TERMINATED"
                job.log.append(
                    LogItem(
                        at,
                        "CLEANUP_END",
                        {"sourceServerID": p.source_server_id, "targetInstanceID": inst.recovery_instance_id},
                    )
                )

            self._at(t_begin, begin)
            self._at(t_done, done)
            last = max(last, t_done)
        self._plan_end(job, last)

    def _terminate_now(self, inst: RecoveryInstanceRecord, at: datetime) -> None:
        inst.ec2_state = "TERMINATED"
        inst.terminated_at = at
        server = self._servers.get(inst.source_server_id)
        if server and server.recovery_instance_id == inst.recovery_instance_id:
            server.recovery_instance_id = ""

        def purge() -> None:
            if self._instances.get(inst.recovery_instance_id) is inst:
                del self._instances[inst.recovery_instance_id]
                self._arn_tags.pop(inst.arn, None)

        self._at(at + self.clock.duration(TERMINATED_RETENTION_SECONDS), purge)

    # ============================================================================================
    # lookups
    # ============================================================================================
    def _jobs_newest_first(self) -> list[JobRecord]:
        return sorted(self._jobs.values(), key=lambda j: (j.created_at, j.seq), reverse=True)

    def _servers_in_active_launch_jobs(self) -> dict[str, str]:
        busy: dict[str, str] = {}
        for j in self._jobs.values():
            if j.active and j.job_type == "LAUNCH":
                for p in j.participants:
                    busy.setdefault(p.source_server_id, j.job_id)
        return busy

    def _instances_in_active_terminate_jobs(self) -> set[str]:
        return {
            p.recovery_instance_id
            for j in self._jobs.values()
            if j.active and j.job_type == "TERMINATE"
            for p in j.participants
        }

    def _tags_of(self, arn: str) -> dict[str, str]:
        for s in self._servers.values():
            if s.arn == arn:
                return s.tags
        tags = self._arn_tags.get(arn)
        if tags is None:
            raise not_found(f"Resource {arn} was not found.", arn, "RESOURCE")
        return tags


# ================================================================================================
# helpers
# ================================================================================================
def _rate(value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError("a rate must be between 0 and 1")
    return value
