"""A full garbage collection does not walk what lives as long as the process: once connected, the
session's clients and models (and everything made before) are out of the collector's sight, so a
gen2 collection during a 1,000-server drill takes milliseconds, not the 70-160 ms it stopped every
thread, the GUI's too, for."""

from __future__ import annotations

import gc

from drs_console.ui.gc_tuning import freeze_long_lived


class _Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector can free it


def _tracked(obj) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_at_a_freeze_are_not_walked_by_later_collections():
    before = _Node()
    freeze_long_lived("test")
    after = _Node()
    try:
        assert not _tracked(before)  # frozen: no collection walks it again
        assert _tracked(after)  # made later: collected as usual
        garbage = _Node()
        del garbage
        assert gc.collect() >= 1  # new cyclic garbage is still found
    finally:
        gc.unfreeze()


def test_connecting_freezes_what_the_connection_made(console, aloop):
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        aloop.run_until_complete(console.controller.connect(sandbox=True))
        client = console.controller.connection.client("drs")
        assert gc.get_freeze_count() > 0
        assert not _tracked(client)
    finally:
        gc.unfreeze()
