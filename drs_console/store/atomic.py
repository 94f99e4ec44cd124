"""Crash-safe file writes: a temporary file in the same folder, flushed and fsynced, then renamed.

A reader sees either the old file or the new one, never a partial one. The original file is
never opened for writing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, backup_suffix: str | None = None) -> None:
    """Replace ``path`` with ``data`` atomically.

    With ``backup_suffix`` (for example ``".bak"``) the previous content is kept beside it,
    itself written atomically, before the new content replaces it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if backup_suffix and path.exists():
        previous = path.read_bytes()
        _replace(path.with_name(path.name + backup_suffix), previous)
    _replace(path, data)


def atomic_write_text(path: Path, text: str, *, backup_suffix: str | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), backup_suffix=backup_suffix)


def _replace(path: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


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
