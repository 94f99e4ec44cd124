"""DRS native recovery plans in the simulator: executions (running a plan).

An execution copies the plan's steps when it starts (later edits of the plan do not change it) and
runs them one at a time on the simulator's clock, as planned events, so its timestamps are never
ahead of now and what it reports depends only on the requests and the clock:

* ``CREATED`` -> ``IN_PROGRESS`` a moment after StartRecoveryPlanExecution;
* a SERVER step (``EXECUTING``) starts a REAL simulator launch job (the StartRecovery code path,
  tagged ``RecoveryPlanExecutionArn``/``RecoveryPlanExecutionStepArn``; drill or recovery as the
  execution's mode; pinned recovery snapshots passed through). The step ends when its job ends:
  ``COMPLETED`` when every CRITICAL server launched (an OPTIONAL server that failed does not fail
  the step), else ``FAILED`` with an errorDetail, and the execution is then ``FAILED`` too;
* a WAIT step is ``WAITING`` for its minutes (simulated: shortened by the speed factor);
* the execution ends ``COMPLETED`` after its last step (skipped steps included).

A step never ends ``TIMED_OUT`` here: the model lists the status (and retry and skip accept it), but
neither the API reference nor the user guide says when a step times out (no step timeout, no
duration), so the simulator does not invent one.

A FAILED step can be retried (RetryRecoveryPlanExecutionStep: attempt + 1, a new job for the servers
that did not launch) or skipped (UpdateRecoveryPlanExecutionStep status=SKIPPED): either resumes the
FAILED execution. CancelRecoveryPlanExecution: ``CANCELLING``; no further step starts; a job in
flight runs to its end (DRS does not stop launches), then ``CANCELLED`` with the remaining steps
``SKIPPED``. A plan has at most one execution in CREATED, IN_PROGRESS or CANCELLING.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .drs_api import DrsError, _page, conflict, not_found, validation_error
from .records import JobRecord, hex_id
from .recovery_plans import PlanServer, plan_time
from .snapshots import recovery_snapshots

if TYPE_CHECKING:
    from .simulator import DrsSimulator

ACTIVE = frozenset({"CREATED", "IN_PROGRESS", "CANCELLING"})
START_DELAY_SECONDS = 2.0  # CREATED -> IN_PROGRESS (simulated seconds)
CANCEL_SECONDS = 2.0  # CANCELLING -> CANCELLED when nothing is in flight
EXECUTION_TAG = "RecoveryPlanExecutionArn"
STEP_TAG = "RecoveryPlanExecutionStepArn"


@dataclass
class ExecServer:
    server_arn: str
    impact: str | None
    job_id: str | None = None

    @property
    def source_server_id(self) -> str:
        return self.server_arn.rsplit("/", 1)[-1]

    @property
    def critical(self) -> bool:
        return (self.impact or "CRITICAL") == "CRITICAL"

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"serverArn": self.server_arn}
        if self.impact:
            out["impactLevel"] = self.impact
        if self.job_id:
            out["jobID"] = self.job_id
        return out


@dataclass
class ExecStep:
    arn: str
    index: int  # 1-based
    name: str
    kind: str  # SERVER | WAIT
    servers: list[ExecServer]
    wait_minutes: int
    created_at: datetime
    updated_at: datetime
    status: str = "NOT_STARTED"
    attempt: int = 1
    error: tuple[str, str] | None = None  # (code, message)
    jobs: list[str] = field(default_factory=list)  # every job this step started, oldest first
    generation: int = 0  # bumps when a wait is cut short, so its planned end is ignored

    def configuration(self) -> dict[str, Any]:
        if self.kind == "SERVER":
            return {"executionServerStepConfiguration": {"servers": [s.item() for s in self.servers]}}
        return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recoveryPlanExecutionStepArn": self.arn,
            "stepName": self.name,
            "stepIndex": self.index,
            "status": self.status,
            "configuration": self.configuration(),
        }
        if self.error:
            out["errorDetail"] = {"message": self.error[1], "code": self.error[0]}
        return out

    def item(self) -> dict[str, Any]:
        out = self.summary()
        out.update(attempt=self.attempt, createdAt=plan_time(self.created_at), updatedAt=plan_time(self.updated_at))
        return out

    def set(self, status: str, at: datetime, error: tuple[str, str] | None = None) -> None:
        self.status, self.updated_at, self.error = status, at, error


@dataclass
class Execution:
    arn: str
    plan_arn: str
    mode: str  # DRILL | RECOVERY
    started_at: datetime
    tags: dict[str, str]
    steps: list[ExecStep]
    pins: dict[str, str]  # source server ID -> recovery snapshot ID
    status: str = "CREATED"
    completed_at: datetime | None = None
    error: tuple[str, str] | None = None

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recoveryPlanExecutionArn": self.arn,
            "recoveryPlanArn": self.plan_arn,
            "mode": self.mode,
            "status": self.status,
            "startedAt": plan_time(self.started_at),
        }
        if self.completed_at is not None:
            out["completedAt"] = plan_time(self.completed_at)
        if self.error:
            out["errorDetail"] = {"message": self.error[1], "code": self.error[0]}
        out["tags"] = dict(self.tags)
        return out

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.item().items() if k not in ("completedAt", "tags")}

    def finish(self, status: str, at: datetime, error: tuple[str, str] | None = None) -> None:
        self.status, self.completed_at, self.error = status, at, error

    def resume(self) -> None:
        self.status, self.completed_at, self.error = "IN_PROGRESS", None, None


class RecoveryPlanRuns:
    """The recovery plan executions of one simulated DRS. Called under its lock."""

    def __init__(self, sim: DrsSimulator):
        self.sim = sim
        self._runs: dict[str, Execution] = {}
        self._tokens: dict[str, str] = {}

    # -- lookups -----------------------------------------------------------------------------------
    def active_execution(self, plan_arn: str) -> Execution | None:
        for ex in self._runs.values():
            if ex.plan_arn == plan_arn and ex.status in ACTIVE:
                return ex
        return None

    def get(self, arn: str) -> Execution:
        ex = self._runs.get(arn)
        if ex is None:
            raise not_found(f"Recovery plan execution {arn} was not found.", arn, "RECOVERY_PLAN_EXECUTION")
        return ex

    def find_step(self, arn: str) -> tuple[Execution, ExecStep]:
        for ex in self._runs.values():
            for step in ex.steps:
                if step.arn == arn:
                    return ex, step
        raise not_found(f"Recovery plan execution step {arn} was not found.", arn, "RECOVERY_PLAN_EXECUTION_STEP")

    def reset(self) -> None:
        for ex in self._runs.values():
            self.sim._arn_tags.pop(ex.arn, None)
        self._runs.clear()
        self._tokens.clear()

    def _now(self) -> datetime:
        return self.sim.clock.now()

    # ============================================================================================
    # the engine (planned events; every change is stamped with the event's own time)
    # ============================================================================================
    def _begin(self, ex: Execution, at: datetime) -> None:
        if ex.status != "CREATED":
            return
        ex.status = "IN_PROGRESS"
        self._advance(ex, at)

    def _advance(self, ex: Execution, at: datetime) -> None:
        """Start the next step that has not started, or end the execution."""
        if ex.status != "IN_PROGRESS":
            return
        for step in ex.steps:
            if step.status == "NOT_STARTED":
                self._run_step(ex, step, at)
                return
            if step.status not in ("COMPLETED", "SKIPPED"):
                return  # a step in flight or failed holds the execution
        ex.finish("COMPLETED", at)

    def _run_step(self, ex: Execution, step: ExecStep, at: datetime) -> None:
        if step.kind == "WAIT":
            step.set("WAITING", at)
            generation = step.generation
            until = at + self.sim.clock.duration(step.wait_minutes * 60)
            self.sim._at(until, lambda: self._wait_done(ex, step, generation, until))
            return
        step.set("EXECUTING", at)
        todo = [s for s in step.servers if not self._launched(s)]
        if not todo:  # every server already launched (an earlier attempt)
            step.set("COMPLETED", at)
            self._advance(ex, at)
            return
        entries = []
        for s in todo:
            entry = {"sourceServerID": s.source_server_id}
            if s.source_server_id in ex.pins:
                entry["recoverySnapshotID"] = ex.pins[s.source_server_id]
            entries.append(entry)
        try:
            job_item = self.sim.start_recovery(
                entries, isDrill=ex.mode == "DRILL", tags={EXECUTION_TAG: ex.arn, STEP_TAG: step.arn}, _at=at
            )["job"]
        except DrsError as err:
            self._step_failed(ex, step, at, (err.code, f"The step's launch was refused: {err.message}"))
            return
        job = self.sim._jobs[job_item["jobID"]]
        step.jobs.append(job.job_id)
        for s in todo:
            s.job_id = job.job_id
        job.on_end = lambda ended: self._job_ended(ex, step, job, ended)

    def _launched(self, server: ExecServer) -> bool:
        if not server.job_id or server.job_id not in self.sim._jobs:
            return False
        job = self.sim._jobs[server.job_id]
        try:
            return job.participant(server.source_server_id).launch_status == "LAUNCHED"
        except KeyError:
            return False

    def _job_ended(self, ex: Execution, step: ExecStep, job: JobRecord, ended: datetime) -> None:
        if step.status != "EXECUTING" or not step.jobs or step.jobs[-1] != job.job_id:
            return
        failed = [s for s in step.servers if not self._launched(s)]
        critical = [s.source_server_id for s in failed if s.critical]
        if critical:
            self._step_failed(ex, step, ended, (
                "CRITICAL_SERVER_LAUNCH_FAILED",
                f"CRITICAL source server(s) {', '.join(critical)} did not launch in job {job.job_id}.",
            ))
            return
        step.set("COMPLETED", ended)
        if ex.status == "CANCELLING":
            self._cancelled(ex, ended)
        else:
            self._advance(ex, ended)

    def _step_failed(self, ex: Execution, step: ExecStep, at: datetime, error: tuple[str, str]) -> None:
        step.set("FAILED", at, error)
        if ex.status == "CANCELLING":
            self._cancelled(ex, at)
            return
        ex.finish("FAILED", at, ("STEP_FAILED", f"Step {step.index} ({step.name}) failed: {error[1]}"))

    def _wait_done(self, ex: Execution, step: ExecStep, generation: int, at: datetime) -> None:
        if step.status != "WAITING" or step.generation != generation:
            return
        step.set("COMPLETED", at)
        self._advance(ex, at)

    def _cancelled(self, ex: Execution, at: datetime) -> None:
        if ex.status not in ("CANCELLING",):
            return
        for step in ex.steps:
            if step.status in ("NOT_STARTED", "WAITING"):
                step.generation += 1
                step.set("SKIPPED", at)
        ex.finish("CANCELLED", at)

    # ============================================================================================
    # operations
    # ============================================================================================
    def start_recovery_plan_execution(
        self, recoveryPlanArn: str, mode: str, clientToken: str | None = None,
        sourceServers: list[dict] | None = None, tags: dict[str, str] | None = None,
    ) -> dict:
        if clientToken and self._tokens.get(clientToken) in self._runs:
            return {"recoveryPlanExecution": self._runs[self._tokens[clientToken]].item()}
        plan = self.sim.recovery_plans.get(recoveryPlanArn)
        if plan.status != "ACTIVE":
            raise validation_error(
                f"Recovery plan {plan.arn} is {plan.status}: it has no SERVER step to execute.",
                field="recoveryPlanArn",
            )
        active = self.active_execution(plan.arn)
        if active is not None:
            raise conflict(
                f"Recovery plan {plan.arn} already has execution {active.arn} in status {active.status}; "
                "a plan runs one execution at a time.",
                active.arn,
                "RECOVERY_PLAN_EXECUTION",
            )
        now = self._now()
        pins = self._pins(plan.server_ids(), sourceServers or [], now)
        arn = f"arn:aws:drs:{self.sim.region}:{self.sim.account_id}:recovery-plan-execution/rpe-{hex_id(self.sim._id_rng)}"
        steps = [
            ExecStep(
                f"{arn}/step/{i + 1}", i + 1, s.name, s.kind,
                [ExecServer(srv.server_arn, srv.impact) for srv in s.servers], s.wait_minutes, now, now,
            )
            for i, s in enumerate(plan.steps)
        ]
        ex = Execution(arn, plan.arn, mode, now, dict(tags or {}), steps, pins)
        self._runs[arn] = ex
        self.sim._arn_tags[arn] = ex.tags
        if clientToken:
            self._tokens[clientToken] = arn
        begin = now + self.sim.clock.duration(START_DELAY_SECONDS)
        self.sim._at(begin, lambda: self._begin(ex, begin))
        return {"recoveryPlanExecution": ex.item()}

    def _pins(self, plan_servers: list[str], entries: list[dict], now: datetime) -> dict[str, str]:
        pins: dict[str, str] = {}
        for i, entry in enumerate(entries):
            sid, pit = entry["sourceServerID"], entry["recoverySnapshotID"]
            where = f"sourceServers[{i}]"
            if sid not in plan_servers:
                raise validation_error(f"Source server {sid} is not in the recovery plan.", field=f"{where}.sourceServerID")
            if sid in pins:
                raise validation_error(f"Source server {sid} is listed twice.", field=f"{where}.sourceServerID")
            server = self.sim._servers[sid]
            if not any(snap.snapshot_id == pit for snap in recovery_snapshots(server, now)):
                raise not_found(f"Recovery snapshot {pit} of source server {sid} was not found.", pit,
                                "RECOVERY_SNAPSHOT")
            pins[sid] = pit
        return pins

    def get_recovery_plan_execution(self, recoveryPlanExecutionArn: str) -> dict:
        return {"recoveryPlanExecution": self.get(recoveryPlanExecutionArn).item()}

    def list_recovery_plan_executions(
        self, recoveryPlanArn: str | None = None, status: str | None = None,
        maxResults: int | None = None, nextToken: str | None = None,
    ) -> dict:
        runs = [
            ex for ex in sorted(self._runs.values(), key=lambda e: (e.started_at, e.arn), reverse=True)
            if (recoveryPlanArn is None or ex.plan_arn == recoveryPlanArn) and (status is None or ex.status == status)
        ]
        page, token = _page(runs, maxResults, nextToken, f"ListRecoveryPlanExecutions/{recoveryPlanArn}/{status}")
        out: dict[str, Any] = {"recoveryPlanExecutions": [ex.summary() for ex in page]}
        if token:
            out["nextToken"] = token
        return out

    def get_recovery_plan_execution_step(self, recoveryPlanExecutionStepArn: str) -> dict:
        _ex, step = self.find_step(recoveryPlanExecutionStepArn)
        return {"recoveryPlanExecutionStep": step.item()}

    def list_recovery_plan_execution_steps(
        self, recoveryPlanExecutionArn: str, filter: dict | None = None,  # noqa: A002 - botocore's name
        maxResults: int | None = None, nextToken: str | None = None,
    ) -> dict:
        ex = self.get(recoveryPlanExecutionArn)
        wanted = (filter or {}).get("status")
        steps = [s for s in ex.steps if wanted is None or s.status == wanted]
        page, token = _page(steps, maxResults, nextToken, f"ListRecoveryPlanExecutionSteps/{ex.arn}/{wanted}")
        out: dict[str, Any] = {"recoveryPlanExecutionSteps": [s.summary() for s in page]}
        if token:
            out["nextToken"] = token
        return out

    def retry_recovery_plan_execution_step(self, recoveryPlanExecutionStepArn: str) -> dict:
        ex, step = self.find_step(recoveryPlanExecutionStepArn)
        if step.kind != "SERVER":
            raise validation_error(f"Step {step.arn} is a WAIT step; only SERVER steps can be retried.",
                                   field="recoveryPlanExecutionStepArn")
        if step.status not in ("FAILED", "TIMED_OUT") or ex.status != "FAILED":
            raise conflict(
                f"Step {step.arn} is {step.status} in a {ex.status} execution; only a FAILED step of a "
                "FAILED execution can be retried.", step.arn, "RECOVERY_PLAN_EXECUTION_STEP")
        other = self.active_execution(ex.plan_arn)
        if other is not None:
            raise conflict(f"Recovery plan {ex.plan_arn} has execution {other.arn} in status {other.status}.",
                           other.arn, "RECOVERY_PLAN_EXECUTION")
        step.attempt += 1
        ex.resume()
        self._run_step(ex, step, self._now())
        return {"recoveryPlanExecutionStep": step.item()}

    def update_recovery_plan_execution_step(
        self, recoveryPlanExecutionStepArn: str, status: str | None = None, servers: list[dict] | None = None,
        waitDurationMinutes: int | None = None,
    ) -> dict:
        ex, step = self.find_step(recoveryPlanExecutionStepArn)
        if status is None and servers is None and waitDurationMinutes is None:
            raise validation_error("Give status, servers or waitDurationMinutes.", field="status")
        if status is not None and status != "SKIPPED":
            raise validation_error("Only SKIPPED is accepted as a status.", field="status")
        if servers is not None and step.kind != "SERVER":
            raise validation_error(f"Step {step.arn} is a WAIT step; servers apply to SERVER steps.", field="servers")
        if waitDurationMinutes is not None and step.kind != "WAIT":
            raise validation_error(f"Step {step.arn} is a SERVER step; waitDurationMinutes applies to WAIT steps.",
                                   field="waitDurationMinutes")
        if ex.status not in ("CREATED", "IN_PROGRESS", "FAILED"):
            raise conflict(f"Execution {ex.arn} is {ex.status}; its steps can no longer change.", ex.arn,
                           "RECOVERY_PLAN_EXECUTION")
        allowed = ("NOT_STARTED", "FAILED", "TIMED_OUT") if status else ("NOT_STARTED",)
        if step.status not in allowed:
            raise conflict(f"Step {step.arn} is {step.status}; this change needs it {' or '.join(allowed)}.",
                           step.arn, "RECOVERY_PLAN_EXECUTION_STEP")
        now = self._now()
        if servers is not None:
            step.servers = self._exec_servers(ex, step, servers)
        if waitDurationMinutes is not None:
            step.wait_minutes = int(waitDurationMinutes)
        step.updated_at = now
        if status == "SKIPPED":
            was_failed = step.status != "NOT_STARTED"
            step.set("SKIPPED", now)
            if was_failed and ex.status == "FAILED":
                ex.resume()
                self._advance(ex, now)
        return {"recoveryPlanExecutionStep": step.item()}

    def _exec_servers(self, ex: Execution, step: ExecStep, servers: list[dict]) -> list[ExecServer]:
        # the same rules as a plan step's servers: known servers, each in one step only
        elsewhere = {s.source_server_id for other in ex.steps if other is not step for s in other.servers}
        out: list[ExecServer] = []
        for i, entry in enumerate(servers):
            ps = PlanServer(entry["serverArn"], entry.get("impactLevel"))
            server = self.sim._servers.get(ps.source_server_id)
            if server is None or server.arn != ps.server_arn:
                raise not_found(f"Source server {ps.server_arn} was not found.", ps.server_arn, "SOURCE_SERVER")
            if ps.source_server_id in elsewhere or any(o.source_server_id == ps.source_server_id for o in out):
                raise validation_error(f"Source server {ps.source_server_id} is already in the execution.",
                                       field=f"servers[{i}].serverArn")
            out.append(ExecServer(ps.server_arn, ps.impact))
        return out

    def cancel_recovery_plan_execution(self, recoveryPlanExecutionArn: str) -> dict:
        ex = self.get(recoveryPlanExecutionArn)
        if ex.status not in ("CREATED", "IN_PROGRESS", "FAILED"):
            raise conflict(f"Execution {ex.arn} is {ex.status} and cannot be cancelled.", ex.arn,
                           "RECOVERY_PLAN_EXECUTION")
        now = self._now()
        in_flight = any(s.status == "EXECUTING" for s in ex.steps)
        ex.status, ex.completed_at, ex.error = "CANCELLING", None, None
        for step in ex.steps:
            if step.status == "WAITING":  # a wait is cut short at once
                step.generation += 1
                step.set("SKIPPED", now)
        if not in_flight:  # nothing to wait for: cancelled a moment later
            done = now + self.sim.clock.duration(CANCEL_SECONDS)
            self.sim._at(done, lambda: self._cancelled(ex, done))
        return {"recoveryPlanExecution": ex.item()}

    def delete_recovery_plan_execution(self, recoveryPlanExecutionArn: str) -> dict:
        ex = self.get(recoveryPlanExecutionArn)
        if ex.status in ACTIVE:
            raise conflict(
                f"Execution {ex.arn} is {ex.status}; only an execution in a terminal status can be deleted.",
                ex.arn, "RECOVERY_PLAN_EXECUTION")
        del self._runs[ex.arn]
        self.sim._arn_tags.pop(ex.arn, None)
        return {"recoveryPlanExecutionArn": ex.arn}
