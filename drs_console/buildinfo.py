"""Version, git commit and build date of this console, the same in a frozen build as in its source.

* version: the package metadata (``importlib.metadata``; a frozen build carries the dist-info);
* commit and build date: ``drs_console/_build_info.json``, written by the packaging build
  (packaging/drs-console.spec) into the bundle; without it (running from source) ``git`` is
  asked when the package lives in a git checkout; otherwise "unknown".

Pure Python, no Qt, no boto3; git is asked at most once per process and only on demand (never at
startup), so ``--version`` and the About dialog pay for it, nothing else.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import __version__

BUILD_INFO_FILE = "_build_info.json"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class BuildInfo:
    version: str
    commit: str
    build_date: str
    source: str  # "bundle" (from _build_info.json), "git" (a source checkout) or "unknown"

    def version_line(self) -> str:
        return f"drs-console {self.version} (commit {self.commit}, built {self.build_date})"


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


def _from_file(path: Path) -> BuildInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return BuildInfo(
        version=__version__,
        commit=str(data.get("commit") or UNKNOWN),
        build_date=str(data.get("build_date") or UNKNOWN),
        source="bundle",
    )


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def git_commit(root: Path | None = None) -> str | None:
    """The short commit of the checkout the package lives in, or None outside git."""
    root = root or _package_dir().parent
    if not (root / ".git").exists():
        return None
    return _git(root, "rev-parse", "--short=12", "HEAD")


def git_commit_date(root: Path | None = None) -> str | None:
    root = root or _package_dir().parent
    if not (root / ".git").exists():
        return None
    return _git(root, "show", "-s", "--format=%cs", "HEAD")


@cache
def build_info() -> BuildInfo:
    bundled = _from_file(_package_dir() / BUILD_INFO_FILE)
    if bundled is not None:
        return bundled
    root = _package_dir().parent
    if (root / ".git").exists():
        # One git process for both (each costs --version as much as the rest of it).
        out = _git(root, "log", "-1", "--abbrev=12", "--format=%h %cs")
        commit, _sep, date = (out or "").partition(" ")
        if commit:
            # From source there is no build: the date is the commit's (what a build of it would carry).
            return BuildInfo(__version__, commit, date or UNKNOWN, "git")
    return BuildInfo(__version__, UNKNOWN, UNKNOWN, UNKNOWN)


def version_line() -> str:
    return build_info().version_line()
