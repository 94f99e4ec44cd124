"""`drs-console plan`: validate, show and list wave plans, offline (the editing actions are in
``plan_edit``).

Validation uses the cached inventory of the plan's target account and region when there is one
(never considered fresh); without one the server checks are skipped and one warning says so.
``validation_context`` is the hook that decides; tests and a future online mode replace it.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...domain.fields import recovering_account_text, rto_target_text
from ...domain.inventory import InventorySnapshot
from ...domain.plan import Plan, format_timestamp
from ...domain.text import printable
from ...domain.validation import Problem, summarize, validate
from ...domain.wording import plural
from ...store.plan_io import PlanFileError, read_plan_file
from ...store.plans import PlanLibrary
from ..context import CliContext
from ..main import EXIT_OK, EXIT_USAGE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationContext:
    """What validation knows besides the plan (see ``domain.validation.validate``)."""

    inventory: InventorySnapshot | None = None
    inventory_fresh: bool = False
    connected_account: str | None = None
    connected_region: str | None = None
    job_quota: int | None = None

    def validate(self, plan: Plan) -> list[Problem]:
        return validate(
            plan,
            self.inventory,
            inventory_fresh=self.inventory_fresh,
            connected_account=self.connected_account,
            connected_region=self.connected_region,
            job_quota=self.job_quota,
        )


def offline_context(ctx: CliContext, plan: Plan) -> ValidationContext:
    """The cached inventory of the plan's target, if any; no connection is made."""
    if not plan.target_account_id or not plan.target_region:
        return ValidationContext()
    try:
        from ...store.inventory_cache import InventoryCache, cache_endpoint

        snapshot = InventoryCache().load(plan.target_account_id, plan.target_region,
                                         cache_endpoint(ctx.endpoint_url, ctx.sandbox))
    except (ImportError, OSError, ValueError) as exc:  # a broken cache must not break validation
        log.debug("inventory cache not usable: %s", exc)
        snapshot = None
    return ValidationContext(inventory=snapshot, inventory_fresh=False)


# The hook: (ctx, plan) -> ValidationContext.
validation_context: Callable[[CliContext, Plan], ValidationContext] = offline_context


def _context_for(ctx: CliContext, plan: Plan) -> ValidationContext:
    return validation_context(ctx, plan)


def library_for(ctx: CliContext) -> PlanLibrary:
    """The plan library of this run: with --sandbox the sandbox's own (as in the desktop), never
    the real one."""
    if ctx.sandbox:
        from ...store.sandbox_plans import sandbox_library

        return sandbox_library()
    return PlanLibrary()


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="create, edit, validate, show and list wave plans",
        description="Wave plans: ordered waves of DRS source servers. Works offline. With --sandbox, the "
        "sandbox's own plan library (the one the desktop shows with --sandbox).",
    )
    actions = p.add_subparsers(dest="plan_command", metavar="ACTION", required=True)

    v = actions.add_parser(
        "validate",
        help="check plan files",
        description="Check plan files offline (against the cached inventory when there is one). "
        "Prints one line per problem: FILE: location: severity: message [code]. "
        "Exit code 0 when every plan is free of errors (warnings are printed), 2 otherwise.",
    )
    v.add_argument("files", nargs="+", metavar="FILE", help="plan files (JSON)")
    v.add_argument("--json", action="store_true", help="print JSON instead of lines")
    v.set_defaults(func=plan_validate)

    s = actions.add_parser("show", help="print a plan", description="Print a plan.")
    s.add_argument("file", metavar="PLAN", help="plan file, or a library plan's ID (or its start), name or file name")
    s.add_argument("--json", action="store_true", help="print the plan as JSON (current schema)")
    s.set_defaults(func=plan_show)

    ls = actions.add_parser(
        "list", help="list the plan library", description="List the plans of the plan library folder."
    )
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=plan_list)

    from .plan_edit import register_actions
    from .plan_readiness import register_readiness

    register_actions(actions)
    register_readiness(actions)

    from .plan_native import register_actions as register_native_actions

    register_native_actions(actions)


# --- validate -----------------------------------------------------------------------------


