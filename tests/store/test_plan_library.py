"""The plan library: save, list, import/export, duplicate, rename, trash, autosave recovery."""

from __future__ import annotations

import json

import pytest

from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.validation import validate
from drs_console.store.plan_io import PlanFileError, read_plan_file
from drs_console.store.plans import PlanLibrary

from .plan_samples import PLAN_ID, sample_plan


@pytest.fixture
def library(tmp_path, monkeypatch) -> PlanLibrary:
    monkeypatch.setenv("DRS_CONSOLE_HOME", str(tmp_path / "home"))
    return PlanLibrary()


def test_save_new_plan_into_the_library(library):
    plan = sample_plan("Payments: EU / prod!")
    old_modified = plan.modified_at
    path = library.save(plan)
    assert path.parent == library.folder
    assert path.name == f"payments-eu-prod-{PLAN_ID[:8]}.json"
    assert plan.modified_at > old_modified
    assert read_plan_file(path).plan == plan
    # saving again finds the same file by ID and keeps the previous version
    previous = path.read_bytes()
    plan.rename("Payments")
    assert library.save(plan) == path
    assert path.with_name(path.name + ".bak").read_bytes() == previous
    assert library.find(PLAN_ID) == path
    assert [p.name for p in library.plan_files()] == [path.name]


def test_list_entries(library):
    a = sample_plan("beta")
    b = sample_plan("Alpha", plan_id="11111111-2222-4333-8444-555555555555")
    b.add_servers(0, [ServerRef("s-00000000000000002"), ServerRef("s-00000000000000003")])
    library.save(a)
    library.save(b)
    (library.folder / "zz-broken.json").write_text("{", encoding="utf-8")
    (library.folder / "notes.txt").write_text("ignored", encoding="utf-8")
    (library.folder / ".hidden.json").write_text("{}", encoding="utf-8")
    entries = library.list_entries()
    assert [e.name for e in entries] == ["Alpha", "beta", ""]
    alpha = entries[0]
    assert alpha.ok and alpha.wave_count == 2 and alpha.server_count == 3 and alpha.selector_waves == 1
    assert (alpha.target_account_id, alpha.target_region) == ("123456789012", "us-east-1")
    assert alpha.validation.errors == 0 and alpha.validation.warnings == 1  # no inventory
    assert alpha.modified_at is not None
    broken = entries[2]
    assert not broken.ok and broken.path.name == "zz-broken.json" and "line 1" in broken.error
    assert broken.to_dict()["error"] == broken.error
    assert alpha.to_dict()["servers"] == 3
    # a validator that knows more
    entries = library.list_entries(lambda plan: validate(plan, None, connected_account="999999999999"))
    assert entries[0].validation.errors == 1


def test_list_of_a_missing_library_is_empty(library):
    assert library.list_entries() == []
    assert library.recoverable() == []


def test_export_and_import(library, tmp_path):
    plan = sample_plan()
    library.save(plan)
    out = library.export(plan, tmp_path / "share" / "payments.json")
    assert read_plan_file(out).plan == plan
    # importing the same plan again gives it a new ID
    imported = library.import_file(out)
    assert imported.plan.id != PLAN_ID and "new ID" in imported.notice
    assert imported.plan.name == plan.name and imported.path.parent == library.folder
    assert len(library.list_entries()) == 2
    # importing a plan the library does not have keeps its ID
    other = sample_plan("Other", plan_id="11111111-2222-4333-8444-555555555555")
    src = tmp_path / "other.json"
    library.export(other, src)
    assert library.import_file(src).plan.id == other.id


def test_import_migrates_old_files(library, tmp_path):
    from .plan_samples import v1_document

    src = tmp_path / "old.json"
    src.write_text(json.dumps(v1_document()), encoding="utf-8")
    loaded = library.import_file(src)
    assert "version 1" in loaded.notice
    assert json.loads(loaded.path.read_bytes())["schemaVersion"] == 2


def test_import_refuses_bad_files(library, tmp_path):
    src = tmp_path / "bad.json"
    src.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(PlanFileError):
        library.import_file(src)
    assert library.plan_files() == []


