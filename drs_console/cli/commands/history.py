"""`drs-console history list|prune`: every execution in the history table, and a safe prune."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ...aws.history import HistoryService, history_table_name
from ...domain import contract as c
from ...domain import history as h
from ...domain.errors import BadInput
from ..context import CliContext
from ..options import add_backend_location

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
    ls.add_argument("--since", metavar="DURATION_OR_DATE", help="started since: 24h, 7d, 2w or 2024-05-01")
    ls.add_argument("--type", choices=[t.value for t in c.ExecutionType], help="DRILL or RECOVERY only")
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
    pr.add_argument("--older-than", type=float, metavar="DAYS", help="only executions that ended more than DAYS ago")
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
    except ValueError as exc:
        raise BadInput(str(exc), "See 'drs-console history list --help'.") from exc
    return h.HistoryFilter(statuses=statuses, execution_type=args.type, since=since)


async def _service(args: argparse.Namespace, ctx: CliContext) -> HistoryService:
    conn = ctx.connection()
    table = await history_table_name(conn, stack_name=args.stack_name, explicit=args.history_table)
    return HistoryService(conn, table)


async def history_list(args: argparse.Namespace, ctx: CliContext) -> int:
    now = datetime.now(UTC)
    flt = _filter(args, now)
    service = await _service(args, ctx)
    rows = flt.apply(await service.list_all())
    if args.json:
        ctx.print_json({"historyTable": service.table, "count": len(rows), "executions": [r.to_json() for r in rows]})
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
                f"{r.waves_completed}/{r.wave_count}",
                str(r.servers_launched),
                str(r.servers_failed),
                r.initiated_by or "-",
                r.execution_id,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        ctx.print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    ctx.print(f"\n{len(rows)} execution(s) in {service.table}")
    return EXIT_OK


def _confirm(ctx: CliContext, count: int) -> bool | None:
    """True/False from the operator; None when nobody can be asked (stdin is not a terminal)."""
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None
    ctx.out.write(f"Delete {count} execution(s) and their wave records? [y/N] ")
    ctx.out.flush()
    answer = stdin.readline().strip().lower()
    return answer in ("y", "yes")


async def history_prune(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.older_than is not None and args.older_than < 0:
        raise BadInput("--older-than must be 0 or more days.")
    scope = h.PruneScope.older_than(args.older_than) if args.older_than is not None else h.PruneScope.all_finished()
    service = await _service(args, ctx)
    rows = await service.list_all()
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
