"""`drs-console history list|prune`: every execution in the history table, and a safe prune."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

from ...aws.history import HistoryService, history_table_name
from ...domain import contract as c
from ...domain import history as h
from ...domain.errors import BadInput, ConsoleError, ProblemKind
from ...domain.execution import WaveTally
from ...domain.wording import noun, plural
from ...store.atomic import atomic_write_text
from ..context import CliContext
from ..options import add_backend_location, days_back, since_type, until_type

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub) -> None:
    p = sub.add_parser(
        "history",
        help="list the execution history, prune finished executions",
        description="The executions recorded in the backend's history table, and the DRS native plans' "
        "executions (Engine column; --engine to choose).",
    )
    hsub = p.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        add_backend_location(q, state_machine=False)
        q.add_argument("--json", action="store_true", help="print JSON")
        q.add_argument("--engine", choices=("all", "stepfunctions", "native"), default="all",
                       help="whose executions: the backend's history table (stepfunctions), the DRS native "
                       "plans' executions (native: ListRecoveryPlanExecutions), or both (default)")

    ls = hsub.add_parser(
        "list",
        help="list every execution (all pages), newest first",
        description="List every execution of the history table, newest first.",
    )
    ls.add_argument(
        "--status", action="append", metavar="S", default=[],
        help="only these: active, finished or a status (COMPLETED, FAILED, ...); repeatable",
    )
    ls.add_argument("--since", type=since_type, metavar="DURATION_OR_DATE", help="started since: 24h, 7d, 2w ago or 2024-05-01")
    ls.add_argument("--until", type=until_type, metavar="DURATION_OR_DATE",
                    help="started until: 24h, 7d, 2w ago or 2024-05-01 (that whole day included)")
    ls.add_argument("--type", type=str.upper, choices=[t.value for t in c.ExecutionType],
                    help="DRILL or RECOVERY only (any case)")
    ls.add_argument("--csv", metavar="FILE",
                    help="write the listed executions as CSV (the desktop's export) to FILE, '-' for stdout")
    common(ls)
    ls.set_defaults(func=history_list)

    pr = hsub.add_parser(
        "prune",
        help="delete finished executions (never an active one)",
        description="Delete finished executions (COMPLETED, PARTIAL, FAILED, CANCELLED, TIMEOUT) and their "
        "wave records. Active executions, and CANCELLED ones with a DRS job still PENDING or STARTED, are "
        "always kept; every delete is conditional on the record still being finished and unchanged. "
        "Shows a preview and asks first.",
    )
    scope = pr.add_mutually_exclusive_group()
    scope.add_argument("--older-than", type=days_back, metavar="DAYS", help="only executions that ended more than DAYS ago")
    scope.add_argument("--id", dest="ids", nargs="+", action="extend", metavar="ID",
                       help="only these executions (as the desktop prunes selected rows); active ones are kept")
    pr.add_argument("--dry-run", action="store_true", help="only show the preview")
    pr.add_argument("--yes", "-y", action="store_true", help="do not ask (needed when stdin is not a terminal)")
    common(pr)
    pr.set_defaults(func=history_prune)


def _filter(args: argparse.Namespace, now: datetime) -> h.HistoryFilter:
    statuses = None
    try:
        for spec in args.status or []:
            for part in spec.split(","):
                if part.strip():
                    statuses = (statuses or frozenset()) | h.statuses_of(part)
        since = h.parse_since(args.since, now) if args.since else None
        until = h.parse_until(args.until, now) if args.until else None
    except ValueError as exc:
        raise BadInput(str(exc), "See 'drs-console history list --help'.") from exc
    if since is not None and until is not None and since > until:
        raise BadInput(f"--since {args.since} is after --until {args.until}.", "Swap them, or widen the range.")
    return h.HistoryFilter(statuses=statuses, execution_type=args.type, since=since, until=until)


def _filtered(flt: h.HistoryFilter) -> bool:
    return flt != h.HistoryFilter()


async def _service(args: argparse.Namespace, ctx: CliContext) -> HistoryService:
    conn = ctx.connection()
    table = await history_table_name(conn, stack_name=args.stack_name, explicit=args.history_table)
    return HistoryService(conn, table)


async def _backend_rows(args: argparse.Namespace, ctx: CliContext) -> tuple[HistoryService | None, list[h.HistoryRow],
                                                                          str]:
    """The history table's rows (none with --engine native; with --engine all, none and a note
    when no backend is deployed)."""
    if args.engine == "native":
        return None, [], ""
    try:
        service = await _service(args, ctx)
    except ConsoleError as exc:
        named = args.history_table or args.stack_name != c.DEFAULT_STACK_NAME  # asked for by name: an error
        if args.engine == "all" and exc.kind is ProblemKind.NOT_FOUND and not named:
            return None, [], f"no backend history ({exc.message})"
        raise
    return service, await service.list_all(), ""


async def _native_rows(args: argparse.Namespace, ctx: CliContext) -> tuple[list[h.HistoryRow], str]:
    """The DRS native executions of the region as rows (none with --engine stepfunctions; with
    --engine all, none and a note when they cannot be listed)."""
    if args.engine == "stepfunctions":
        return [], ""
    from ...aws.engines.native_history import native_history_rows

    try:
        return await native_history_rows(ctx.connection()), ""
    except ConsoleError as exc:
        if args.engine == "native":
            raise
        return [], f"native executions not listed: {exc.one_line()}"


async def history_list(args: argparse.Namespace, ctx: CliContext) -> int:
    now = datetime.now(UTC)
    flt = _filter(args, now)
    service, backend, note = await _backend_rows(args, ctx)
    native, native_note = await _native_rows(args, ctx)
    if not backend and not native and note and native_note:
        raise BadInput(note + "; " + native_note, "Deploy the backend, or check the connection.")
    every = sorted(backend + native, key=lambda r: r.started_at.timestamp() if r.started_at else 0.0, reverse=True)
    rows = flt.apply(every)
    where = " and ".join(x for x in (service.table if service else "",
                                     "DRS native plans" if native or service is None and not native_note else "")
                         if x) or "-"
    if args.csv:
        return _write_csv(ctx, args, rows, where)
    if args.json:
        ctx.print_json({"historyTable": service.table if service else None, "count": len(rows), "total": len(every),
                        "executions": [r.to_json() for r in rows],
                        **({"notes": [n for n in (note, native_note) if n]} if note or native_note else {})})
        return EXIT_OK
    table = [("STARTED (UTC)", "PLAN", "TYPE", "STATUS", "DURATION", "WAVES", "LAUNCHED", "FAILED", "BY", "ENGINE",
              "EXECUTION ID")]
    for r in rows:
        native_row = r.engine == "native"
        table.append(
            (
                h.format_time(r.started_at) or "-",
                r.plan_name or "-",
                r.execution_type or "-",
                (r.raw_status + (f" ({r.native_status})" if native_row and r.native_status != r.raw_status else "")) or "-",
                h.format_duration(r.duration) or "-",
                WaveTally.of_counts(r.wave_counts, r.wave_count).text() or "-",  # as the GUI says it
                str(r.servers_launched),
                str(r.servers_failed),
                r.initiated_by or "-",
                "native" if native_row else "stepfunctions",
                r.execution_id,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    shown = f"{len(rows)} of {plural(len(every), 'execution')}" if _filtered(flt) else plural(len(rows), "execution")
    ctx.print(f"\n{shown} in {where}")
    for n in (note, native_note):
        if n:
            ctx.print(f"note: {n}")
    return EXIT_OK


def _write_csv(ctx: CliContext, args: argparse.Namespace, rows: list[h.HistoryRow], table: str) -> int:
    """The rows as the desktop's CSV export writes them (domain.history.csv_text), atomically."""
    text = h.csv_text(rows)
    if args.csv == "-":
        ctx.out.write(text)
        ctx.out.flush()
        return EXIT_OK
    try:
        atomic_write_text(Path(args.csv), text)
    except OSError as exc:
        raise BadInput(f"Cannot write {args.csv}: {exc.strerror or exc}.", "Choose a writable path.") from exc
    if args.json:
        ctx.print_json({"historyTable": table, "count": len(rows), "csv": str(args.csv)})
    else:
        ctx.print(f"Wrote {plural(len(rows), 'execution')} of {table} to {args.csv}.")
    return EXIT_OK


