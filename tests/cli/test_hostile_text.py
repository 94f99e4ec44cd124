"""Hostile text in plan files: lone surrogates, terminal escapes, look-alike IDs. Validation names
each; nothing crashes; nothing reaches the terminal raw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drs_console.cli.main import main
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.text import printable
from drs_console.domain.validation import Code, validate
from drs_console.store.plan_io import plan_to_bytes, read_plan_file
from drs_console.store.plans import PlanLibrary

ACCOUNT, REGION = "123456789012", "us-east-1"
GOOD_ID = "s-1234567890abcdef0"
ESCAPE = "\x1b]0;pwned\x07\x1b[2J\x9b31m"  # OSC title, clear screen, C1 CSI


def plan_doc(name="Payments", wave_name="DB", server_id=GOOD_ID, account=ACCOUNT, region=REGION) -> dict:
    plan = Plan.new("placeholder", target_account_id=account, target_region=region)
    plan.waves.append(Wave(name="placeholder", servers=[ServerRef(GOOD_ID)]))
    doc = plan.to_dict()
    doc["name"] = name
    doc["waves"][0]["name"] = wave_name
    doc["waves"][0]["servers"][0]["sourceServerId"] = server_id
    return doc


def write_doc(path: Path, doc: dict) -> Path:
    # json.dumps writes a lone surrogate as the \ud800 escape, exactly as a hostile file would
    path.write_text(json.dumps(doc), encoding="ascii")
    return path


def codes(plan) -> set[Code]:
    return {p.code for p in validate(plan)}


@pytest.mark.parametrize(
    "server_id, shown",
    [
        ("s-1234567890abcdef\u0441", "U+0441 CYRILLIC SMALL LETTER ES"),  # Cyrillic 'с' for 'c'
        ("s-１234567890abcdef0", "U+FF11 FULLWIDTH DIGIT ONE"),
        ("s-1234567890abc\u200ddef0", "U+200D ZERO WIDTH JOINER"),
        ("s-1234567890ABCDEF0", "17 lowercase hex digits"),
        ("s-1234", "17 lowercase hex digits"),
    ],
)
def test_look_alike_server_ids_are_errors(server_id, shown):
    plan = read_plan_file_from_doc(plan_doc(server_id=server_id))
    problems = [p for p in validate(plan) if p.code is Code.SERVER_ID_INVALID]
    assert len(problems) == 1 and problems[0].is_error and shown in problems[0].message, problems
    assert Code.SERVER_ID_INVALID not in codes(read_plan_file_from_doc(plan_doc()))


@pytest.mark.parametrize(
    "account, region, code",
    [
        ("１２３４５６７８９０１２", REGION, Code.TARGET_ACCOUNT_INVALID),  # fullwidth digits
        ("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662", REGION,
         Code.TARGET_ACCOUNT_INVALID),  # Arabic-Indic digits
        (ACCOUNT, "us-east-9", Code.TARGET_REGION_INVALID),  # the right pattern, not a DRS region
        (ACCOUNT, "mars-north-1", Code.TARGET_REGION_INVALID),
    ],
)
def test_accounts_and_regions_are_checked_against_the_real_lists(account, region, code):
    assert code in codes(read_plan_file_from_doc(plan_doc(account=account, region=region)))


def read_plan_file_from_doc(doc: dict, tmp: Path | None = None):
    from drs_console.store.plan_io import parse_plan_bytes

    return parse_plan_bytes(json.dumps(doc).encode(), "<test>").plan


@pytest.fixture
def hostile_library(tmp_path):
    """A library with a lone surrogate in a plan name, one in a wave name, escapes in another."""
    library = PlanLibrary()
    library.folder.mkdir(parents=True)
    write_doc(library.folder / "a-surrogate.json", plan_doc(name="Pay\ud800ments"))
    write_doc(library.folder / "b-wave.json", plan_doc(name="Wave surrogate", wave_name="D\udfffB"))
    write_doc(library.folder / "c-escape.json", plan_doc(name=f"Esc{ESCAPE}ape", wave_name=f"W{ESCAPE}"))
    write_doc(library.folder / "d-fine.json", plan_doc(name="Fine"))
    return library


def test_surrogates_are_validation_errors_and_the_library_still_lists(hostile_library):
    entries = hostile_library.list_entries()
    assert len(entries) == 4 and all(e.ok for e in entries)
    by_file = {e.path.name: e for e in entries}
    assert by_file["a-surrogate.json"].validation.errors >= 1
    assert by_file["b-wave.json"].validation.errors >= 1
    assert by_file["d-fine.json"].validation.errors == 0
    plan = read_plan_file(hostile_library.folder / "a-surrogate.json").plan
    problem = next(p for p in validate(plan) if p.code is Code.NAME_INVALID_TEXT)
    assert "lone surrogate" in problem.message and "\ud800" not in problem.message
    wave_plan = read_plan_file(hostile_library.folder / "b-wave.json").plan
    assert Code.WAVE_NAME_INVALID_TEXT in codes(wave_plan)


def test_save_duplicate_and_autosave_keep_a_surrogate_name_without_crashing(hostile_library):
    path = hostile_library.folder / "a-surrogate.json"
    plan = read_plan_file(path).plan
    hostile_library.save(plan, path)
    assert read_plan_file(path).plan.name == "Pay\ud800ments"  # round-trips exactly
    copy = hostile_library.duplicate(path)
    assert read_plan_file(copy.path).plan.name.startswith("Pay\ud800ments")
    hostile_library.autosave(plan, path)
    assert hostile_library.recover(plan.id).plan.name == "Pay\ud800ments"
    assert "Zürich" in plan_to_bytes(Plan.new("Zürich")).decode()  # normal text stays readable


@pytest.mark.parametrize("command", ["validate", "show", "list"])
def test_cli_never_crashes_on_surrogates_and_never_echoes_escapes(hostile_library, capsys, command):
    files = sorted(str(p) for p in hostile_library.folder.glob("*.json"))
    if command == "list":
        argvs = [["plan", "list"]]
    elif command == "validate":
        argvs = [["plan", "validate", *files]]
    else:
        argvs = [["plan", "show", f] for f in files]
    for argv in argvs:
        code = main(argv)
        out, err = capsys.readouterr()
        assert code in (0, 2), (argv, err)
        for text in (out, err):
            assert not any(c in text for c in "\x1b\x07\x9b\ud800\udfff"), repr(text)
            text.encode("utf-8")  # writable to any UTF-8 terminal
        if command != "show" or "c-escape" in argv[-1]:
            assert printable(ESCAPE) in out or "Fine" in out


def test_printable_escapes_controls_and_keeps_ordinary_text():
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("\u202eevil") == "\\u202eevil"
    assert printable("x\ud800") == "x\\ud800"
    assert printable("Zürich 東京 ✓") == "Zürich 東京 ✓"
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"
    assert printable(printable("\x1b")) == printable("\x1b")