def _problem_json(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {
        "severity": problem.severity.value,
        "code": problem.code.value,
        "message": problem.message,
        "location": {
            "text": loc.render(),
            "waveIndex": loc.wave_index,
            "waveName": loc.wave_name,
            "serverId": loc.server_id,
            "field": loc.field,
        },
    }


def plan_validate(args: argparse.Namespace, ctx: CliContext) -> int:
    results: list[dict[str, Any]] = []
    failed = 0
    total_errors = total_warnings = 0
    for name in args.files:
        try:
            loaded = read_plan_file(name, source=name)
        except PlanFileError as exc:
            failed += 1
            total_errors += 1
            location = exc.where.rstrip(": ") or "file"
            if args.json:
                results.append({"file": name, "valid": False, "readable": False, "error": exc.short})
            else:
                ctx.print(f"{name}: {location}: error: {exc.reason}")
            continue
        problems = _context_for(ctx, loaded.plan).validate(loaded.plan)
        summary = summarize(problems)
        total_errors += summary.errors
        total_warnings += summary.warnings
        if not summary.ok:
            failed += 1
        if args.json:
            results.append(
                {
                    "file": name,
                    "valid": summary.ok,
                    "readable": True,
                    "notice": loaded.notice,
                    "readOnly": loaded.read_only,
                    "errors": summary.errors,
                    "warnings": summary.warnings,
                    "problems": [_problem_json(p) for p in problems],
                }
            )
            continue
        if loaded.notice:
            ctx.print(f"{name}: file: note: {loaded.notice}")
        for problem in problems:
            ctx.print(f"{name}: {problem.render()} [{problem.code.value}]")
    if args.json:
        ctx.print_json({"valid": failed == 0, "files": results})
    else:
        count = len(args.files)
        verdict = "all valid" if failed == 0 else f"{failed} of {count} not valid"
        ctx.print(
            f"{plural(count, 'plan file')} checked: {verdict} "
            f"({plural(total_errors, 'error')}, {plural(total_warnings, 'warning')})"
        )
    return EXIT_OK if failed == 0 else EXIT_USAGE


# --- show ---------------------------------------------------------------------------------


def plan_show(args: argparse.Namespace, ctx: CliContext) -> int:
    from .plan_edit import resolve_plan

    path = resolve_plan(library_for(ctx), args.file)
    loaded = read_plan_file(path, source=args.file if path == Path(args.file) else str(path))
    plan = loaded.plan
    if args.json:
        ctx.print_json(plan.to_dict())
        return EXIT_OK
    ctx.print(plan.name or "(unnamed plan)")
    rows = [
        ("ID", plan.id),
        ("Target", f"account {plan.target_account_id or '?'}, region {plan.target_region or '?'}"),
        ("On failure", "stop the plan" if plan.failure_policy.value == "STOP_ON_FAILURE" else "continue"),
        ("Poll interval", f"{plan.poll_interval_seconds} s"),
        ("RTO target", rto_target_text(plan.rto_target_minutes)),
        ("Tags", ", ".join(f"{k}={v}" for k, v in sorted(plan.tags.items())) or "-"),
        ("Created", format_timestamp(plan.created_at)),
        ("Modified", format_timestamp(plan.modified_at)),
    ]
    for label, value in rows:
        ctx.print(f"  {label + ':':<15}{value}")
    if plan.description:
        ctx.print(f"  {'Description:':<15}{plan.description}")
    if loaded.notice:
        ctx.print(f"  Note: {loaded.notice}")
    names = _account_names(ctx) if any(r.account_id for w in plan.waves for r in w.servers) else {}
    for i, wave in enumerate(plan.waves):
        details = [plural(len(wave.servers), "server")]
        if wave.selector:
            details.append(f"selector: {wave.selector}")
        details.append(f"timeout {wave.timeout_minutes} min")
        if wave.pause_before:
            details.append("pause before")
        if wave.delay_minutes:  # the DRS native engine's options
            details.append(f"wait {wave.delay_minutes} min before")
        if not wave.critical:
            details.append("servers optional")
        ctx.print(f'\nWave {i + 1} "{wave.name}" ({"; ".join(details)})')
        for ref in wave.servers:
            cells = (
                ref.name or "-",
                ref.source_server_id,
                ref.source_instance_id or "-",
                ref.source_account_id or "-",
                ref.replication_state.value,
            ) + (() if ref.critical is None else ("critical" if ref.critical else "optional",))
            if ref.account_id and ref.account_id != plan.target_account_id:
                cells += (recovering_account_text(ref.account_id, names.get(ref.account_id, "")),)
            ctx.print("  " + "  ".join(cells))
    summary = summarize(_context_for(ctx, plan).validate(plan))
    ctx.print(f"\nValidation: {summary.text()} (drs-console plan validate {path} for details)")
    return EXIT_OK


def _account_names(ctx: CliContext) -> dict[str, str]:
    """Known accounts' names by ID (the settings file's; the sandbox's are not started for it)."""
    if ctx.sandbox:
        return {}
    from ...store.settings import load_settings

    return {a.account_id: a.name for a in load_settings().accounts if a.name}  # unreadable: defaults, none


# --- list ---------------------------------------------------------------------------------


def plan_list(args: argparse.Namespace, ctx: CliContext) -> int:
    library = library_for(ctx)
    entries = library.list_entries(lambda plan: _context_for(ctx, plan).validate(plan))
    if args.json:
        ctx.print_json({"library": str(library.folder), "plans": [e.to_dict() for e in entries]})
        return EXIT_OK
    good = [e for e in entries if e.ok]
    bad = [e for e in entries if not e.ok]
    if not entries:
        ctx.print(f"No plans in {library.folder}")
        return EXIT_OK
    if good:
        rows = [("NAME", "TARGET", "WAVES", "SERVERS", "MODIFIED", "CHECK", "FILE")]
        for e in good:
            servers = str(e.server_count) + (f" +{e.selector_waves} sel" if e.selector_waves else "")
            check = e.validation.text() if e.validation else "-"
            if e.read_only:
                check += " (read-only)"
            rows.append(
                (
                    printable(e.name) or "(unnamed)",
                    f"{e.target_account_id or '?'}/{e.target_region or '?'}",
                    str(e.wave_count),
                    servers,
                    e.modified_at.strftime("%Y-%m-%d %H:%M") if e.modified_at else "-",
                    check,
                    printable(e.path.name),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            ctx.print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    for e in bad:
        ctx.print(f"{e.path.name}: unreadable: {e.error}")
    ctx.print(
        f"\n{plural(len(good), 'plan')} in {library.folder}" + (f", {len(bad)} unreadable" if bad else "")
    )
    return EXIT_OK
