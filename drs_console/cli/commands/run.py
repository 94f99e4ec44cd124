"""`drs-console run|preflight|status|resume|cancel|cleanup|report`: run a plan and watch it live.

Exit codes: 0 success (with --follow: the execution ended COMPLETED); 1 the execution ended
PARTIAL, FAILED, CANCELLED or TIMEOUT (or a cleanup left instances running); 2 bad input,
including a preflight BLOCK; 3 AWS refused or was unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ...aws.backend import BackendLocation, BackendService
from ...aws.monitor import ExecutionMonitor
from ...aws.preflight import preflight as run_preflight
from ...aws.runs import (
    PreflightBlocked,
    cancel_run,
    follow_cleanup,
    resume_run,
    start_cleanup,
    start_run,
    terminate_leftovers,
)
from ...aws.session import AwsConnection
from ...domain import contract as c
from ...domain import point_in_time as pit
from ...domain.errors import BadInput, ConsoleError
from ...domain.execution import Engine, ExecutionView, StreamState
from ...domain.execution_json import view_json
from ...domain.fields import (
    NAME,
    POINT_IN_TIME_LABEL,
    SERVER_FIELDS,
    SOURCE_SERVER_ID,
    duration_text,
    iso_utc,
    point_in_time_text,
    server_label,
    stamp,
    utc_text,
    wave_point_in_time_text,
)
from ...domain.preflight import Level, PreflightReport
from ...domain.progress import Transition, counts_text, diff_views, recovery_time, wave_line
from ...domain.report import report_csv, report_html, rto_lines
from ...domain.status import ExecutionStatus
from ...domain.wording import noun, plural
from ...store.atomic import atomic_write_text
from ...store.plan_io import read_plan_file
from ..context import CliContext
from ..options import add_backend_location, seconds_up_to_a_day, seconds_up_to_an_hour
from .native import add_engine_arg

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AWS = 0, 1, 2, 3
REAUTH_RETRY_SECONDS = 15.0


# -- arguments ---------------------------------------------------------------------------------------
_location_args = add_backend_location


def _refresh_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--refresh", type=seconds_up_to_an_hour, default=2.0, metavar="SECONDS",
                   help="with --follow: seconds between the console's polls while something changes "
                        "(min 1, backs off to 15 while nothing does; default %(default)s)")
    p.add_argument("--local-time", action="store_true",
                   help="with --follow: stamp lines with the local time and its zone (default: UTC)")


def _point_in_time_args(p: argparse.ArgumentParser, *, waves: bool) -> None:
    p.add_argument("--point-in-time", metavar="TIME",
                   help="recover every server to its newest recovery snapshot taken at or before TIME: "
                        "ISO 8601 with a zone (2026-12-01T08:00:00Z, 2026-12-01T10:00:00+02:00), relative "
                        "(now-2h, now-90m, now-1d) or local time ('2026-12-01 10:00 local'); default: the "
                        "latest data. Preflight shows each server's snapshot; a server with none before TIME BLOCKs")
    if waves:
        p.add_argument("--wave-point-in-time", metavar="N=TIME", action="append", default=[],
                       help="wave N (1-based) recovers to TIME instead (repeatable)")
    p.add_argument("--max-spread", metavar="MINUTES",
                   help="WARN when one wave's servers recover from snapshots further apart than this "
                        f"(default: the settings' point_in_time_max_spread_minutes, {pit.DEFAULT_MAX_SPREAD_MINUTES})")


def point_in_time_options(args: argparse.Namespace, wave_count: int) -> dict[str, Any]:
    """--point-in-time, --wave-point-in-time and --max-spread as preflight's keyword arguments
    (BadInput for a bad TIME, wave number or spread)."""
    now = datetime.now(UTC)
    default = pit.parse_point_in_time(args.point_in_time, now).at if args.point_in_time else None
    overrides = {}
    for spec in getattr(args, "wave_point_in_time", None) or []:
        number, sep, text = spec.partition("=")
        if not sep or not number.strip().isdigit() or not 1 <= int(number) <= wave_count:
            raise BadInput(f"--wave-point-in-time {spec!r}: give N=TIME with N a wave number 1..{wave_count}.",
                           "For example --wave-point-in-time 2=now-3h.")
        overrides[int(number) - 1] = pit.parse_point_in_time(text, now).at
    if args.max_spread is not None:
        spread = pit.parse_max_spread(args.max_spread)
    else:
        from ...store.settings import load_settings

        spread = timedelta(minutes=load_settings().point_in_time_max_spread_minutes)
    if default is None and not overrides:
        return {}
    return {"point_in_time": default, "wave_points": overrides, "max_spread": spread}


def register(sub) -> None:
    r = sub.add_parser(
        "run",
        help="preflight a plan, then start it as a drill or a real recovery",
        description="Preflight the plan (printed; any BLOCK exits 2 with the reasons), then start the "
        "backend state machine. A drill is the default; a real recovery needs --recovery and the plan's "
        "name typed exactly with --confirm. With --follow, every wave and server transition and DRS job ID "
        "is printed as it happens, stamped with when it happened in UTC (a server's change, which DRS does not "
        "date, when it was read, never outside its wave's start and end; JSON lines with --json); the exit "
        "code is then 0 only when the execution ends COMPLETED, 1 for PARTIAL, FAILED, CANCELLED or TIMEOUT. "
        "With --point-in-time (e.g. after ransomware: a time before it), every server launches from its newest "
        "recovery snapshot taken at or before TIME, as the preflight shows (on either engine: the native "
        "engine passes each server's snapshot to StartRecoveryPlanExecution; a server of another account, "
        "on the stepfunctions engine, is resolved and launched in that account). "
        "Two engines: --engine stepfunctions (our deployed backend: pauses for approval, selectors resolved "
        "at run time, per-wave timeouts) or --engine native (the plan's DRS native plan, published with "
        "'plan publish': no stack, steps can be retried and skipped, no pause for approval).",
    )
    r.add_argument("file", metavar="FILE", help="plan file (JSON)")
    kind = r.add_mutually_exclusive_group()
    kind.add_argument("--drill", action="store_true", help="launch drill instances (the default)")
    kind.add_argument("--recovery", action="store_true", help="a REAL recovery (needs --confirm PLAN_NAME)")
    r.add_argument("--confirm", metavar="PLAN_NAME", default="", help="the plan's name, typed exactly, for --recovery")
    r.add_argument("--override-target", action="store_true",
                   help="drill in the connected account/region even if the plan targets another one")
    r.add_argument("--poll-interval", type=int, metavar="SECONDS",
                   help=f"seconds between the state machine's DescribeJobs polls for this run "
                        f"({c.MIN_POLL_INTERVAL}-{c.MAX_POLL_INTERVAL}; default: the plan's)")
    _point_in_time_args(r, waves=True)
    r.add_argument("--follow", action="store_true", help="watch the execution until it ends")
    r.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    add_engine_arg(r, default_help="default: stepfunctions when a backend is deployed. The native engine "
                   "runs the plan's published DRS native plan ('plan publish'): no pause before a wave, no "
                   "per-wave timeouts, steps can be retried and skipped")
    _refresh_arg(r)
    _location_args(r)
    r.set_defaults(func=cmd_run)

    pf = sub.add_parser(
        "preflight",
        help="check a plan against the connected account without running it",
        description="Each check prints PASS, WARN or BLOCK with one line saying what to do. Exit code 2 "
        "when any check BLOCKs, else 0. Every server's line shows its recovery point (its newest recovery "
        "snapshot and its age) and the last line the plan's RPO now (its worst recovery point). A drill "
        "BLOCKs STALLED or DISCONNECTED replication; a real recovery (--recovery) only WARNs, since a "
        "source site that is down is why one recovers, and BLOCKs a server with no recovery snapshot. With "
        "--point-in-time, every server's line shows the snapshot it would recover to instead (its ID, time and "
        "how far before TIME): none at or before TIME BLOCKs, one wave's snapshots more than --max-spread "
        "apart WARN (a server of another account is resolved in that account; a wave's spread spans all "
        "its accounts).",
    )
    pf.add_argument("file", metavar="FILE", help="plan file (JSON)")
    pf.add_argument("--recovery", action="store_true", help="check for a real recovery instead of a drill")
    pf.add_argument("--override-target", action="store_true", help="accept another account/region (drills only)")
    _point_in_time_args(pf, waves=True)
    pf.add_argument("--json", action="store_true", help="print the report as JSON")
    add_engine_arg(pf, default_help="default: stepfunctions. With native: the DRS native limits (the "
                   "mapping: 20 steps, 100 servers, one account and region, no pause), the published plan's drift "
                   "and, with --point-in-time, each server's snapshot (the same rule and checks)")
    _location_args(pf)
    pf.set_defaults(func=cmd_preflight)

    st = sub.add_parser(
        "status",
        help="show an execution (waves, jobs, servers); --follow watches it",
        description="Show one execution from the history table and DRS. With --follow, print every "
        "transition until it ends (exit 0 only for COMPLETED).",
    )
    st.add_argument("execution_id", metavar="EXECUTION_ID")
    st.add_argument("--follow", action="store_true", help="watch until the execution ends")
    st.add_argument("--json", action="store_true", help="print JSON (JSON lines with --follow)")
    _refresh_arg(st)
    add_engine_arg(st, default_help="default: found from the ID (a native execution's ARN or ID)")
    _location_args(st)
    st.set_defaults(func=cmd_status)

    rs = sub.add_parser("resume", help="resume a paused execution",
                        description="Resume an execution paused before a wave (SendTaskSuccess), then wait "
                        "(at most --wait seconds) until its record says it is no longer PAUSED, and print "
                        "the state it is in then.")
    rs.add_argument("execution_id", metavar="EXECUTION_ID")
    rs.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                    help="how long to wait for the state machine to record the resume (default %(default)s)")
    rs.add_argument("--json", action="store_true", help="print JSON")
    add_engine_arg(rs, default_help="default: found from the ID (a native execution's ARN or ID)")
    _location_args(rs)
    rs.set_defaults(func=cmd_resume)

    cn = sub.add_parser(
        "cancel",
        help="cancel an execution, polling or paused",
        description="Cancel an execution: it ends CANCELLED after its current step (the DRS job of the "
        "current wave is not rolled back; clean up drill instances with 'cleanup'). Waits until the record "
        "is CANCELLED and the state machine stopped; stops the state machine if it does not in time.",
    )
    cn.add_argument("execution_id", metavar="EXECUTION_ID")
    cn.add_argument("--no-wait", action="store_true", help="only ask for the cancellation")
    cn.add_argument("--grace", type=seconds_up_to_a_day, metavar="SECONDS",
                    help="seconds to wait before StopExecution (default: two poll intervals + 30)")
    cn.add_argument("--json", action="store_true", help="print JSON")
    add_engine_arg(cn, default_help="default: found from the ID (a native execution's ARN or ID)")
    _location_args(cn)
    cn.set_defaults(func=cmd_cancel)

    cl = sub.add_parser(
        "cleanup",
        help="terminate the recovery instances of a finished drill",
        description="Terminate the recovery instances a finished DRILL launched (TerminateRecoveryInstances) "
        "and follow the TERMINATE job. Refused for a real recovery and for an execution still running. "
        "With --leftovers-of FILE instead: the drill instances left from earlier drills of that plan's "
        "servers (what the preflight warns about).",
    )
    cl.add_argument("execution_id", metavar="EXECUTION_ID", nargs="?")
    cl.add_argument("--leftovers-of", metavar="FILE", help="plan file: clean up its servers' leftover drill instances")
    cl.add_argument("--no-follow", action="store_true", help="do not wait for the TERMINATE job")
    cl.add_argument("--json", action="store_true", help="print JSON lines")
    cl.add_argument("--refresh", type=float, default=5.0, metavar="SECONDS",
                    help="seconds between progress polls of the TERMINATE job (default %(default)s)")
    add_engine_arg(cl, default_help="default: found from the ID (a native execution's ARN or ID)")
    _location_args(cl)
    cl.set_defaults(func=cmd_cleanup)

    rp = sub.add_parser(
        "report",
        help="write an execution report (HTML and/or CSV)",
        description="Per-wave timings, the recovery time achieved (execution start to the last wave's end) "
        "and failed servers with DRS's reasons.",
    )
    rp.add_argument("execution_id", metavar="EXECUTION_ID")
    rp.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    rp.add_argument("--csv", metavar="FILE", help="write a CSV report")
    add_engine_arg(rp, default_help="default: found from the ID (a native execution's ARN or ID)")
    _location_args(rp)
    rp.set_defaults(func=cmd_report)


# -- shared ------------------------------------------------------------------------------------------
def _sandbox_speed(ctx: CliContext) -> None:
    from ...sandbox.clock import speed_from_env

    try:
        speed = speed_from_env()
    except ValueError as exc:
        raise BadInput(str(exc) + ".", "Unset it, or set it to a speed factor like 300.") from exc
    if speed is not None:
        ctx.sandbox_instance.clock.speed = speed


async def _connect(args: argparse.Namespace, ctx: CliContext) -> tuple[AwsConnection, BackendLocation]:
    conn = ctx.connection()
    service = BackendService(conn)
    if ctx.sandbox:
        from ...sandbox import stepfunctions_compat
        from ...sandbox.backend import deploy_reference_backend

        stepfunctions_compat.apply()
        _sandbox_speed(ctx)
        if not (args.state_machine_arn and args.history_table) and await service.stack(args.stack_name) is None:
            deploy_reference_backend(ctx.sandbox_instance, args.stack_name)
    location = await service.locate(
        args.stack_name, state_machine_arn=args.state_machine_arn, history_table=args.history_table
    )
    return conn, location


def _jline(ctx: CliContext, record_type: str, /, **fields: Any) -> None:
    doc = {"type": record_type, "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"), **fields}
    ctx.out.write(json.dumps(doc, default=str) + "\n")
    ctx.out.flush()


def _stamp(args: argparse.Namespace | None = None, at: datetime | None = None) -> str:
    """When something happened: UTC with the zone, or local time with its zone (--local-time)."""
    return stamp(at or datetime.now(UTC), local=bool(getattr(args, "local_time", False)))


def exit_code_for(status: ExecutionStatus | None) -> int:
    return EXIT_OK if status is ExecutionStatus.COMPLETED else EXIT_FAILED


def _print_preflight(ctx: CliContext, report: PreflightReport, as_json: bool, *, lines: bool) -> None:
    if as_json:
        if lines:
            _jline(ctx, "preflight", **report.to_json())
        else:
            ctx.print_json(report.to_json())
        return
    for line in report.lines():
        ctx.print(line)


def _print_view(ctx: CliContext, view: ExecutionView) -> None:
    now = datetime.now(UTC)
    kind = "drill" if view.is_drill else "RECOVERY"
    status = view.status.value if view.status else "?"
    ctx.print(f"Execution {view.execution_id}: {status} ({kind} of plan {view.plan_name!r})")
    ctx.print(f"  started {utc_text(view.started_at)}, ended {utc_text(view.ended_at)}, "
              f"elapsed {duration_text(view.elapsed_seconds(now))}")
    counts = counts_text(view)
    if counts:
        ctx.print(f"  {counts}")
    if view.is_terminal:
        for label, value in rto_lines(recovery_time(view, now)):
            ctx.print(f"  {label.lower()}: {value}")
    if view.point_in_time:
        ctx.print(f"  {POINT_IN_TIME_LABEL.lower()}: {point_in_time_text(view.point_in_time)}")
    if view.error or view.cause:
        ctx.print("  error: " + ": ".join(x for x in (view.error, view.cause) if x))
    for w in view.waves:
        when = ""
        if w.started_at:
            when = (f"  started {utc_text(w.started_at)}, ended {utc_text(w.ended_at)}, "
                    f"{duration_text(w.duration_seconds(now))}")
        own = wave_point_in_time_text(w.point_in_time, view.point_in_time)
        ctx.print(f"  {wave_line(w)}{when}" + (f", point in time {own}" if own else ""))
        if (w.error or w.cause) and w.status is not None and w.status.is_terminal:
            ctx.print("    wave error: " + ": ".join(x for x in (w.error, w.cause) if x))
        for s in w.servers:
            ctx.print(f"    {server_label(s)}: " + "; ".join(
                f"{f.header} {f.text(s)}" for f in SERVER_FIELDS if f not in (NAME, SOURCE_SERVER_ID)))


def _reconnect_factory(params, opened: list[AwsConnection]):
    """For AUTH_PAUSED in the CLI: retry a fresh connection (same profile) every 15 s until the
    user has refreshed their credentials (e.g. 'aws sso login' in another terminal)."""

    async def reconnect() -> AwsConnection | None:
        while True:
            await asyncio.sleep(REAUTH_RETRY_SECONDS)
            conn = None
            try:
                conn = AwsConnection(params)
                await conn.identity()
            except ConsoleError:
                if conn is not None:
                    conn.close()
                continue
            opened.append(conn)
            return conn

    return reconnect


async def _follow(ctx: CliContext, args: argparse.Namespace, conn: AwsConnection, location: BackendLocation,
                  execution_id: str, execution_arn: str = "") -> int:
    opened: list[AwsConnection] = []
    try:
        return await _watch(ctx, args, conn, location, execution_id, execution_arn, opened)
    finally:
        for extra in opened:
            extra.close()


async def _watch(ctx: CliContext, args: argparse.Namespace, conn: AwsConnection, location: BackendLocation | None,
                 execution_id: str, execution_arn: str, opened: list[AwsConnection], *,
                 monitor: ExecutionMonitor | None = None) -> int:
    """Print every transition of the execution until it ends (``monitor``: an engine's own, e.g.
    the DRS native engine's; else one on the backend's history table)."""
    monitor = monitor or ExecutionMonitor(
        conn, location, execution_id, execution_arn=execution_arn,
        poll_interval=max(1.0, float(args.refresh)),
        reconnect=_reconnect_factory(conn.params, opened),
        accounts=ctx.known_accounts(),
    )
    prev: ExecutionView | None = None
    last_state = StreamState.LIVE
    async for update in monitor.updates():
        if update.state is not last_state and update.state in (StreamState.RECONNECTING, StreamState.AUTH_PAUSED):
            if args.json:
                _jline(ctx, "stream", state=update.state.value, message=update.message)
            else:
                ctx.print(f"{_stamp(args)} {update.state.value}: {update.message}")
        if update.state is StreamState.LIVE and last_state is not StreamState.LIVE:
            if args.json:
                _jline(ctx, "stream", state="live", message="")
            else:
                ctx.print(f"{_stamp(args)} live again")
        last_state = update.state
        if update.state in (StreamState.RECONNECTING, StreamState.AUTH_PAUSED) or not update.changed:
            continue
        for t in diff_views(prev, update.view, update.observed_at):
            hint = _hint(t, execution_id)
            if args.json:
                _jline(ctx, "transition", executionId=execution_id, **t.to_json(), **({"hint": hint} if hint else {}))
            else:
                ctx.print(f"{_stamp(args, t.at)} {t.text}" + (f" - {hint}" if hint else ""))
        prev = update.view
    view = monitor.last_view
    status = view.status if view else None
    code = exit_code_for(status)
    if args.json:
        _jline(ctx, "end", executionId=execution_id, status=status.value if status else None, exitCode=code,
               view=view_json(view, servers=True) if view else None)
    elif view is not None:
        _print_view(ctx, view)
        if view.engine is Engine.NATIVE:
            from .native import print_native_extra

            print_native_extra(ctx, view)
    return code


def _hint(t: Transition, execution_id: str) -> str:
    """What the operator can do now (the PAUSED line says how to resume)."""
    if t.kind == "execution" and t.status is ExecutionStatus.PAUSED:
        return (f"waiting for an operator: resume with 'drs-console resume {execution_id}' "
                f"(or 'drs-console cancel {execution_id}')")
    return ""


def _plan(path: str):
    return read_plan_file(path, source=path).plan


# -- commands ------------------------------------------------------------------------------------------
async def cmd_preflight(args: argparse.Namespace, ctx: CliContext) -> int:
    plan = _plan(args.file)
    if args.engine == Engine.NATIVE.value:
        from .native import native_conn, native_points, native_preflight

        conn = native_conn(ctx)
        points = await native_points(conn, plan, point_in_time_options(args, len(plan.waves)))
        code, _ = await native_preflight(ctx, conn, plan, as_json=args.json, require_published=False, points=points)
        return code
    timed = point_in_time_options(args, len(plan.waves))
    conn, location = await _connect(args, ctx)
    report = await run_preflight(conn, location, plan, override_target=args.override_target,
                                 drill=not args.recovery, accounts=ctx.known_accounts(), **timed)
    _print_preflight(ctx, report, args.json, lines=False)
    return EXIT_USAGE if report.level is Level.BLOCK else EXIT_OK


async def cmd_run(args: argparse.Namespace, ctx: CliContext) -> int:
    plan = _plan(args.file)
    recovery = bool(args.recovery)
    if args.confirm and not recovery:
        raise BadInput("--confirm is only for --recovery.", "Add --recovery, or drop --confirm for a drill.")
    if recovery and not args.confirm:
        raise BadInput(f"A real recovery needs --confirm with the plan's name typed exactly: {plan.name!r}.",
                       "Add --confirm \"PLAN NAME\", or run a drill (--drill).")
    if args.poll_interval is not None and not c.MIN_POLL_INTERVAL <= args.poll_interval <= c.MAX_POLL_INTERVAL:
        raise BadInput(f"--poll-interval must be {c.MIN_POLL_INTERVAL}..{c.MAX_POLL_INTERVAL} seconds.", "")
    from ...aws.runs import check_confirmation

    check_confirmation(plan, recovery=recovery, confirm=args.confirm)
    if await _engine_for_run(args, ctx) == Engine.NATIVE.value:
        from .native import native_run

        return await native_run(args, ctx, plan, recovery=recovery,
                                timed=point_in_time_options(args, len(plan.waves)))
    timed = point_in_time_options(args, len(plan.waves))
    conn, location = await _connect(args, ctx)
    delayed = [f"{i + 1} ({w.delay_minutes} min)" for i, w in enumerate(plan.waves) if w.delay_minutes]
    if delayed:  # a native plan's WAIT steps: the state machine has no timed wait
        ctx.fail(f"warning: the Step Functions backend does not wait before waves {', '.join(delayed)} "
                 "(delayMinutes is for the DRS native engine).")
    report = await run_preflight(conn, location, plan, override_target=args.override_target, drill=not recovery,
                                 accounts=ctx.known_accounts(), **timed)
    _print_preflight(ctx, report, args.json, lines=True)
    if report.blocked:
        for b in report.blocking:
            ctx.fail(f"preflight BLOCK: {b.check}: {b.message} {b.remedy}".strip())
        return EXIT_USAGE
    try:
        run = await start_run(conn, location, plan, recovery=recovery, confirm=args.confirm, report=report,
                              poll_interval_seconds=args.poll_interval)
    except PreflightBlocked as exc:  # pragma: no cover - the report above was not blocked
        ctx.fail(exc.one_line())
        return EXIT_USAGE
    kind = "drill" if run.is_drill else "RECOVERY"
    if args.json:
        _jline(ctx, "started", executionId=run.execution_id, executionArn=run.execution_arn,
               executionType=run.execution_type.value, planId=run.plan_id, planName=run.plan_name,
               waves=[w.to_json() for w in report.waves], pointInTime=iso_utc(report.point_in_time),
               pointInTimeWaves=pit.waves_json(report.resolutions))
    else:
        when = f" to the point in time {utc_text(report.point_in_time)}" if report.point_in_time else ""
        ctx.print(f"Started {kind} of {plan.name!r}{when}: execution {run.execution_id}")
        ctx.print(f"  {run.execution_arn}")
    if not args.follow:
        return EXIT_OK
    return await _follow(ctx, args, conn, location, run.execution_id, run.execution_arn)


async def _engine_for_run(args: argparse.Namespace, ctx: CliContext) -> str:
    """--engine, else stepfunctions when a backend is deployed (the sandbox deploys one); with
    neither, say how to choose."""
    if args.engine:
        return args.engine
    if ctx.sandbox or (args.state_machine_arn and args.history_table):
        return Engine.STEPFUNCTIONS.value
    if await BackendService(ctx.connection()).stack(args.stack_name) is not None:
        return Engine.STEPFUNCTIONS.value
    raise BadInput(f"No backend stack {args.stack_name!r} is deployed here, so there is no default engine.",
                   "Choose one: --engine native runs the plan's DRS native plan (publish it first with "
                   "'drs-console plan publish FILE'), or deploy the backend ('drs-console backend deploy') "
                   "for --engine stepfunctions.")


class _NotInHistory(BadInput):
    """The history table has no such execution (it may be a native one)."""


def _native_aware(native_name: str):
    """Run a command on the native engine when its execution is native: an ARN or --engine native
    at once; an ID the history table (or a missing backend) does not know, after looking."""

    def decorate(fn):
        async def wrapper(args: argparse.Namespace, ctx: CliContext) -> int:
            from . import native

            handler = getattr(native, native_name)
            target = await native.native_target(args, ctx)
            if target is not None:
                return await handler(args, ctx, *target)
            try:
                return await fn(args, ctx)
            except (_NotInHistory, ConsoleError) as exc:
                backend_missing = isinstance(exc, ConsoleError) and exc.kind.name == "NOT_FOUND" \
                    and "backend stack" in exc.message
                if args.engine == Engine.STEPFUNCTIONS.value or not (isinstance(exc, _NotInHistory) or backend_missing):
                    raise
                found = await native.native_lookup(ctx, args.execution_id)
                if found is None:
                    raise
                return await handler(args, ctx, *found)

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn
        return wrapper

    return decorate


@_native_aware("native_status")
async def cmd_status(args: argparse.Namespace, ctx: CliContext) -> int:
    conn, location = await _connect(args, ctx)
    await _require_exists(conn, location, args.execution_id)
    if args.follow:
        return await _follow(ctx, args, conn, location, args.execution_id)
    monitor = ExecutionMonitor(conn, location, args.execution_id, accounts=ctx.known_accounts())
    view = await monitor.snapshot()
    if args.json:
        ctx.print_json(view_json(view))
    else:
        _print_view(ctx, view)
    return EXIT_OK


async def _require_exists(conn: AwsConnection, location: BackendLocation, execution_id: str) -> None:
    if await BackendService(conn).read_execution(location.history_table, execution_id) is None:
        raise _NotInHistory(f"No execution {execution_id} in the history table {location.history_table}.",
                       "Check the ID with 'drs-console history list'.")


@_native_aware("native_resume")
async def cmd_resume(args: argparse.Namespace, ctx: CliContext) -> int:
    conn, location = await _connect(args, ctx)
    await _require_exists(conn, location, args.execution_id)
    ident = await conn.identity()
    record = await resume_run(conn, location, args.execution_id, resumed_by=ident.arn)
    record = await _wait_record(conn, location, args.execution_id, record,
                                lambda r: r.status is not ExecutionStatus.PAUSED, max(0.0, float(args.wait)))
    settled = record.status is not ExecutionStatus.PAUSED
    wave = next((w for w in reversed(record.waves) if w.status is not None and w.status is not ExecutionStatus.PENDING),
                None)
    if args.json:
        ctx.print_json({"executionId": args.execution_id, "status": record.raw_status, "resumed": settled,
                        "wave": (wave.index + 1) if wave else None, "waveStatus": wave.raw_status if wave else None})
    elif settled:
        at = f', wave {wave.index + 1} "{wave.name}" {wave.raw_status}' if wave else ""
        ctx.print(f"Resumed execution {args.execution_id} (now {record.raw_status}{at}).")
    else:
        ctx.print(f"Resume of {args.execution_id} sent, but after {args.wait:g} s its record still says "
                  f"{record.raw_status}: check with 'drs-console status {args.execution_id}'.")
    return EXIT_OK


async def _wait_record(conn: AwsConnection, location: BackendLocation, execution_id: str, record: c.ExecutionRecord,
                       done, seconds: float, poll: float = 0.5) -> c.ExecutionRecord:
    """Re-read the record until ``done(record)`` or ``seconds`` passed: report the state the change
    led to, never the one read before it took effect."""
    service = BackendService(conn)
    deadline = asyncio.get_running_loop().time() + seconds
    while not done(record) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(poll)
        fresh = await service.read_execution(location.history_table, execution_id)
        if fresh is not None:
            record = fresh
    return record


@_native_aware("native_cancel")
async def cmd_cancel(args: argparse.Namespace, ctx: CliContext) -> int:
    conn, location = await _connect(args, ctx)
    await _require_exists(conn, location, args.execution_id)
    ident = await conn.identity()
    result = await cancel_run(conn, location, args.execution_id, cancelled_by=ident.arn, wait=not args.no_wait,
                              grace=args.grace)
    status = result.record.raw_status
    if args.json:
        ctx.print_json({"executionId": args.execution_id, "before": result.status_before, "status": status,
                        "how": result.how})
    elif result.how == "already-ended":
        ctx.print(f"Execution {args.execution_id} had already ended {status}.")
    elif result.how == "requested":
        ctx.print(f"Cancellation of {args.execution_id} requested (now {status}).")
    else:
        ctx.print(f"Execution {args.execution_id}: {status} ({result.how}).")
        if result.record.is_drill:
            ctx.print(f"  Drill instances launched so far keep running: 'drs-console cleanup {args.execution_id}'.")
    return EXIT_OK


async def cmd_cleanup(args: argparse.Namespace, ctx: CliContext) -> int:
    if bool(args.execution_id) == bool(args.leftovers_of):
        raise BadInput("Give either EXECUTION_ID or --leftovers-of FILE.", "See 'drs-console cleanup --help'.")
    plan = _plan(args.leftovers_of) if args.leftovers_of else None
    if plan is None:
        return await _cleanup_execution(args, ctx)
    conn, location = await _connect(args, ctx)
    report = await run_preflight(conn, location, plan, override_target=True, accounts=ctx.known_accounts())
    job = await terminate_leftovers(conn, report.leftovers)
    args.execution_id = f"earlier drills of {plan.name!r}"
    return await _follow_cleanup(args, ctx, conn, job)


@_native_aware("native_cleanup_cmd")
async def _cleanup_execution(args: argparse.Namespace, ctx: CliContext) -> int:
    conn, location = await _connect(args, ctx)
    await _require_exists(conn, location, args.execution_id)
    return await _follow_cleanup(args, ctx, conn, await start_cleanup(conn, location, args.execution_id,
                                                                 accounts=ctx.known_accounts()))


async def _follow_cleanup(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, job) -> int:
    """Print the TERMINATE jobs' progress until they completed (every cleanup path)."""
    if job.nothing_to_do:
        if args.json:
            _jline(ctx, "cleanup", executionId=args.execution_id, jobIds=[], recoveryInstanceIds=[], done=True)
        else:
            ctx.print(f"Nothing to clean up: execution {args.execution_id} left no running drill instances.")
        return EXIT_OK
    if args.json:
        _jline(ctx, "cleanup", executionId=args.execution_id, jobIds=list(job.job_ids),
               recoveryInstanceIds=list(job.recovery_instance_ids), done=False,
               **({"jobs": [{"accountId": job.job_accounts.get(j) or None, "jobId": j} for j in job.job_ids]}
                  if any(job.job_accounts.values()) else {}))
    else:
        from ...domain.fields import job_text

        ctx.print(f"Terminating {plural(len(job.recovery_instance_ids), 'drill instance')} of {args.execution_id}: "
                  f"{noun(len(job.job_ids), 'job')} "
                  + ", ".join(job_text(j, job.job_accounts.get(j, "")) for j in job.job_ids))
    if args.no_follow:
        return EXIT_OK
    last = None
    async for progress in follow_cleanup(conn, job, poll=max(0.5, float(args.refresh))):
        last = progress
        if args.json:
            _jline(ctx, "cleanup-progress", jobIds=list(progress.job_ids), statuses=list(progress.statuses),
                   terminated=progress.terminated, failed=progress.failed, total=progress.total,
                   done=progress.done, instanceStates=progress.instance_states)
        else:
            ctx.print(f"{_stamp(args)} {progress.one_line()}")
    left = [rid for rid, st in (last.instance_states if last else {}).items() if st not in ("TERMINATED", "GONE")]
    if left:
        ctx.fail(f"{plural(len(left), 'instance')} {noun(len(left), 'is')} not terminated: {', '.join(left)}.")
        return EXIT_FAILED
    return EXIT_OK


async def cmd_report(args: argparse.Namespace, ctx: CliContext) -> int:
    if not args.html and not args.csv:
        raise BadInput("Nothing to write.", "Pass --html FILE and/or --csv FILE.")
    return await _report(args, ctx)


@_native_aware("native_report")
async def _report(args: argparse.Namespace, ctx: CliContext, monitor: ExecutionMonitor | None = None) -> int:
    if monitor is None:
        conn, location = await _connect(args, ctx)
        await _require_exists(conn, location, args.execution_id)
        monitor = ExecutionMonitor(conn, location, args.execution_id, accounts=ctx.known_accounts())
    view = await monitor.snapshot()
    events = monitor.events
    for path, text in ((args.html, report_html(view, events) if args.html else ""),
                       (args.csv, report_csv(view, events) if args.csv else "")):
        if path:
            try:
                atomic_write_text(Path(path), text)
            except OSError as exc:
                raise BadInput(f"Cannot write {path}: {exc.strerror or exc}.", "Choose a writable path.") from exc
            ctx.print(f"Wrote {path}")
    return EXIT_OK
