"""The next desktop start removes what a crashed save left under the app's home (and in a
library opened from elsewhere), on a thread of its own: a stalled folder never holds the window."""

from __future__ import annotations

import os
import threading

from drs_console.store import cleanup
from drs_console.store.paths import app_paths
from drs_console.store.plans import PlanLibrary
from drs_console.store.settings import Settings
from drs_console.ui.app import ConsoleApp
from tests.store.temporaries import leave_crash_leftovers


def test_the_next_start_removes_stale_temporaries_off_the_gui_thread(qtbot, aloop, tmp_path, monkeypatch):
    leftovers = leave_crash_leftovers(app_paths())
    elsewhere = PlanLibrary(tmp_path / "team-share")
    stale_elsewhere = elsewhere.folder / ".payments.json.abcdefgh.tmp"
    stale_elsewhere.parent.mkdir(parents=True)
    stale_elsewhere.write_bytes(b"{")
    os.utime(stale_elsewhere, (0, 0))
    gate, threads = threading.Event(), set()
    real = cleanup.remove_stale_temporaries

    def stalled(folder, **kw):  # every folder is on a share that does not answer, for now
        threads.add(threading.current_thread())
        gate.wait(10)
        return real(folder, **kw)

    monkeypatch.setattr(cleanup, "remove_stale_temporaries", stalled)
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False, library=elsewhere)
    qtbot.addWidget(console.window)
    try:
        assert console.cleanup.is_alive()  # the window is built, the cleanup still waits
        assert all(p.exists() for p in leftovers.stale) and stale_elsewhere.exists()
        gate.set()
        console.cleanup.join(10)
        leftovers.assert_cleaned()
        assert not stale_elsewhere.exists()
        assert threading.main_thread() not in threads and threads == {console.cleanup}
    finally:
        gate.set()
        console.shutdown()
