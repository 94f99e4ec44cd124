"""`drs-console plan readiness [PLAN...]`: is every plan ready to recover, at a glance.

Live when a connection can be made (the inventory, each server's newest recovery snapshot and
the drills of the history table: ``aws/readiness.py``), which also refreshes the caches; offline
otherwise, or with ``--offline``: from the cached inventory and the cached drills of each plan's
target, saying they are cached and how old. The rules are ``domain/readiness.py``'s.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from ...domain.errors import ConsoleError, ProblemKind
from ...domain.fields import age_text, duration_text, rto_target_text
from ...domain.plan import Plan
from ...domain.readiness import DEFAULT_STALE_DAYS, MAX_STALE_DAYS, PlanReadiness, Readiness, assess
from ...domain.readiness_report import readiness_html
from ...domain.wording import plural
from ...store.atomic import atomic_write_text
from ...store.drill_cache import DrillCache
from ...store.inventory_cache import InventoryCache, cache_endpoint
from ...store.plan_io import read_plan_file
from ..context import CliContext
from ..options import add_backend_location

EXIT_OK, EXIT_NOT_READY, EXIT_USAGE = 0, 1, 2
# a live read that fails for one of these falls back to the caches (any other failure is reported)
OFFLINE_KINDS = frozenset({ProblemKind.NO_CREDENTIALS, ProblemKind.SSO_EXPIRED, ProblemKind.UNREACHABLE})


def stale_days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_STALE_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: use 1 to {MAX_STALE_DAYS} days")
    return value


stale_days.__name__ = "days"


def register_readiness(actions) -> None:
    r = actions.add_parser(
        "readiness",
        help="is each plan ready to recover? (RPO, replication, last drill, drift)",
        description="Judge plans READY, AT RISK or NOT READY, with the reasons: the current RPO (worst lag, "
        "oldest recovery point), replication health, the last drill (when, its result, its recovery time per "
        "wave against the plan's RTO target), servers never drilled or not drilled in --stale-days, servers "
        "gone from DRS and servers the tag selectors match that were not in the last drill. Live when AWS can "
        "be reached, else from the cached inventory and drills (it says so, and how old they are). "
        "Exit code 0 when every plan is READY, 1 otherwise, 2 on bad input.",
    )
    r.add_argument("plans", nargs="*", metavar="PLAN",
                   help="plan files or library plans (ID, its start, name or file name); default: the whole library")
    r.add_argument("--stale-days", type=stale_days, default=DEFAULT_STALE_DAYS, metavar="N",
                   help="a drill older than N days puts a plan AT RISK (default %(default)s)")
    r.add_argument("--offline", action="store_true", help="do not connect: use the cached inventory and drills")
    r.add_argument("--html", metavar="FILE", help="also write a self-contained audit page to FILE")
    r.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_backend_location(r, state_machine=False)
    r.set_defaults(func=plan_readiness)


def _plans(args: argparse.Namespace, ctx: CliContext) -> list[tuple[Plan, Path]]:
    from .plan import library_for
    from .plan_edit import resolve_plan

    library = library_for(ctx)
    if args.plans:
        paths = [resolve_plan(library, ref) for ref in args.plans]
    else:
        paths = [e.path for e in library.list_entries(lambda _p: []) if e.ok]
    out = []
    for path in dict.fromkeys(paths):
        out.append((read_plan_file(path).plan, path))
    return out


async def _live(args: argparse.Namespace, ctx: CliContext, plans: list[Plan], now: datetime):
    from ...aws.readiness import read_facts

    conn = ctx.connection()
    ident = await conn.identity()
    facts = await read_facts(conn, plans, stack_name=args.stack_name, history_table=args.history_table)
    endpoint = cache_endpoint(conn.params.endpoint_url, conn.params.is_sandbox)
    if not conn.params.is_sandbox and facts.inventory is not None:
        InventoryCache().save(facts.inventory, conn.params.endpoint_url)
        if facts.drills is not None:
            DrillCache().save(ident.account_id, conn.region, facts.drills, endpoint)
    results = facts.assess(plans, now=now, stale_days=args.stale_days)
    source = f"Live: account {ident.account_id}, {conn.region}"
    if facts.history_note:
        source += f"; drill history not read: {facts.history_note}"
    return results, source


def _offline(args: argparse.Namespace, ctx: CliContext, plans: list[Plan], now: datetime, why: str):
    endpoint = cache_endpoint(ctx.endpoint_url, ctx.sandbox)
    inventories, drill_cache = InventoryCache(), DrillCache()
    results: list[PlanReadiness] = []
    notes: set[str] = set()
    for plan in plans:
        if plan.target_account_id and plan.target_region:
            inv = inventories.load(plan.target_account_id, plan.target_region, endpoint)
        else:
            inv = inventories.latest(plan.target_region or None, endpoint)
        drills = None
        if inv is not None:
            cached = drill_cache.load(inv.account_id, inv.region, endpoint)
            if cached is not None:
                drills, read_at = cached
                notes.add(f"drills of {inv.account_id} {inv.region} as read {age_text((now - read_at).total_seconds())} ago")
        results.append(assess(plan, inv, now=now, inventory_live=False, points=None, drills=drills,
                              stale_days=args.stale_days))
    source = f"Offline ({why}): cached inventory" + (f"; cached {', '.join(sorted(notes))}" if notes else
                                                    "; no cached drill history")
    return results, source


async def plan_readiness(args: argparse.Namespace, ctx: CliContext) -> int:
    pairs = _plans(args, ctx)
    plans = [p for p, _ in pairs]
    now = datetime.now(UTC)
    if args.offline:
        results, source = _offline(args, ctx, plans, now, "--offline")
    elif not plans:
        results, source = [], ""
    else:
        try:
            results, source = await _live(args, ctx, plans, now)
        except ConsoleError as exc:
            if exc.kind not in OFFLINE_KINDS:
                raise
            ctx.fail(f"working offline: {exc.one_line()}")
            results, source = _offline(args, ctx, plans, now, f"not connected: {exc.message}")
    if args.html:
        atomic_write_text(Path(args.html), readiness_html(results, now=now, source=source))
    if args.json:
        ctx.print_json({"source": source, "staleDays": args.stale_days, "html": args.html,
                        "plans": [dict(r.to_json(), file=str(path)) for r, (_, path) in zip(results, pairs, strict=True)]})
    else:
        _print_text(ctx, results, source, args)
    return EXIT_OK if all(r.status is Readiness.READY for r in results) else EXIT_NOT_READY


def _print_text(ctx: CliContext, results: list[PlanReadiness], source: str, args: argparse.Namespace) -> None:
    if not results:
        ctx.print("No plans to judge: the library is empty (see 'drs-console plan new').")
        return
    ctx.print(source)
    for r in results:
        ctx.print("")
        ctx.print(f"{r.plan_name or '(unnamed plan)'}: {r.status.value}   ({r.source_text()})")
        rpo = f"{age_text(r.rpo_seconds)}: " if r.rpo_seconds is not None else ""
        ctx.print(f"  RPO now:     {rpo}{r.rpo_text()}")
        ctx.print(f"  Last drill:  {r.drill_text()}; RTO target {rto_target_text(r.rto_target_minutes)}")
        if r.last_drill is not None:
            for w in r.last_drill.waves:
                ctx.print(f"    wave {w.index + 1} {w.name!r}: {duration_text(w.duration_seconds)} "
                          f"({w.status.value if w.status else 'not run'}, {plural(len(w.server_ids), 'server')})")
        for reason in r.reasons:
            ctx.print(f"  {reason.status.value}: {reason.text}")
    counts = {s: sum(1 for r in results if r.status is s) for s in Readiness}
    ctx.print("")
    ctx.print(f"{plural(len(results), 'plan')}: " + ", ".join(f"{counts[s]} {s.value}" for s in Readiness if counts[s])
              + (f" (written to {args.html})" if args.html else ""))
