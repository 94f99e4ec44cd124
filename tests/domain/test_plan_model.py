from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drs_console.domain.inventory import SourceServer
from drs_console.domain.plan import (
    SCHEMA_VERSION,
    ChangeKind,
    FailurePolicy,
    Plan,
    PlanFormatError,
    ServerRef,
    Wave,
)
from drs_console.domain.status import ReplicationState


def refs(*ids: str) -> list[ServerRef]:
    return [ServerRef(i, name=f"host-{i}") for i in ids]


@pytest.fixture
def plan() -> Plan:
    p = Plan.new(
        "Payments",
        target_account_id="123456789012",
        target_region="us-east-1",
        wave_names=["DB", "App", "Web"],
    )
    p.add_servers(0, refs("s-1", "s-2"))
    p.add_servers(1, refs("s-3", "s-4", "s-5"))
    return p


def test_new_plan_defaults():
    p = Plan.new("X")
    assert p.schema_version == SCHEMA_VERSION
    assert p.failure_policy is FailurePolicy.STOP_ON_FAILURE
    assert p.created_at.tzinfo is not None and p.created_at == p.modified_at
    assert len(p.id) == 36


def test_listeners_get_precise_changes(plan):
    events = []
    unsubscribe = plan.subscribe(events.append)
    plan.rename("Payments v2")
    plan.add_wave(1, Wave(name="Cache"))
    plan.move_wave(1, 3)
    plan.set_wave_option(0, "pause_before", True)
    plan.add_servers(0, refs("s-9"), 0)
    plan.remove_servers(1, ["s-4"])
    plan.move_servers(1, ["s-3"], 0)
    kinds = [e.kind for e in events]
    assert kinds == [
        ChangeKind.PLAN_ATTRIBUTE,
        ChangeKind.WAVE_INSERTED,
        ChangeKind.WAVE_MOVED,
        ChangeKind.WAVE_CHANGED,
        ChangeKind.SERVERS_INSERTED,
        ChangeKind.SERVERS_REMOVED,
        ChangeKind.SERVERS_REORDERED,
        ChangeKind.SERVERS_REORDERED,
    ]
    assert events[0].field == "name"
    assert (events[2].wave_index, events[2].dst_index) == (1, 3)
    assert events[4].positions == (0,) and events[4].server_ids == ("s-9",)
    assert events[5].positions == (1,)
    unsubscribe()
    plan.rename("again")
    assert len(events) == 8


def test_wave_undo_round_trips(plan):
    before = plan.copy()
    wave = plan.remove_wave(1)
    assert [w.name for w in plan.waves] == ["DB", "Web"]
    plan.add_wave(1, wave)
    assert plan == before
    plan.move_wave(0, 2)
    assert [w.name for w in plan.waves] == ["App", "Web", "DB"]
    plan.move_wave(2, 0)
    assert plan == before
    old = plan.rename_wave(2, "Frontend")
    plan.rename_wave(2, old)
    old = plan.set_selector(2, "Tier=web")
    assert old is None and plan.waves[2].selector == "Tier=web"
    plan.set_selector(2, old)
    old = plan.set_attribute("failure_policy", "CONTINUE")
    assert plan.failure_policy is FailurePolicy.CONTINUE
    plan.set_attribute("failure_policy", old)
    old = plan.set_attribute("tags", {"Owner": "dr"})
    plan.set_attribute("tags", old)
    assert plan == before


def test_server_edits_and_their_undo(plan):
    before = plan.copy()
    assert plan.add_servers(0, refs("s-2", "s-7"), 1) == [1]  # s-2 already there: skipped
    assert plan.waves[0].server_ids() == ["s-1", "s-7", "s-2"]
    plan.remove_servers(0, ["s-7"])
    assert plan == before
    removed = plan.remove_servers(1, ["s-5", "s-3", "nope"])
    assert [(p, r.source_server_id) for p, r in removed] == [(0, "s-3"), (2, "s-5")]
    plan.insert_servers_at(1, removed)
    assert plan == before


def test_move_servers_between_and_within_waves(plan):
    before = plan.copy()
    move = plan.move_servers(1, ["s-5", "s-3"], 0, 1)
    assert plan.waves[0].server_ids() == ["s-1", "s-3", "s-5", "s-2"]
    assert plan.waves[1].server_ids() == ["s-4"]
    plan.undo_move_servers(move)
    assert plan == before
    # within one wave, position is a row before the move (drop-row semantics)
    move = plan.move_servers(1, ["s-3"], 1, 3)
    assert plan.waves[1].server_ids() == ["s-4", "s-5", "s-3"]
    plan.undo_move_servers(move)
    assert plan == before
    move = plan.move_servers(1, ["s-5"], 1, 0)
    assert plan.waves[1].server_ids() == ["s-5", "s-3", "s-4"]
    plan.undo_move_servers(move)
    assert plan == before


