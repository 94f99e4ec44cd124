"""`drs-console plan validate|show|list` through drs_console.cli.main.main."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drs_console.cli.commands import plan as plan_cmd
from drs_console.cli.main import EXIT_OK, EXIT_USAGE, main
from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.status import ReplicationState
from drs_console.store.plan_io import write_plan_file
from drs_console.store.plans import PlanLibrary

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "plans" / "sample-payments.json"
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def make_plan(name: str = "Payments", **waves: list[str]) -> Plan:
    plan = Plan.new(name, target_account_id=ACCOUNT, target_region=REGION)
    for wave_name, ids in (waves or {"DB": ["s-00000000000000001"], "Web": ["s-00000000000000002"]}).items():
        plan.add_wave(None, Wave(name=wave_name, servers=[ServerRef(i, name=f"host-{i}") for i in ids]))
    return plan


def write(tmp_path: Path, name: str, plan: Plan) -> str:
    path = tmp_path / name
    write_plan_file(path, plan, backup=False)
    return str(path)


def test_validate_a_valid_plan_prints_warnings_and_exits_0(capsys):
    assert main(["plan", "validate", str(SAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{SAMPLE}: plan: warning: no inventory known: server checks were skipped [inventory.none]"
    )
    assert out[-1] == "1 plan file checked: all valid (0 errors, 1 warning)"


def test_validate_errors_one_line_each_and_exit_2(tmp_path, capsys):
    bad = make_plan("", DB=["s-00000000000000001"], App=["s-00000000000000001", "s-00000000000000003"], Empty=[])
    f = write(tmp_path, "bad.json", bad)
    assert main(["plan", "validate", f]) == EXIT_USAGE
    lines = capsys.readouterr().out.splitlines()
    assert f"{f}: plan: name: error: the plan has no name [plan.name-missing]" in lines
    assert (
        f'{f}: wave 2 "App": server s-00000000000000001: error: also in wave 1 "DB"; a server may be in one wave only '
        "[server.in-two-waves]" in lines
    )
    assert f'{f}: wave 3 "Empty": error: the wave has no servers [wave.empty]' in lines
    assert lines[-1] == "1 plan file checked: 1 of 1 not valid (3 errors, 1 warning)"
    assert all(line.startswith(f"{f}: ") for line in lines[:-1])


def test_validate_several_files_including_unreadable_ones(tmp_path, capsys):
    good = write(tmp_path, "good.json", make_plan())
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"schemaVersion": 2,\n "name": }')
    raw = broken.read_bytes()
    missing = str(tmp_path / "missing.json")
    assert main(["plan", "validate", good, str(broken), missing]) == EXIT_USAGE
    lines = capsys.readouterr().out.splitlines()
    assert f"{broken}: line 2, column 10: error: not valid JSON: Expecting value" in lines
    assert f"{missing}: file: error: no such file" in lines
    assert lines[-1] == "3 plan files checked: 2 of 3 not valid (2 errors, 1 warning)"
    assert broken.read_bytes() == raw


def test_validate_uses_the_hook_for_inventory_and_connection(tmp_path, capsys, monkeypatch):
    inventory = InventorySnapshot(
        ACCOUNT,
        REGION,
        datetime.now(UTC) - timedelta(days=2),
        (SourceServer("s-00000000000000001", replication_state=ReplicationState.STALLED),),
    )
    seen = []

    def hook(ctx, plan):
        seen.append(plan.name)
        return plan_cmd.ValidationContext(inventory=inventory, connected_account="999999999999")

    monkeypatch.setattr(plan_cmd, "validation_context", hook)
    f = write(tmp_path, "p.json", make_plan())
    assert main(["plan", "validate", f]) == EXIT_USAGE
    out = capsys.readouterr().out
    assert seen == ["Payments"]
    assert (
        "plan: target account: error: the plan targets account 123456789012 but the console is connected"
        in out
    )
    assert f'{f}: wave 1 "DB": server s-00000000000000001: error: replication is STALLED' in out
    assert f'{f}: wave 2 "Web": server s-00000000000000002: warning: not in the cached inventory (it may be stale)' in out
    assert "checked against a cached inventory 2 d old" in out
    assert "no inventory known" not in out


def test_validate_offline_uses_the_cached_inventory(tmp_path, capsys):
    from drs_console.store.inventory_cache import InventoryCache

    InventoryCache().save(
        InventorySnapshot(
            ACCOUNT,
            REGION,
            datetime.now(UTC),
            (SourceServer("s-00000000000000001", replication_state=ReplicationState.CONTINUOUS),),
        )
    )
    f = write(tmp_path, "p.json", make_plan())
    assert main(["plan", "validate", f]) == EXIT_OK  # the cache is never "fresh": missing = warning
    out = capsys.readouterr().out
    assert "server s-00000000000000002: warning: not in the cached inventory" in out
    assert "inventory.stale" in out


def test_validate_json(tmp_path, capsys):
    f = write(tmp_path, "p.json", make_plan(DB=["s-00000000000000001"], Web=["s-00000000000000001"]))
    assert main(["plan", "validate", "--json", f, str(tmp_path / "nope.json")]) == EXIT_USAGE
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False
    first, second = doc["files"]
    assert first["file"] == f and first["errors"] == 1 and first["warnings"] == 1
    dup = [p for p in first["problems"] if p["code"] == "server.in-two-waves"][0]
    assert dup["location"] == {
        "text": 'wave 2 "Web": server s-00000000000000001',
        "waveIndex": 1,
        "waveName": "Web",
        "serverId": "s-00000000000000001",
        "field": None,
    }
    assert second == {
        "file": str(tmp_path / "nope.json"),
        "valid": False,
        "readable": False,
        "error": "no such file",
    }


def test_validate_an_old_file_notes_the_migration(tmp_path, capsys):
    doc = {
        "schemaVersion": 1,
        "id": "5b0c7f3e-9a41-4c2e-8d7a-2f6e1c9b4a10",
        "name": "Old",
        "targetAccountId": ACCOUNT,
        "targetRegion": REGION,
        "waves": [{"id": "a", "name": "DB", "serverIds": ["s-00000000000000001"]}],
    }
    f = tmp_path / "old.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["plan", "validate", str(f)]) == EXIT_OK
    assert f"{f}: file: note: Converted from plan schema version 1" in capsys.readouterr().out


def test_show_text(capsys):
    assert main(["plan", "show", str(SAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("Payments regional failover\n")
    assert "Target:        account 123456789012, region us-east-1" in out
    assert 'Wave 1 "Databases" (1 server; timeout 90 min)' in out
    assert (
        'Wave 3 "Web tier" (0 servers; selector: Application=Payments AND Tier=web; timeout 45 min; pause before)'
        in out
    )
    assert "pay-db-01  s-079dcdb51b3fd80be" in out
    assert "Validation: 1 warning" in out


def test_show_json_is_the_plan(capsys):
    assert main(["plan", "show", "--json", str(SAMPLE)]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert list(doc)[:2] == ["schemaVersion", "id"]


def test_show_unreadable_file_is_one_line_on_stderr(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe\x00")
    assert main(["plan", "show", str(bad)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"drs-console: {bad}: ") and "UTF-16" in err[0]
    assert "Traceback" not in captured.err


def test_list_empty_library(capsys, home):
    assert main(["plan", "list"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"No plans in {home / 'data' / 'plans'}"


def test_list_table_and_json(capsys, home):
    library = PlanLibrary()
    library.save(make_plan("Payments"))
    library.save(make_plan("CRM", DB=["s-00000000000000007"], Web=[]))
    (library.folder / "broken.json").write_bytes(b"[")
    assert main(["plan", "list"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "TARGET", "WAVES", "SERVERS", "MODIFIED", "CHECK", "FILE"]
    assert lines[1].split()[:4] == ["CRM", f"{ACCOUNT}/{REGION}", "2", "1"]
    assert "1 error, 1 warning" in lines[1]
    assert lines[2].split()[:4] == ["Payments", f"{ACCOUNT}/{REGION}", "2", "2"]
    assert "1 warning" in lines[2]
    assert lines[3].startswith("broken.json: unreadable: line 1, column 2: not valid JSON")
    assert lines[-1] == f"2 plans in {library.folder}, 1 unreadable"
    assert main(["plan", "list", "--json"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["library"] == str(library.folder)
    assert [p.get("name") for p in doc["plans"]] == ["CRM", "Payments", None]
    assert doc["plans"][0]["errors"] == 1 and doc["plans"][2]["error"].startswith("line 1")


def test_plan_without_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["plan"])
    assert info.value.code == 2
