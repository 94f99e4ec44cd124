"""Crash-safe file writes: a temporary file in the same folder, flushed and fsynced, then renamed.

A reader sees either the old file or the new one, never a partial one. The original file is
never opened for writing. Replacing a file keeps its permission bits (a new file is private,
0600), and a symbolic link is written through: its target is replaced, the link stays a link.

Every atomic write of ours (plans, autosaves, settings, the inventory cache, exported reports)
goes through ``_replace``, so there is one naming scheme for temporaries: ``.<name>.<8 random
characters of [a-z0-9_]>.tmp`` beside the file ``<name>`` being written. A crash can leave one
behind; ``remove_stale_temporaries`` deletes those of exactly that naming, once they are older
than ``STALE_AFTER_SECONDS`` (a younger one may be another running instance's write in
progress). store/cleanup.py runs it at every start over the folders of the app's home.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import stat
import tempfile
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# tempfile.mkstemp's names: prefix "." + <name> + "." then 8 characters of [a-z0-9_], then the suffix
_OUR_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + r"$", re.DOTALL)
# A write in progress touches its temporary at creation and with every write; even a large plan on
# a slow or stalled network folder is done well within this. A leftover younger than this waits for
# a later start.
STALE_AFTER_SECONDS = 600.0


def is_our_temporary(name: str, targets: tuple[str, ...] | None = None) -> bool:
    """Whether ``name`` is of our temporaries' naming; with ``targets`` (name patterns such as
    ``"*.json"``), only a temporary of a file matching one of them."""
    match = _OUR_TEMPORARY.match(name)
    if match is None:
        return False
    return targets is None or any(fnmatch.fnmatchcase(match["target"], t) for t in targets)


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


def remove_stale_temporaries(
    folder: Path,
    *,
    older_than: float = STALE_AFTER_SECONDS,
    targets: tuple[str, ...] | None = None,
    max_entries: int | None = None,
) -> list[Path]:
    """Delete the temporaries a crashed write of ours left in ``folder``: regular files of our
    naming (see ``is_our_temporary``; ``targets`` narrows it to temporaries of those files),
    untouched for ``older_than`` seconds. Reads at most ``max_entries`` names of the folder
    (None: all). Returns what was deleted. Not recursive, never follows a link, never raises."""
    removed: list[Path] = []
    now = time.time()
    try:
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries, 1):
                if max_entries is not None and count > max_entries:
                    break
                if not is_our_temporary(entry.name, targets):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= older_than:
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
                except OSError:
                    continue
    except OSError:
        pass
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
