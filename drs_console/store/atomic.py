"""Crash-safe file writes: a temporary file in the same folder, flushed and fsynced, then renamed.

A reader sees either the old file or the new one, never a partial one. The original file is
never opened for writing. Replacing a file keeps its permission bits (a new file is private,
0600), and a symbolic link is written through: its target is replaced, the link stays a link.

The temporary is named ``.<name>.<8 random characters>.tmp``; a crash can leave one behind,
and ``remove_stale_temporaries`` (run at the next start) deletes those of that naming.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# tempfile.mkstemp's names: prefix + 8 characters of [a-z0-9_] + suffix
_OUR_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + r"$")
STALE_AFTER_SECONDS = 60.0  # no write of ours takes that long; a younger one may be in progress


def write_target(path: Path) -> Path:
    """Where writing ``path`` really goes: the final target of a symbolic link, else ``path``."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def atomic_write_bytes(path: Path, data: bytes, *, backup_suffix: str | None = None) -> None:
    """Replace ``path`` with ``data`` atomically.

    With ``backup_suffix`` (for example ``".bak"``) the previous content is kept beside it,
    itself written atomically, before the new content replaces it.
    """
    path = write_target(Path(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if backup_suffix and path.exists():
        previous = path.read_bytes()
        _replace(path.with_name(path.name + backup_suffix), previous)
    _replace(path, data)


def atomic_write_text(path: Path, text: str, *, backup_suffix: str | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), backup_suffix=backup_suffix)


def _replace(path: Path, data: bytes) -> None:
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: mkstemp's 0600
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def remove_stale_temporaries(folder: Path, *, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Delete the temporaries a crashed write of ours left in ``folder`` (regular files named
    like ours, untouched for ``older_than`` seconds); returns what was deleted. Never follows a
    link, never raises."""
    removed: list[Path] = []
    now = time.time()
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not _OUR_TEMPORARY.match(name):
            continue
        path = Path(folder) / name
        try:
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= older_than:
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
    return removed


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
