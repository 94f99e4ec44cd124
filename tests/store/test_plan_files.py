"""Reading plan files: migration, newer versions, and 20+ hostile files."""

from __future__ import annotations

import copy
import json
import os

import pytest

from drs_console.domain.errors import BadInput
from drs_console.domain.plan import SCHEMA_VERSION
from drs_console.store.plan_io import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    PlanFileError,
    parse_plan_bytes,
    read_plan_file,
)

from .plan_samples import PLAN_ID, sample_bytes, sample_plan, v1_document


def snapshot(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_library_is_under_drs_console_home(library, tmp_path):
    assert library.folder == tmp_path / "home" / "data" / "plans"


def test_sample_plan_round_trips_through_a_file(library):
    path = library.folder / "p.json"
    path.write_bytes(sample_bytes())
    loaded = read_plan_file(path)
    assert loaded.plan == sample_plan()
    assert not loaded.read_only and not loaded.migrated and loaded.notice == ""


def test_resources_sample_plan_is_valid():
    from pathlib import Path

    from drs_console.domain.validation import validate

    path = Path(__file__).resolve().parents[2] / "resources" / "plans" / "sample-payments.json"
    loaded = read_plan_file(path)
    assert loaded.file_schema_version == SCHEMA_VERSION
    assert [p.code.value for p in validate(loaded.plan, None)] == ["inventory.none"]


# --- migration ----------------------------------------------------------------------------


def test_v1_file_migrates_on_load_and_is_left_alone(library):
    path = library.folder / "legacy.json"
    raw = json.dumps(v1_document(), indent=1).encode()
    path.write_bytes(raw)
    loaded = library.open(path)
    assert loaded.migrated and loaded.file_schema_version == 1 and not loaded.read_only
    assert "version 1" in loaded.notice
    plan = loaded.plan
    assert plan.name == "Legacy payments" and plan.description == "made by 0.x"
    assert (plan.target_account_id, plan.target_region) == ("123456789012", "us-east-1")
    assert plan.poll_interval_seconds == 20 and plan.failure_policy.value == "CONTINUE"
    assert [w.server_ids() for w in plan.waves] == [["s-1", "s-2"], []]
    assert [w.pause_before for w in plan.waves] == [False, False]
    assert plan.waves[0].timeout_minutes == 90 and plan.waves[1].timeout_minutes == 60
    assert plan.waves[0].selector is None
    assert path.read_bytes() == raw  # loading never rewrites
    library.save(plan, path)
    assert json.loads(path.read_bytes())["schemaVersion"] == SCHEMA_VERSION
    assert (path.with_name("legacy.json.bak")).read_bytes() == raw
    assert library.open(path).plan == plan


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d["waves"][0].update(serverIds="s-1"), "waves[0].serverIds: expected a list"),
        (lambda d: d["waves"][0].update(serverIds=[1]), "waves[0].serverIds[0]"),
        (lambda d: d["waves"][0].update(pauseBefore=True), "unknown field 'pauseBefore'"),
        (lambda d: d.update(waves={}), "waves: expected a list"),
        (lambda d: d.update(targetRegion=5), "target.region: expected a string"),
    ],
)
def test_bad_v1_files_are_reported(mutate, words):
    doc = v1_document()
    mutate(doc)
    with pytest.raises(PlanFileError) as info:
        parse_plan_bytes(json.dumps(doc).encode(), "old.json")
    assert words in info.value.message


def test_newer_version_opens_read_only_and_is_never_overwritten(library):
    doc = sample_plan().to_dict()
    doc["schemaVersion"] = SCHEMA_VERSION + 1
    doc["approvals"] = [{"by": "alice"}]
    doc["waves"][0]["hooks"] = {"pre": "x"}
    path = library.folder / "future.json"
    raw = json.dumps(doc).encode()
    path.write_bytes(raw)
    loaded = library.open(path)
    assert loaded.read_only and "newer DRS Console" in loaded.notice and "read-only" in loaded.notice
    assert loaded.plan.name == "Payments"
    with pytest.raises(PlanFileError, match="newer DRS Console"):
        library.save(loaded.plan, path)
    with pytest.raises(PlanFileError, match="read-only"):
        library.rename(path, "x")
    with pytest.raises(PlanFileError, match="cannot be imported"):
        library.import_file(path)
    assert path.read_bytes() == raw
    [entry] = library.list_entries()
    assert entry.ok and entry.read_only


def test_newer_version_that_cannot_be_read_says_so():
    doc = {"schemaVersion": SCHEMA_VERSION + 5, "id": PLAN_ID, "name": "x", "waves": "a new shape"}
    with pytest.raises(PlanFileError, match=r"newer DRS Console .*Update DRS Console"):
        parse_plan_bytes(json.dumps(doc).encode(), "f.json")


# --- hostile files ------------------------------------------------------------------------

GOOD = sample_bytes()
GOOD_DOC = json.loads(GOOD)


def doc_with(mutate) -> bytes:
    d = copy.deepcopy(GOOD_DOC)
    mutate(d)
    return json.dumps(d, indent=2).encode()


