"""The CLI builds only the parser of the command it runs, and nobody can tell: every --help reads
exactly as with every command module loaded; --version and --help import neither boto3 nor Qt."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drs_console.cli.commands import ALL, COMMANDS
from drs_console.cli.main import build_parser, command_in, parse_command_line

ROOT = Path(__file__).resolve().parents[2]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    yield prefix
    sub = _subparsers(parser)
    if sub is not None:
        for name, child in sub.choices.items():
            yield from _command_paths(child, (*prefix, name))


def _help(argv: list[str], *, lazy: bool, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        if lazy:
            parse_command_line([*argv, "--help"])
        else:
            build_parser(ALL).parse_args([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_the_command_table_matches_what_the_modules_register():
    sub = _subparsers(build_parser(ALL))
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert list(registered) == list(COMMANDS)  # same commands, same order
    assert registered == {name: help_line for name, (_module, help_line) in COMMANDS.items()}


def test_every_help_text_is_the_same_as_with_every_module_loaded(capsys):
    paths = list(_command_paths(build_parser(ALL)))
    assert len(paths) > len(COMMANDS)  # sub-commands too
    for path in paths:
        assert _help(list(path), lazy=True, capsys=capsys) == _help(list(path), lazy=False, capsys=capsys), path


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        ([], None),
        (["--sandbox", "-v"], None),
        (["--region", "history", "status", "x"], "status"),  # a value that looks like a command
        (["--profile=run", "history", "list"], "history"),
        (["bogus"], ALL),  # the whole parser reports an unknown command
        (["--screenshot", "a.png", "--page", "plans"], None),
    ],
)
def test_the_command_is_found_past_the_global_options(argv, command):
    assert command_in(argv) == command


def test_a_command_parses_as_with_the_whole_parser():
    argv = ["--sandbox", "history", "list", "--json"]
    _parser, lazy = parse_command_line(argv)
    full = build_parser(ALL).parse_args(argv)
    assert {k: v for k, v in vars(lazy).items() if k != "func"} == {k: v for k, v in vars(full).items() if k != "func"}
    assert lazy.func.__qualname__ == full.func.__qualname__


@pytest.mark.parametrize("argv", [["--version"], ["--help"], []])
def test_version_help_and_the_gui_options_import_neither_boto3_nor_qt(argv):
    probe = (
        "import sys\n"
        "from drs_console.cli.main import parse_command_line\n"
        "try:\n"
        f"    parse_command_line({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'PySide6', 'qasync', 'asyncio',"
        " 'drs_console.store.cleanup') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
