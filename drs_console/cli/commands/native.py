"""The DRS native engine in the CLI: `retry-step`, `skip-step`, and the native side of `run`,
`preflight`, `status`, `cancel`, `resume` and `cleanup` (``cli/commands/run.py`` dispatches here for
a native execution: its ARN, or its ID with ``--engine native``, or an ID the history table does
not know)."""

from __future__ import annotations

import argparse
from typing import Any

from ...aws.engines import Capability, unsupported
from ...aws.engines.native import NativeEngine, is_native_ref
from ...aws.engines.native_plans import find_native_plan, linked_arn, mapping_for, native_steps
from ...aws.session import AwsConnection
from ...domain import point_in_time as pit
from ...domain.errors import BadInput, ConsoleError, ProblemKind
from ...domain.execution import Engine, ExecutionView
from ...domain.execution_json import view_json
from ...domain.native_mapping import TAG_PLAN_VERSION, drift, steps_from_api
from ...domain.native_point_in_time import PlanPoints
from ...domain.plan import Plan
from ...domain.wording import noun, plural
from ..context import CliContext

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ENGINES = (Engine.STEPFUNCTIONS.value, Engine.NATIVE.value)


def add_engine_arg(p: argparse.ArgumentParser, *, default_help: str) -> None:
    p.add_argument("--engine", choices=ENGINES, default=None,
                   help=f"stepfunctions (our deployed backend) or native (a DRS native recovery plan); {default_help}")


