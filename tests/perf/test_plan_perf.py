"""Open, validate and render a 2,000-server, 20-wave plan; prints the times.

QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_plan_perf.py -m perf -s
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.status import ReplicationState
from drs_console.domain.validation import validate
from drs_console.store.plans import PlanLibrary

SERVERS, WAVES = 2000, 20


def _inventory() -> InventorySnapshot:
    servers = tuple(
        SourceServer(
            source_server_id=f"s-{i:017x}",
            hostname=f"host-{i:04d}",
            instance_id=f"i-{i:017x}",
            account_id="111122223333",
            origin_region="us-east-2",
            replication_state=ReplicationState.CONTINUOUS if i % 50 else ReplicationState.BACKLOG,
            tags={"Name": f"host-{i:04d}", "Application": f"app{i % 40}", "Tier": ("db", "app", "web")[i % 3]},
        )
        for i in range(SERVERS)
    )
    return InventorySnapshot("123456789012", "us-east-1", datetime.now(UTC), servers)


@pytest.mark.perf
def test_open_validate_render_a_large_plan(tmp_path, qtbot):
    from drs_console.ui.inventory_state import InventoryState
    from drs_console.ui.plan_editor import PlanEditor

    inventory = _inventory()
    plan = Plan.new("Big plan", target_account_id="123456789012", target_region="us-east-1",
                    wave_names=[f"Wave {w + 1}" for w in range(WAVES)])
    per = SERVERS // WAVES
    for w in range(WAVES):
        plan.add_servers(w, [ServerRef.from_server(s) for s in inventory.servers[w * per:(w + 1) * per]])
    library = PlanLibrary(tmp_path / "plans")
    path = library.save(plan)

    t0 = time.perf_counter()
    loaded = library.open(path)
    t_open = time.perf_counter() - t0

    t0 = time.perf_counter()
    problems = validate(loaded.plan, inventory, inventory_fresh=True,
                        connected_account="123456789012", connected_region="us-east-1")
    t_validate = time.perf_counter() - t0

    state = InventoryState()
    state.set(inventory, fresh=True)
    t0 = time.perf_counter()
    editor = PlanEditor(loaded.plan, path=path, library=library, inventory=state)
    qtbot.addWidget(editor)
    editor.resize(1280, 760)
    editor.show()
    qtbot.waitExposed(editor)
    editor.grab()
    t_render = time.perf_counter() - t0

    t0 = time.perf_counter()
    editor.select_wave(WAVES - 1)
    editor.grab()
    t_switch = time.perf_counter() - t0

    t0 = time.perf_counter()
    editor.server_table.selectRow(0)
    editor.move_servers(WAVES - 1, editor.selected_server_ids(), 0, None)
    editor.run_validation()
    t_edit = time.perf_counter() - t0

    print(f"\n{SERVERS}-server, {WAVES}-wave plan ({path.stat().st_size / 1024:.0f} KiB file):")
    print(f"  open (read, parse, check):      {t_open * 1000:7.1f} ms")
    print(f"  validate ({len(problems)} problems):        {t_validate * 1000:7.1f} ms")
    print(f"  render the editor (first paint): {t_render * 1000:7.1f} ms")
    print(f"  switch to the last wave:         {t_switch * 1000:7.1f} ms")
    print(f"  move a server + revalidate:      {t_edit * 1000:7.1f} ms")
    editor.close_editor()
    assert loaded.plan.explicit_server_count() == SERVERS
