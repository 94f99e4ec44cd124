"""DRS native recovery plans in the simulator: plans and their steps (the definitions).

A recovery plan is an ordered list of at most 20 steps; a SERVER step recovers its source servers
in parallel (each CRITICAL, the default, or OPTIONAL), a WAIT step pauses 1-120 minutes. A plan
holds at most 100 servers in all, each in one step only. A plan with no SERVER step is INVALID
(it cannot be executed), otherwise ACTIVE. Running a plan is ``recovery_plan_runs``.

The operations take botocore's parameter names and return the service model's output shapes. The
request body has already been checked against the model (``validation.validate``); this module
checks what the model cannot say (union members, limits across steps, references, state).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .drs_api import DrsError, _page, conflict, not_found, validation_error
from .records import drs_time, hex_id

if TYPE_CHECKING:
    from .simulator import DrsSimulator

MAX_STEPS = 20
MAX_SERVERS_PER_PLAN = 100
DEFAULT_IMPACT = "CRITICAL"
_SERVER_ARN = re.compile(r"arn:(?:[0-9a-zA-Z_-]+:){3}([0-9]{12,}):source-server/(s-[0-9a-zA-Z]{17})")


def plan_time(dt: datetime) -> str:
    """The recovery-plan shapes' timestamp text (ISO8601DatetimeString, UTC with 'Z')."""
    return drs_time(dt)


@dataclass
class PlanServer:
    server_arn: str
    impact: str | None = None  # None: not given (DRS treats it as CRITICAL)

    @property
    def impact_level(self) -> str:
        return self.impact or DEFAULT_IMPACT

    @property
    def source_server_id(self) -> str:
        return self.server_arn.rsplit("/", 1)[-1]

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"serverArn": self.server_arn}
        if self.impact:
            out["impactLevel"] = self.impact
        return out


@dataclass
class PlanStep:
    arn: str
    name: str
    kind: str  # SERVER | WAIT
    servers: list[PlanServer]
    wait_minutes: int
    created_at: datetime
    updated_at: datetime

    def configuration(self) -> dict[str, Any]:
        if self.kind == "SERVER":
            return {"serverStepConfiguration": {"servers": [s.item() for s in self.servers]}}
        return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}

    def item(self, order: int) -> dict[str, Any]:
        return {
            "recoveryPlanStepArn": self.arn,
            "stepOrder": order,
            "stepName": self.name,
            "configuration": self.configuration(),
            "createdAt": plan_time(self.created_at),
            "updatedAt": plan_time(self.updated_at),
        }


@dataclass
class Plan:
    arn: str
    name: str
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    seq: int = 0  # creation order (plans made in the same instant list in the order made)
    steps: list[PlanStep] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "ACTIVE" if any(s.kind == "SERVER" for s in self.steps) else "INVALID"

    def step(self, arn: str) -> tuple[int, PlanStep] | None:
        for i, s in enumerate(self.steps):
            if s.arn == arn:
                return i, s
        return None

    def server_ids(self, *, excluding: str | None = None) -> list[str]:
        return [srv.source_server_id for s in self.steps if s.arn != excluding for srv in s.servers]

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"recoveryPlanArn": self.arn, "name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out.update(
            status=self.status,
            createdAt=plan_time(self.created_at),
            updatedAt=plan_time(self.updated_at),
            tags=dict(self.tags),
        )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "recoveryPlanArn": self.arn,
            "name": self.name,
            "status": self.status,
            "createdAt": plan_time(self.created_at),
            "updatedAt": plan_time(self.updated_at),
        }


