"""State machine definitions compared as data: canonical form and hash, a state-by-state diff,
the released definitions we know, the Tasks that are not ours, and the IAM actions each Task needs.

Pure functions on plain JSON values (no boto3); ``doctor`` and ``deploy`` use them on what
DescribeStateMachine returns and on resources/backend/state-machine.asl.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.wording import plural

RELEASED_FILE = "released-definitions.json"
SFN_PREFIX = "arn:aws:states:::"

# The service integrations the contract allows (CONTRACT.md, "Doctor"). The integrations the
# bundled definition uses are allowed as well, so a newer bundled file never fails its own check.
CONTRACT_INTEGRATIONS = frozenset(
    {
        "arn:aws:states:::dynamodb:getItem",
        "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::dynamodb:updateItem",
        "arn:aws:states:::dynamodb:deleteItem",
        "arn:aws:states:::aws-sdk:dynamodb:getItem",
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        "arn:aws:states:::aws-sdk:dynamodb:updateItem",
        "arn:aws:states:::aws-sdk:dynamodb:deleteItem",
        "arn:aws:states:::aws-sdk:dynamodb:query",
        "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken",
        "arn:aws:states:::aws-sdk:drs:startRecovery",
        "arn:aws:states:::aws-sdk:drs:describeJobs",
        "arn:aws:states:::aws-sdk:drs:describeJobLogItems",
        "arn:aws:states:::aws-sdk:drs:describeSourceServers",
        "arn:aws:states:::aws-sdk:drs:describeRecoveryInstances",
    }
)
_SUFFIXES = (".waitForTaskToken", ".sync:2", ".sync")


def canonical(definition: Mapping[str, Any]) -> str:
    """The definition as canonical JSON: sorted keys, no whitespace (key order and layout ignored)."""
    return json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def definition_hash(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(definition).encode("utf-8")).hexdigest()


def substitute(definition: Mapping[str, Any], substitutions: Mapping[str, str]) -> dict[str, Any]:
    """``${Key}`` placeholders resolved as CloudFormation's DefinitionSubstitutions does."""
    if not substitutions:
        return json.loads(json.dumps(definition))
    text = json.dumps(definition)
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", str(value).replace("\\", "\\\\").replace('"', '\\"'))
    return json.loads(text)


# -- released definitions -------------------------------------------------------------------------
@dataclass(frozen=True)
class Release:
    release: str
    contract: str
    sha256: str


def parse_releases(document: Mapping[str, Any]) -> list[Release]:
    return [
        Release(str(r["release"]), str(r["contract"]), str(r["sha256"]))
        for r in document.get("releases") or []
        if isinstance(r, Mapping) and r.get("sha256")
    ]


def find_release(releases: list[Release], sha256: str) -> Release | None:
    return next((r for r in releases if r.sha256 == sha256), None)


