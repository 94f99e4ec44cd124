"""The backend contract (resources/backend/CONTRACT.md) as pure constants and record types.

The console and the state machine agree on three things, all versioned by ``CONTRACT_VERSION``:
the execution input (validated against ``execution-input.schema.json``), the history records the
state machine writes to DynamoDB, and the probe input the state machine answers without side
effects. Nothing here imports boto3: records are parsed from plain Python values (DynamoDB items
already deserialized by the aws layer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .status import ExecutionStatus

CONTRACT_VERSION = "1.2"
# contract versions whose execution inputs this backend still accepts (1.0: no point in time; 1.1: no
# account groups)
ACCEPTED_INPUT_VERSIONS = ("1.0", "1.1", "1.2")
CONTRACT_MARKER = f"drs-console-contract:{CONTRACT_VERSION}"
CONTRACT_MARKER_PREFIX = "drs-console-contract:"

DEFAULT_STACK_NAME = "drs-console"
# CloudFormation outputs of resources/backend/template.yaml
OUTPUT_STATE_MACHINE_ARN = "StateMachineArn"
OUTPUT_HISTORY_TABLE = "HistoryTableName"
OUTPUT_CONTRACT_VERSION = "ContractVersion"

# DynamoDB history table keys
PK = "PK"
SK = "SK"
EXECUTION_SK = "EXECUTION"
WAVE_SK_PREFIX = "WAVE#"
LIST_INDEX = "ByStartTime"  # sparse GSI: only execution items carry GSI1PK
LIST_PK = "GSI1PK"
LIST_SK = "GSI1SK"
LIST_PK_VALUE = "EXECUTION"
TTL_ATTRIBUTE = "expiresAt"

# The error the console sends with SendTaskFailure to cancel a paused execution.
CANCEL_ERROR = "Cancelled"
# Errors the state machine raises internally (visible in the execution history).
ERROR_CANCELLED = "DrsConsole.Cancelled"
ERROR_WAVE_FAILED = "DrsConsole.WaveFailed"
ERROR_WAVE_TIMEOUT = "DrsConsole.WaveTimeout"
ERROR_CONTRACT = "DrsConsole.ContractVersionMismatch"
ERROR_STOPPED = "DrsConsole.Stopped"
ERROR_EXECUTION_MISSING = "DrsConsole.ExecutionMissing"  # an active record whose execution is gone

MAX_SERVERS_PER_WAVE = 200  # StartRecovery accepts at most 200 source servers per call
MAX_WAVES = 999
MIN_POLL_INTERVAL = 1
MAX_POLL_INTERVAL = 3600

PROBE_INPUT: dict[str, Any] = {"probe": True, "contractVersion": CONTRACT_VERSION}


class FailurePolicy(StrEnum):
    STOP_ON_FAILURE = "STOP_ON_FAILURE"
    CONTINUE = "CONTINUE"


class ExecutionType(StrEnum):
    DRILL = "DRILL"
    RECOVERY = "RECOVERY"


def execution_pk(execution_id: str) -> str:
    return f"EXEC#{execution_id}"


def wave_sk(index: int) -> str:
    """Sort key of the wave at 0-based ``index``: WAVE#0001 for the first wave."""
    return f"{WAVE_SK_PREFIX}{index + 1:04d}"


def contract_version_of(definition: str | Mapping[str, Any]) -> str | None:
    """The contract version a state machine definition declares in its Comment, else None."""
    import json

    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError:
            return None
    if not isinstance(definition, Mapping):
        return None
    comment = str(definition.get("Comment") or "")
    idx = comment.find(CONTRACT_MARKER_PREFIX)
    if idx < 0:
        return None
    rest = comment[idx + len(CONTRACT_MARKER_PREFIX) :]
    version = ""
    for ch in rest:
        if ch.isdigit() or ch == ".":
            version += ch
        else:
            break
    return version.strip(".") or None


