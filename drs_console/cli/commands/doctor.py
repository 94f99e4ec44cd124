"""`drs-console doctor`: check the account, DRS, what is deployed against what this console ships,
and your permissions; `--fix` applies the remedies the console can apply and checks again."""

from __future__ import annotations

import argparse
import sys

from ...aws.deploy import deploy_backend
from ...aws.doctor import DoctorService, fixable, worst
from ...domain.errors import ConsoleError, Finding
from ...domain.wording import plural
from ..context import CliContext
from ..options import finite_number
from .backend import add_location_args


def register(sub) -> None:
    p = sub.add_parser(
        "doctor",
        help="check identity, DRS, the deployed backend against this console's, and permissions",
        description="Compares what is deployed (stack, template, definition, Tasks, role, table, recent runs) "
        "with what this console ships, checks each known account ('drs-console accounts': its role assumed, DRS "
        "initialized there, the state machine allowed to assume that role and trusted by it), runs a probe through a real DynamoDB and DRS read, and prints PASS, WARN "
        "or FAIL per check with one line saying what to do. Exit code 1 when any check FAILs. "
        "--fix applies the remedies the console can apply ('backend deploy', which repairs out-of-band changes "
        "and adds the known accounts' roles to TargetRoleArns) after asking, then checks again.",
    )
    add_location_args(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON (each failure listed)")
    p.add_argument("--probe-timeout", type=finite_number(1, 3600, "seconds"), default=60.0,
                   help="seconds to wait for the probe run")
    p.add_argument("--fix", action="store_true", help="apply the remedies the console can apply, then check again")
    p.add_argument("--yes", "-y", action="store_true", help="with --fix: do not ask for confirmation")
    p.set_defaults(func=doctor)


async def doctor(args: argparse.Namespace, ctx: CliContext) -> int:
    conn = ctx.connection()
    if ctx.sandbox or conn.params.is_sandbox:
        from ...sandbox import stepfunctions_compat

        stepfunctions_compat.apply()
    findings = await _run(args, ctx, conn)
    to_fix = fixable(findings) if args.fix else []
    fixed: dict = {}
    if to_fix:
        if not args.json:
            ctx.print(f"\n{plural(len(to_fix), 'finding')} can be repaired by 'backend deploy --stack-name {args.stack_name}'.")
        if not args.yes and not _confirm(ctx, "Deploy the backend now to repair them? [y/N] "):
            print("Nothing changed.", file=ctx.err)
        else:
            from ...domain.cross_account import state_machine_role

            # the known accounts' roles granted too (TargetRoleArns; none taken away): 'target-role' findings
            outcome = await deploy_backend(conn, args.stack_name, poll_seconds=0.2 if conn.params.is_sandbox else 5.0,
                                           add_target_roles=[state_machine_role(a) for a in ctx.known_accounts()])
            fixed = {"status": outcome.result.status, "repairs": outcome.repairs, "manual": outcome.manual}
            if not args.json:
                ctx.print(f"Deployed {args.stack_name}: {outcome.result.status}")
                for line in outcome.repairs:
                    ctx.print(f"  repaired: {line}")
                for line in outcome.manual:
                    ctx.print(f"  to do by hand: {line}")
                ctx.print("\nChecking again:")
            findings = await _run(args, ctx, conn)
    elif args.fix and not args.json:
        ctx.print("\nNothing the console can repair by itself.")
    overall = worst(findings)
    if args.json:
        doc = {"result": overall, "findings": [_as_json(f) for f in findings]}
        if fixed:
            doc["fix"] = fixed
        ctx.print_json(doc)
    return 1 if overall == "FAIL" else 0


async def _run(args: argparse.Namespace, ctx: CliContext, conn) -> list[Finding]:
    def show(f: Finding) -> None:
        if args.json:
            return
        remedy = f"  -> {f.remedy}" if f.remedy and f.level != "PASS" else ""
        ctx.print(f"{f.level:4}  {f.check:18} {f.message}{remedy}")
        details = getattr(f, "details", ())
        if f.level != "PASS":
            for line in details[:12]:
                ctx.print(f"{'':24}- {line}")
            if len(details) > 12:
                ctx.print(f"{'':24}  ({len(details) - 12} more: --json lists them all)")

    return await DoctorService(conn, probe_timeout=args.probe_timeout).run(
        args.stack_name,
        state_machine_arn=args.state_machine_arn,
        history_table=args.history_table,
        progress=show,
        accounts=ctx.known_accounts(),
        library_plans=_library_plans(ctx),
    )


def _library_plans(ctx: CliContext) -> list:
    """The plan library's readable plans (for the DRS native plans linked to them)."""
    from .plan import library_for

    library = library_for(ctx)
    plans = []
    for entry in library.list_entries(validator=lambda _plan: []):
        if entry.error is None:
            try:
                plans.append(library.open(entry.path).plan)
            except ConsoleError:
                continue
    return plans


def _as_json(f: Finding) -> dict:
    as_json = getattr(f, "as_json", None)
    if as_json:
        return as_json()
    return {"check": f.check, "level": f.level, "message": f.message, "remedy": f.remedy}


def _confirm(ctx: CliContext, prompt: str) -> bool:
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        print("Not asked (stdin is not a terminal): pass --yes to apply the fix.", file=ctx.err)
        return False
    ctx.out.write(prompt)
    ctx.out.flush()
    return stdin.readline().strip().lower() in ("y", "yes")
