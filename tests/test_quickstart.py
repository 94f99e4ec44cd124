"""The README's quick start works as typed on Debian/Ubuntu (PEP 668) and CI runs its test line."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)][:2]


def test_each_quick_start_line_installs_into_a_virtual_environment():
    run, test = quick_start_lines()
    for line in (run, test):
        assert line.startswith("python3 -m venv .venv && .venv/bin/python -m pip install -e ")
        assert " python3 -m pip" not in line  # refused by a system Python on Debian/Ubuntu
    assert run.endswith(".venv/bin/python -m drs_console --sandbox")
    assert test.endswith("QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_line_verbatim():
    _run, test = quick_start_lines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci
