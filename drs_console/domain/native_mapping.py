"""A wave plan as a DRS native recovery plan, and back: the mapping, stated exactly.

DRS recovery plans (CreateRecoveryPlan, CreateRecoveryPlanStep, StartRecoveryPlanExecution ...) are
ordered steps in one account and region: a SERVER step recovers its servers in parallel, each
CRITICAL or OPTIONAL; a WAIT step waits 1 to 120 minutes. At most 20 steps and 100 servers a plan.

=============================  ===============================================================
wave plan                      native plan
=============================  ===============================================================
wave                           one SERVER step, same order, its name made a valid step name
wave's servers                 the step's servers as source server ARNs (resolved selectors too)
wave ``critical`` / server's   impactLevel CRITICAL (the default) or OPTIONAL
wave ``delayMinutes``          WAIT step(s) before the wave's step (120 minutes at most each)
``pauseBefore``                REFUSED: a WAIT is timed, not an approval (split the run there)
``selector``                   resolved now (WARN: the native plan will not follow tag changes)
``timeoutMinutes``             not carried (WARN): a native step has no timeout of its own
failure policy CONTINUE        not carried (WARN): a failed step stops; skip it to go on
server another account         REFUSED: a native plan is one account's (DRS's limit): named
recovers (its ``accountId``)   with that account, the Step Functions engine runs such plans
server of another region,      REFUSED: a native plan is one account and region
unknown server
more than 20 steps / 100       REFUSED (DRS's limits)
servers, a server twice
=============================  ===============================================================

Pure: the caller passes the connected account and region and the inventory it read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .inventory import SourceServer
from .plan import FailurePolicy, Plan, ServerRef, Wave
from .selector import TagSelector, selector_error

MAX_STEPS = 20
MAX_SERVERS = 100
MAX_SERVERS_PER_STEP = 100
MIN_WAIT_MINUTES = 1
MAX_WAIT_MINUTES = 120
MAX_NAME = 256
MAX_DESCRIPTION = 1024
TAG_PLAN_ID = "drs-console:plan-id"
TAG_PLAN_VERSION = "drs-console:plan-version"
TAG_PLAN_NAME = "drs-console:plan-name"
TAG_NATIVE_ARN = "drs-console:native-plan-arn"  # on a library plan imported from a native plan

_NAME_BAD = re.compile(r"[^a-zA-Z0-9 _-]+")
_ARN = re.compile(r"^arn:(?P<partition>[0-9a-zA-Z_-]+):drs:(?P<region>[0-9a-zA-Z_-]+):(?P<account>[0-9]{12,}):"
                  r"source-server/(?P<sid>s-[0-9a-zA-Z]{17})$")


class Impact(StrEnum):
    CRITICAL = "CRITICAL"
    OPTIONAL = "OPTIONAL"


class StepKind(StrEnum):
    SERVER = "SERVER"
    WAIT = "WAIT"


class Severity(StrEnum):
    REFUSED = "REFUSED"  # nothing is created
    WARN = "WARN"  # created, but this is not carried over


@dataclass(frozen=True, slots=True)
class MappingProblem:
    severity: Severity
    what: str  # "pause-before", "selector", "limit", "account", "region", "server", "timeout", ...
    message: str
    remedy: str = ""
    wave_index: int | None = None  # 0-based

    def line(self) -> str:
        where = f"wave {self.wave_index + 1}: " if self.wave_index is not None else ""
        return f"{self.severity.value} {self.what}: {where}{self.message}" + (f" {self.remedy}" if self.remedy else "")

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity.value, "what": self.what, "message": self.message,
                "remedy": self.remedy, "wave": None if self.wave_index is None else self.wave_index + 1}


@dataclass(frozen=True, slots=True)
class NativeServer:
    server_arn: str
    impact: Impact = Impact.CRITICAL

    @property
    def source_server_id(self) -> str:
        return source_server_id(self.server_arn)

    def to_api(self) -> dict[str, str]:
        return {"serverArn": self.server_arn, "impactLevel": self.impact.value}


@dataclass(frozen=True, slots=True)
class NativeStep:
    kind: StepKind
    name: str
    servers: tuple[NativeServer, ...] = ()
    wait_minutes: int = 0
    wave_index: int | None = None  # the wave it comes from (a WAIT: the wave it waits before)

    def configuration(self) -> dict[str, Any]:
        """The step's ``configuration`` for CreateRecoveryPlanStep / UpdateRecoveryPlanStep."""
        if self.kind is StepKind.WAIT:
            return {"waitStepConfiguration": {"waitDurationMinutes": self.wait_minutes}}
        return {"serverStepConfiguration": {"servers": [s.to_api() for s in self.servers]}}

    def key(self) -> tuple:
        """What a drift check compares: kind, servers with impact (in order), wait."""
        return (self.kind.value, tuple((s.server_arn, s.impact.value) for s in self.servers), self.wait_minutes)

    def line(self) -> str:
        if self.kind is StepKind.WAIT:
            return f"WAIT {self.wait_minutes} min ({self.name})"
        optional = sum(1 for s in self.servers if s.impact is Impact.OPTIONAL)
        extra = f", {optional} optional" if optional else ""
        return f"SERVER {self.name!r}: {len(self.servers)} server{'s' if len(self.servers) != 1 else ''}{extra}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "name": self.name, "wave": None if self.wave_index is None else self.wave_index + 1,
                "waitMinutes": self.wait_minutes or None,
                "servers": [{"serverArn": s.server_arn, "sourceServerId": s.source_server_id, "impact": s.impact.value}
                            for s in self.servers]}


