"""Where the backend is and what its stack says: location, other regions, status, template, resources."""

from __future__ import annotations

import asyncio
from typing import Any

from ...domain import contract as c
from ...domain.errors import ConsoleError, ProblemKind
from ...domain.wording import plural
from ..deployment import ROLE, STATE_MACHINE, TABLE, Deployment, cli_options, template_changes
from ..session import AwsConnection, drs_regions
from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, deploy_command, finding

OUR_DESCRIPTION = "DRS Console backend"
SEARCH_BUDGET = 20.0  # seconds for the whole search of the other regions
LIVE_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                 "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                 "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED", "CREATE_IN_PROGRESS")


def arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 else ""


async def _our_stacks(conn: AwsConnection, region: str) -> list[str]:
    """Names of the stacks in ``region`` whose template is a DRS Console backend (one ListStacks)."""
    from ..session import botocore_config

    if region == conn.region:
        cfn = conn.client("cloudformation")
    else:
        cfn = conn.session.client(
            "cloudformation", region_name=region, endpoint_url=conn.params.endpoint_url,
            config=botocore_config(read_timeout=10, max_attempts=1),
        )
    resp = await conn.call(cfn.list_stacks, StackStatusFilter=list(LIVE_STATUSES))
    return [
        s["StackName"] for s in resp.get("StackSummaries") or []
        if str(s.get("TemplateDescription") or "").startswith(OUR_DESCRIPTION)
    ]


def _partition_regions(conn: AwsConnection) -> list[str]:
    """The DRS regions of the connection's partition (a commercial account has no stacks in aws-cn)."""
    try:
        partition = conn.session.get_partition_for_region(conn.region)
        return sorted(conn.session.get_available_regions("drs", partition_name=partition))
    except Exception:  # noqa: BLE001 - an unknown region (custom endpoint): every DRS region
        return drs_regions()


async def find_backends(conn: AwsConnection, *, other_regions: bool = True) -> dict[str, list[str]]:
    """Region -> our backend stacks there: this region, then the other DRS regions (bounded)."""
    regions = [conn.region] + ([r for r in _partition_regions(conn) if r != conn.region] if other_regions else [])

    async def one(region: str) -> tuple[str, list[str]]:
        try:
            return region, await _our_stacks(conn, region)
        except Exception:  # noqa: BLE001 - a region we may not use (opt-in, denied, unreachable): skipped
            return region, []

    try:
        results = await asyncio.wait_for(asyncio.gather(*(one(r) for r in regions)), SEARCH_BUDGET)
    except TimeoutError:
        results = []
    return {r: names for r, names in results if names}


async def missing_stack(conn: AwsConnection, stack_name: str) -> DoctorFinding:
    found = await find_backends(conn)
    region = conn.region
    if not found:
        return finding(
            "stack", FAIL,
            f"The backend stack {stack_name!r} does not exist in {region}, and no DRS Console backend stack was "
            "found in this account in any DRS region.",
            f"Deploy it: '{deploy_command(stack_name, region, options=cli_options(conn))}'.", fix=FIX_DEPLOY,
        )
    pairs = [(r, n) for r, names in sorted(found.items()) for n in names]
    pairs.sort(key=lambda p: (p[1] != stack_name, p[0] != region))  # the same name first, then this region
    here = found.get(region)
    where = f"this region has {', '.join(here)}" if here else "found elsewhere"
    best_region, best_name = pairs[0]
    return finding(
        "stack", FAIL,
        f"The backend stack {stack_name!r} does not exist in {region}; {where}: "
        + "; ".join(f"{n} in {r}" for r, n in pairs) + ".",
        f"Use '--region {best_region} --stack-name {best_name}' ('drs-console --region {best_region} doctor "
        f"--stack-name {best_name}'), or deploy a new one with '{deploy_command(stack_name, region, options=cli_options(conn))}'.",
        details=[f"drs-console --region {r} doctor --stack-name {n}" for r, n in pairs],
    )


