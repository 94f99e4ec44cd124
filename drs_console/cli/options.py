"""Options several commands share, defined once so every command spells them the same way."""

from __future__ import annotations

import argparse

from ..domain.contract import DEFAULT_STACK_NAME


def add_backend_location(p: argparse.ArgumentParser, *, state_machine: bool = True) -> None:
    """Where the backend is: the stack's outputs, or explicit names."""
    g = p.add_argument_group("backend")
    g.add_argument(
        "--stack-name", "--stack", dest="stack_name", default=DEFAULT_STACK_NAME, metavar="NAME",
        help="backend stack whose outputs locate the backend (default: %(default)s)",
    )
    if state_machine:
        g.add_argument("--state-machine-arn", metavar="ARN", help="use this state machine instead of the stack's output")
    g.add_argument("--history-table", metavar="NAME", help="use this history table instead of the stack's output")
