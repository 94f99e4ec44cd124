"""The plan's optional RTO target: the domain edit (range checked, undoable), the file format
(old files without it stay valid), the CLI's `plan set-rto` and the editor's field (a QUndoCommand)."""

from __future__ import annotations

import json

import pytest

from drs_console.cli.main import EXIT_OK, EXIT_USAGE, main
from drs_console.domain.plan import MAX_RTO_TARGET_MINUTES, Plan, PlanFormatError
from drs_console.store.plan_io import PlanFileError, parse_plan_bytes, plan_to_bytes, read_plan_file
from drs_console.ui.plan_commands import SetPlanAttribute


def test_set_and_clear_the_rto_target_through_the_domain_edit():
    plan = Plan.new("P")
    seen = []
    plan.subscribe(lambda ch: seen.append(ch.field))
    assert plan.set_rto_target(90) is None
    assert plan.rto_target_minutes == 90
    assert plan.set_rto_target(None) == 90
    assert plan.rto_target_minutes is None
    assert seen == ["rto_target_minutes", "rto_target_minutes"]


@pytest.mark.parametrize("bad", [0, -5, MAX_RTO_TARGET_MINUTES + 1])
def test_an_out_of_range_rto_target_is_refused_with_the_range(bad):
    plan = Plan.new("P")
    with pytest.raises(ValueError, match=r"out of range: use 1 to 10080 minutes"):
        plan.set_rto_target(bad)
    assert plan.rto_target_minutes is None


@pytest.mark.parametrize("bad", [1.5, "30", True])
def test_an_rto_target_that_is_not_whole_minutes_is_refused(bad):
    with pytest.raises(TypeError, match="whole number of minutes"):
        Plan.new("P").set_rto_target(bad)


def test_the_file_keeps_the_rto_target_and_old_files_have_none():
    plan = Plan.new("P", wave_names=["W"])
    doc = plan.to_dict()
    assert "rtoTargetMinutes" not in doc  # unset: the file is as before
    old = parse_plan_bytes(json.dumps(doc).encode())
    assert old.plan.rto_target_minutes is None and not old.notice
    plan.set_rto_target(45)
    back = parse_plan_bytes(plan_to_bytes(plan)).plan
    assert back.rto_target_minutes == 45
    assert back.to_dict()["rtoTargetMinutes"] == 45


@pytest.mark.parametrize("value, reason", [(0, "out of range"), ("soon", "expected a whole number")])
def test_a_file_with_a_bad_rto_target_says_where(value, reason):
    doc = Plan.new("P").to_dict()
    doc["rtoTargetMinutes"] = value
    with pytest.raises(PlanFormatError, match=f"rtoTargetMinutes: .*{reason}"):
        Plan.from_dict(doc)
    with pytest.raises(PlanFileError, match="rtoTargetMinutes"):
        parse_plan_bytes(json.dumps(doc).encode())


def test_cli_set_rto_sets_clears_and_refuses(tmp_path, capsys):
    path = tmp_path / "p.json"
    assert main(["plan", "new", "Payments", "--file", str(path)]) == EXIT_OK
    capsys.readouterr()
    assert main(["plan", "set-rto", str(path), "120", "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["rtoTargetMinutes"] == 120 and out["previousRtoTargetMinutes"] is None
    assert read_plan_file(path).plan.rto_target_minutes == 120
    before = path.read_bytes()
    for bad, says in (("0", "out of range: use 1 to 10080"), ("2h", "not a number of minutes"),
                      ("99999", "out of range")):
        assert main(["plan", "set-rto", str(path), bad]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err
        assert path.read_bytes() == before  # nothing saved
    assert main(["plan", "set-rto", str(path), "none"]) == EXIT_OK
    assert "Cleared the RTO target" in capsys.readouterr().out
    assert read_plan_file(path).plan.rto_target_minutes is None


def test_the_undo_command_sets_and_restores_the_rto_target(qapp):
    plan = Plan.new("P")
    plan.set_rto_target(30)
    cmd = SetPlanAttribute(plan, "rto_target_minutes", 60, "RTO target")
    cmd.redo()
    assert plan.rto_target_minutes == 60
    cmd.undo()
    assert plan.rto_target_minutes == 30
    assert cmd.text() == "Change RTO target"


def test_the_editors_rto_field_is_an_undoable_edit(qtbot, tmp_path):
    from drs_console.store.plans import PlanLibrary
    from drs_console.ui.inventory_state import InventoryState
    from drs_console.ui.plan_editor import PlanEditor

    library = PlanLibrary(tmp_path / "plans")
    library.folder.mkdir(parents=True)
    plan = Plan.new("P", wave_names=["W"])
    editor = PlanEditor(plan, path=library.save(plan), library=library, inventory=InventoryState())
    qtbot.addWidget(editor)
    assert editor.rto_target.text() == "none"
    editor.rto_target.setValue(240)
    editor.rto_target.editingFinished.emit()
    assert plan.rto_target_minutes == 240 and editor.dirty
    assert editor.undo_stack.undoText() == "Change RTO target"
    editor.undo_stack.undo()
    assert plan.rto_target_minutes is None and editor.rto_target.text() == "none" and not editor.dirty
    editor.undo_stack.redo()
    assert editor.rto_target.value() == 240
    editor.rto_target.setValue(0)  # "none" clears it
    editor.rto_target.editingFinished.emit()
    assert plan.rto_target_minutes is None
    editor.close_editor()
