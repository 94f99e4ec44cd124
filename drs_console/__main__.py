"""Entry point: `drs-console` and `python -m drs_console`.

With a COMMAND it runs the headless CLI (which never imports Qt); without one it starts the
desktop console.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli.main import parse_command_line

    # Only the parser of the command named is built; --help and --version exit here, before
    # boto3 or Qt is imported.
    parser, args = parse_command_line(argv)
    if args.command is not None:
        if args.screenshot or args.page or args.list_pages:
            parser.error(
                "--screenshot, --page and --list-pages are for the desktop console, not with a COMMAND"
            )
        from .logsetup import configure_logging

        configure_logging(verbose=args.verbose, wire=args.debug_wire, to_file=False)
        from .cli.main import run_command

        return run_command(args)
    if args.list_pages:
        from .ui.app import list_pages

        print("\n".join(list_pages()))
        return 0
    from .ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