def register(sub) -> None:
    for name, verb, func in (("retry-step", "retry", cmd_retry_step), ("skip-step", "skip", cmd_skip_step)):
        p = sub.add_parser(
            name,
            help=f"{verb} a step of a DRS native execution",
            description=(
                "Retry a FAILED or TIMED_OUT server step of a DRS native execution "
                "(RetryRecoveryPlanExecutionStep: a new attempt for its servers that did not launch); the "
                "execution goes on from there." if verb == "retry" else
                "Skip a NOT_STARTED, FAILED or TIMED_OUT step of a DRS native execution "
                "(UpdateRecoveryPlanExecutionStep SKIPPED): its servers are not recovered; skipping a failed "
                "step resumes the execution at the next one. The Step Functions backend has no steps to skip."),
        )
        p.add_argument("execution_id", metavar="EXECUTION", help="the native execution's ARN or ID")
        p.add_argument("step", type=int, metavar="STEP", help="the step's number (1 = the first, as 'status' shows)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)


def native_conn(ctx: CliContext) -> AwsConnection:
    conn = ctx.connection()
    if ctx.sandbox:
        from .run import _sandbox_speed

        _sandbox_speed(ctx)
    return conn


async def native_target(args: argparse.Namespace, ctx: CliContext) -> tuple[AwsConnection, str] | None:
    """(connection, execution ARN) when ``args.execution_id`` names a native execution for sure:
    an ARN, or any ID with --engine native. None otherwise."""
    ref = str(getattr(args, "execution_id", "") or "")
    engine = getattr(args, "engine", None)
    if engine == Engine.STEPFUNCTIONS.value:
        return None
    if engine == Engine.NATIVE.value or is_native_ref(ref):
        conn = native_conn(ctx)
        return conn, await NativeEngine(conn).resolve(ref)
    return None


async def native_lookup(ctx: CliContext, ref: str) -> tuple[AwsConnection, str] | None:
    """A native execution with this ID, when the history table has none (None if there is none)."""
    conn = native_conn(ctx)
    try:
        return conn, await NativeEngine(conn).resolve(ref)
    except (BadInput, ConsoleError):
        return None


# -- printing --------------------------------------------------------------------------------------
def print_native_extra(ctx: CliContext, view: ExecutionView, events=()) -> None:
    """What a native view has besides the common lines: the plan, each step's jobs and the job log."""
    ctx.print(f"  engine: DRS native plan {view.recovery_plan_arn}"
              + (f" (native status {view.native_status})" if view.native_status else ""))
    for w in view.waves:
        extra = []
        if w.step_kind == "WAIT":
            extra.append(f"WAIT {w.wait_minutes} min")
        if w.job_ids:
            extra.append(f"{noun(len(w.job_ids), 'job')} {', '.join(w.job_ids)}")
        if w.attempt > 1:
            extra.append(f"attempt {w.attempt}")
        if extra:
            ctx.print(f"  step {w.index + 1} {w.name!r}: " + "; ".join(extra))
    if events:
        ctx.print(f"  job log ({plural(len(events), 'event')}, oldest first):")
        for e in sorted(events, key=lambda e: e.time):
            who = f" {e.server_name or e.source_server_id}" if e.source_server_id else ""
            ctx.print(f"    {e.time.strftime('%Y-%m-%d %H:%M:%S')} {e.event}{who}" + (f": {e.detail}" if e.detail else ""))


def _events_json(events) -> list[dict[str, Any]]:
    return [{"time": e.time.isoformat().replace("+00:00", "Z"), "event": e.event, "sourceServerId": e.source_server_id,
             "serverName": e.server_name, "detail": e.detail} for e in sorted(events, key=lambda e: e.time)]


# -- run, preflight ------------------------------------------------------------------------------------
async def native_preflight(ctx: CliContext, conn: AwsConnection, plan: Plan, *, as_json: bool,
                           require_published: bool, points: PlanPoints | None = None
                           ) -> tuple[int, dict[str, Any] | None]:
    """The native limits (the mapping), a point in time's per-server resolution (``points``: its
    BLOCKs block, its WARNs are shown) and, to run, the published plan and its drift. Prints them;
    returns (exit code, the native plan item)."""
    from ...aws.runs import plan_version

    # to run: a pause dropped when it was published is a warning (the published plan is what runs)
    mapping = await mapping_for(conn, plan, plan_version=plan_version(plan), drop_pauses=require_published)
    native = await find_native_plan(NativeEngine(conn).reader, plan.id, linked_arn(plan))
    differences: list[str] = []
    if native is not None:
        differences = drift(mapping.steps, steps_from_api(await native_steps(NativeEngine(conn).reader,
                                                                             native["recoveryPlanArn"])))
    problems = [p.line() for p in mapping.refused]
    if require_published and native is None:
        problems.append(f"BLOCK not published: {plan.name!r} has no DRS native plan in {conn.region}. "
                        "Publish it first: 'drs-console plan publish FILE'.")
    pit_blocks = [f"BLOCK {b.check}: {b.message} {b.remedy}".strip() for b in points.blocking()] if points else []
    problems.extend(pit_blocks)
    if require_published and differences:
        problems.append("BLOCK drift: the native plan differs from the library plan (" + "; ".join(differences)
                        + "). Publish it again: 'drs-console plan publish FILE'.")
    if as_json:
        ctx.print_json({"engine": "native", "mapping": mapping.to_json(),
                        "recoveryPlanArn": native["recoveryPlanArn"] if native else None,
                        "publishedVersion": (native.get("tags") or {}).get(TAG_PLAN_VERSION) if native else None,
                        "drift": differences, "blocking": problems,
                        **(points.to_json() if points is not None else {})})
    else:
        for line in mapping.lines():
            ctx.print(line)
        if native is not None:
            ctx.print(f"Published: {native['recoveryPlanArn']} (version "
                      f"{(native.get('tags') or {}).get(TAG_PLAN_VERSION, '?')})"
                      + (": drifted: " + "; ".join(differences) if differences else ", matches the plan"))
        for line in points.lines() if points is not None else ():
            ctx.print(line)
        for line in problems:
            if line.startswith("BLOCK") and line not in pit_blocks:  # those are in the checks above
                ctx.print(line)
    return (EXIT_USAGE if problems else EXIT_OK), native


async def native_points(conn: AwsConnection, plan: Plan, timed: dict[str, Any]) -> PlanPoints | None:
    """``run.point_in_time_options``' result resolved for the native engine (None: the latest data)."""
    if not timed:
        return None
    from ...aws.engines.native_points import resolve_plan_points

    return await resolve_plan_points(conn, plan, **timed)


async def native_run(args: argparse.Namespace, ctx: CliContext, plan: Plan, *, recovery: bool,
                     timed: dict[str, Any] | None = None) -> int:
    conn = native_conn(ctx)
    points = await native_points(conn, plan, timed or {})
    code, _native = await native_preflight(ctx, conn, plan, as_json=False,
                                           require_published=True, points=points)
    if code != EXIT_OK:
        ctx.fail("the plan cannot run on the DRS native engine (see above)")
        return code
    engine = NativeEngine(conn)
    started = await engine.start(plan, recovery=recovery, confirm=args.confirm, points=points)
    kind = "drill" if started.drill else "RECOVERY"
    if args.json:
        from .run import _jline

        _jline(ctx, "started", engine="native", executionId=started.execution_id, executionArn=started.execution_arn,
               executionType="DRILL" if started.drill else "RECOVERY", planId=plan.id, planName=plan.name,
               recoveryPlanArn=started.detail.get("recoveryPlanArn"),
               pointInTime=pit.iso(points.point_in_time) if points and points.point_in_time else None,
               pointInTimeWaves=pit.waves_json(points.resolutions) if points else [])
    else:
        when = f" to the point in time {points.point_in_time:%Y-%m-%d %H:%M:%S} UTC" \
            if points and points.point_in_time else (" to per-wave points in time" if points else "")
        ctx.print(f"Started {kind} of {plan.name!r} on the DRS native engine{when}: execution {started.execution_id}")
        ctx.print(f"  {started.execution_arn}")
    if not args.follow:
        return EXIT_OK
    return await native_follow(args, ctx, conn, started.execution_arn)


async def native_follow(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    from .run import _reconnect_factory, _watch

    opened: list[AwsConnection] = []
    monitor = NativeEngine(conn).monitor(arn, poll_interval=max(1.0, float(getattr(args, "refresh", 2.0))),
                                         reconnect=_reconnect_factory(conn.params, opened))
    try:
        return await _watch(ctx, args, conn, None, monitor.execution_id, arn, opened, monitor=monitor)
    finally:
        for extra in opened:
            extra.close()


# -- status, cancel, resume, cleanup ---------------------------------------------------------------------
async def native_status(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    if args.follow:
        return await native_follow(args, ctx, conn, arn)
    monitor = NativeEngine(conn).monitor(arn)
    view = await monitor.snapshot()
    if args.json:
        ctx.print_json({**view_json(view), "jobLog": _events_json(monitor.events)})
        return EXIT_OK
    from .run import _print_view

    _print_view(ctx, view)
    print_native_extra(ctx, view, monitor.events)
    return EXIT_OK


async def native_cancel(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    engine = NativeEngine(conn)
    before = await engine.read(arn)
    if before.is_terminal:
        view = before
        how = "already-ended"
    else:
        view = await engine.cancel(arn)
        how = "requested"
    status = view.native_status or (view.status.value if view.status else "?")
    if args.json:
        ctx.print_json({"executionId": view.execution_id, "engine": "native",
                        "before": before.status.value if before.status else None,
                        "status": view.status.value if view.status else None, "nativeStatus": status, "how": how})
    elif how == "already-ended":
        ctx.print(f"Execution {view.execution_id} had already ended {status}.")
    else:
        ctx.print(f"Cancellation of {view.execution_id} requested (now {status}): DRS starts no further step; a "
                  "step's job in flight runs to its end.")
        if view.is_drill:
            ctx.print(f"  Drill instances launched so far keep running: 'drs-console cleanup {view.execution_id}'.")
    return EXIT_OK


async def native_resume(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    raise unsupported(Engine.NATIVE, Capability.PAUSE_RESUME, "Resume")


async def native_cleanup_job(conn: AwsConnection, arn: str):
    """Terminate a finished native drill's recovery instances: the ``CleanupJob`` that 'cleanup'
    then follows as for a backend drill (the engine's own rules: drills only, ended only)."""
    return await NativeEngine(conn).start_cleanup(arn)


async def native_cleanup_cmd(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    from .run import _follow_cleanup

    return await _follow_cleanup(args, ctx, conn, await native_cleanup_job(conn, arn))


async def native_report(args: argparse.Namespace, ctx: CliContext, conn: AwsConnection, arn: str) -> int:
    from .run import _report

    return await _report.__wrapped__(args, ctx, NativeEngine(conn).monitor(arn))


# -- retry-step, skip-step -------------------------------------------------------------------------------
async def _step_command(args: argparse.Namespace, ctx: CliContext, verb: str) -> int:
    if is_native_ref(args.execution_id):
        conn = native_conn(ctx)
        arn = args.execution_id
    else:
        found = await native_lookup(ctx, args.execution_id)
        if found is None:
            raise BadInput(f"No DRS native execution {args.execution_id}: {verb}-step is for DRS native executions.",
                           "The Step Functions backend has no steps to "
                           f"{verb}; list native executions with 'drs-console history list --engine native'.")
        conn, arn = found
    engine = NativeEngine(conn)
    try:
        view = await (engine.retry_step(arn, args.step) if verb == "retry" else engine.skip_step(arn, args.step))
    except ConsoleError as exc:
        if exc.kind is ProblemKind.AWS_ERROR and "Conflict" in exc.message:
            raise BadInput(f"DRS refused to {verb} step {args.step}: {exc.message}",
                           f"Check the step with 'drs-console status {args.execution_id}'.") from exc
        raise
    wave = view.wave(args.step - 1)
    status = (wave.native_status or (wave.status.value if wave and wave.status else "?")) if wave else "?"
    if args.json:
        ctx.print_json({"executionId": view.execution_id, "step": args.step, "action": verb,
                        "stepStatus": status, "status": view.status.value if view.status else None})
    else:
        done = "Retrying" if verb == "retry" else "Skipped"
        ctx.print(f"{done} step {args.step} {wave.name if wave else ''!r} of {view.execution_id} (step now {status}, "
                  f"execution {view.native_status or (view.status.value if view.status else '?')}).")
    return EXIT_OK


async def cmd_retry_step(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _step_command(args, ctx, "retry")


async def cmd_skip_step(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _step_command(args, ctx, "skip")
