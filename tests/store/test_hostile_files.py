"""Files that are not plans, never end, or flood the parser; mode and links (crash leftovers:
test_stale_temporaries.py)."""

from __future__ import annotations

import os
import stat
import threading
import time
import tracemalloc

import pytest

from drs_console.store import plan_io
from drs_console.store.atomic import atomic_write_bytes
from drs_console.store.plan_io import PlanFileError, read_plan_file

from .plan_samples import sample_bytes, sample_plan


@pytest.fixture
def hanging_reads(monkeypatch):
    """Every read of a file named never-ends.json blocks, like /proc/kmsg or a stalled share."""
    release = threading.Event()
    real = plan_io._read_regular
    monkeypatch.setattr(plan_io, "READ_TIME_LIMIT", 0.3)
    stalled: list[str] = []  # one entry per read of never-ends.json that was started

    def read(path, source):
        if path.name == "never-ends.json":
            stalled.append(str(path))
            release.wait(30)
        return real(path, source)

    monkeypatch.setattr(plan_io, "_read_regular", read)
    yield stalled
    release.set()


def test_every_non_plan_file_is_listed_unreadable_with_its_reason(library, hanging_reads):
    folder = library.folder
    (folder / "good.json").write_bytes(sample_bytes())
    (folder / "folder.json").mkdir()
    os.mkfifo(folder / "fifo.json")
    (folder / "to-fifo.json").symlink_to(folder / "fifo.json")
    (folder / "device.json").symlink_to("/dev/zero")
    (folder / "dangling.json").symlink_to(folder / "gone.json")
    (folder / "loop-a.json").symlink_to(folder / "loop-b.json")
    (folder / "loop-b.json").symlink_to(folder / "loop-a.json")
    (folder / "never-ends.json").write_bytes(sample_bytes())
    started = time.monotonic()
    entries = {e.path.name: e for e in library.list_entries()}
    assert time.monotonic() - started < 3  # nothing blocks on a FIFO, a device or a stalled read
    assert entries["good.json"].ok
    reasons = {name: e.error for name, e in entries.items() if not e.ok}
    assert "is a folder" in reasons["folder.json"]
    assert "named pipe (FIFO)" in reasons["fifo.json"] and "named pipe (FIFO)" in reasons["to-fifo.json"]
    assert "is a device" in reasons["device.json"]
    assert "symbolic link to" in reasons["dangling.json"] and "does not exist" in reasons["dangling.json"]
    assert "loops" in reasons["loop-a.json"] and "loops" in reasons["loop-b.json"]
    assert "did not finish within 0.3 s" in reasons["never-ends.json"]
    assert len(entries) == 9
    # a second listing does not wait for the stalled file again (it has not changed): it reads it
    # no more, and still lists it unreadable
    assert len(hanging_reads) == 1
    again = {e.path.name: e for e in library.list_entries()}
    assert len(hanging_reads) == 1
    assert "did not finish within 0.3 s" in again["never-ends.json"].error


def test_validate_of_a_never_ending_file_returns(library, hanging_reads):
    path = library.folder / "never-ends.json"
    path.write_bytes(sample_bytes())
    with pytest.raises(PlanFileError, match="never-ending or stalled"):
        read_plan_file(path)


@pytest.mark.parametrize(
    "flood, words",
    [
        (b"[" + b"{}," * 7_000_000 + b"{}]", "objects and lists"),  # 21 MB of {} objects
        (b'{"waves": [' + b"1," * 9_000_000 + b"1]}", "values"),
        (b"[" * 9_000_000, "objects and lists"),
    ],
    ids=["objects", "values", "nesting"],
)
def test_floods_are_refused_fast_and_small(library, flood, words):
    flood = flood[: plan_io.MAX_FILE_BYTES]
    path = library.folder / "flood.json"
    path.write_bytes(flood)
    # fast: the CPU time it takes (the process's, so that other programs on a loaded machine do not
    # count); parsing the whole flood takes seconds
    started = time.process_time()
    with pytest.raises(PlanFileError, match=words):
        read_plan_file(path)
    assert time.process_time() - started < 0.5
    tracemalloc.start()
    try:
        with pytest.raises(PlanFileError):
            read_plan_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, peak


def test_a_large_legitimate_plan_still_reads(library):
    from drs_console.domain.plan import ServerRef

    plan = sample_plan()
    plan.add_servers(0, [ServerRef(f"s-{i:017x}", f"host-{i}") for i in range(2, 4002)])
    library.save(plan)
    [entry] = library.list_entries()
    assert entry.ok and entry.server_count == 4001


def test_saving_keeps_the_file_mode_and_writes_through_a_symlink(library, tmp_path):
    elsewhere = tmp_path / "shared" / "payments.json"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(sample_bytes())
    os.chmod(elsewhere, 0o644)
    link = library.folder / "payments.json"
    link.symlink_to(elsewhere)
    plan = library.open(link).plan
    plan.rename("Payments v2")
    library.save(plan, link)
    assert link.is_symlink() and os.readlink(link) == str(elsewhere)
    assert read_plan_file(elsewhere).plan.name == "Payments v2"
    assert stat.S_IMODE(os.stat(elsewhere).st_mode) == 0o644
    assert (elsewhere.parent / "payments.json.bak").exists()  # the backup is beside the target
    assert not any(p.name.endswith(".tmp") for p in (*library.folder.iterdir(), *elsewhere.parent.iterdir()))
    plain = tmp_path / "plain.json"
    atomic_write_bytes(plain, b"1")
    os.chmod(plain, 0o640)
    atomic_write_bytes(plain, b"2")
    assert stat.S_IMODE(os.stat(plain).st_mode) == 0o640 and plain.read_bytes() == b"2"
