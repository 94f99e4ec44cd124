"""`drs-console plan publish|import-native`: wave plans as DRS native recovery plans, and back."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...domain.errors import BadInput
from ...store.plan_io import read_plan_file
from ..context import CliContext

EXIT_OK, EXIT_USAGE = 0, 2


def register_actions(actions) -> None:
    pb = actions.add_parser(
        "publish",
        help="create or update the plan's DRS native recovery plan",
        description="Map the plan to a DRS native recovery plan (each wave a SERVER step, a wave's delayMinutes "
        "a WAIT step before it, OPTIONAL servers where the plan says critical=false) and create it, or update "
        "the native plan tagged with this plan's ID (drs-console:plan-id, drs-console:plan-version). Prints "
        "the mapping. What cannot map is refused before anything is created, each with its reason: a pause "
        "before a wave (a native WAIT is timed, not an approval: split the run there, or --drop-pauses), "
        "more than 20 steps or 100 servers, servers of another account or region. Selectors are resolved "
        "now (the native plan will not follow tag changes); per-wave timeouts are not carried. Publishing "
        "the same version again changes nothing. Exit 2 when it cannot map.",
    )
    pb.add_argument("file", metavar="FILE", help="plan file, or a library plan's ID (or its start), name or file name")
    pb.add_argument("--dry-run", action="store_true", help="only print the mapping and what would change")
    pb.add_argument("--drop-pauses", action="store_true",
                    help="publish without the pauses before waves (the native plan goes straight on)")
    pb.add_argument("--json", action="store_true", help="print JSON")
    pb.set_defaults(func=plan_publish)

    im = actions.add_parser(
        "import-native",
        help="create library plans from DRS native recovery plans",
        description="Create a wave plan in the plan library from each native plan: its SERVER steps become "
        "waves (OPTIONAL servers critical=false), the WAIT steps before a step that wave's delayMinutes. The "
        "plan keeps the link (tag drs-console:native-plan-arn).",
    )
    which = im.add_mutually_exclusive_group(required=True)
    which.add_argument("arn", metavar="ARN", nargs="?", help="the native plan's ARN")
    which.add_argument("--all", action="store_true", help="every native plan of the region")
    im.add_argument("--json", action="store_true", help="print JSON")
    im.set_defaults(func=plan_import_native)


def _load(ctx: CliContext, ref: str):
    from .plan import library_for
    from .plan_edit import resolve_plan

    path = resolve_plan(library_for(ctx), ref)
    return read_plan_file(path, source=ref if path == Path(ref) else str(path)).plan


async def plan_publish(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...aws.engines.native_plans import NotMappable, publish
    from ...aws.runs import plan_version

    plan = _load(ctx, args.file)
    conn = ctx.connection()
    try:
        result = await publish(conn, plan, plan_version=plan_version(plan), dry_run=args.dry_run,
                               drop_pauses=args.drop_pauses)
    except NotMappable as exc:
        if args.json:
            ctx.print_json({"recoveryPlanArn": None, "created": False, "changed": False, "dryRun": False,
                            "actions": [], "mapping": exc.mapping.to_json()})
        else:
            for line in exc.mapping.lines():
                ctx.print(line)
        ctx.fail("nothing was created: " + "; ".join(f"{p.what}: {p.message}" for p in exc.mapping.refused))
        return EXIT_USAGE
    if args.json:
        ctx.print_json(result.to_json())
    else:
        for line in result.mapping.lines():
            ctx.print(line)
        if result.dry_run:
            ctx.print("Dry run: " + ("; ".join(result.actions) if result.actions else "nothing would be created")
                      + " (nothing was changed).")
        elif not result.changed:
            ctx.print(f"Unchanged: {result.recovery_plan_arn} is already version {result.mapping.plan_version}.")
        else:
            actions = [a for a in result.actions if not a.startswith("created arn:")]
            ctx.print(("Created " if result.created else "Updated ") + result.recovery_plan_arn + ": "
                      + "; ".join(actions))
    return EXIT_OK if result.mapping.ok else EXIT_USAGE


async def plan_import_native(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...aws.engines.native_plans import import_native
    from .plan import library_for

    if args.arn and ":recovery-plan/" not in args.arn:
        raise BadInput(f"{args.arn!r} is not a DRS recovery plan ARN.",
                       "Give arn:aws:drs:REGION:ACCOUNT:recovery-plan/ID, or --all.")
    conn = ctx.connection()
    imported = await import_native(conn, None if args.all else [args.arn])
    library = library_for(ctx)
    done = []
    for arn, item in imported:
        path = library.save(item.plan)
        done.append({"recoveryPlanArn": arn, "planId": item.plan.id, "planName": item.plan.name, "file": str(path),
                     "waves": len(item.plan.waves), "notes": list(item.notes)})
    if args.json:
        ctx.print_json(done)
    else:
        if not done:
            ctx.print(f"No DRS native plans in {conn.region}.")
        for d in done:
            ctx.print(f"Imported {d['recoveryPlanArn']} as {d['planName']!r} ({d['waves']} waves): {d['file']}")
            for note in d["notes"]:
                ctx.print(f"  note: {note}")
    return EXIT_OK
