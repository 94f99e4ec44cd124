"""Publishing wave plans as DRS native recovery plans, importing native plans, and their drift.

``publish`` maps the plan (``domain/native_mapping.py``), refuses before creating anything when it
cannot map, then creates the native plan (CreateRecoveryPlan with a client token made of the plan
ID and version: a retry creates nothing twice) or updates the one tagged with the plan's ID
(``drs-console:plan-id``), and makes its steps equal to the mapping's (steps that already match are
kept, the rest replaced, then ordered). ``drs-console:plan-version`` says which version it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import BadInput, ConsoleError, ProblemKind
from ...domain.inventory import SourceServer, server_from_drs
from ...domain.native_mapping import (
    TAG_NATIVE_ARN,
    TAG_PLAN_ID,
    TAG_PLAN_VERSION,
    ImportedPlan,
    NativeMapping,
    NativeStep,
    drift,
    map_plan,
    plan_from_native,
    steps_from_api,
)
from ...domain.plan import Plan
from ..drs_batch import Reader
from ..session import AwsConnection


async def list_native_plans(reader: Reader, *, tags: bool = False) -> list[dict[str, Any]]:
    """Every native plan of the region (ListRecoveryPlans); with ``tags`` each one's GetRecoveryPlan
    (ListRecoveryPlans gives no tags)."""
    plans = await reader.paged("list_recovery_plans", key="recoveryPlans")
    if not tags:
        return plans
    out = []
    for p in plans:
        try:
            got = await reader.call("drs", "get_recovery_plan", recoveryPlanArn=p["recoveryPlanArn"])
        except ConsoleError as exc:
            if exc.kind is ProblemKind.NOT_FOUND:
                continue  # deleted meanwhile
            raise
        out.append(dict(got["recoveryPlan"]))
    return out


async def find_native_plan(reader: Reader, plan_id: str, linked_arn: str = "") -> dict[str, Any] | None:
    """The native plan tagged with ``plan_id`` (GetRecoveryPlan item, with its tags), else the one a
    plan imported from it links to (``linked_arn``, its tag ``drs-console:native-plan-arn``) while
    no other library plan owns it; None when there is none."""
    plans = await list_native_plans(reader, tags=True)
    for p in plans:
        if (p.get("tags") or {}).get(TAG_PLAN_ID) == plan_id:
            return p
    for p in plans:
        if linked_arn and p.get("recoveryPlanArn") == linked_arn and not (p.get("tags") or {}).get(TAG_PLAN_ID):
            return p
    return None


def linked_arn(plan: Plan) -> str:
    """The native plan an imported plan came from (its ``drs-console:native-plan-arn`` tag)."""
    return plan.tags.get(TAG_NATIVE_ARN, "")


async def native_steps(reader: Reader, plan_arn: str) -> list[dict[str, Any]]:
    return await reader.paged("list_recovery_plan_steps", key="recoveryPlanSteps", recoveryPlanArn=plan_arn)


async def mapping_for(conn: AwsConnection, plan: Plan, *, plan_version: int, drop_pauses: bool = False,
                      reader: Reader | None = None) -> NativeMapping:
    """The mapping of ``plan`` in the connected account and region, with a fresh inventory."""
    reader = reader or Reader(conn)
    ident = await conn.identity()
    items = await reader.all_source_server_items()
    inventory = [server_from_drs(i) for i in items]
    return map_plan(plan, account_id=ident.account_id, region=conn.region, inventory=inventory,
                    plan_version=plan_version, drop_pauses=drop_pauses)


def client_token(mapping: NativeMapping, what: str) -> str:
    """Idempotency token of one create call: the same plan version makes the same token."""
    digest = hashlib.sha256(f"{mapping.plan_id}/{mapping.plan_version}/{what}".encode()).hexdigest()
    return digest[:64]


@dataclass(frozen=True)
class PublishResult:
    mapping: NativeMapping
    recovery_plan_arn: str = ""
    created: bool = False
    changed: bool = False
    dry_run: bool = False
    actions: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"recoveryPlanArn": self.recovery_plan_arn or None, "created": self.created, "changed": self.changed,
                "dryRun": self.dry_run, "actions": list(self.actions), "mapping": self.mapping.to_json()}


async def publish(conn: AwsConnection, plan: Plan, *, plan_version: int, dry_run: bool = False,
                  drop_pauses: bool = False) -> PublishResult:
    """Create or update the native plan of ``plan``. Raises ``BadInput`` listing every reason when
    the plan cannot map (nothing is created then); ``dry_run`` only maps and says what it would do."""
    reader = Reader(conn)
    mapping = await mapping_for(conn, plan, plan_version=plan_version, drop_pauses=drop_pauses, reader=reader)
    if not mapping.ok:
        if dry_run:
            return PublishResult(mapping, dry_run=True)
        raise NotMappable(mapping)
    existing = await find_native_plan(reader, plan.id, linked_arn(plan))
    if dry_run:
        what = f"update {existing['recoveryPlanArn']}" if existing else "create a native plan"
        return PublishResult(mapping, existing["recoveryPlanArn"] if existing else "", dry_run=True, actions=(what,))
    actions: list[str] = []
    created = False
    if existing is None:
        resp = await reader.call("drs", "create_recovery_plan", name=mapping.name, description=mapping.description,
                                 clientToken=client_token(mapping, "plan"), tags=mapping.tags())
        arn = str(resp["recoveryPlan"]["recoveryPlanArn"])
        created = True
        actions.append(f"created {arn}")
    else:
        arn = str(existing["recoveryPlanArn"])
        if existing.get("name") != mapping.name or (existing.get("description") or "") != mapping.description:
            await reader.call("drs", "update_recovery_plan", recoveryPlanArn=arn, name=mapping.name,
                              description=mapping.description)
            actions.append("renamed" if existing.get("name") != mapping.name else "description updated")
        if (existing.get("tags") or {}) != {**(existing.get("tags") or {}), **mapping.tags()}:
            await reader.call("drs", "tag_resource", resourceArn=arn, tags=mapping.tags())
            actions.append(f"tagged version {mapping.plan_version}")
    actions += await _sync_steps(reader, arn, mapping)
    return PublishResult(mapping, arn, created, created or bool(actions), actions=tuple(actions))


async def _sync_steps(reader: Reader, arn: str, mapping: NativeMapping) -> list[str]:
    """Make the native plan's steps the mapping's: keep those equal (first match in order),
    delete the rest, create the missing ones, then order them."""
    current = sorted(await native_steps(reader, arn), key=lambda s: int(s.get("stepOrder") or 0))
    have = list(zip(current, steps_from_api(current), strict=True))
    if [s.key() for _i, s in have] == [s.key() for s in mapping.steps] and \
            [i.get("stepName") for i, _s in have] == [s.name for s in mapping.steps]:
        return []
    actions: list[str] = []
    kept: list[str | None] = []
    pool = list(have)
    for step in mapping.steps:
        match = next((x for x in pool if x[1].key() == step.key() and x[0].get("stepName") == step.name), None)
        if match is not None:
            pool.remove(match)
            kept.append(str(match[0]["recoveryPlanStepArn"]))
        else:
            kept.append(None)
    for item, _s in pool:
        await reader.call("drs", "delete_recovery_plan_step", recoveryPlanStepArn=item["recoveryPlanStepArn"])
        actions.append(f"deleted step {item.get('stepName')!r}")
    ordered: list[str] = []
    for step, arn_kept in zip(mapping.steps, kept, strict=True):
        if arn_kept is not None:
            ordered.append(arn_kept)
            continue
        resp = await reader.call("drs", "create_recovery_plan_step", recoveryPlanArn=arn, stepName=step.name,
                                 configuration=step.configuration())
        ordered.append(str(resp["recoveryPlanStep"]["recoveryPlanStepArn"]))
        actions.append(f"created step {step.name!r}")
    now = sorted(await native_steps(reader, arn), key=lambda s: int(s.get("stepOrder") or 0))
    if [str(s["recoveryPlanStepArn"]) for s in now] != ordered:
        await reader.call("drs", "reorder_recovery_plan_steps", recoveryPlanArn=arn, orderedStepArns=ordered)
        actions.append("reordered the steps")
    return actions


class NotMappable(BadInput):
    """The plan cannot be a native plan; ``mapping.refused`` says every reason."""

    def __init__(self, mapping: NativeMapping):
        self.mapping = mapping
        reasons = "; ".join(f"{p.what}: {('wave ' + str(p.wave_index + 1) + ': ') if p.wave_index is not None else ''}"
                            f"{p.message}" for p in mapping.refused)
        super().__init__(f"The plan cannot be a DRS native plan: {reasons}",
                         mapping.refused[0].remedy if mapping.refused else "")


# -- import ------------------------------------------------------------------------------------------
async def import_native(conn: AwsConnection, arns: Iterable[str] | None = None) -> list[tuple[str, ImportedPlan]]:
    """Wave plans from native plans (all of them when ``arns`` is None): (native ARN, plan)."""
    reader = Reader(conn)
    ident = await conn.identity()
    if arns is None:
        chosen = await list_native_plans(reader, tags=True)
    else:
        chosen = []
        for arn in arns:
            chosen.append(dict((await reader.call("drs", "get_recovery_plan", recoveryPlanArn=arn))["recoveryPlan"]))
    out = []
    for native in chosen:
        steps = steps_from_api(await native_steps(reader, native["recoveryPlanArn"]))
        sids = [s.source_server_id for st in steps for s in st.servers]
        servers: dict[str, SourceServer] = await reader.source_servers(sids) if sids else {}
        imported = plan_from_native(str(native.get("name") or ""), str(native.get("description") or ""), steps,
                                    region=conn.region, account_id=ident.account_id, servers=servers,
                                    recovery_plan_arn=str(native["recoveryPlanArn"]))
        out.append((str(native["recoveryPlanArn"]), imported))
    return out


# -- drift ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkedPlan:
    plan_id: str
    plan_name: str
    recovery_plan_arn: str
    published_version: str
    differences: tuple[str, ...]


async def linked_plans(conn: AwsConnection, plans: Iterable[Plan], *, version_of) -> list[LinkedPlan]:
    """The native plans linked to library ``plans`` (by tag) and how each drifted from its plan."""
    reader = Reader(conn)
    plans = list(plans)
    by_id = {p.id: p for p in plans}
    by_link = {linked_arn(p): p for p in plans if linked_arn(p)}
    natives = []
    for n in await list_native_plans(reader, tags=True):
        owner = by_id.get((n.get("tags") or {}).get(TAG_PLAN_ID, "")) or by_link.get(str(n.get("recoveryPlanArn")))
        if owner is not None:
            natives.append((n, owner))
    if not natives:
        return []
    ident = await conn.identity()
    inventory = [server_from_drs(i) for i in await reader.all_source_server_items()]
    out = []
    for native, plan in natives:
        expected: list[NativeStep] = list(map_plan(plan, account_id=ident.account_id, region=conn.region,
                                                   inventory=inventory, plan_version=version_of(plan),
                                                   drop_pauses=True).steps)
        actual = steps_from_api(await native_steps(reader, native["recoveryPlanArn"]))
        out.append(LinkedPlan(plan.id, plan.name, str(native["recoveryPlanArn"]),
                              str((native.get("tags") or {}).get(TAG_PLAN_VERSION) or ""),
                              tuple(drift(expected, actual))))
    return out
