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
from ...domain.errors import BadInput
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
        description="The executions recorded in the backend's history table.",
    )
    hsub = p.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        add_backend_location(q, state_machine=False)
        q.add_argument("--json", action="store_true", help="print JSON")

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


async def history_list(args: argparse.Namespace, ctx: CliContext) -> int:
    now = datetime.now(UTC)
    flt = _filter(args, now)
    service = await _service(args, ctx)
    every = await service.list_all()
    rows = flt.apply(every)
    if args.csv:
        return _write_csv(ctx, args, rows, service.table)
    if args.json:
        ctx.print_json({"historyTable": service.table, "count": len(rows), "total": len(every),
                        "executions": [r.to_json() for r in rows]})
        return EXIT_OK
    table = [("STARTED (UTC)", "PLAN", "TYPE", "STATUS", "DURATION", "WAVES", "LAUNCHED", "FAILED", "BY", "EXECUTION ID")]
    for r in rows:
        table.append(
            (
                h.format_time(r.started_at) or "-",
                r.plan_name or "-",
                r.execution_type or "-",
                r.raw_status or "-",
                h.format_duration(r.duration) or "-",
                WaveTally.of_counts(r.wave_counts, r.wave_count).text() or "-",  # as the GUI says it
                str(r.servers_launched),
                str(r.servers_failed),
                r.initiated_by or "-",
                r.execution_id,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    shown = f"{len(rows)} of {plural(len(every), 'execution')}" if _filtered(flt) else plural(len(rows), "execution")
    ctx.print(f"\n{shown} in {service.table}")
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
    service = await _service(args, ctx)
    rows = await service.list_all()
    if args.ids:
        known = {r.execution_id for r in rows}
        missing = [i for i in dict.fromkeys(args.ids) if i not in known]
        if missing:
            raise BadInput(
                f"No {noun(len(missing), 'execution')} {', '.join(missing)} in the history table {service.table}.",
                "Check the IDs with 'drs-console history list'; nothing was deleted.",
            )
    preview = await service.preview(rows, scope)
    if not args.json:
        for line in preview.summary_lines():
            ctx.print(line)
    if args.dry_run or preview.delete_count == 0:
        if args.json:
            ctx.print_json({"historyTable": service.table, "dryRun": bool(args.dry_run), "preview": preview.to_json(),
                            "result": None})
        return EXIT_OK
    if not args.yes:
        answer = _confirm(ctx, preview.delete_count)
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

    result = await service.prune(preview, progress=progress)
    if args.json:
        ctx.print_json({"historyTable": service.table, "dryRun": False, "preview": preview.to_json(),
                        "result": result.to_json()})
    else:
        for line in result.summary_lines():
            ctx.print(line)
    if result.error:
        ctx.fail(result.error)
        return 3 if result.error_is_aws else EXIT_USAGE
    return EXIT_FAILED if result.failed else EXIT_OK