# -- states ---------------------------------------------------------------------------------------
def all_states(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state by name, nested Map/Parallel states included (names are unique in a machine).
    A Map's or Parallel's nested states are left out of its own entry (they are entries too)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(states: Any) -> None:
        if not isinstance(states, Mapping):
            return
        for name, state in states.items():
            if not isinstance(state, Mapping):
                found[str(name)] = {"(invalid)": state}
                continue
            own = dict(state)
            for key in ("ItemProcessor", "Iterator"):
                sub = state.get(key)
                if isinstance(sub, Mapping):
                    own[key] = {k: v for k, v in sub.items() if k != "States"}
                    walk(sub.get("States"))
            if isinstance(state.get("Branches"), list):
                own["Branches"] = [
                    {k: v for k, v in b.items() if k != "States"} if isinstance(b, Mapping) else b
                    for b in state["Branches"]
                ]
                for b in state["Branches"]:
                    if isinstance(b, Mapping):
                        walk(b.get("States"))
            found[str(name)] = own
    walk(definition.get("States"))
    return found


def _short(value: Any, limit: int = 70) -> str:
    if isinstance(value, str) and value.startswith(SFN_PREFIX):
        text = value[len(SFN_PREFIX):]
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field_changes(path: str, old: Any, new: Any) -> Iterator[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            if key not in new:
                yield f"{path}.{key}: {_short(old[key])} -> (removed)"
            elif key not in old:
                yield f"{path}.{key}: (absent) -> {_short(new[key])}"
            elif old[key] != new[key]:
                yield from _field_changes(f"{path}.{key}", old[key], new[key])
    elif old != new:
        yield f"{path}: {_short(old)} -> {_short(new)}"


@dataclass(frozen=True)
class DefinitionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # state names
    changes: tuple[str, ...] = ()  # "State.Field.Sub: old -> new", top level as "(definition).Field"

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changes)

    def lines(self) -> list[str]:
        out = [f"state added: {n}" for n in self.added]
        out += [f"state removed: {n}" for n in self.removed]
        out += list(self.changes)
        return out

    def summary(self, limit: int = 4) -> str:
        parts = []
        if self.added:
            parts.append(f"{plural(len(self.added), 'state')} added ({', '.join(self.added[:limit])})")
        if self.removed:
            parts.append(f"{len(self.removed)} removed ({', '.join(self.removed[:limit])})")
        if self.changes:
            more = f" and {len(self.changes) - limit} more" if len(self.changes) > limit else ""
            parts.append("changed: " + "; ".join(self.changes[:limit]) + more)
        return ", ".join(parts) or "no difference"


def diff_definitions(expected: Mapping[str, Any], deployed: Mapping[str, Any]) -> DefinitionDiff:
    """How ``deployed`` differs from ``expected``, as 'old -> new' from expected to deployed."""
    old, new = all_states(expected), all_states(deployed)
    added = tuple(n for n in new if n not in old)
    removed = tuple(n for n in old if n not in new)
    changes: list[str] = []
    top_old = {k: v for k, v in expected.items() if k != "States"}
    top_new = {k: v for k, v in deployed.items() if k != "States"}
    changes += list(_field_changes("(definition)", top_old, top_new))
    changed = []
    for name in old:
        if name in new and old[name] != new[name]:
            changed.append(name)
            changes += list(_field_changes(name, old[name], new[name]))
    # what a state does (its Type and Resource) before how it is parameterised
    changes.sort(key=lambda line: 0 if any(f".{k}:" in line for k in ("Type", "Resource")) else 1)
    return DefinitionDiff(added, removed, tuple(changed), tuple(changes))


# -- Tasks ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    state: str
    resource: str  # "" when dynamic
    dynamic: str = ""  # the dynamic field (Resource.$, FunctionName.$), when any
    function: str = ""  # the Lambda function a Lambda task calls

    @property
    def is_lambda(self) -> bool:
        return ":lambda:" in self.resource or self.resource.startswith(SFN_PREFIX + "lambda:")


def tasks(definition: Mapping[str, Any]) -> list[Task]:
    out = []
    for name, st in all_states(definition).items():
        if st.get("Type") != "Task":
            continue
        res = st.get("Resource")
        params = st.get("Parameters") or st.get("Arguments") or {}
        params = params if isinstance(params, Mapping) else {}
        dynamic = ""
        if not isinstance(res, str) or "Resource.$" in st or (isinstance(res, str) and res.startswith("{%")):
            dynamic, res = "Resource", ""
        function = ""
        if res and (":lambda:" in res or res.startswith(SFN_PREFIX + "lambda:")):
            if ":function:" in res:
                function = res
            elif "FunctionName" in params:
                function = str(params["FunctionName"])
            elif "FunctionName.$" in params:
                dynamic = f"FunctionName.$ = {params['FunctionName.$']}"
            if isinstance(function, str) and function.startswith("{%"):
                dynamic, function = f"FunctionName = {function}", ""
        out.append(Task(name, res or "", dynamic, function))
    return out


def foreign_tasks(definition: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> list[tuple[Task, str]]:
    """(task, why) for every Task that is not ours: Lambda, dynamic, or an integration outside ``allowed``."""
    out = []
    for t in tasks(definition):
        if t.dynamic:
            out.append((t, f"its {t.dynamic} is dynamic and cannot be checked statically"))
        elif t.is_lambda:
            out.append((t, f"it invokes the Lambda function {t.function or t.resource}, in a Lambda-free contract"))
        elif t.resource not in allowed:
            out.append((t, f"its integration {_short(t.resource)} is not in the contract's list"))
    return out


def _action_of(resource: str) -> str:
    """arn:aws:states:::dynamodb:putItem -> dynamodb:PutItem; aws-sdk:drs:startRecovery -> drs:StartRecovery."""
    rest = resource[len(SFN_PREFIX):] if resource.startswith(SFN_PREFIX) else ""
    for suffix in _SUFFIXES:
        if rest.endswith(suffix):
            rest = rest[: -len(suffix)]
    if rest.startswith("aws-sdk:"):
        rest = rest[len("aws-sdk:"):]
    service, _, action = rest.partition(":")
    if not service or not action:
        return ""
    service = {"sfn": "states"}.get(service, service)
    return f"{service}:{action[0].upper()}{action[1:]}"


def required_actions(definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """IAM action -> the states that need it, for every static service-integration Task. A Lambda
    task needs ``lambda:InvokeFunction@<function>`` (the action on that function)."""
    needed: dict[str, list[str]] = {}
    for t in tasks(definition):
        if t.is_lambda and t.function:
            needed.setdefault(f"lambda:InvokeFunction@{t.function}", []).append(t.state)
            continue
        if t.dynamic or t.is_lambda or not t.resource:
            continue
        action = _action_of(t.resource)
        if action:
            needed.setdefault(action, []).append(t.state)
    return needed


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version or "")) or (0,)