def test_duplicate_and_rename(library):
    path = library.save(sample_plan())
    dup = library.duplicate(path)
    assert dup.plan.id != PLAN_ID and dup.plan.name == "Payments (copy)"
    assert dup.path != path and read_plan_file(dup.path).plan == dup.plan
    named = library.duplicate(path, "Payments drill")
    assert named.plan.name == "Payments drill"
    renamed = library.rename(path, "Payments prod")
    assert renamed.path == path and read_plan_file(path).plan.name == "Payments prod"
    assert len(library.list_entries()) == 3


def test_delete_moves_to_trash_and_restore(library):
    plan = sample_plan()
    path = library.save(plan)
    library.save(plan)  # creates a .bak
    library.autosave(plan, path)
    trashed = library.delete(path)
    assert not path.exists() and trashed.parent == library.trash_dir and trashed.exists()
    assert trashed.with_name(trashed.name + ".bak").exists()
    assert library.list_entries() == [] and library.recoverable() == []
    # a second plan with the same file name goes to the trash under another name
    again = library.save(sample_plan())
    trashed2 = library.delete(again)
    assert trashed2 != trashed and trashed2.exists()
    assert len(library.trashed()) == 2
    restored = library.restore(trashed)
    assert restored == path and read_plan_file(restored).plan.id == PLAN_ID
    with pytest.raises(PlanFileError, match="no such file"):
        library.delete(library.folder / "nope.json")


def test_delete_an_unreadable_file(library):
    library.folder.mkdir(parents=True)
    bad = library.folder / "bad.json"
    bad.write_bytes(b"\x00\x01")
    assert library.delete(bad).read_bytes() == b"\x00\x01"


def test_autosave_recover_discard(library):
    plan = sample_plan()
    path = library.save(plan)
    saved = path.read_bytes()
    plan.rename("Payments (unsaved edits)")
    plan.add_servers(0, [ServerRef("s-0000000000000f001")])
    auto = library.autosave(plan, path)
    assert auto == library.recovery_dir / f"{PLAN_ID}.json"
    assert path.read_bytes() == saved  # the plan file is untouched by autosave
    [found] = library.recoverable()
    assert found.plan_id == PLAN_ID and found.plan_name == "Payments (unsaved edits)"
    assert found.source_path == path.resolve() and found.saved_at is not None and found.error is None
    recovered = library.recover(PLAN_ID)
    assert recovered.plan == plan and recovered.path == path.resolve()
    assert library.recoverable()  # still there until saved or discarded
    library.save(recovered.plan, recovered.path)
    assert library.recoverable() == []
    # discard
    library.autosave(plan, None)
    assert library.recover(PLAN_ID).path is None
    assert library.discard_autosave(PLAN_ID) is True
    assert library.discard_autosave(PLAN_ID) is False
    assert library.recoverable() == []


def test_autosave_listing_survives_broken_recovery_files(library):
    plan = Plan.new("Unsaved")
    library.autosave(plan)
    bad_id = "11111111-2222-4333-8444-555555555555"
    (library.recovery_dir / f"{bad_id}.json").write_text(
        '{"kind": "drs-console-autosave", "autosave', "utf-8"
    )
    (library.recovery_dir / "not-an-id.json").write_text("{}", "utf-8")
    found = {a.plan_id: a for a in library.recoverable()}
    assert set(found) == {plan.id, bad_id}
    assert found[bad_id].error and "not valid JSON" in found[bad_id].error
    assert found[plan.id].source_path is None
    with pytest.raises(PlanFileError):
        library.recover(bad_id)
    with pytest.raises(ValueError):
        library.autosave_path("../../evil")


def test_autosave_whose_plan_id_does_not_match_is_refused(library):
    plan = Plan.new("A")
    path = library.autosave(plan)
    other = "11111111-2222-4333-8444-555555555555"
    path.rename(library.recovery_dir / f"{other}.json")
    with pytest.raises(PlanFileError, match="does not match"):
        library.recover(other)
