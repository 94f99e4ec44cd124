"""Building plans from the CLI (`plan new|add-wave|add-servers|move|remove|import|export|delete`):
saved in the library through its atomic writes, read back as the desktop reads them, --json for
scripts, and a one-line message for every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drs_console.cli.main import EXIT_OK, EXIT_USAGE, main
from drs_console.store.plan_io import read_plan_file
from drs_console.store.plans import PlanLibrary
from drs_console.store.sandbox_plans import sandbox_library

S1, S2, S3 = "s-00000000000000001", "s-00000000000000002", "s-00000000000000003"


@pytest.fixture
def run(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        rc = main(list(argv))
        got = capsys.readouterr()
        return rc, got.out, got.err

    return run


@pytest.fixture
def jrun(run):
    def jrun(*argv: str) -> dict:
        rc, out, err = run(*argv, "--json")
        assert rc == EXIT_OK, err
        return json.loads(out)

    return jrun


@pytest.fixture
def payments(jrun) -> dict:
    return jrun("plan", "new", "Payments failover", "--target-account", "123456789012",
                "--target-region", "us-east-1", "--wave", "DB", "--wave", "Web")


def on_disk(doc: dict):
    return read_plan_file(doc["path"]).plan


def one_error_line(err: str) -> str:
    assert err.startswith("drs-console: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_new_creates_a_plan_in_the_library(payments):
    path = Path(payments["path"])
    assert path.parent == PlanLibrary().folder
    plan = on_disk(payments)
    assert payments["action"] == "new" and payments["planId"] == plan.id
    assert payments["plan"] == plan.to_dict()
    assert (plan.name, plan.target_account_id, [w.name for w in plan.waves]) == (
        "Payments failover", "123456789012", ["DB", "Web"])
    assert payments["validation"]["errors"] == 2  # two empty waves: saved anyway, and said so


def test_new_text_output_and_empty_name(run):
    rc, out, _ = run("plan", "new", "Solo")
    assert rc == 0 and out.startswith("Created plan 'Solo' (") and "with 0 waves." in out
    rc, _, err = run("plan", "new", "  ")
    assert rc == EXIT_USAGE and "The plan's name is empty." in one_error_line(err)


def test_add_wave_at_a_position_with_options(payments, jrun, run):
    doc = jrun("plan", "add-wave", "payments", "App", "--position", "2", "--pause-before", "--timeout", "90",
               "--selector", "Tier=app")
    wave = on_disk(doc).waves[1]
    assert doc["waveIndex"] == 1 and doc["waveId"] == wave.id
    assert (wave.name, wave.pause_before, wave.timeout_minutes, wave.selector) == ("App", True, 90, "Tier=app")
    assert [w.name for w in on_disk(doc).waves] == ["DB", "App", "Web"]
    rc, _, err = run("plan", "add-wave", "payments", "Bad", "--selector", "Tier=")
    assert rc == EXIT_USAGE and "selector" in one_error_line(err).lower()
    assert len(on_disk(doc).waves) == 3  # nothing saved


def test_add_servers_by_id_and_selector(payments, jrun, run):
    doc = jrun("plan", "add-servers", payments["planId"], "DB", S1, S2)
    assert doc["added"] == [S1, S2] and doc["skipped"] == []
    doc = jrun("plan", "add-servers", payments["planId"], "1", S2, S3, "--selector", "Application=payments")
    plan = on_disk(doc)
    assert doc["added"] == [S3] and doc["skipped"] == [S2]
    assert plan.waves[0].server_ids() == [S1, S2, S3] and plan.waves[0].selector == "Application=payments"
    rc, out, _ = run("plan", "add-servers", "payments", "Web", S1)
    assert rc == 0 and f"Note: {S1} is also in wave 1" in out  # validation's error, said at once
    rc, _, err = run("plan", "add-servers", "payments", "Web", "i-1234")
    assert rc == EXIT_USAGE and "'i-1234' is not a source server ID" in one_error_line(err)
    rc, _, err = run("plan", "add-servers", "payments", "Cache", S1)
    assert rc == EXIT_USAGE
    assert "Plan 'Payments failover' has no wave 'Cache': its waves are 1 \"DB\", 2 \"Web\"" in one_error_line(err)
    rc, _, err = run("plan", "add-servers", "payments", "9", S1)
    assert rc == EXIT_USAGE and "has no wave 9" in one_error_line(err)


def test_move_a_wave_and_servers(payments, jrun, run):
    jrun("plan", "add-servers", "payments", "DB", S1, S2, S3)
    doc = jrun("plan", "move", "payments", "DB", S3, S1, "--to-wave", "Web")
    plan = on_disk(doc)
    assert plan.waves[0].server_ids() == [S2] and plan.waves[1].server_ids() == [S1, S3]
    doc = jrun("plan", "move", "payments", "Web", "--to", "1")
    assert [w.name for w in on_disk(doc).waves] == ["Web", "DB"] and (doc["fromIndex"], doc["toIndex"]) == (1, 0)
    rc, _, err = run("plan", "move", "payments", "DB", S1, "--to-wave", "Web")
    assert rc == EXIT_USAGE and f'Wave 2 "DB" does not hold {S1}.' in one_error_line(err)
    rc, _, err = run("plan", "move", "payments", "DB", "--to", "5")
    assert rc == EXIT_USAGE and "--to must be 1..2, not 5." in one_error_line(err)


def test_remove_servers_a_selector_and_a_wave(payments, jrun, run):
    jrun("plan", "add-servers", "payments", "DB", S1, S2, "--selector", "Tier=db")
    doc = jrun("plan", "remove", "payments", "DB", S1)
    assert on_disk(doc).waves[0].server_ids() == [S2] and doc["removed"] == [S1]
    doc = jrun("plan", "remove", "payments", "DB", "--selector")
    assert on_disk(doc).waves[0].selector is None and doc["selectorCleared"]
    rc, _, err = run("plan", "remove", "payments", "DB", "--selector")
    assert rc == EXIT_USAGE and 'Wave 1 "DB" has no selector.' in one_error_line(err)
    doc = jrun("plan", "remove", "payments", "Web")
    assert [w.name for w in on_disk(doc).waves] == ["DB"]
    assert Path(doc["path"] + ".bak").is_file()  # every save keeps the previous version


def test_import_export_and_delete(payments, jrun, run, tmp_path):
    exported = jrun("plan", "export", "payments", str(tmp_path))
    dest = Path(exported["path"])
    assert dest.parent == tmp_path and read_plan_file(dest).plan.to_dict() == on_disk(payments).to_dict()
    imported = jrun("plan", "import", str(dest))["files"][0]
    assert imported["imported"] and imported["planId"] != payments["planId"]  # the same ID got a new one
    rc, _, err = run("plan", "show", "payments")
    assert rc == EXIT_USAGE and "'payments' names 2 plans of the library" in one_error_line(err)
    gone = jrun("plan", "delete", payments["planId"])["deleted"][0]
    assert not Path(payments["path"]).exists() and Path(gone["trash"]).parent.name == ".trash"
    rc, _, err = run("plan", "delete", str(dest))
    assert rc == EXIT_USAGE and "is not a plan of the library" in one_error_line(err)
    assert dest.exists()


def test_a_corrupt_or_unknown_plan_is_one_line_and_nothing_changes(run, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"schemaVersion": 2,\n "name": }')
    before = broken.read_bytes()
    rc, _, err = run("plan", "add-wave", str(broken), "DB")
    assert rc == EXIT_USAGE
    assert f"{broken}: line 2, column 10: not valid JSON: Expecting value. The file was not changed." in one_error_line(err)
    assert broken.read_bytes() == before and not (tmp_path / "broken.json.bak").exists()
    rc, out, _ = run("plan", "import", str(broken), "--json")
    result = json.loads(out)["files"][0]
    assert rc == EXIT_USAGE and result["imported"] is False
    assert "line 2, column 10: not valid JSON" in result["error"]
    rc, _, err = run("plan", "add-wave", "nothing-like-it", "DB")
    assert rc == EXIT_USAGE
    assert "No plan 'nothing-like-it': it is neither a plan file nor a plan of the library" in one_error_line(err)
    rc, _, err = run("plan", "add-wave", str(tmp_path / "missing.json"), "DB")
    assert rc == EXIT_USAGE and "missing.json: no such file. The file was not changed." in one_error_line(err)


def test_sandbox_plan_commands_use_the_sandbox_library(run, jrun):
    real = jrun("plan", "new", "Real plan")
    listed = jrun("--sandbox", "plan", "list")
    assert Path(listed["library"]) == sandbox_library().folder != PlanLibrary().folder
    names = {p["name"] for p in listed["plans"]}
    assert "Payments regional failover" in names and "Real plan" not in names
    made = jrun("--sandbox", "plan", "new", "Sandbox plan")
    assert Path(made["path"]).parent == sandbox_library().folder
    assert {p["name"] for p in jrun("plan", "list")["plans"]} == {"Real plan"}
    assert Path(real["path"]).parent == PlanLibrary().folder


def test_set_wave_sets_impact_level_and_delay_and_the_native_mapping_follows(payments, jrun):
    from drs_console.domain.inventory import SourceServer
    from drs_console.domain.native_mapping import map_plan

    jrun("plan", "add-servers", payments["path"], "Web", S1, S2)
    doc = jrun("plan", "set-wave", payments["path"], "Web", "--optional", "--delay", "30")
    assert doc["action"] == "set-wave" and doc["critical"] is False and doc["delayMinutes"] == 30
    plan = on_disk(doc)
    assert plan.waves[1].critical is False and plan.waves[1].delay_minutes == 30
    wave_doc = [w for w in doc["plan"]["waves"] if w["name"] == "Web"][0]
    assert wave_doc["critical"] is False and wave_doc["delayMinutes"] == 30  # what the file holds
    mapping = map_plan(plan, account_id="123456789012", region="us-east-1",
                       inventory=[SourceServer(S1), SourceServer(S2)])
    kinds = [(s.kind.value, s.wait_minutes) for s in mapping.steps]
    assert ("WAIT", 30) in kinds  # the delay is the native plan's WAIT step before the wave

    doc = jrun("plan", "set-wave", payments["path"], "2", "--critical", "--delay", "none")
    plan = on_disk(doc)
    assert plan.waves[1].critical is True and plan.waves[1].delay_minutes == 0


def test_set_server_sets_and_clears_a_servers_impact_level(payments, jrun):
    jrun("plan", "add-servers", payments["path"], "DB", S1, S2, S3)
    doc = jrun("plan", "set-server", payments["path"], "DB", S2, S3, "--optional")
    assert doc["serverIds"] == [S2, S3] and doc["critical"] is False
    refs = {r.source_server_id: r.critical for r in on_disk(doc).waves[0].servers}
    assert refs == {S1: None, S2: False, S3: False}
    doc = jrun("plan", "set-server", payments["path"], "DB", S3, "--wave-default")
    refs = {r.source_server_id: r.critical for r in on_disk(doc).waves[0].servers}
    assert refs == {S1: None, S2: False, S3: None}
    assert [s.get("critical") for s in doc["plan"]["waves"][0]["servers"]] == [None, False, None]


@pytest.mark.parametrize("argv, needle", [
    (("set-wave", "DB"), "Nothing to set"),
    (("set-wave", "DB", "--delay", "-5"), "is not a number of minutes from 0 to 1440"),
    (("set-wave", "DB", "--delay", "1441"), "is not a number of minutes from 0 to 1440"),
    (("set-wave", "DB", "--delay", "soon"), "is not a number of minutes"),
    (("set-wave", "9", "--optional"), "has no wave 9"),
    (("set-server", "DB", S1), "one of --critical, --optional or --wave-default"),
    (("set-server", "DB", "--optional"), "Give the IDs of the servers"),
    (("set-server", "DB", S1, "--optional"), f"does not hold {S1}"),
    (("set-server", "DB", "web-1", "--optional"), "is not a source server ID"),
])
def test_set_wave_and_set_server_refuse_bad_input_in_one_line(payments, run, argv, needle):
    before = Path(payments["path"]).read_bytes()
    rc, out, err = run("plan", argv[0], payments["path"], *argv[1:])
    assert rc == EXIT_USAGE and needle in one_error_line(err), err
    assert Path(payments["path"]).read_bytes() == before  # nothing was saved


def test_add_servers_records_the_account_a_known_account_holds_a_server_in(payments, jrun):
    """As the editor's picker does: a server the cached inventory shows in another (known) account
    is recorded with that account, so the run recovers it there; the connected account's is not."""
    from datetime import UTC, datetime

    from drs_console.domain.inventory import InventorySnapshot, SourceServer
    from drs_console.store.inventory_cache import InventoryCache

    hub, target = "123456789012", "300950662684"
    InventoryCache().save(InventorySnapshot(hub, "us-east-1", datetime.now(UTC), (
        SourceServer(S1, hostname="db-01", drs_account_id=hub),
        SourceServer(S2, hostname="t1-db-02", drs_account_id=target),
    ), accounts=(hub, target)))
    plan = on_disk(jrun("plan", "add-servers", payments["planId"], "DB", S1, S2))
    refs = {r.source_server_id: r for r in plan.waves[0].servers}
    assert refs[S1].account_id == "" and refs[S1].name == "db-01"
    assert refs[S2].account_id == target and refs[S2].name == "t1-db-02"
