"""Recovery engines behind one seam: what runs a wave plan.

* ``stepfunctions``: our deployed Step Functions backend (the state machine, its history table);
* ``native``: a DRS native recovery plan (StartRecoveryPlanExecution ...), no stack to deploy.

Both read an execution as the same domain views (``domain.execution.ExecutionView``), so the
monitor, ``status``, the report and the GUI show either unchanged. ``capabilities`` says what an
engine can do; callers branch only to say what one cannot (``unsupported``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from ...domain.errors import BadInput
from ...domain.execution import Engine, ExecutionView
from ...domain.plan import Plan


class Capability(StrEnum):
    PAUSE_RESUME = "pause/resume"  # a wave waits for an operator's approval
    RETRY_STEP = "retry a failed step"
    SKIP_STEP = "skip a step"
    CANCEL = "cancel"
    DELETE_EXECUTION = "delete an execution (prune)"
    SELECTORS_AT_RUN_TIME = "selectors resolved at run time"
    PER_WAVE_TIMEOUT = "per-wave timeouts"
    RECOVERY_SNAPSHOTS = "a recovery snapshot per server"


WHY_NOT: Mapping[tuple[Engine, Capability], str] = {
    (Engine.NATIVE, Capability.PAUSE_RESUME):
        "a DRS native plan never pauses for an approval (its WAIT steps are timed), so there is nothing to resume",
    (Engine.NATIVE, Capability.SELECTORS_AT_RUN_TIME):
        "a DRS native plan lists its servers; selectors were resolved when it was published",
    (Engine.NATIVE, Capability.PER_WAVE_TIMEOUT): "a DRS native step has no timeout of its own",
    (Engine.STEPFUNCTIONS, Capability.RETRY_STEP):
        "the Step Functions backend does not retry a wave; start the plan again (or its remaining waves)",
    (Engine.STEPFUNCTIONS, Capability.SKIP_STEP):
        "the Step Functions backend does not skip a wave; use failure policy CONTINUE",
}


def unsupported(engine: Engine, capability: Capability, what: str = "") -> BadInput:
    """The BadInput for asking ``engine`` to do what it cannot, saying why."""
    why = WHY_NOT.get((engine, capability), f"the {engine.label} engine cannot {capability.value}")
    return BadInput(f"{what or capability.value.capitalize()} does not apply to a {engine.label} execution: {why}.",
                    "See 'drs-console run --help' (Two engines) for what each engine does.")


@dataclass(frozen=True)
class StartedExecution:
    """An execution an engine started (engine-neutral)."""

    engine: Engine
    execution_id: str  # what 'status' takes
    execution_arn: str
    drill: bool
    plan_id: str
    plan_name: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    detail: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class RecoveryEngine(Protocol):
    """One engine. Every method is async and raises ``ConsoleError`` (``BadInput`` for what the
    operator must change); executions are named by the ID its ``start`` returned."""

    engine: Engine
    capabilities: frozenset[Capability]

    async def start(self, plan: Plan, *, recovery: bool = False, confirm: str = "",
                    snapshots: Mapping[str, str] | None = None) -> StartedExecution: ...

    async def read(self, execution_id: str) -> ExecutionView: ...

    def monitor(self, execution_id: str, **kwargs: Any) -> Any: ...  # an ExecutionMonitor

    async def resume(self, execution_id: str) -> None: ...

    async def retry_step(self, execution_id: str, step: int) -> ExecutionView: ...

    async def skip_step(self, execution_id: str, step: int) -> ExecutionView: ...

    async def cancel(self, execution_id: str) -> ExecutionView: ...

    async def list_executions(self, *, limit: int = 50) -> list[ExecutionView]: ...

    async def delete_execution(self, execution_id: str) -> None: ...
