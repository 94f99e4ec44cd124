"""Start-up cleanup: the temporaries that crashed writes of ours left under the app's home.

Run at every start: by the desktop console on a thread of its own (never the GUI thread) and by
the CLI before its command (never for ``--help`` or ``--version``, which exit while parsing).
Only files of our temporaries' naming (store/atomic.py) for the files we write there (``*.json``
and their ``*.json.bak``) are deleted, only once older than ``STALE_AFTER_SECONDS``: a younger
one may be another running instance's save in progress. Everything else, a user's own files
included, is left alone.

Bounded: a fixed set of folders (``AppPaths.written_folders``), none read recursively, and with
``max_entries`` at most that many names read in each (the CLI's budget: a few milliseconds even
beside a library of thousands of plans; the desktop console reads them all).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from .atomic import STALE_AFTER_SECONDS, remove_stale_temporaries
from .paths import AppPaths, app_paths

log = logging.getLogger(__name__)

OUR_TARGETS = ("*.json", "*.json.bak")  # what store/ writes under the app's home
CLI_MAX_ENTRIES = 2000  # names read per folder by the CLI at start


def remove_stale_app_temporaries(
    paths: AppPaths | None = None,
    *,
    also: Iterable[Path] = (),
    older_than: float = STALE_AFTER_SECONDS,
    max_entries: int | None = None,
) -> list[Path]:
    """Delete stale temporaries of ours in every folder the app writes to (``paths``, default
    ``app_paths()``), and in the folders ``also`` names (a library opened from elsewhere).
    Returns what was deleted; never raises."""
    try:
        folders = list((paths or app_paths()).written_folders)
    except Exception as exc:  # noqa: BLE001 - a start-up chore must never stop a start
        log.debug("no app folders to clean: %s", exc)
        folders = []
    for folder in also:
        if Path(folder) not in folders:
            folders.append(Path(folder))
    removed: list[Path] = []
    for folder in folders:
        removed += remove_stale_temporaries(
            folder, older_than=older_than, targets=OUR_TARGETS, max_entries=max_entries
        )
    if removed:
        log.info("removed %d stale temporar%s left by an interrupted save: %s",
                 len(removed), "y" if len(removed) == 1 else "ies", ", ".join(str(p) for p in removed))
    return removed