@dataclass(frozen=True, slots=True)
class NativeMapping:
    plan_id: str
    plan_version: int
    name: str
    description: str
    account_id: str
    region: str
    steps: tuple[NativeStep, ...] = ()
    problems: tuple[MappingProblem, ...] = ()

    @property
    def refused(self) -> tuple[MappingProblem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.REFUSED)

    @property
    def warnings(self) -> tuple[MappingProblem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARN)

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def server_count(self) -> int:
        return sum(len(s.servers) for s in self.steps)

    def tags(self) -> dict[str, str]:
        return {TAG_PLAN_ID: self.plan_id, TAG_PLAN_VERSION: str(self.plan_version), TAG_PLAN_NAME: self.name}

    def lines(self) -> list[str]:
        out = [f"Native plan {self.name!r} in {self.account_id or '?'} {self.region or '?'}: "
               f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''}, {self.server_count} servers"]
        out += [f"  {i + 1}. {s.line()}" for i, s in enumerate(self.steps)]
        out += [p.line() for p in self.problems]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"planId": self.plan_id, "planVersion": self.plan_version, "name": self.name,
                "accountId": self.account_id, "region": self.region, "ok": self.ok,
                "steps": [s.to_json() for s in self.steps], "problems": [p.to_json() for p in self.problems]}


# -- ARNs and names ---------------------------------------------------------------------------------
def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def source_server_arn(region: str, account_id: str, server_id: str) -> str:
    return f"arn:{partition_of(region)}:drs:{region}:{account_id}:source-server/{server_id}"