def stack_status(dep: Deployment) -> DoctorFinding:
    info = dep.stack
    assert info is not None
    name, region, status = dep.stack_name, dep.region, info.status
    reason = f" ({info.status_reason})" if info.status_reason else ""
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return finding(
            "stack", WARN,
            f"Stack {name!r} is UPDATE_ROLLBACK_COMPLETE{reason}: its last update failed and was rolled back, so the "
            "previous backend is still live, not the one the update meant to deploy.",
            f"Deploy again with '{deploy_command(name, region, options=dep.cli_options)}'; if it fails again, read the failed events it prints.",
            fix=FIX_DEPLOY,
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        return finding(
            "stack", FAIL,
            f"Stack {name!r} is UPDATE_ROLLBACK_FAILED{reason}: CloudFormation could not roll back the last update; "
            "the stack cannot be updated.",
            f"Run 'aws cloudformation continue-update-rollback --stack-name {name} --region {region}' (add "
            "--resources-to-skip for resources that were deleted), then 'drs-console backend deploy'.",
        )
    if status == "ROLLBACK_COMPLETE":
        return finding(
            "stack", FAIL,
            f"Stack {name!r} is ROLLBACK_COMPLETE{reason}: its creation failed and nothing of it is deployed.",
            f"'{deploy_command(name, region, options=dep.cli_options)}' deletes it and creates it again.", fix=FIX_DEPLOY,
        )
    if status.endswith("_IN_PROGRESS"):
        what = ("an update is running; until it ends the previous backend is live"
                if status.startswith("UPDATE") else "an operation is running")
        return finding("stack", WARN, f"Stack {name!r} is {status}: {what}.",
                       f"Wait for it to end ('drs-console --region {region} backend status --stack-name {name}'), "
                       "then run doctor again.")
    if not info.is_usable:
        return finding("stack", FAIL, f"Stack {name!r} is {status}{reason}.",
                       f"Deploy it again: '{deploy_command(name, region, options=dep.cli_options)}'.", fix=FIX_DEPLOY)
    missing = [k for k in (c.OUTPUT_STATE_MACHINE_ARN, c.OUTPUT_HISTORY_TABLE) if not info.outputs.get(k)]
    if missing:
        return finding("stack", FAIL, f"Stack {name!r} ({status}) lacks the outputs {', '.join(missing)}: it is not a "
                       "DRS Console backend.", f"Deploy one: '{deploy_command(name, region, options=dep.cli_options)}'.")
    return finding("stack", PASS, f"Stack {name!r} is {status} with its outputs.")


def template_check(dep: Deployment, *, newer: bool) -> DoctorFinding:
    if dep.deployed_template is None:
        return finding("template", WARN, f"The template of stack {dep.stack_name!r} could not be read (GetTemplate).",
                       "Allow cloudformation:GetTemplate to have it compared.")
    changes = template_changes(dep)
    if not changes:
        return finding("template", PASS, "The stack's template is the one this console deploys.")
    if newer:
        return finding("template", WARN, f"The stack's template differs from this console's ({plural(len(changes), 'difference')}); "
                       "the backend is newer than this console.",
                       "Update DRS Console; do not deploy this console's older template over it.", details=changes)
    return finding(
        "template", FAIL,
        f"The stack's template differs from the one this console deploys: {'; '.join(changes[:4])}"
        + (f" and {len(changes) - 4} more" if len(changes) > 4 else "") + ".",
        f"Deploy this console's template: '{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}'.",
        details=changes, fix=FIX_DEPLOY,
    )


def resources_check(dep: Deployment, drift: DoctorFinding | None) -> DoctorFinding:
    """The stack's resources must exist: the state machine, its role and the table."""
    missing = []
    if not dep.state_machine:
        missing.append(f"{STATE_MACHINE} ({dep.state_machine_arn or 'no physical id'})")
    if not dep.role:
        missing.append(f"{ROLE} ({dep.role_name or 'no physical id'})")
    if not dep.table:
        missing.append(f"{TABLE} ({dep.table_name or 'no physical id'})")
    status = dep.stack.status if dep.stack else "?"
    if missing:
        return finding("resources", FAIL,
                       f"Stack {dep.stack_name!r} says {status} but these resources do not exist: {', '.join(missing)}.",
                       f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' creates them again under the names the stack "
                       "records (a table comes back empty).", details=missing, fix=FIX_DEPLOY)
    if drift is not None and drift.level != PASS:
        return drift
    note = f" {drift.message}" if drift is not None else ""
    return finding("resources", PASS, f"The state machine, its role and the history table exist.{note}")


async def drift_check(conn: AwsConnection, dep: Deployment, *, timeout: float = 60.0) -> DoctorFinding:
    """CloudFormation drift detection where the API is there; one line when it is not."""
    cfn = conn.client("cloudformation")
    try:
        started = await conn.call(cfn.detect_stack_drift, StackName=dep.stack_name)
    except ConsoleError as exc:
        if exc.kind == ProblemKind.ACCESS_DENIED:
            return finding("resources", WARN, "CloudFormation drift detection is not allowed for you.",
                           "Allow cloudformation:DetectStackDrift to have drift detected (the resources were "
                           "compared directly).")
        return finding("resources", PASS, "(Drift detection is not available here; the resources were compared "
                       "with the template directly.)")
    except Exception:  # noqa: BLE001 - a service without the API (the sandbox) answers garbage
        return finding("resources", PASS, "(Drift detection is not available here; the resources were compared "
                       "with the template directly.)")
    detection = started["StackDriftDetectionId"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    status: dict[str, Any] = {}
    while loop.time() < deadline:
        status = await conn.call(cfn.describe_stack_drift_detection_status, StackDriftDetectionId=detection)
        if status.get("DetectionStatus") != "DETECTION_IN_PROGRESS":
            break
        await asyncio.sleep(2.0)
    if status.get("StackDriftStatus") == "IN_SYNC":
        return finding("resources", PASS, "CloudFormation drift detection: IN_SYNC.")
    drifts = await conn.call(cfn.describe_stack_resource_drifts, StackName=dep.stack_name,
                             StackResourceDriftStatusFilters=["MODIFIED", "DELETED"])
    lines = [f"{r['LogicalResourceId']}: {r['StackResourceDriftStatus']}"
             for r in drifts.get("StackResourceDrifts") or []]
    if not lines:
        return finding("resources", PASS, f"CloudFormation drift detection: {status.get('StackDriftStatus', '?')}.")
    return finding("resources", FAIL, "CloudFormation drift detection: " + ", ".join(lines) + ".",
                   f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' puts them back.", details=lines, fix=FIX_DEPLOY)
