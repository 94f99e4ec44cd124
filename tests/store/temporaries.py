"""Leftovers of crashed saves under an app home, and files that only look like them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from drs_console.store.paths import AppPaths

LONG_AGO = 3600.0  # seconds: well past the staleness threshold


@dataclass
class Leftovers:
    stale: list[Path]  # crash leftovers of ours: removed at the next start
    kept: list[Path]  # a save in progress and the user's own files: never touched

    def assert_cleaned(self) -> None:
        assert [p for p in self.stale if os.path.lexists(p)] == []
        assert [p for p in self.kept if not os.path.lexists(p)] == []


def _touch(path: Path, *, age: float, data: bytes = b"x" * 64) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def leave_crash_leftovers(paths: AppPaths) -> Leftovers:
    """What a crash mid-save leaves in the settings folder, the inventory cache and the plan
    library (with its autosaves), beside a fresh temporary and look-alikes that are not ours."""
    lib, cache, config = paths.plan_library, paths.inventory_cache_dir, paths.config_dir
    stale = [
        _touch(config / ".settings.json.k2x9_p0q.tmp", age=LONG_AGO),
        _touch(cache / ".123456789012-us-east-1.json.a1b2c3d4.tmp", age=LONG_AGO),
        _touch(lib / ".payments-5b0c7f3e.json.zz_09xyq.tmp", age=LONG_AGO),
        _touch(lib / ".payments-5b0c7f3e.json.bak.0m1n2b3v.tmp", age=LONG_AGO),  # of the backup
        _touch(lib / ".recovery" / ".5b0c7f3e-0000-4000-8000-000000000000.json.qwertyui.tmp", age=LONG_AGO),
        _touch(paths.sandbox_plan_library / ".sample-payments.json.s4ndb0x_.tmp", age=LONG_AGO),
    ]
    kept = [
        # another running instance's save in progress: younger than the threshold
        _touch(config / ".settings.json.q9w8e7r6.tmp", age=5),
        _touch(lib / ".payments-5b0c7f3e.json.q9w8e7r6.tmp", age=5),
        # the user's own files, old, named like ours but not of our naming or not for our files
        _touch(lib / "notes.tmp", age=LONG_AGO),
        _touch(lib / ".hidden.tmp", age=LONG_AGO),
        _touch(lib / "payments.json.a1b2c3d4.tmp", age=LONG_AGO),  # no leading dot
        _touch(lib / ".payments.json.A1B2C3D4.tmp", age=LONG_AGO),  # upper case: not mkstemp's
        _touch(lib / ".payments.json.a1b2c3d.tmp", age=LONG_AGO),  # 7 characters
        _touch(lib / ".payments.json.a1b2c3d4.tmp.keep", age=LONG_AGO),
        _touch(lib / ".notes.txt.a1b2c3d4.tmp", age=LONG_AGO),  # not a file we write
        _touch(config / ".bashrc.a1b2c3d4.tmp", age=LONG_AGO),
        _touch(cache / "inventory.json", age=LONG_AGO),
    ]
    # a folder and a link named like ours: never removed (nor followed)
    folder = lib / ".plan.json.d1r2e3c4.tmp"
    folder.mkdir()
    target = _touch(lib.parent / "elsewhere.json", age=LONG_AGO)
    link = lib / ".plan.json.l1n2k3s4.tmp"
    link.symlink_to(target)
    os.utime(link, (time.time() - LONG_AGO,) * 2, follow_symlinks=False)
    kept += [folder, link, target]
    return Leftovers(stale, kept)
