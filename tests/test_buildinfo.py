"""drs_console.buildinfo: the version, commit and build date shown by --version and About."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from drs_console import __version__, buildinfo

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_file_wins(tmp_path):
    path = tmp_path / buildinfo.BUILD_INFO_FILE
    path.write_text(json.dumps({"commit": "abc123def456", "build_date": "2026-01-02 03:04 UTC"}))
    info = buildinfo._from_file(path)
    assert info == buildinfo.BuildInfo(__version__, "abc123def456", "2026-01-02 03:04 UTC", "bundle")
    assert (
        info.version_line() == f"drs-console {__version__} (commit abc123def456, built 2026-01-02 03:04 UTC)"
    )


def test_unreadable_or_odd_file_is_ignored(tmp_path):
    assert buildinfo._from_file(tmp_path / "missing.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert buildinfo._from_file(bad) is None
    bad.write_text("{not json")
    assert buildinfo._from_file(bad) is None


def test_git_outside_a_checkout_is_none(tmp_path):
    assert buildinfo.git_commit(tmp_path) is None
    assert buildinfo.git_commit_date(tmp_path) is None


def _head() -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_version_flag_prints_version_and_commit():
    before = _head()  # others may commit meanwhile: accept HEAD from before or after
    out = subprocess.run(
        [sys.executable, "-m", "drs_console", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    after = _head()
    assert out.returncode == 0, out.stderr
    m = re.fullmatch(r"drs-console (\S+) \(commit (\S+), built (.+)\)\n", out.stdout)
    assert m, out.stdout
    assert m.group(1) == __version__
    in_checkout = (ROOT / ".git").exists() and not (ROOT / "drs_console" / buildinfo.BUILD_INFO_FILE).exists()
    if in_checkout and before:
        assert m.group(2) in {before, after}
