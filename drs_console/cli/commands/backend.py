"""`drs-console backend deploy|status`: the Step Functions backend stack."""

from __future__ import annotations

import argparse

from ...aws.backend import BackendService, StackEvent
from ...aws.deploy import deploy_backend
from ...domain import contract as c
from ..context import CliContext
from ..options import add_backend_location

add_location_args = add_backend_location


def register(sub) -> None:
    p = sub.add_parser("backend", help="deploy or inspect the Step Functions backend")
    bsub = p.add_subparsers(dest="backend_command", metavar="ACTION", required=True)
    d = bsub.add_parser(
        "deploy",
        help="create or update the backend stack (change set), repairing out-of-band changes",
        description="Deploy resources/backend/template.yaml with the state machine definition inlined, through "
        "a change set. When the deployed state machine, its role or the history table differ from the template "
        "although the template did not change (edited outside CloudFormation), it forces the state machine "
        "update inside the change set and puts the role's policies, a deleted role, the table's index and TTL "
        "back, saying what it changed. It refuses to replace a backend newer than this console unless "
        "--allow-downgrade is given.",
    )
    d.add_argument("--stack-name", default=c.DEFAULT_STACK_NAME, help="stack name (default: %(default)s)")
    d.add_argument("--allow-downgrade", action="store_true",
                   help="replace a backend that implements a newer contract than this console")
    d.add_argument("--target-role", action="append", metavar="ROLE_ARN", dest="target_roles",
                   help="a target account's role (target-account.yaml) the state machine may assume to recover "
                   "that account's servers; repeat for each account. Default: the roles known accounts use "
                   "('drs-console accounts'); --target-role none: no target account")
    d.add_argument("--json", action="store_true", help="print the result as JSON")
    d.set_defaults(func=deploy)
    s = bsub.add_parser(
        "status",
        help="show the backend stack, its outputs and contract version",
        description="Show the backend stack, its status, its outputs and the contract version its state "
        "machine declares. Exit code 3 when the stack does not exist.",
    )
    add_location_args(s)
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=status)


def _prepare(ctx: CliContext):
    conn = ctx.connection()
    if ctx.sandbox or conn.params.is_sandbox:
        from ...sandbox import stepfunctions_compat

        stepfunctions_compat.apply()
    return conn


def _target_roles(args: argparse.Namespace, ctx: CliContext) -> list[str] | None:
    """The roles the state machine may assume: --target-role, else those of the known accounts
    (None: none known, the stack keeps what it has)."""
    from ...domain.accounts import ROLE_ARN
    from ...domain.cross_account import state_machine_role
    from ...domain.errors import BadInput

    given = [r for arg in args.target_roles or [] for r in arg.split(",") if r.strip()]
    if [r.lower() for r in given] == ["none"]:
        return []
    for role in given:
        if not ROLE_ARN.fullmatch(role.strip()):
            raise BadInput(f"--target-role {role!r} is not an IAM role ARN.",
                           "Give the target account's role ARN: arn:aws:iam::ACCOUNT:role/drs-console-target.")
    if given:
        return [r.strip() for r in given]
    known = [state_machine_role(a) for a in ctx.known_accounts()]
    return known or None


async def deploy(args: argparse.Namespace, ctx: CliContext) -> int:
    conn = _prepare(ctx)

    def progress(ev: StackEvent) -> None:
        if not args.json:
            ctx.print(ev.one_line())

    outcome = await deploy_backend(
        conn, args.stack_name, allow_downgrade=args.allow_downgrade, progress=progress,
        poll_seconds=0.2 if conn.params.is_sandbox else 5.0, target_roles=_target_roles(args, ctx),
    )
    result = outcome.result
    if args.json:
        ctx.print_json(
            {
                "stackName": result.stack_name,
                "status": result.status,
                "changed": result.changed,
                "ok": outcome.ok,
                "outputs": dict(result.outputs),
                "repairs": outcome.repairs,
                "manual": outcome.manual,
                "failures": [
                    {"resource": f.logical_id, "type": f.resource_type, "status": f.status, "reason": f.reason}
                    for f in result.failures
                ],
            }
        )
        return 0 if outcome.ok else 1
    if not result.changed:
        ctx.print(f"Stack {result.stack_name} is up to date ({result.status}).")
    for line in outcome.repairs:
        ctx.print(f"Repaired: {line}")
    if result.ok:
        ctx.print(f"Stack {result.stack_name}: {result.status}")
        for key, value in result.outputs.items():
            ctx.print(f"  {key}: {value}")
    else:
        ctx.print(f"Deployment of {result.stack_name} failed: {result.status}")
        for f in result.failures:
            ctx.print(f"  {f.logical_id} ({f.resource_type}): {f.status} - {f.reason}")
    for line in outcome.manual:
        ctx.print(f"Not repaired, do this by hand: {line}")
    return 0 if outcome.ok else 1


async def status(args: argparse.Namespace, ctx: CliContext) -> int:
    service = BackendService(_prepare(ctx))
    info = await service.stack(args.stack_name)
    loc = await service.locate(
        args.stack_name, state_machine_arn=args.state_machine_arn, history_table=args.history_table
    )
    doc = {
        "stackName": args.stack_name,
        "stackStatus": info.status if info else None,
        "outputs": dict(info.outputs) if info else {},
        "stateMachineArn": loc.state_machine_arn,
        "historyTable": loc.history_table,
        "contractVersion": loc.contract_version or None,
        "consoleContractVersion": c.CONTRACT_VERSION,
    }
    if args.json:
        ctx.print_json(doc)
    else:
        ctx.print(f"Stack:          {args.stack_name} ({doc['stackStatus'] or 'not found'})")
        ctx.print(f"State machine:  {loc.state_machine_arn}")
        ctx.print(f"History table:  {loc.history_table}")
        ctx.print(f"Contract:       {loc.contract_version or '?'} (console speaks {c.CONTRACT_VERSION})")
    ok = info is None or info.is_usable
    return 0 if ok and (not loc.contract_version or loc.contract_version == c.CONTRACT_VERSION) else 1
