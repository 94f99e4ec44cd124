"""`drs-console sandbox serve`: the simulated AWS on 127.0.0.1 for other processes."""

from __future__ import annotations

import argparse

from ..context import CliContext


def register(sub) -> None:
    p = sub.add_parser("sandbox", help="run the simulated AWS (moto + DRS simulator)")
    ssub = p.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = ssub.add_parser(
        "serve",
        help="serve the sandbox on 127.0.0.1 until Ctrl-C",
        description="Serve the simulated AWS (DRS simulator, Step Functions, DynamoDB, CloudFormation, "
        "STS) on 127.0.0.1 and print its endpoint. Stops cleanly on Ctrl-C.",
    )
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--servers", type=_positive, default=60, help="source servers to seed (default 60)")
    serve.add_argument("--seed", type=int, default=7, help="seed for the generated data (default 7)")
    serve.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second (default 30)")
    serve.add_argument(
        "--history", type=_positive, default=0, help="past executions to seed in the history table (default 0)"
    )
    serve.set_defaults(func=serve_cmd)


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def serve_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...sandbox.serve import serve

    return serve(
        port=args.port,
        servers=args.servers,
        seed=args.seed,
        speed=args.speed,
        history=args.history,
        out=ctx.out,
    )