HOSTILE: list[tuple[str, bytes, str, bool]] = [
    # (id, content, words in the reason, has a line number)
    ("empty", b"", "the file is empty", False),
    ("whitespace", b"  \n\t\n", "the file is empty", False),
    ("truncated", GOOD[: len(GOOD) // 2], "truncated", True),
    ("latin-1", GOOD.replace(b"Payments", "Paymënts".encode("latin-1")), "not UTF-8", True),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not UTF-8", True),
    ("utf-16", "\ufeff{}".encode("utf-16"), "UTF-16", False),
    ("yaml", b"name: Payments\nwaves:\n  - DB\n", "not valid JSON", True),
    ("trailing garbage", GOOD + b"\n}}", "not valid JSON: Extra data", True),
    ("array", b"[1, 2, 3]", "the top level is a list", False),
    ("string", b'"plan"', "the top level is a string", False),
    ("no schemaVersion", doc_with(lambda d: d.pop("schemaVersion")), "schemaVersion: missing", False),
    ("schemaVersion text", doc_with(lambda d: d.update(schemaVersion="2")), "expected a whole number", False),
    ("schemaVersion 0", doc_with(lambda d: d.update(schemaVersion=0)), "not a plan schema version", False),
    ("name a number", doc_with(lambda d: d.update(name=42)), "name: expected a string", False),
    ("waves an object", doc_with(lambda d: d.update(waves={"a": 1})), "waves: expected a list", False),
    (
        "server id empty",
        doc_with(lambda d: d["waves"][0]["servers"][0].update(sourceServerId="")),
        "must not be empty",
        False,
    ),
    ("unknown field", doc_with(lambda d: d.update(colour="red")), "unknown field 'colour'", False),
    (
        "unknown wave field",
        doc_with(lambda d: d["waves"][1].update(x=1)),
        "waves[1]: unknown field 'x'",
        False,
    ),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, f"nested more than {MAX_DEPTH} levels", True),
    (
        "deep in a field",
        doc_with(lambda d: d.update(description=[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]])),
        "nested",
        True,
    ),
    (
        "long name",
        doc_with(lambda d: d.update(name="x" * 100_000)),
        "name: longer than 200 characters",
        False,
    ),
    (
        "many waves",
        doc_with(lambda d: d.update(waves=[{"id": str(i), "name": "w"} for i in range(501)])),
        "waves: more than 500",
        False,
    ),
    (
        "many servers",
        doc_with(lambda d: d["waves"][0].update(servers=[{"sourceServerId": f"s-{i}"} for i in range(5001)])),
        "more than 5000",
        False,
    ),
    (
        "huge integer",
        GOOD.replace(b'"pollIntervalSeconds": 30', b'"pollIntervalSeconds": ' + b"9" * 5000),
        "digits",
        False,
    ),
    (
        "NaN",
        GOOD.replace(b'"pollIntervalSeconds": 30', b'"pollIntervalSeconds": NaN'),
        "NaN is not valid JSON",
        False,
    ),
    (
        "infinite float",
        GOOD.replace(b'"pollIntervalSeconds": 30', b'"pollIntervalSeconds": 1e999'),
        "out of range",
        False,
    ),
    (
        "float interval",
        GOOD.replace(b'"pollIntervalSeconds": 30', b'"pollIntervalSeconds": 30.5'),
        "whole number",
        False,
    ),
    ("duplicate key", b'{"schemaVersion": 2, "schemaVersion": 2}', "appears twice", False),
    ("bad uuid", doc_with(lambda d: d.update(id="../../etc/passwd")), "id: not a UUID", False),
    ("bad timestamp", doc_with(lambda d: d.update(createdAt="last tuesday")), "ISO-8601", False),
    ("bad policy", doc_with(lambda d: d.update(failurePolicy="YOLO")), "failurePolicy", False),
    ("duplicate wave ids", doc_with(lambda d: d["waves"][1].update(id="w1")), "same wave ID", False),
    ("null byte soup", b"\x00" * 1000, "not valid JSON", True),
]


@pytest.mark.parametrize(
    ("content", "words", "has_line"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_file_gives_a_clear_error_and_is_untouched(library, content, words, has_line):
    path = library.folder / "hostile.json"
    path.write_bytes(content)
    before = snapshot(library.folder)
    mtime = os.stat(path).st_mtime_ns
    with pytest.raises(PlanFileError) as info:
        library.open(path)
    err = info.value
    assert isinstance(err, BadInput)
    assert words in err.message, err.message
    assert str(path) in err.message and "not changed" in err.one_line()
    assert (err.line is not None) == has_line, err.message
    if has_line:
        assert f"line {err.line}" in err.message
    # listing shows it as unreadable with the same reason
    [entry] = library.list_entries()
    assert not entry.ok and words in entry.error
    assert snapshot(library.folder) == before
    assert os.stat(path).st_mtime_ns == mtime


def test_hostile_list_has_more_than_20_cases():
    assert len(HOSTILE) >= 20


def test_line_and_column_point_at_the_fault(library):
    path = library.folder / "p.json"
    path.write_bytes(b'{\n  "schemaVersion": 2,\n  "name": oops\n}')
    with pytest.raises(PlanFileError) as info:
        read_plan_file(path)
    assert (info.value.line, info.value.column) == (3, 11)
    assert "line 3, column 11" in info.value.message


def test_oversized_file_is_refused_without_reading_it(library):
    path = library.folder / "big.json"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse
    with pytest.raises(PlanFileError, match="at most 20 MB"):
        read_plan_file(path)
    assert path.stat().st_size == MAX_FILE_BYTES + 1


def test_folder_and_missing_file(library):
    (library.folder / "dir.json").mkdir()
    with pytest.raises(PlanFileError, match="is a folder"):
        read_plan_file(library.folder / "dir.json")
    with pytest.raises(PlanFileError, match="no such file"):
        read_plan_file(library.folder / "missing.json")
    [entry] = library.list_entries()  # listed, with the reason, not silently left out
    assert entry.path.name == "dir.json" and "is a folder" in entry.error


def test_utf8_bom_is_accepted(library):
    path = library.folder / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD)
    assert read_plan_file(path).plan == sample_plan()