def _confirm(ctx: CliContext, count: int) -> bool | None:
    """True/False from the operator; None when nobody can be asked (stdin is not a terminal)."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None
    ctx.out.write(f"Delete {plural(count, 'execution')} and their wave records? [y/N] ")
    ctx.out.flush()
    answer = stdin.readline().strip().lower()
    return answer in ("y", "yes")


async def history_prune(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.older_than is not None and not (math.isfinite(args.older_than) and args.older_than >= 0):
        raise BadInput("--older-than must be 0 or more days.", "For example --older-than 30 or --older-than 1.5.")
    if args.older_than is not None:
        scope = h.PruneScope.older_than(args.older_than)
    elif args.ids:
        scope = h.PruneScope.selected(args.ids)
    else:
        scope = h.PruneScope.all_finished()
    service, rows, note = await _backend_rows(args, ctx)
    native_rows, native_note = await _native_rows(args, ctx)
    if service is None and not native_rows and note and native_note:
        raise BadInput(note + "; " + native_note, "Deploy the backend, or check the connection.")
    if args.ids:
        known = {r.execution_id for r in rows + native_rows}
        missing = [i for i in dict.fromkeys(args.ids) if i not in known]
        if missing:
            raise BadInput(
                f"No {noun(len(missing), 'execution')} {', '.join(missing)} in the history table "
                f"{service.table if service else '(none)'} nor among the DRS native executions.",
                "Check the IDs with 'drs-console history list'; nothing was deleted.",
            )
    preview = await service.preview(rows, scope) if service is not None else None
    native_plan = await _native_prune_preview(ctx, native_rows, scope) if native_rows else None
    if not args.json:
        for line in preview.summary_lines() if preview is not None else []:
            ctx.print(line)
        for line in native_plan.summary_lines() if native_plan is not None else []:
            ctx.print(line)
    total = (preview.delete_count if preview else 0) + (len(native_plan.to_delete) if native_plan else 0)
    table_name = service.table if service else None
    if args.dry_run or total == 0:
        if args.json:
            ctx.print_json({"historyTable": table_name, "dryRun": bool(args.dry_run),
                            "preview": preview.to_json() if preview else None,
                            "native": native_plan.to_json() if native_plan else None, "result": None})
        return EXIT_OK
    if not args.yes:
        answer = _confirm(ctx, total)
        if answer is None:
            ctx.fail("stdin is not a terminal, so nobody can confirm the prune: pass --yes to prune without asking.")
            return EXIT_USAGE
        if not answer:
            ctx.print("Nothing deleted.")
            return EXIT_OK

    def progress(done: int, total: int) -> None:
        if getattr(ctx.err, "isatty", lambda: False)():
            ctx.err.write(f"\rpruning: {done}/{total}")
            ctx.err.flush()

    result = await service.prune(preview, progress=progress) if preview is not None and preview.delete_count else None
    native_done = await native_plan.run(ctx.connection()) if native_plan is not None and native_plan.to_delete else None
    if args.json:
        ctx.print_json({"historyTable": table_name, "dryRun": False, "preview": preview.to_json() if preview else None,
                        "result": result.to_json() if result else None,
                        "native": native_plan.to_json() if native_plan else None,
                        "nativeResult": native_done})
    else:
        for line in result.summary_lines() if result else []:
            ctx.print(line)
        if native_done is not None:
            ctx.print(f"Deleted {plural(len(native_done['deleted']), 'DRS native execution')}"
                      + (f"; kept {len(native_done['refused'])} DRS refused or that became active: "
                         + "; ".join(native_done["refused"]) if native_done["refused"] else "") + ".")
    if result is not None and result.error:
        ctx.fail(result.error)
        return 3 if result.error_is_aws else EXIT_USAGE
    return EXIT_FAILED if (result is not None and result.failed) or (native_done and native_done["refused"]) else EXIT_OK


async def _native_prune_preview(ctx: CliContext, rows: list[h.HistoryRow], scope: h.PruneScope):
    from ...aws.engines.native_history import native_prune_preview

    return await native_prune_preview(ctx.connection(), rows, scope)
