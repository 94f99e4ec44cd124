"""`drs-console doctor`: check the account, DRS, the backend and your permissions."""

from __future__ import annotations

import argparse

from ...aws.doctor import DoctorService, worst
from ...domain.errors import Finding
from ..context import CliContext
from ..options import finite_number
from .backend import add_location_args


def register(sub) -> None:
    p = sub.add_parser(
        "doctor",
        help="check identity, DRS, the backend (probe run) and permissions",
        description="Each check prints PASS, WARN or FAIL with one line saying what to do. "
        "Exit code 1 when any check FAILs.",
    )
    add_location_args(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--probe-timeout", type=finite_number(1, 3600, "seconds"), default=60.0, help="seconds to wait for the probe run")
    p.set_defaults(func=doctor)


async def doctor(args: argparse.Namespace, ctx: CliContext) -> int:
    conn = ctx.connection()
    if ctx.sandbox:
        from ...sandbox import stepfunctions_compat

        stepfunctions_compat.apply()

    def show(f: Finding) -> None:
        if not args.json:
            remedy = f"  -> {f.remedy}" if f.remedy and f.level != "PASS" else ""
            ctx.print(f"{f.level:4}  {f.check:18} {f.message}{remedy}")

    findings = await DoctorService(conn, probe_timeout=args.probe_timeout).run(
        args.stack_name,
        state_machine_arn=args.state_machine_arn,
        history_table=args.history_table,
        progress=show,
    )
    overall = worst(findings)
    if args.json:
        ctx.print_json(
            {
                "result": overall,
                "findings": [
                    {"check": f.check, "level": f.level, "message": f.message, "remedy": f.remedy}
                    for f in findings
                ],
            }
        )
    return 1 if overall == "FAIL" else 0
