"""`drs-console sandbox serve`: the simulated AWS on 127.0.0.1 for other processes."""

from __future__ import annotations

import argparse

from ...aws.session import DEFAULT_REGION, drs_regions
from ...domain.errors import BadInput
from ..context import CliContext


def register(sub) -> None:
    p = sub.add_parser("sandbox", help="run the simulated AWS (moto + DRS simulator)")
    ssub = p.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = ssub.add_parser(
        "serve",
        help="serve the sandbox on 127.0.0.1 until Ctrl-C",
        description="Serve the simulated AWS (DRS simulator, Step Functions, DynamoDB, CloudFormation, "
        "STS) on 127.0.0.1 and print its endpoint. Stops cleanly on Ctrl-C. An operation the sandbox does "
        "not implement is answered as AWS answers an unknown operation (an SDK error, logged as one line); "
        "a request signed for a region that does not exist is refused as AWS refuses it.",
    )
    serve.add_argument(
        "--port", type=_port, default=0,
        help="port on 127.0.0.1, 1-65535 or 0 for a free one (default: a free one); it listens once "
        "the sandbox is ready, and GET /_sandbox/health then answers {\"ready\": true}",
    )
    serve.add_argument("--region", default=argparse.SUPPRESS,
                       help=f"the region the sandbox's DRS is in (default: --region before the command, else "
                            f"{DEFAULT_REGION}); a DRS region")
    serve.add_argument("--servers", type=_positive, default=60, help="source servers to seed (default 60)")
    serve.add_argument("--seed", type=int, default=7, help="seed for the generated data (default 7)")
    serve.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second (default 30)")
    serve.add_argument(
        "--history", type=_positive, default=0, help="past executions to seed in the history table (default 0)"
    )
    serve.add_argument(
        "--incident", type=_duration, metavar="DURATION",
        help="simulate an incident DURATION ago (2h, 90m, 1d): the sample plan's servers and every fourth "
        "replicating server are tagged drs-console:compromised=true since then, to recover them with "
        "'run --point-in-time' to before it (the in-process sandbox: $DRS_CONSOLE_SANDBOX_INCIDENT)")
    serve.add_argument(
        "--accounts", type=_accounts, default=3,
        help="accounts to serve: the hub plus N-1 target accounts, each with its own seeded DRS and a role "
        "the hub may assume (resources/backend/target-account.yaml); 1 to 10 (default 3)",
    )
    serve.set_defaults(func=serve_cmd)


def _duration(text: str):
    from ...domain.point_in_time import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number: use 1-65535, or 0 for a free one") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number: use 1-65535, or 0 for a free one")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _accounts(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of accounts: use 1 to 10") from None
    if not 1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{value} is out of range: use 1 (the hub alone) to 10")
    return value


def serve_region(text: str | None) -> str:
    """The region to serve: a region where DRS is offered (as in AWS), else BadInput (exit 2)."""
    region = (text or DEFAULT_REGION).strip()
    if region not in drs_regions():
        raise BadInput(
            f"The region {region!r} is not a region where Elastic Disaster Recovery is offered.",
            f"Choose a DRS region for the sandbox, for example --region {DEFAULT_REGION} or --region eu-west-1.",
        )
    return region


def serve_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...sandbox.serve import serve

    region = serve_region(getattr(args, "region", None))
    return serve(
        region=region,
        port=args.port,
        servers=args.servers,
        seed=args.seed,
        speed=args.speed,
        history=args.history,
        accounts=args.accounts,
        out=ctx.out,
        incident=args.incident,
    )
