"""Garbage collection that does not stall the GUI.

A full (generation 2) collection walks every object the process holds – boto3's service models,
Qt's wrappers, every module loaded – and while it runs no thread runs: in a 1,000-server drill
each one stopped the GUI for 70–160 ms, three or four times a run (measured by
``tests/perf/test_monitor_gui_perf.py`` with ``DRS_PERF_ATTRIBUTE=1``). What exists once the
window is up and once a connection is made lives as long as the process, so it is moved out of
the collector's sight (``gc.freeze()``): a full collection then walks only what was made since
(the executions being watched), a few milliseconds. Reference counting still frees frozen
objects; only a cycle among them that becomes garbage is kept (a few, on a reconnect)."""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_long_lived(why: str) -> None:
    """Move every object alive now out of the collector's generations (constant time; not
    ``gc.get_freeze_count()``, which walks them all: ~90 ms on the GUI thread after connecting)."""
    gc.freeze()
    log.debug("gc: long-lived objects frozen (%s)", why)
