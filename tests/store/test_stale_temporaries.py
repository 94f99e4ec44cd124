"""Crash leftovers: every atomic write of ours names its temporary one way, and the start-up
cleanup removes exactly those, once stale, in every folder the app writes to; settings and the
inventory cache keep the file's mode and write through a symlink, like plans."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.status import ReplicationState
from drs_console.store import atomic
from drs_console.store.cleanup import remove_stale_app_temporaries
from drs_console.store.inventory_cache import InventoryCache
from drs_console.store.paths import app_paths
from drs_console.store.plans import PlanLibrary
from drs_console.store.sandbox_plans import sandbox_library
from drs_console.store.settings import Settings, load_settings, save_settings

from .plan_samples import sample_plan
from .temporaries import LONG_AGO, leave_crash_leftovers

ACCOUNT, REGION = "123456789012", "us-east-1"


def _snapshot(name: str = "web-1") -> InventorySnapshot:
    server = SourceServer(
        source_server_id="s-0123456789abcdef0", hostname=name, replication_state=ReplicationState.CONTINUOUS
    )
    return InventorySnapshot(ACCOUNT, REGION, datetime(2026, 1, 2, tzinfo=UTC), (server,))


def test_stale_temporaries_of_ours_go_everything_else_stays():
    paths = app_paths()
    leftovers = leave_crash_leftovers(paths)
    removed = remove_stale_app_temporaries()
    assert sorted(removed) == sorted(leftovers.stale)
    leftovers.assert_cleaned()
    assert remove_stale_app_temporaries() == []  # nothing left to do


def test_a_library_opened_from_elsewhere_is_cleaned_too(tmp_path):
    library = PlanLibrary(tmp_path / "team-share")
    stale = library.recovery_dir / ".5b0c7f3e.json.abcdefgh.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"{")
    os.utime(stale, (0, 0))
    assert remove_stale_app_temporaries(also=library.written_folders) == [stale]


def _nothing():
    return None


def _saved_plan():
    library = PlanLibrary()
    return library, library.save(sample_plan())


WRITES = {  # what each write needs first, then the write
    "settings": (_nothing, lambda _: save_settings(Settings(region="eu-west-1"))),
    "inventory cache": (_nothing, lambda _: InventoryCache().save(_snapshot())),
    "new plan": (PlanLibrary, lambda library: library.save(sample_plan())),
    # a plan saved again writes its backup first, then the plan
    "plan and its backup": (_saved_plan, lambda saved: saved[0].save(saved[0].open(saved[1]).plan, saved[1])),
    "autosave": (PlanLibrary, lambda library: library.autosave(sample_plan())),
    "sandbox plan": (sandbox_library, lambda library: library.save(sample_plan())),
}


@pytest.mark.parametrize("what", list(WRITES))
def test_every_write_of_ours_leaves_only_what_the_cleanup_removes(what, monkeypatch):
    """A crash between writing the temporary and the rename (here: the rename never happens)
    leaves a temporary of our naming in a folder the cleanup looks at, which removes it once stale."""
    prepare, write = WRITES[what]
    before = prepare()
    written: list[str] = []
    with monkeypatch.context() as patched:
        patched.setattr(atomic.os, "replace", lambda src, dst: written.append(src))
        write(before)
    assert written
    if what == "plan and its backup":
        assert [".json.bak." in os.path.basename(n) for n in written] == [True, False]
    for name in written:
        os.utime(name, (os.path.getmtime(name) - LONG_AGO,) * 2)
    assert {os.path.dirname(n) for n in written} <= {str(f) for f in app_paths().written_folders}
    assert sorted(remove_stale_app_temporaries()) == sorted(Path(n) for n in written)


def test_a_fresh_temporary_is_kept_until_it_is_stale():
    paths = app_paths()
    paths.config_dir.mkdir(parents=True)
    fresh = paths.config_dir / ".settings.json.abcdefgh.tmp"
    fresh.write_bytes(b"{")
    os.utime(fresh, (fresh.stat().st_mtime - atomic.STALE_AFTER_SECONDS + 30,) * 2)
    assert remove_stale_app_temporaries() == [] and fresh.exists()
    os.utime(fresh, (fresh.stat().st_mtime - 60,) * 2)
    assert remove_stale_app_temporaries() == [fresh]


def _linked(target_dir, real_name, link_path, mode):
    target = target_dir / real_name
    target_dir.mkdir(parents=True, exist_ok=True)
    target.write_text("{}")
    os.chmod(target, mode)
    link_path.parent.mkdir(parents=True, exist_ok=True)
    link_path.symlink_to(target)
    return target


def test_saving_settings_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    path = app_paths().settings_file
    target = _linked(tmp_path / "dotfiles", "drs-settings.json", path, 0o644)
    save_settings(Settings(region="eu-west-1"))
    assert path.is_symlink() and os.readlink(path) == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert load_settings().region == "eu-west-1"
    assert sorted(p.name for p in target.parent.iterdir()) == ["drs-settings.json"]  # no temporary left
    plain = tmp_path / "plain.json"
    save_settings(Settings(), plain)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600  # a new file is private
    os.chmod(plain, 0o640)
    save_settings(Settings(region="us-west-2"), plain)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o640 and load_settings(plain).region == "us-west-2"


def test_saving_the_inventory_cache_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    cache = InventoryCache()
    path = cache.folder / f"{ACCOUNT}-{REGION}.json"
    target = _linked(tmp_path / "shared-cache", "inventory.json", path, 0o664)
    cache.save(_snapshot("web-2"))
    assert path.is_symlink() and os.readlink(path) == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert cache.load(ACCOUNT, REGION).servers[0].hostname == "web-2"
    assert sorted(p.name for p in target.parent.iterdir()) == ["inventory.json"]