class RecoveryPlans:
    """The recovery plans of one simulated DRS (account and region). Called under its lock."""

    def __init__(self, sim: DrsSimulator):
        self.sim = sim
        self._plans: dict[str, Plan] = {}
        self._tokens: dict[tuple[str, str], str] = {}  # (operation, clientToken) -> ARN made
        self._seq = itertools.count(1)

    # -- helpers for the executions ---------------------------------------------------------------
    def get(self, arn: str) -> Plan:
        plan = self._plans.get(arn)
        if plan is None:
            raise not_found(f"Recovery plan {arn} was not found.", arn, "RECOVERY_PLAN")
        return plan

    def find_step(self, arn: str) -> tuple[Plan, int, PlanStep]:
        for plan in self._plans.values():
            found = plan.step(arn)
            if found:
                return plan, found[0], found[1]
        raise not_found(f"Recovery plan step {arn} was not found.", arn, "RECOVERY_PLAN_STEP")

    def reset(self) -> None:
        for plan in self._plans.values():
            self.sim._arn_tags.pop(plan.arn, None)
        self._plans.clear()
        self._tokens.clear()

    def _now(self) -> datetime:
        return self.sim.clock.now()

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-" + hex_id(self.sim._id_rng)

    def _arn(self, resource: str) -> str:
        return f"arn:aws:drs:{self.sim.region}:{self.sim.account_id}:{resource}"

    def _refuse_while_running(self, plan: Plan, what: str) -> None:
        active = self.sim.recovery_plan_runs.active_execution(plan.arn)
        if active is not None:
            raise conflict(
                f"Cannot {what}: recovery plan {plan.arn} has execution {active.arn} in status "
                f"{active.status}. Wait for it to end or cancel it.",
                plan.arn,
                "RECOVERY_PLAN",
            )

    def _remembered(self, operation: str, token: str | None) -> str | None:
        return self._tokens.get((operation, token)) if token else None

    # -- validation of a step's configuration -------------------------------------------------------
    def _parse_configuration(
        self, configuration: dict, plan: Plan, *, step_arn: str | None = None
    ) -> tuple[str, list[PlanServer], int]:
        server_cfg = configuration.get("serverStepConfiguration")
        wait_cfg = configuration.get("waitStepConfiguration")
        if (server_cfg is None) == (wait_cfg is None):
            raise validation_error(
                "configuration must set exactly one of serverStepConfiguration or waitStepConfiguration.",
                field="configuration",
            )
        if wait_cfg is not None:
            return "WAIT", [], int(wait_cfg["waitDurationMinutes"])
        servers: list[PlanServer] = []
        seen: set[str] = set()
        for i, entry in enumerate(server_cfg["servers"]):
            where = f"configuration.serverStepConfiguration.servers[{i}].serverArn"
            arn = entry["serverArn"]
            match = _SERVER_ARN.fullmatch(arn)
            sid = match.group(2) if match else ""
            server = self.sim._servers.get(sid)
            if server is None or server.arn != arn:
                raise not_found(f"Source server {arn} was not found in this account and region.", arn,
                                "SOURCE_SERVER")
            if sid in seen:
                raise validation_error(f"Source server {sid} is listed twice in the step.", field=where)
            seen.add(sid)
            servers.append(PlanServer(arn, entry.get("impactLevel")))
        elsewhere = set(plan.server_ids(excluding=step_arn))
        clash = [s.source_server_id for s in servers if s.source_server_id in elsewhere]
        if clash:
            raise validation_error(
                f"Source server(s) {', '.join(clash)} are already in another step of this plan; "
                "a server can be in one step only.",
                field="configuration.serverStepConfiguration.servers",
            )
        total = len(elsewhere) + len(servers)
        if total > MAX_SERVERS_PER_PLAN:
            raise DrsError(
                "ServiceQuotaExceededException",
                f"A recovery plan can hold at most {MAX_SERVERS_PER_PLAN} source servers; this change "
                f"would make {total}.",
                402,
                fields={"resourceId": plan.arn, "resourceType": "RECOVERY_PLAN", "serviceCode": "drs",
                        "quotaCode": "L-RECOVERY-PLAN-SERVERS"},
            )
        return "SERVER", servers, 0

    def _name_taken(self, name: str, but: str | None = None) -> None:
        for plan in self._plans.values():
            if plan.name == name and plan.arn != but:
                raise conflict(f"A recovery plan named {name!r} already exists: {plan.arn}.", plan.arn,
                               "RECOVERY_PLAN")

    # ============================================================================================
    # operations
    # ============================================================================================
    def create_recovery_plan(
        self, name: str, description: str | None = None, clientToken: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict:
        made = self._remembered("CreateRecoveryPlan", clientToken)
        if made and made in self._plans:
            return {"recoveryPlan": self._plans[made].item()}
        self._name_taken(name)
        now = self._now()
        arn = self._arn(f"recovery-plan/{self._new_id('rp')}")
        plan = Plan(arn, name, description, dict(tags or {}), now, now, next(self._seq))
        self._plans[arn] = plan
        self.sim._arn_tags[arn] = plan.tags
        if clientToken:
            self._tokens[("CreateRecoveryPlan", clientToken)] = arn
        return {"recoveryPlan": plan.item()}

    def get_recovery_plan(self, recoveryPlanArn: str) -> dict:
        return {"recoveryPlan": self.get(recoveryPlanArn).item()}

    def update_recovery_plan(
        self, recoveryPlanArn: str, name: str | None = None, description: str | None = None
    ) -> dict:
        plan = self.get(recoveryPlanArn)
        if name is not None:
            self._name_taken(name, but=plan.arn)
            plan.name = name
        if description is not None:
            plan.description = description
        plan.updated_at = self._now()
        return {"recoveryPlan": plan.item()}

    def delete_recovery_plan(self, recoveryPlanArn: str) -> dict:
        plan = self.get(recoveryPlanArn)
        self._refuse_while_running(plan, "delete the plan")
        del self._plans[plan.arn]
        self.sim._arn_tags.pop(plan.arn, None)
        return {"recoveryPlanArn": plan.arn}

    def list_recovery_plans(self, maxResults: int | None = None, nextToken: str | None = None) -> dict:
        plans = sorted(self._plans.values(), key=lambda p: (p.created_at, p.seq))
        page, token = _page(plans, maxResults, nextToken, "ListRecoveryPlans")
        out: dict[str, Any] = {"recoveryPlans": [p.summary() for p in page]}
        if token:
            out["nextToken"] = token
        return out

    def create_recovery_plan_step(
        self, recoveryPlanArn: str, stepName: str, configuration: dict, stepOrder: int | None = None,
        clientToken: str | None = None,
    ) -> dict:
        plan = self.get(recoveryPlanArn)
        made = self._remembered("CreateRecoveryPlanStep", clientToken)
        if made and plan.step(made):
            i, step = plan.step(made)  # type: ignore[misc]
            return {"recoveryPlanStep": step.item(i + 1)}
        self._refuse_while_running(plan, "add a step")
        if len(plan.steps) >= MAX_STEPS:
            raise DrsError(
                "ServiceQuotaExceededException",
                f"A recovery plan can have at most {MAX_STEPS} steps; {plan.arn} has {len(plan.steps)}.",
                402,
                fields={"resourceId": plan.arn, "resourceType": "RECOVERY_PLAN", "serviceCode": "drs",
                        "quotaCode": "L-RECOVERY-PLAN-STEPS"},
            )
        if stepOrder is not None and stepOrder > len(plan.steps) + 1:
            raise validation_error(
                f"stepOrder must be between 1 and {len(plan.steps) + 1} (the plan has {len(plan.steps)} steps).",
                field="stepOrder",
            )
        kind, servers, minutes = self._parse_configuration(configuration, plan)
        now = self._now()
        step = PlanStep(f"{plan.arn}/step/{self._new_id('rps')}", stepName, kind, servers, minutes, now, now)
        index = (stepOrder - 1) if stepOrder is not None else len(plan.steps)
        plan.steps.insert(index, step)
        plan.updated_at = now
        if clientToken:
            self._tokens[("CreateRecoveryPlanStep", clientToken)] = step.arn
        return {"recoveryPlanStep": step.item(index + 1)}

    def get_recovery_plan_step(self, recoveryPlanStepArn: str) -> dict:
        _plan, i, step = self.find_step(recoveryPlanStepArn)
        return {"recoveryPlanStep": step.item(i + 1)}

    def update_recovery_plan_step(
        self, recoveryPlanStepArn: str, stepName: str | None = None, configuration: dict | None = None
    ) -> dict:
        plan, i, step = self.find_step(recoveryPlanStepArn)
        self._refuse_while_running(plan, "change a step")
        if configuration is not None:
            kind, servers, minutes = self._parse_configuration(configuration, plan, step_arn=step.arn)
            if kind != step.kind:
                raise validation_error(
                    f"The step type is immutable: step {step.arn} is a {step.kind} step.", field="configuration"
                )
            step.servers, step.wait_minutes = servers, minutes
        if stepName is not None:
            step.name = stepName
        step.updated_at = plan.updated_at = self._now()
        return {"recoveryPlanStep": step.item(i + 1)}

    def delete_recovery_plan_step(self, recoveryPlanStepArn: str) -> dict:
        plan, i, step = self.find_step(recoveryPlanStepArn)
        self._refuse_while_running(plan, "delete a step")
        del plan.steps[i]
        plan.updated_at = self._now()
        return {"recoveryPlanStepArn": step.arn}

    def list_recovery_plan_steps(
        self, recoveryPlanArn: str, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict:
        plan = self.get(recoveryPlanArn)
        ordered = [s.item(i + 1) for i, s in enumerate(plan.steps)]
        page, token = _page(ordered, maxResults, nextToken, f"ListRecoveryPlanSteps/{plan.arn}")
        out: dict[str, Any] = {"recoveryPlanSteps": page}
        if token:
            out["nextToken"] = token
        return out

    def reorder_recovery_plan_steps(self, recoveryPlanArn: str, orderedStepArns: list[str]) -> dict:
        plan = self.get(recoveryPlanArn)
        self._refuse_while_running(plan, "reorder the steps")
        current = {s.arn: s for s in plan.steps}
        if len(orderedStepArns) != len(set(orderedStepArns)) or set(orderedStepArns) != set(current):
            raise validation_error(
                f"orderedStepArns must list every step of the plan exactly once ({len(current)} steps).",
                field="orderedStepArns",
            )
        plan.steps = [current[a] for a in orderedStepArns]
        plan.updated_at = self._now()
        return {"recoveryPlanSteps": [s.item(i + 1) for i, s in enumerate(plan.steps)]}
