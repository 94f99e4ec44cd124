"""`drs-console --list-pages`: the page names, without starting the event loop or connecting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_list_pages_prints_page_keys(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DRS_CONSOLE_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "drs_console", "--list-pages"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    pages = out.stdout.split()
    assert pages[0] == "inventory"
    assert len(pages) == len(set(pages))
    assert not list(tmp_path.rglob("settings*")), "--list-pages must not write settings"


def test_list_pages_is_not_for_commands():
    out = subprocess.run(
        [sys.executable, "-m", "drs_console", "--list-pages", "inventory"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--list-pages" in out.stderr