def parse_server_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account ID, source server ID) of a source server ARN; None if it is not one."""
    m = _ARN.match(arn or "")
    return (m["region"], m["account"], m["sid"]) if m else None


def source_server_id(arn: str) -> str:
    parsed = parse_server_arn(arn)
    return parsed[2] if parsed else arn.rsplit("/", 1)[-1]


def native_name(text: str, fallback: str) -> str:
    """A valid native plan or step name ([a-zA-Z0-9][a-zA-Z0-9 _-]*, at most 256)."""
    name = _NAME_BAD.sub(" ", text or "").strip()
    name = re.sub(r" {2,}", " ", name)
    name = name.lstrip(" _-")[:MAX_NAME].rstrip()
    return name or fallback


# -- the mapping --------------------------------------------------------------------------------------
def _wait_steps(minutes: int, wave_index: int, wave_name: str) -> list[NativeStep]:
    steps = []
    left = minutes
    while left > 0:
        chunk = min(left, MAX_WAIT_MINUTES)
        steps.append(NativeStep(StepKind.WAIT, native_name(f"Wait before {wave_name}", f"Wait {wave_index + 1}"),
                                wait_minutes=chunk, wave_index=wave_index))
        left -= chunk
    return steps


def _waves(first: int, last: int) -> str:
    return f"wave {first}" if first == last else f"waves {first}-{last}"


def _split_remedy(index: int, count: int) -> str:
    """Where to split a run at a pause before wave ``index`` (0-based)."""
    other = "run it on the Step Functions backend, or publish with --drop-pauses."
    if index == 0:
        return f"The approval comes before anything runs: start the native plan once approved, or {other}"
    return (f"Split the run at wave {index + 1}: publish {_waves(1, index)} and {_waves(index + 1, count)} as two "
            f"plans and start the second when approved, or {other}")


def _impact(wave: Wave, ref: ServerRef | None) -> Impact:
    critical = ref.critical if ref is not None and ref.critical is not None else wave.critical
    return Impact.CRITICAL if critical else Impact.OPTIONAL


def map_plan(
    plan: Plan,
    *,
    account_id: str,
    region: str,
    inventory: Iterable[SourceServer] | None,
    plan_version: int = 0,
    drop_pauses: bool = False,
) -> NativeMapping:
    """The native plan ``plan`` becomes in ``account_id``/``region``, with every problem.

    ``inventory``: the source servers of that account and region (DescribeSourceServers), used to
    resolve selectors and to check that each server is there; None when it could not be read
    (selectors are then REFUSED and servers not checked). ``drop_pauses`` turns the pause-before
    refusal into a warning (the operator chose to publish without the approvals).
    """
    problems: list[MappingProblem] = []
    servers = {s.source_server_id: s for s in inventory} if inventory is not None else None
    if plan.target_account_id and account_id and plan.target_account_id != account_id:
        problems.append(MappingProblem(
            Severity.REFUSED, "account",
            f"the plan targets account {plan.target_account_id}, but a native plan lives in the account it "
            f"recovers into ({account_id}).", "Connect to the plan's target account, or change the plan's target."))
    if plan.target_region and region and plan.target_region != region:
        problems.append(MappingProblem(
            Severity.REFUSED, "region",
            f"the plan targets {plan.target_region}, but a native plan is one region ({region}).",
            "Connect to the plan's target region, or change the plan's target."))
    steps: list[NativeStep] = []
    seen: dict[str, int] = {}
    timeouts: list[str] = []
    for i, wave in enumerate(plan.waves):
        label = wave.name or f"Wave {i + 1}"
        if wave.pause_before:
            severity = Severity.WARN if drop_pauses else Severity.REFUSED
            problems.append(MappingProblem(
                severity, "pause-before",
                f"{label!r} waits for an operator's approval; a native WAIT step is timed, not an approval"
                + (" (dropped: the native plan goes straight on)." if drop_pauses else "."),
                "" if drop_pauses else _split_remedy(i, len(plan.waves)), i))
        if wave.delay_minutes:
            steps.extend(_wait_steps(wave.delay_minutes, i, label))
        refs: list[tuple[str, ServerRef | None]] = [(r.source_server_id, r) for r in wave.servers]
        if wave.selector:
            error = selector_error(wave.selector)
            if error is not None:
                problems.append(MappingProblem(Severity.REFUSED, "selector", f"the selector is not valid: {error}.",
                                               "Fix the wave's selector.", i))
            elif servers is None:
                problems.append(MappingProblem(Severity.REFUSED, "selector",
                                               "the selector cannot be resolved without the inventory.",
                                               "Connect and read the source servers, then publish again.", i))
            else:
                explicit = {sid for sid, _ in refs}
                matched = [s.source_server_id for s in TagSelector.parse(wave.selector).resolve(servers.values())
                           if s.source_server_id not in explicit]
                refs += [(sid, None) for sid in matched]
                problems.append(MappingProblem(
                    Severity.WARN, "selector",
                    f"the selector {wave.selector!r} is resolved now to {len(matched)} server"
                    f"{'s' if len(matched) != 1 else ''}; the native plan will not follow tag changes.",
                    "Publish again after tags change (the Step Functions backend resolves it at run time).", i))
        if wave.timeout_minutes:
            timeouts.append(f"{i + 1} ({wave.timeout_minutes} min)")
        # contract 1.2's cross-account waves: a native plan is one account's (DRS's limit)
        elsewhere: dict[str, list[str]] = {}
        for sid, ref in refs:
            if ref is not None and ref.account_id and account_id and ref.account_id != account_id:
                elsewhere.setdefault(ref.account_id, []).append(sid)
        for other, ids in elsewhere.items():
            problems.append(MappingProblem(
                Severity.REFUSED, "account",
                f"{label!r} has {len(ids)} server{'s' if len(ids) != 1 else ''} recovered by account {other} "
                f"({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}); a DRS native plan recovers only the "
                f"servers of the account it lives in ({account_id}).",
                "Run the plan on the Step Functions engine (--engine stepfunctions), which recovers each "
                "account's servers in that account, or remove them from the wave.", i))
        refs = [(sid, ref) for sid, ref in refs if not any(sid in ids for ids in elsewhere.values())]
        step_servers = []
        for sid, ref in refs:
            if sid in seen:
                problems.append(MappingProblem(Severity.REFUSED, "server",
                                               f"{sid} is already in wave {seen[sid] + 1}; a server is in one step only.",
                                               "Remove it from one of the waves.", i))
                continue
            seen[sid] = i
            if servers is not None and sid not in servers:
                problems.append(MappingProblem(
                    Severity.REFUSED, "server",
                    f"{sid} is not a source server of account {account_id or '?'} in {region or '?'} (another account "
                    "or region, or deleted); a native plan recovers only its own account's servers.",
                    "Remove it, or run the plan on the Step Functions backend.", i))
                continue
            step_servers.append(NativeServer(source_server_arn(region, account_id, sid), _impact(wave, ref)))
        if not step_servers:
            problems.append(MappingProblem(Severity.WARN, "empty-wave", f"{label!r} has no servers: it gets no step.",
                                           "", i))
            continue
        if len(step_servers) > MAX_SERVERS_PER_STEP:
            problems.append(MappingProblem(Severity.REFUSED, "limit",
                                           f"{len(step_servers)} servers, over DRS's {MAX_SERVERS_PER_STEP} a step.",
                                           "Split the wave.", i))
        steps.append(NativeStep(StepKind.SERVER, native_name(label, f"Wave {i + 1}"), tuple(step_servers), 0, i))
    if timeouts:
        problems.append(MappingProblem(
            Severity.WARN, "timeout",
            f"per-wave timeouts are not carried (waves {', '.join(timeouts)}): a native step has no timeout of its "
            "own; DRS's job limits apply.", "Watch the run; cancel it if a step takes too long."))
    if plan.failure_policy is FailurePolicy.CONTINUE:
        problems.append(MappingProblem(
            Severity.WARN, "failure-policy",
            "the plan continues after a failed wave; a native execution stops at a failed step.",
            "Skip the failed step to go on ('drs-console skip-step').", None))
    total = sum(len(s.servers) for s in steps)
    if len(steps) > MAX_STEPS:
        problems.append(MappingProblem(Severity.REFUSED, "limit",
                                       f"{len(steps)} steps (waves and waits), over DRS's {MAX_STEPS} a plan.",
                                       "Merge waves or delays, or run it on the Step Functions backend."))
    if total > MAX_SERVERS:
        problems.append(MappingProblem(Severity.REFUSED, "limit", f"{total} servers, over DRS's {MAX_SERVERS} a plan.",
                                       "Split the plan, or run it on the Step Functions backend."))
    if not steps:
        problems.append(MappingProblem(Severity.REFUSED, "empty", "the plan has no servers to recover.",
                                       "Add servers to its waves."))
    description = (plan.description or "")[:MAX_DESCRIPTION]
    return NativeMapping(plan.id, int(plan_version), native_name(plan.name, "DRS Console plan"), description,
                         account_id, region, tuple(steps), tuple(problems))


# -- back: a native plan as waves ---------------------------------------------------------------------
def steps_from_api(items: Iterable[Mapping[str, Any]]) -> list[NativeStep]:
    """ListRecoveryPlanSteps items (or execution steps) as NativeSteps, in step order."""
    def order(item: Mapping[str, Any]) -> int:
        return int(item.get("stepOrder", item.get("stepIndex", 0)) or 0)

    out = []
    for item in sorted(items, key=order):
        conf = item.get("configuration") or {}
        wait = conf.get("waitStepConfiguration")
        srv = conf.get("serverStepConfiguration") or conf.get("executionServerStepConfiguration")
        name = str(item.get("stepName") or "")
        if wait:
            out.append(NativeStep(StepKind.WAIT, name, wait_minutes=int(wait.get("waitDurationMinutes") or 0)))
        else:
            out.append(NativeStep(StepKind.SERVER, name, tuple(
                NativeServer(str(s.get("serverArn")), Impact(str(s.get("impactLevel") or "CRITICAL")))
                for s in (srv or {}).get("servers") or [])))
    return out


@dataclass(frozen=True)
class ImportedPlan:
    plan: Plan
    notes: tuple[str, ...] = field(default_factory=tuple)


def plan_from_native(name: str, description: str, steps: Sequence[NativeStep], *, region: str, account_id: str,
                     servers: Mapping[str, SourceServer] | None = None, recovery_plan_arn: str = "") -> ImportedPlan:
    """A wave plan from a native plan: each SERVER step a wave (OPTIONAL servers not critical),
    the WAIT steps before it its ``delayMinutes``. A trailing WAIT has no wave to delay: noted."""
    servers = servers or {}
    plan = Plan.new(name or "Imported native plan", target_account_id=account_id, target_region=region)
    plan.description = description
    if recovery_plan_arn:
        plan.tags[TAG_NATIVE_ARN] = recovery_plan_arn[:256]
    notes: list[str] = []
    pending_wait = 0
    for step in steps:
        if step.kind is StepKind.WAIT:
            pending_wait += step.wait_minutes
            continue
        refs = []
        for s in step.servers:
            sid = s.source_server_id
            src = servers.get(sid)
            ref = ServerRef.from_server(src) if src else ServerRef(sid)
            refs.append(ServerRef(ref.source_server_id, ref.name, ref.source_instance_id, ref.source_account_id,
                                  ref.replication_state, critical=None if s.impact is Impact.CRITICAL else False))
        plan.waves.append(Wave(name=step.name or f"Wave {len(plan.waves) + 1}", servers=refs,
                               delay_minutes=pending_wait))
        pending_wait = 0
    if pending_wait:
        notes.append(f"a final WAIT of {pending_wait} min has no step after it: not imported.")
    return ImportedPlan(plan, tuple(notes))


def drift(expected: Sequence[NativeStep], actual: Sequence[NativeStep]) -> list[str]:
    """How a published native plan differs from what the library plan maps to (servers, order,
    waits), one line each; empty when they agree."""
    out: list[str] = []
    if [s.key() for s in expected] == [s.key() for s in actual]:
        return out
    if len(expected) != len(actual):
        out.append(f"{len(actual)} steps, the plan maps to {len(expected)}")
    exp_servers = {s.server_arn for st in expected for s in st.servers}
    act_servers = {s.server_arn for st in actual for s in st.servers}
    for arn in sorted(exp_servers - act_servers):
        out.append(f"{source_server_id(arn)} is missing from the native plan")
    for arn in sorted(act_servers - exp_servers):
        out.append(f"{source_server_id(arn)} is in the native plan but not in the library plan")
    for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
        if e.kind is not a.kind:
            out.append(f"step {i + 1} is {a.kind.value}, the plan has {e.kind.value} there (order)")
        elif e.kind is StepKind.WAIT and e.wait_minutes != a.wait_minutes:
            out.append(f"step {i + 1} waits {a.wait_minutes} min, the plan {e.wait_minutes} min")
        elif e.key() != a.key() and {s.server_arn for s in e.servers} == {s.server_arn for s in a.servers}:
            out.append(f"step {i + 1} {a.name!r}: the servers' impact levels or order differ")
        elif e.key() != a.key():
            out.append(f"step {i + 1} {a.name!r} has other servers than wave {(e.wave_index or 0) + 1}")
    return out or ["the steps differ"]
