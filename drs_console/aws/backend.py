"""The deployed backend: its resource files and the execution input it takes.

The service itself is split along the engine seam: the stack and its deployment are
``aws/backend_stack.py`` (``BackendStack``), the state machine executions and their history
records are the Step Functions engine, ``aws/engines/stepfunctions.py``
(``StepFunctionsExecutions``); ``BackendService`` (``aws/backend_service.py``) is both. The names
that lived here are still importable from here (``__getattr__`` below), without import cycles.
The contract it speaks is ``domain.contract`` / resources/backend/CONTRACT.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..domain import contract as c
from ..domain.contract import group_by_account  # noqa: F401 - re-exported: the input builder's
from ..domain.errors import BadInput, ConsoleError, ProblemKind

RESOURCES_ENV = "DRS_CONSOLE_BACKEND_RESOURCES"
TEMPLATE_FILE = "template.yaml"
ASL_FILE = "state-machine.asl.json"
SCHEMA_FILE = "execution-input.schema.json"
PROBE_FILE = "probe-input.json"
DEFINITION_LINE = "      DefinitionS3Location: ./state-machine.asl.json\n"
TEMPLATE_BODY_LIMIT = 51_200  # CloudFormation's TemplateBody limit in bytes


# -- resource files -------------------------------------------------------------------------------
def resources_dir() -> Path:
    """resources/backend: from $DRS_CONSOLE_BACKEND_RESOURCES, a frozen bundle, or the source tree."""
    env = os.environ.get(RESOURCES_ENV)
    candidates = [Path(env)] if env else []
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources" / "backend")
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "backend")
    for path in candidates:
        if (path / TEMPLATE_FILE).is_file():
            return path
    raise ConsoleError(
        ProblemKind.NOT_FOUND,
        "The backend files (resources/backend) are not installed with this console.",
        f"Reinstall DRS Console, or point ${RESOURCES_ENV} at a resources/backend folder.",
    )


def load_definition(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or resources_dir() / ASL_FILE).read_text(encoding="utf-8"))


def load_schema() -> dict[str, Any]:
    return _schema()


@cache
def _schema() -> dict[str, Any]:
    return json.loads((resources_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


def probe_input() -> dict[str, Any]:
    path = resources_dir() / PROBE_FILE
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return dict(c.PROBE_INPUT)


def render_template(template: str | None = None, definition: Mapping[str, Any] | None = None) -> str:
    """template.yaml with the ASL file inlined as DefinitionString: deployable without a bucket."""
    folder = resources_dir() if template is None or definition is None else None
    text = template if template is not None else (folder / TEMPLATE_FILE).read_text(encoding="utf-8")
    asl = definition if definition is not None else load_definition(folder / ASL_FILE)
    if DEFINITION_LINE not in text:
        raise ConsoleError(
            ProblemKind.BAD_INPUT,
            "template.yaml has no 'DefinitionS3Location: ./state-machine.asl.json' line to inline the definition.",
            "Restore resources/backend/template.yaml.",
        )
    # a YAML literal block holding the compact JSON on one line: no escaping (a double-quoted scalar
    # would double every quote), so that the template stays under CloudFormation's limit
    compact = json.dumps(asl, separators=(",", ":"), ensure_ascii=True)
    body = text.replace(DEFINITION_LINE, f"      DefinitionString: |-\n        {compact}\n")
    if len(body.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
        raise ConsoleError(
            ProblemKind.BAD_INPUT,
            f"The rendered backend template is {len(body)} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}.",
            "Deploy with 'aws cloudformation package' and an S3 bucket instead.",
        )
    return body


# -- execution input ------------------------------------------------------------------------------
def execution_input_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks execution-input.schema.json, one readable line each."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_schema())
    errors = []
    for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        if err.validator == "oneOf" and isinstance(document, Mapping) and not document.get("probe"):
            # report what is wrong with it as an execution input, not that it is no probe either
            execution = Draft202012Validator(
                {"$ref": "#/$defs/execution", "$defs": _schema()["$defs"]}
            )
            for sub in sorted(execution.iter_errors(document), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(p) for p in sub.absolute_path) or "(input)"
                errors.append(f"{where}: {sub.message}")
            continue
        where = "/".join(str(p) for p in err.absolute_path) or "(input)"
        errors.append(f"{where}: {err.message}")
    if not errors and isinstance(document, Mapping) and not document.get("probe"):
        errors.extend(_point_in_time_errors(document))
    return errors


def _point_in_time_errors(document: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say about contract 1.1's point-in-time fields: a 1.0 input carries
    none of them, and a wave's ``servers`` are its ``sourceServerIds``, in the same order; (1.2) a
    point-in-time wave's account groups carry its servers' snapshots, the same ones."""
    errors = []
    v10 = document.get("contractVersion") == "1.0"
    if v10 and "pointInTime" in document:
        errors.append("pointInTime: needs contractVersion 1.1")
    for i, wave in enumerate((document.get("plan") or {}).get("waves") or []):
        if v10 and ("servers" in wave or "pointInTime" in wave):
            errors.append(f"plan/waves/{i}: servers and pointInTime need contractVersion 1.1")
        if "servers" in wave and [s.get("sourceServerID") for s in wave["servers"]] != wave.get("sourceServerIds"):
            errors.append(f"plan/waves/{i}/servers: must list the wave's sourceServerIds, in the same order")
        groups = wave.get("accounts")
        if groups is None:
            continue
        if document.get("contractVersion") != "1.2":
            errors.append(f"plan/waves/{i}/accounts: needs contractVersion 1.2")
        grouped = [sid for g in groups for sid in g.get("sourceServerIds") or []]
        if sorted(grouped) != sorted(wave.get("sourceServerIds") or []):
            errors.append(f"plan/waves/{i}/accounts: the groups must hold exactly the wave's sourceServerIds")
        if len({g.get("accountId") for g in groups}) != len(groups):
            errors.append(f"plan/waves/{i}/accounts: one group per account")
        if sum(1 for g in groups if not g.get("roleArn")) > 1:
            errors.append(f"plan/waves/{i}/accounts: only the hub's group goes without a roleArn")
        for j, g in enumerate(groups):
            role = str(g.get("roleArn") or "")
            if role and role.split(":")[4:5] != [g.get("accountId")]:
                errors.append(f"plan/waves/{i}/accounts/{j}: the roleArn must be a role of account {g.get('accountId')}")
            if ("servers" in g) != ("servers" in wave):
                errors.append(f"plan/waves/{i}/accounts/{j}: servers must be given in every group of a point-in-time wave")
            elif "servers" in g and [x.get("sourceServerID") for x in g["servers"]] != g.get("sourceServerIds"):
                errors.append(f"plan/waves/{i}/accounts/{j}/servers: must list the group's sourceServerIds, in order")
            elif "servers" in g:
                # the group's snapshots launch (StartRecovery in its account); the wave's are what the
                # views show: they must be the same
                named = {x.get("sourceServerID"): x.get("recoverySnapshotID") for x in wave["servers"]}
                if any(named.get(x.get("sourceServerID")) != x.get("recoverySnapshotID") for x in g["servers"]):
                    errors.append(f"plan/waves/{i}/accounts/{j}/servers: each server's recoverySnapshotID must be "
                                  "the one the wave's servers name")
    return errors