def task_resources(definition: str | Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (state name, Resource) of the Task states, nested Map/Parallel states included."""
    import json

    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError:
            return []
    found: list[tuple[str, str]] = []

    def walk(states: Mapping[str, Any]) -> None:
        for name, state in (states or {}).items():
            if not isinstance(state, Mapping):
                continue
            if state.get("Type") == "Task" and state.get("Resource"):
                found.append((name, str(state["Resource"])))
            for key in ("ItemProcessor", "Iterator"):
                sub = state.get(key)
                if isinstance(sub, Mapping):
                    walk(sub.get("States") or {})
            for branch in state.get("Branches") or []:
                if isinstance(branch, Mapping):
                    walk(branch.get("States") or {})

    if isinstance(definition, Mapping):
        walk(definition.get("States") or {})
    return found


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class WaveJob:
    """One DRS job of a wave (contract 1.2: one per account group) and the account that runs it."""

    account_id: str
    job_id: str


def _jobs(value: Any) -> tuple[WaveJob, ...]:
    out = []
    for j in value or []:
        if isinstance(j, Mapping) and j.get("jobId"):
            out.append(WaveJob(str(j.get("accountId") or ""), str(j["jobId"])))
    return tuple(out)


@dataclass(frozen=True)
class WaveRecord:
    index: int
    name: str
    status: ExecutionStatus | None
    raw_status: str = ""
    job_id: str = ""
    server_count: int = 0
    servers_launched: int = 0
    servers_failed: int = 0
    started_at: str = ""
    ended_at: str = ""
    updated_at: str = ""
    error: str = ""
    cause: str = ""
    # contract 1.2: every job of the wave with its account (older records: none; see ``all_jobs``)
    jobs: tuple[WaveJob, ...] = ()

    def all_jobs(self, default_account: str = "") -> tuple[WaveJob, ...]:
        """The wave's jobs: the recorded list, else its one ``job_id`` (in ``default_account``)."""
        if self.jobs:
            return self.jobs
        return (WaveJob(default_account, self.job_id),) if self.job_id else ()

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> WaveRecord:
        raw = str(item.get("status") or "")
        return cls(
            index=_int(item.get("waveIndex")),
            name=str(item.get("waveName") or ""),
            status=ExecutionStatus.parse(raw),
            raw_status=raw,
            job_id=str(item.get("jobId") or ""),
            server_count=_int(item.get("serverCount")),
            servers_launched=_int(item.get("serversLaunched")),
            servers_failed=_int(item.get("serversFailed")),
            started_at=str(item.get("startedAt") or ""),
            ended_at=str(item.get("endedAt") or ""),
            updated_at=str(item.get("updatedAt") or ""),
            error=str(item.get("error") or ""),
            cause=str(item.get("cause") or ""),
            jobs=_jobs(item.get("jobs")),
        )


@dataclass(frozen=True)
class ExecutionRecord:
    """One execution as the history table holds it: the execution item and its wave items."""

    execution_id: str
    status: ExecutionStatus | None
    raw_status: str = ""
    plan_id: str = ""
    plan_name: str = ""
    plan_version: int = 0
    execution_type: str = ""
    failure_policy: str = ""
    initiated_by: str = ""
    started_at: str = ""
    updated_at: str = ""
    ended_at: str = ""
    execution_arn: str = ""
    wave_count: int = 0
    current_wave: int = -1
    servers_launched: int = 0
    servers_failed: int = 0
    wave_counts: Mapping[str, int] = field(default_factory=dict)
    task_token: str = ""
    error: str = ""
    cause: str = ""
    contract_version: str = ""
    waves: tuple[WaveRecord, ...] = ()
    # written by the console after StartExecution: the plan's worst recovery point then (its RPO)
    recovery_point_at: str = ""
    recovery_point_server_id: str = ""
    rpo_seconds: int | None = None
    point_in_time: str = ""  # contract 1.1: the requested time of a point-in-time run (ISO 8601)

    @property
    def is_terminal(self) -> bool:
        return self.status is not None and self.status.is_terminal

    @property
    def is_drill(self) -> bool:
        return self.execution_type == ExecutionType.DRILL

    @classmethod
    def from_items(cls, items: list[Mapping[str, Any]]) -> ExecutionRecord | None:
        """Build from the items of one Query on PK (execution item + wave items); None if absent."""
        head = next((i for i in items if i.get(SK) == EXECUTION_SK), None)
        if head is None:
            return None
        waves = sorted(
            (WaveRecord.from_item(i) for i in items if str(i.get(SK, "")).startswith(WAVE_SK_PREFIX)),
            key=lambda w: w.index,
        )
        raw = str(head.get("status") or "")
        counts = head.get("waveCounts") or {}
        return cls(
            execution_id=str(head.get("executionId") or str(head.get(PK, ""))[len("EXEC#") :]),
            status=ExecutionStatus.parse(raw),
            raw_status=raw,
            plan_id=str(head.get("planId") or ""),
            plan_name=str(head.get("planName") or ""),
            plan_version=_int(head.get("planVersion")),
            execution_type=str(head.get("executionType") or ""),
            failure_policy=str(head.get("failurePolicy") or ""),
            initiated_by=str(head.get("initiatedBy") or ""),
            started_at=str(head.get("startedAt") or ""),
            updated_at=str(head.get("updatedAt") or ""),
            ended_at=str(head.get("endedAt") or ""),
            execution_arn=str(head.get("stateMachineExecutionArn") or ""),
            wave_count=_int(head.get("waveCount")),
            current_wave=_int(head.get("currentWave", -1)),
            servers_launched=_int(head.get("serversLaunched")),
            servers_failed=_int(head.get("serversFailed")),
            wave_counts={str(k): _int(v) for k, v in dict(counts).items()},
            task_token=str(head.get("taskToken") or ""),
            error=str(head.get("error") or ""),
            cause=str(head.get("cause") or ""),
            contract_version=str(head.get("contractVersion") or ""),
            waves=tuple(waves),
            recovery_point_at=str(head.get("recoveryPointAt") or ""),
            recovery_point_server_id=str(head.get("recoveryPointServerId") or ""),
            rpo_seconds=_int(head.get("rpoSeconds")) if head.get("rpoSeconds") is not None else None,
            point_in_time=str(head.get("pointInTime") or ""),
        )


def group_by_account(wave: Mapping[str, Any], account_of: Mapping[str, str], hub_account: str,
                     roles: Mapping[str, str]) -> dict[str, Any]:
    """``wave`` (an input wave) with ``accounts`` when some server is recovered by another account
    than the hub: one group per account in the order of first appearance (the hub's first, without
    a role), each with the role in ``roles``; a point-in-time wave's groups carry their ``servers``.
    A wave of the hub's servers alone is returned unchanged (what 1.1 sent)."""
    ids = list(wave["sourceServerIds"])
    accounts = {sid: account_of.get(sid) or hub_account for sid in ids}
    if all(a == hub_account for a in accounts.values()):
        return dict(wave)
    order = list(dict.fromkeys([hub_account] + [accounts[s] for s in ids]))
    snapshots = {x["sourceServerID"]: x for x in wave.get("servers") or []}
    groups = []
    for account in order:
        members = [s for s in ids if accounts[s] == account]
        if not members:
            continue
        group: dict[str, Any] = {"accountId": account}
        if account != hub_account:
            group["roleArn"] = roles[account]
        group["sourceServerIds"] = members
        if snapshots:
            group["servers"] = [snapshots[s] for s in members]
        groups.append(group)
    return {**wave, "accounts": groups}
