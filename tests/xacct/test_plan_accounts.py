"""A plan's server may record the account that recovers it (``accountId``; default: the plan's target)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, PlanFormatError, ServerRef, Wave
from drs_console.store.plan_io import parse_plan_bytes, plan_to_bytes

HUB, TARGET = "123456789012", "210987654321"


def _plan() -> Plan:
    plan = Plan.new("Cross", target_account_id=HUB, target_region="us-east-1")
    plan.add_wave(None, Wave("w1", servers=[ServerRef("s-1111111111111111a", name="hub-app"),
                                            ServerRef("s-2222222222222222b", name="t1-db", account_id=TARGET)]))
    return plan


def test_account_round_trips_and_is_written_only_when_set():
    plan = _plan()
    doc = plan.to_dict()
    servers = doc["waves"][0]["servers"]
    assert "accountId" not in servers[0] and servers[1]["accountId"] == TARGET
    again = parse_plan_bytes(plan_to_bytes(plan)).plan
    refs = again.waves[0].servers
    assert refs[0].account_id == "" and refs[1].account_id == TARGET
    assert [r.recovering_account(HUB) for r in refs] == [HUB, TARGET]


def test_old_files_without_account_stay_valid():
    plan = _plan()
    doc = plan.to_dict()
    doc["waves"][0]["servers"][1].pop("accountId")
    import json

    loaded = parse_plan_bytes(json.dumps(doc).encode()).plan
    assert all(r.account_id == "" for r in loaded.waves[0].servers)


def test_a_bad_account_is_a_clear_error():
    doc = _plan().to_dict()
    doc["waves"][0]["servers"][1]["accountId"] = "12345"
    with pytest.raises(PlanFormatError, match=r"accountId.*12-digit"):
        Plan.from_dict(doc)


def test_refreshing_details_keeps_the_account():
    plan = _plan()
    fresh = SourceServer("s-2222222222222222b", hostname="t1-db-renamed", drs_account_id=TARGET)
    assert plan.refresh_server_details([fresh]) == 1
    assert plan.waves[0].servers[1].account_id == TARGET and plan.waves[0].servers[1].name == "t1-db-renamed"


def test_picker_records_the_account_of_a_target_accounts_server(qtbot):
    from drs_console.ui.inventory_picker import InventoryPicker
    from drs_console.ui.inventory_state import InventoryState

    state = InventoryState()
    servers = (SourceServer("s-1111111111111111a", hostname="hub-app", drs_account_id=HUB),
               SourceServer("s-2222222222222222b", hostname="t1-db", drs_account_id=TARGET))
    state.set(InventorySnapshot(HUB, "us-east-1", datetime.now(UTC), servers, accounts=(HUB, TARGET)), fresh=True)
    picker = InventoryPicker(state, "wave 1", set())
    qtbot.addWidget(picker)
    got = []
    picker.chosen.connect(got.append)
    picker.table.selectAll()
    picker.accept()
    refs = sorted(got[0], key=lambda r: r.name)
    assert [(r.name, r.account_id) for r in refs] == [("hub-app", ""), ("t1-db", TARGET)]


def test_plan_show_names_the_account_that_recovers_a_server(tmp_path, capsys):
    from drs_console.cli.main import EXIT_OK, main
    from drs_console.store.plan_io import write_plan_file

    path = tmp_path / "cross.json"
    write_plan_file(path, _plan(), backup=False)
    assert main(["plan", "show", str(path)]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    hub = next(line for line in lines if "s-1111111111111111a" in line)
    remote = next(line for line in lines if "s-2222222222222222b" in line)
    assert "recovered by" not in hub and remote.endswith(f"recovered by account {TARGET}")
    # a known account reads with its name (accounts add ... --name)
    assert main(["accounts", "add", TARGET, "--name", "Payments DR", "--role-arn",
                 f"arn:aws:iam::{TARGET}:role/drs-console-target"]) == EXIT_OK
    capsys.readouterr()
    assert main(["plan", "show", str(path)]) == EXIT_OK
    assert f"recovered by account Payments DR ({TARGET})" in capsys.readouterr().out
