"""Argument parsing and dispatch for the headless CLI.

Start-up: the parser is built for the command being run only (``parse_command_line``), and this
module imports neither boto3 (through ``context``) nor asyncio until a command runs, so
``--version``, ``--help`` and the desktop console's own options cost no more than argparse.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ..domain.errors import ConsoleError
from .commands import ALL, COMMANDS, register_commands

if TYPE_CHECKING:
    from .context import CliContext

EXIT_OK = 0
EXIT_FAILED = 1  # the operation ran and its result is a failure (an execution that did not complete)
EXIT_USAGE = 2  # bad usage or input
EXIT_AWS = 3  # AWS refused or was unreachable
EXIT_PIPE = 128 + 13  # the reader of stdout went away (`| head`): what a shell reports for SIGPIPE

EPILOG = """\
exit codes: 0 success; 1 the operation ran but its result is a failure; 2 bad usage or input;
3 AWS refused or unreachable (one line on stderr says why and what to do);
141 the reader of the output went away (e.g. '| head'), quietly, as for SIGPIPE.

Without a COMMAND, drs-console starts the desktop console."""


class _VersionAction(argparse.Action):
    """--version: version, git commit and build date (drs_console.buildinfo), asked only when used."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..buildinfo import version_line

        print(version_line())
        parser.exit()


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The whole parser (``ALL``), or with only ``command``'s module registered (None: none)."""
    parser = argparse.ArgumentParser(
        prog="drs-console",
        description="Operator console for AWS Elastic Disaster Recovery (DRS).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="show the version, git commit and build date, then exit"
    )
    conn = parser.add_argument_group("connection")
    conn.add_argument("--profile", help="AWS profile (default: $AWS_PROFILE or the default chain)")
    conn.add_argument("--region", help="AWS region (default: the profile's region or $AWS_REGION)")
    conn.add_argument("--endpoint-url", help="custom endpoint for every AWS service")
    conn.add_argument(
        "--sandbox",
        action="store_true",
        help="use the in-process simulated AWS (moto + DRS simulator); no AWS account needed",
    )
    gui = parser.add_argument_group("desktop console")
    gui.add_argument("--screenshot", metavar="PATH", help="render a page to a PNG and exit")
    gui.add_argument("--page", metavar="NAME", help="page to open (or to render with --screenshot)")
    gui.add_argument("--list-pages", action="store_true", help="print the page names, one a line, and exit")
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="log debug output to stderr, one line per AWS call (credentials are always redacted)",
    )
    parser.add_argument(
        "--debug-wire", action="store_true",
        help="also log botocore's wire dump of every AWS request and response (implies -v); "
        "it may print payloads",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_commands(sub, command)
    return parser


def command_in(argv: list[str]) -> str | None:
    """The COMMAND ``argv`` names (its first positional), ALL when it names an unknown one (the
    whole parser then reports it), None without one."""
    takes_value = _global_options_with_value()
    args = iter(argv)
    for arg in args:
        if arg == "--":
            arg = next(args, None)
            return None if arg is None else arg if arg in COMMANDS else ALL
        if arg.startswith("-") and arg != "-":
            if "=" not in arg and arg in takes_value:
                next(args, None)
            continue
        return arg if arg in COMMANDS else ALL
    return None


def _global_options_with_value() -> set[str]:
    parser = build_parser(None)
    return {o for a in parser._actions if a.nargs != 0 for o in a.option_strings}


def parse_command_line(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse ``argv`` with a parser holding only the command it names (``--help`` and ``--version``
    print and exit here)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_in(argv))
    return parser, parser.parse_args(argv)


def run_command(args: argparse.Namespace, ctx: CliContext | None = None) -> int:
    import asyncio

    from ..store.cleanup import CLI_MAX_ENTRIES, remove_stale_app_temporaries
    from .context import CliContext

    # what a crashed save left under the app's home (a bounded scan: a few milliseconds)
    remove_stale_app_temporaries(max_entries=CLI_MAX_ENTRIES)
    ctx = ctx or CliContext(
        profile=args.profile, region=args.region, endpoint_url=args.endpoint_url, sandbox=args.sandbox
    )
    try:
        result = args.func(args, ctx)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        ctx.out.flush()  # a reader that went away is noticed here, not in the interpreter's last flush
        return int(result or 0)
    except ConsoleError as exc:
        ctx.fail(exc.one_line())
        return EXIT_AWS if exc.is_aws_side else EXIT_USAGE
    except KeyboardInterrupt:
        ctx.fail("interrupted")
        return 130
    except BrokenPipeError:
        _silence_stdout(ctx)
        return EXIT_PIPE
    finally:
        ctx.close()


def _silence_stdout(ctx: CliContext) -> None:
    """The reader of stdout closed it (`drs-console ... | head -1`): say nothing more there, and
    let nothing (the interpreter's final flush included) try to write to it again."""
    if ctx.out is not sys.stdout:
        return  # output to somewhere else (a test's StringIO): nothing to redirect
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    _parser, args = parse_command_line(argv)
    if args.verbose or args.debug_wire:
        from ..logsetup import configure_logging

        configure_logging(verbose=args.verbose, wire=args.debug_wire, to_file=False)
    if args.command is None:
        return EXIT_USAGE
    return run_command(args)