def test_refused_edits_change_nothing(plan):
    before = plan.copy()
    plan.add_servers(2, refs("s-1"))
    with pytest.raises(ValueError, match="already in wave 3"):
        plan.move_servers(0, ["s-1"], 2)
    plan.remove_servers(2, ["s-1"])
    with pytest.raises(IndexError):
        plan.remove_wave(7)
    with pytest.raises(IndexError):
        plan.add_servers(0, refs("s-8"), 99)
    with pytest.raises(ValueError):
        plan.set_wave_option(0, "colour", "red")
    with pytest.raises(TypeError):
        plan.set_wave_option(0, "timeout_minutes", "10")
    with pytest.raises(ValueError, match="longer than"):
        plan.rename("x" * 1000)
    with pytest.raises(ValueError):
        plan.add_wave(0, Wave(name="dup", id=plan.waves[0].id))
    with pytest.raises(ValueError):
        plan.set_attribute("failure_policy", "SOMETIMES")
    assert plan == before


def test_copy_and_duplicate_do_not_share_state(plan):
    plan.subscribe(lambda e: None)
    clone = plan.copy()
    assert clone == plan and clone.listeners == [] and len(plan.listeners) == 1
    clone.add_servers(0, refs("s-99"))
    assert "s-99" not in plan.waves[0].server_ids()
    dup = plan.duplicate()
    assert dup.id != plan.id and dup.name == "Payments (copy)"


def test_server_ref_from_inventory_and_refresh(plan):
    server = SourceServer(
        "s-1",
        hostname="db-01",
        instance_id="i-0abc",
        account_id="111122223333",
        replication_state=ReplicationState.STALLED,
        tags={"Name": "pay-db-01"},
    )
    ref = ServerRef.from_server(server)
    assert ref == ServerRef("s-1", "pay-db-01", "i-0abc", "111122223333", ReplicationState.STALLED)
    assert plan.refresh_server_details([server]) == 1
    assert plan.waves[0].servers[0] == ref


def test_to_dict_shape_and_order(plan):
    plan.created_at = plan.modified_at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    d = plan.to_dict()
    assert list(d) == [
        "schemaVersion",
        "id",
        "name",
        "description",
        "target",
        "pollIntervalSeconds",
        "failurePolicy",
        "tags",
        "createdAt",
        "modifiedAt",
        "waves",
    ]
    assert d["createdAt"] == "2024-05-01T12:00:00.000000Z"
    assert list(d["waves"][0]) == ["id", "name", "pauseBefore", "timeoutMinutes", "selector", "servers"]
    assert d["waves"][0]["servers"][0] == {
        "sourceServerId": "s-1",
        "name": "host-s-1",
        "sourceInstanceId": "",
        "sourceAccountId": "",
        "replicationState": "UNKNOWN",
    }
    assert Plan.from_dict(d) == plan


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d.pop("name"), "name", "missing"),
        (lambda d: d.update(name=5), "name", "expected a string, found a number"),
        (lambda d: d.update(id="not-a-uuid"), "id", "not a UUID"),
        (lambda d: d.update(extra=1), "", "unknown field 'extra'"),
        (lambda d: d["waves"][1].update(pauseBefore="yes"), "waves[1].pauseBefore", "expected true or false"),
        (
            lambda d: d["waves"][0]["servers"][0].update(sourceServerId=""),
            "waves[0].servers[0].sourceServerId",
            "empty",
        ),
        (lambda d: d["waves"][0].update(timeoutMinutes=1.5), "waves[0].timeoutMinutes", "whole number"),
        (lambda d: d["waves"][0].update(timeoutMinutes=True), "waves[0].timeoutMinutes", "whole number"),
        (lambda d: d.update(failurePolicy="MAYBE"), "failurePolicy", "is not STOP_ON_FAILURE or CONTINUE"),
        (lambda d: d.update(createdAt="yesterday"), "createdAt", "ISO-8601"),
        (lambda d: d["waves"][1].update(id=d["waves"][0]["id"]), "waves[1].id", "same wave ID"),
        (lambda d: d.update(tags=[]), "tags", "expected an object"),
        (lambda d: d.update(target="123456789012"), "target", "expected an object"),
    ],
)
def test_from_dict_errors_name_the_path(plan, mutate, path, words):
    d = plan.to_dict()
    mutate(d)
    with pytest.raises(PlanFormatError) as info:
        Plan.from_dict(d)
    assert info.value.path == path
    assert words in info.value.reason


def test_from_dict_lenient_ignores_unknown_fields(plan):
    d = plan.to_dict()
    d["futureField"] = {"x": 1}
    d["waves"][0]["approvals"] = []
    assert Plan.from_dict(d, strict=False) == plan
