"""Options several commands share, defined once so every command spells them the same way."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ..domain.contract import DEFAULT_STACK_NAME
from ..domain.history import parse_since, parse_until


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


# --- argument types: a value out of range is a usage error (exit 2) that says the range -------

MAX_DAYS_BACK = 36_500  # 100 years: further back than any DRS history


def finite_number(low: float, high: float, unit: str) -> Callable[[str], float]:
    """An argparse type: a finite number in low..high (nan, inf and overflows are refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: use {low:g} to {high:g} {unit}")
        return value

    parse.__name__ = "number"  # argparse names the type in its messages
    return parse


days_back = finite_number(0, MAX_DAYS_BACK, "days")
seconds_up_to_an_hour = finite_number(0, 3600, "seconds")
seconds_up_to_a_day = finite_number(0, 86_400, "seconds")


def _point_in_time(parse: Callable[[str, datetime], datetime]) -> Callable[[str], str]:
    """An argparse type for --since/--until: a duration (30m, 24h, 7d, 2w) or a date, at most
    MAX_DAYS_BACK days back and representable (9999-12-31 plus a day is not)."""

    def check(text: str) -> str:
        now = datetime.now(UTC)
        try:
            when: datetime | None = parse(text, now)
        except ValueError:
            return text  # not a duration or date: the command says so, with what to type
        except OverflowError:
            when = None
        if when is None or now - when > timedelta(days=MAX_DAYS_BACK):
            raise argparse.ArgumentTypeError(
                f"{text!r} is out of range: go back at most {MAX_DAYS_BACK} days (like 24h, 7d, 2w or 2024-05-01)"
            )
        return text

    check.__name__ = "duration or date"
    return check


since_type = _point_in_time(parse_since)
until_type = _point_in_time(parse_until)
