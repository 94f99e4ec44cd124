"""A crash at any step of saving leaves the old file or the new one, never a broken one."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from drs_console.store.plan_io import plan_to_bytes, read_plan_file, write_plan_file
from drs_console.store.plans import PlanLibrary

from .plan_samples import sample_plan


class Crash(Exception):
    pass


class Steps:
    """Counts the file-system steps of a save and raises at step ``fail_at``."""

    def __init__(self, monkeypatch, fail_at: int | None):
        self.fail_at = fail_at
        self.count = 0
        self.log: list[str] = []
        real_fsync, real_replace, real_fdopen = os.fsync, os.replace, os.fdopen
        steps = self

        def fsync(fd):
            steps.step("fsync")
            return real_fsync(fd)

        def replace(src, dst):
            steps.step("replace")
            return real_replace(src, dst)

        class Writer:
            def __init__(self, fh):
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

            def write(self, data):
                if steps.fail_at == steps.count + 1:
                    self.fh.write(data[: len(data) // 2])  # a torn write, then the crash
                steps.step("write")
                return self.fh.write(data)

            def flush(self):
                steps.step("flush")
                return self.fh.flush()

            def fileno(self):
                return self.fh.fileno()

        def fdopen(fd, *args, **kwargs):
            return Writer(real_fdopen(fd, *args, **kwargs))

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "fdopen", fdopen)

    def step(self, name: str) -> None:
        self.count += 1
        self.log.append(name)
        if self.fail_at == self.count:
            raise Crash(f"crash at step {self.count} ({name})")


def count_steps(monkeypatch, save) -> int:
    with monkeypatch.context() as m:
        steps = Steps(m, None)
        save()
        return steps.count


@pytest.mark.parametrize("via_library", [False, True])
def test_crash_at_every_step(tmp_path, monkeypatch, via_library):
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(tmp_path / "home"))
    library = PlanLibrary()
    frozen = datetime(2024, 7, 1, tzinfo=UTC)
    monkeypatch.setattr("drs_console.store.plans.utc_now", lambda: frozen)  # saves stamp modified_at
    path = library.folder / "payments.json"
    old_plan = sample_plan("Old")
    new_plan = sample_plan("New")

    library.folder.mkdir(parents=True)

    def reset():
        for p in library.folder.iterdir():
            p.unlink()
        write_plan_file(path, old_plan, backup=False)
        return path.read_bytes()

    def save():
        if via_library:
            library.save(new_plan.copy(), path)
        else:
            write_plan_file(path, new_plan, backup=True)

    old = reset()
    total = count_steps(monkeypatch, save)
    new = path.read_bytes()
    assert old != new and read_plan_file(path).plan.name == "New"
    assert (
        total >= 8
    )  # two atomic replaces (.bak, then the file): write, flush, fsync, replace, dir fsync ...

    seen = set()
    for k in range(1, total + 1):
        reset()
        with monkeypatch.context() as m:
            steps = Steps(m, k)
            try:
                save()
                crashed = False
            except Crash:
                crashed = True
        content = path.read_bytes()
        assert content in (old, new), f"broken file after a crash at step {k} {steps.log}"
        assert read_plan_file(path).plan.name in ("Old", "New")
        if crashed and content == old:
            seen.add("old")
        else:
            seen.add("new")
        bak = path.with_name(path.name + ".bak")
        if content == new:  # the .bak is replaced before the file: the new file always has one
            assert bak.exists(), f"no .bak next to the new file after a crash at step {k}"
        if bak.exists():
            assert bak.read_bytes() == old  # the backup is complete too
        leftovers = [p.name for p in library.folder.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == [], f"temporary files left after step {k}"
    assert seen == {"old", "new"}


def test_save_keeps_previous_version_as_bak(tmp_path):
    path = tmp_path / "p.json"
    write_plan_file(path, sample_plan("One"))
    assert not path.with_name("p.json.bak").exists()
    one = path.read_bytes()
    write_plan_file(path, sample_plan("Two"))
    assert path.with_name("p.json.bak").read_bytes() == one
    assert path.read_bytes() == plan_to_bytes(sample_plan("Two"))
