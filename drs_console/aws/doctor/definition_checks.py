"""The deployed definition against the bundled one: contract version, differences, foreign Tasks."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ...domain import contract as c
from ...domain.errors import ConsoleError
from ...domain.wording import noun, plural
from .. import definition as d
from ..backend import load_definition, resources_dir
from ..deployment import Deployment, newer_than_console
from ..session import AwsConnection
from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, deploy_command, finding


@cache
def _releases_cached(path: str, mtime: float) -> tuple[d.Release, ...]:
    with open(path, encoding="utf-8") as fh:
        return tuple(d.parse_releases(json.load(fh)))


def releases() -> list[d.Release]:
    path = resources_dir() / d.RELEASED_FILE
    if not path.is_file():
        return []
    return list(_releases_cached(str(path), path.stat().st_mtime))


def allowed_integrations() -> frozenset[str]:
    bundled = {t.resource for t in d.tasks(load_definition()) if t.resource}
    return d.CONTRACT_INTEGRATIONS | frozenset(bundled)


def contract_check(dep: Deployment) -> DoctorFinding:
    version = dep.deployed_contract
    marker = c.contract_version_of(dep.deployed_definition() or {}) if dep.state_machine else None
    name = (dep.state_machine or {}).get("name") or dep.state_machine_arn
    if dep.state_machine is not None and marker is None:
        return finding(
            "contract", FAIL,
            f"State machine {name} does not declare a DRS Console contract version ('{c.CONTRACT_MARKER}' in its "
            "Comment): it is not this console's backend.",
            f"Deploy the reference backend ('{deploy_command(dep.stack_name or c.DEFAULT_STACK_NAME, dep.region, options=dep.cli_options)}') "
            "or point to the right state machine.",
        )
    version = marker or version
    if not version:
        return finding("contract", WARN, "No contract version to check (no state machine).", "")
    if newer_than_console(version):
        return finding(
            "contract", FAIL,
            f"The backend implements contract {version}, newer than this console's {c.CONTRACT_VERSION}.",
            "Update DRS Console to a version that speaks contract " + version + ". Do not run 'backend deploy' "
            "from this console: it would downgrade the backend.",
        )
    if version != c.CONTRACT_VERSION:
        return finding(
            "contract", FAIL,
            f"The backend implements contract {version}, older than this console's {c.CONTRACT_VERSION}.",
            f"Update the backend: '{deploy_command(dep.stack_name or c.DEFAULT_STACK_NAME, dep.region, options=dep.cli_options)}' "
            "(the 'definition' check lists what changes).", fix=FIX_DEPLOY if dep.stack else "",
        )
    return finding("contract", PASS, f"State machine {name} is {dep.state_machine.get('status', 'ACTIVE')} and "
                   f"speaks contract {version}." if dep.state_machine else f"The stack declares contract {version}.")


def definition_check(dep: Deployment) -> DoctorFinding:
    deployed = dep.deployed_definition()
    if deployed is None:
        return finding("definition", FAIL, "No deployed definition to compare (the state machine is missing).",
                       "See the 'resources' check.")
    expected = dep.expected_definition()
    if d.canonical(deployed) == d.canonical(expected):
        return finding("definition", PASS,
                       f"The deployed definition is the one this console ships (sha256 {d.definition_hash(expected)[:12]}).")
    diff = d.diff_definitions(expected, deployed)
    release = d.find_release(releases(), d.definition_hash(deployed))
    where = dep.stack_name or c.DEFAULT_STACK_NAME
    fix = FIX_DEPLOY if dep.stack else ""
    if not dep.stack:
        remedy = "Deploy the reference backend with 'backend deploy', or point to a state machine it deployed."
    else:
        remedy = f"'{deploy_command(where, dep.region, options=dep.cli_options)}' puts the bundled definition back (it forces the update)."
    version = c.contract_version_of(deployed) or ""
    if newer_than_console(version):
        return finding("definition", WARN,
                       f"The deployed definition is newer (contract {version}) than this console's: "
                       f"{diff.summary()}.", "Update DRS Console.", details=diff.lines())
    if release is not None:
        level = WARN if release.contract == c.CONTRACT_VERSION else FAIL
        return finding("definition", level,
                       f"The deployed definition is an older release of this backend, {release.release} (contract "
                       f"{release.contract}); updating it changes: {diff.summary()}.",
                       remedy, details=diff.lines(), fix=fix)
    return finding("definition", FAIL,
                   f"The deployed definition differs from the one this console ships: {diff.summary()}.",
                   remedy, details=diff.lines(), fix=fix)


async def tasks_check(conn: AwsConnection, dep: Deployment) -> list[DoctorFinding]:
    deployed = dep.deployed_definition()
    if deployed is None:
        return []
    foreign = d.foreign_tasks(deployed, allowed_integrations())
    found = [f for f in d.tasks(deployed)]
    out: list[DoctorFinding] = []
    remedy = (f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' puts the bundled, Lambda-free definition back."
              if dep.stack else "Deploy the reference backend with 'drs-console backend deploy'.")
    if foreign:
        lines = [f"{t.state}: {why}" for t, why in foreign]
        out.append(finding("tasks", FAIL,
                           f"{plural(len(foreign), 'Task state')} {noun(len(foreign), 'is', 'are')} not this console's: " + "; ".join(lines[:3])
                           + (f" and {len(lines) - 3} more" if len(lines) > 3 else "") + ".",
                           remedy, details=lines, fix=FIX_DEPLOY if dep.stack else ""))
    else:
        integrations = sorted({t.resource for t in found})
        out.append(finding("tasks", PASS, f"{plural(len(found), 'Task state')} {noun(len(found), 'uses', 'use')} "
                           f"{plural(len(integrations), 'service integration')}, "
                           "all in the contract's list."))
    lam = conn.client("lambda")
    for t, _why in foreign:
        if not t.is_lambda or not t.function:
            continue
        try:
            cfg = (await conn.call(lam.get_function, FunctionName=t.function))["Configuration"]
        except ConsoleError as exc:
            out.append(finding(f"lambda:{t.state}", FAIL, f"State {t.state} calls {t.function}, which does not "
                               f"exist or cannot be read: {exc.message}", remedy))
            continue
        out.append(finding(
            f"lambda:{t.state}", FAIL,
            f"State {t.state} calls {cfg.get('FunctionName')} ({cfg.get('State', 'Active')}; handler "
            f"{cfg.get('Handler')}, runtime {cfg.get('Runtime')}, {cfg.get('CodeSize')} bytes, SHA "
            f"{cfg.get('CodeSha256')}, modified {cfg.get('LastModified')}).",
            remedy,
        ))
    return out


def is_ours(dep: Deployment) -> tuple[bool, str]:
    """Whether the deployed state machine may be probed: why not, when it may not."""
    deployed: Any = dep.deployed_definition()
    if deployed is None:
        return False, "there is no state machine"
    version = c.contract_version_of(deployed)
    if version is None:
        return False, "its definition declares no DRS Console contract"
    if version != c.CONTRACT_VERSION:
        return False, f"it speaks contract {version}, not {c.CONTRACT_VERSION}"
    foreign = d.foreign_tasks(deployed, allowed_integrations())
    if foreign:
        return False, f"its Task {foreign[0][0].state} is not this console's ({foreign[0][1]})"
    return True, ""
