"""Property-based tests: any plan round-trips, validation never raises, duplicates are reported."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.validation import DUPLICATE_CODES, resolve_plan, validate

from .plan_strategies import SERVER_IDS, inventories, plans

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(plans())
def test_round_trip_to_dict_from_dict(plan):
    data = plan.to_dict()
    assert Plan.from_dict(data) == plan
    # through real JSON text as well, and the key order is stable
    text = json.dumps(data, ensure_ascii=False)
    again = Plan.from_dict(json.loads(text))
    assert again == plan
    assert json.dumps(again.to_dict(), ensure_ascii=False) == text


@SETTINGS
@given(
    plans(),
    st.one_of(st.none(), inventories()),
    st.booleans(),
    st.sampled_from([None, "123456789012"]),
    st.sampled_from([None, "us-east-1"]),
    st.sampled_from([None, 0, 1, 3, 500]),
)
def test_validate_never_raises(plan, inventory, fresh, account, region, quota):
    problems = validate(
        plan,
        inventory,
        inventory_fresh=fresh,
        connected_account=account,
        connected_region=region,
        job_quota=quota,
    )
    for p in problems:
        assert p.render()  # renders too
        assert p.message


@SETTINGS
@given(plans())
def test_every_duplicated_explicit_server_is_reported(plan):
    problems = validate(plan, None)
    reported = {p.location.server_id for p in problems if p.code in DUPLICATE_CODES}
    counts = Counter(sid for w in plan.waves for sid in w.server_ids())
    duplicated = {sid for sid, n in counts.items() if n > 1}
    assert duplicated <= reported
    assert reported <= duplicated


@SETTINGS
@given(plans(), inventories())
def test_every_server_resolved_into_two_waves_is_reported(plan, inventory):
    """Selectors resolved against an inventory of the plan's target: any server that ends up in
    two waves (explicitly, by selector, or both) is reported."""
    inventory = dataclasses.replace(inventory, account_id=plan.target_account_id, region=plan.target_region)
    problems = validate(plan, inventory, inventory_fresh=True)
    reported = {p.location.server_id for p in problems if p.code in DUPLICATE_CODES}
    resolved = resolve_plan(plan, inventory.servers)
    counts = Counter(sid for rw in resolved for sid in rw.server_ids)
    repeated = {sid for rw in resolved for sid in rw.repeated}
    expected = {sid for sid, n in counts.items() if n > 1} | repeated
    assert expected == reported


@SETTINGS
@given(plans(max_waves=4), st.data())
def test_mutations_are_reversible(plan, data):
    """Each mutation's return value is enough to undo it exactly."""
    original = plan.copy()
    events = []
    plan.subscribe(events.append)
    n = len(plan.waves)
    op = data.draw(
        st.sampled_from(["add_wave", "remove_wave", "move_wave", "rename", "option", "add", "remove", "move"])
    )
    if op == "add_wave":
        idx = data.draw(st.integers(0, n))
        at = plan.add_wave(idx, Wave(name="new"))
        plan.remove_wave(at)
    elif n == 0:
        return
    elif op == "remove_wave":
        idx = data.draw(st.integers(0, n - 1))
        wave = plan.remove_wave(idx)
        plan.add_wave(idx, wave)
    elif op == "move_wave":
        src, dst = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        plan.move_wave(src, dst)
        plan.move_wave(dst, src)
    elif op == "rename":
        idx = data.draw(st.integers(0, n - 1))
        old = plan.rename_wave(idx, "renamed")
        plan.rename_wave(idx, old)
    elif op == "option":
        idx = data.draw(st.integers(0, n - 1))
        old = plan.set_wave_option(idx, "timeout_minutes", 77)
        plan.set_wave_option(idx, "timeout_minutes", old)
    elif op == "add":
        idx = data.draw(st.integers(0, n - 1))
        pos = data.draw(st.integers(0, len(plan.waves[idx].servers)))
        ids = data.draw(st.lists(st.sampled_from(SERVER_IDS), max_size=4, unique=True))
        if len(set(plan.waves[idx].server_ids())) != len(plan.waves[idx].servers):
            return  # a wave read from a file may repeat a server; add/remove by ID is not exact then
        positions = plan.add_servers(idx, [ServerRef(s) for s in ids], pos)
        added = [plan.waves[idx].servers[p].source_server_id for p in positions]
        plan.remove_servers(idx, added)
    elif op == "remove":
        idx = data.draw(st.integers(0, n - 1))
        ids = data.draw(st.lists(st.sampled_from(SERVER_IDS), max_size=4))
        if len(set(plan.waves[idx].server_ids())) != len(plan.waves[idx].servers):
            return
        removed = plan.remove_servers(idx, ids)
        plan.insert_servers_at(idx, removed)
    else:
        src, dst = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        ids = data.draw(st.lists(st.sampled_from(SERVER_IDS), max_size=4))
        pos = data.draw(st.one_of(st.none(), st.integers(0, len(plan.waves[dst].servers))))
        for w in (plan.waves[src], plan.waves[dst]):
            if len(set(w.server_ids())) != len(w.servers):
                return
        try:
            move = plan.move_servers(src, ids, dst, pos)
        except ValueError:
            assert plan == original  # refused moves change nothing
            return
        plan.undo_move_servers(move)
    assert plan == original