def validate_execution_input(document: Any) -> None:
    """Raise BadInput unless ``document`` is a valid execution (or probe) input of this contract."""
    errors = execution_input_errors(document)
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise BadInput(
            "The execution input does not match the backend contract "
            f"{c.CONTRACT_VERSION}: " + "; ".join(errors[:3]) + more,
            "Fix the plan (server IDs, waves, timeouts) and try again.",
        )


def new_execution_id() -> str:
    import uuid

    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def build_execution_input(
    *,
    plan_id: str,
    plan_name: str,
    plan_version: int,
    waves: list[Mapping[str, Any]],
    history_table: str,
    initiated_by: str,
    drill: bool = True,
    failure_policy: str = c.FailurePolicy.STOP_ON_FAILURE,
    poll_interval_seconds: int = 30,
    execution_id: str | None = None,
    default_wave_timeout: int = 3600,
    point_in_time: str = "",
) -> dict[str, Any]:
    """An execution input from plain values. ``waves``: dicts with ``name``, ``sourceServerIds``
    and optionally ``pauseBefore``, ``timeoutSeconds`` and (a point-in-time run, contract 1.1)
    ``pointInTime`` and ``servers`` (``[{"sourceServerID", "recoverySnapshotID",
    "recoverySnapshotTime"}]``, in ``sourceServerIds``' order). ``point_in_time``: the run's
    requested time (ISO 8601 UTC). Without either, the input is what contract 1.0 defined. A wave
    recovering servers of other accounts (contract 1.2) carries ``accounts``: its servers grouped by
    account (``group_by_account``), each group with the role the state machine assumes there."""
    doc = {
        "contractVersion": c.CONTRACT_VERSION,
        "executionId": execution_id or new_execution_id(),
        "plan": {
            "id": plan_id,
            "name": plan_name,
            "version": int(plan_version),
            "waves": [
                {
                    "name": str(w["name"]),
                    "sourceServerIds": list(w["sourceServerIds"]),
                    "pauseBefore": bool(w.get("pauseBefore", False)),
                    "timeoutSeconds": int(w.get("timeoutSeconds") or default_wave_timeout),
                    **{k: w[k] for k in ("pointInTime", "servers", "accounts") if w.get(k)},
                }
                for w in waves
            ],
        },
        "failurePolicy": str(failure_policy),
        "executionType": c.ExecutionType.DRILL if drill else c.ExecutionType.RECOVERY,
        "initiatedBy": initiated_by,
        "pollIntervalSeconds": int(poll_interval_seconds),
        "historyTable": history_table,
    }
    if point_in_time:
        doc["pointInTime"] = point_in_time
    return doc


# -- compatibility: the names that moved along the engine seam ------------------------------------
_MOVED = {
    "BackendService": "backend_service",
    "BackendLocation": "backend_stack",
    "BackendStack": "backend_stack",
    "StackInfo": "backend_stack",
    "StackEvent": "backend_stack",
    "DeployResult": "backend_stack",
    "ProgressCallback": "backend_stack",
    "CAPABILITIES": "backend_stack",
    "STACK_DONE": "backend_stack",
    "STACK_FAILED": "backend_stack",
    "ExecutionInfo": "engines.stepfunctions",
    "ExecutionFailure": "engines.stepfunctions",
    "StepFunctionsExecutions": "engines.stepfunctions",
    "failing_state": "engines.stepfunctions",
    "deserialize_item": "dynamo_items",
    "run_sync": "sync",
}


def __getattr__(name: str) -> Any:
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__package__}.{module}"), name)
