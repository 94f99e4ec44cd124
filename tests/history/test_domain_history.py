"""The pure history logic: rows, filters, scope, preview, batching plan, cancellation accounting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_console.domain import contract as c
from drs_console.domain import history as h
from drs_console.domain.status import ExecutionStatus, is_terminal

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def row(eid="e1", status="COMPLETED", *, waves=2, started=None, ended=None, etype="DRILL", plan="Payments", by="ann"):
    started = started or NOW - timedelta(days=3)
    item = {
        "PK": c.execution_pk(eid), "SK": "EXECUTION", "executionId": eid, "status": status, "planName": plan,
        "planId": "p1", "executionType": etype, "initiatedBy": by, "startedAt": started.isoformat(),
        "updatedAt": "u1", "waveCount": waves, "waveCounts": {"COMPLETED": waves, "FAILED": 0},
        "serversLaunched": 4, "serversFailed": 1,
    }
    if ended is not None or is_terminal(status):
        item["endedAt"] = (ended or started + timedelta(minutes=42, seconds=5)).isoformat()
    return h.HistoryRow.from_item(item)


def test_row_from_item_and_display_values():
    r = row(waves=3)
    assert r.execution_id == "e1" and r.status is ExecutionStatus.COMPLETED and r.is_terminal
    assert r.waves_completed == 3 and r.wave_count == 3 and r.wave_count_known
    assert h.format_duration(r.duration) == "42 min 05 s"
    assert h.HistoryRow.from_item({"PK": "EXEC#x", "SK": "WAVE#0001"}) is None
    odd = h.HistoryRow.from_item({"PK": "EXEC#x", "SK": "EXECUTION", "status": "WEIRD"})
    assert odd.execution_id == "x" and not odd.is_terminal and not odd.is_active and not odd.wave_count_known


def test_filters_status_groups_type_dates_and_text():
    rows = [
        row("a", "RUNNING", started=NOW - timedelta(minutes=30)),
        row("b", "FAILED", started=NOW - timedelta(hours=5), etype="RECOVERY"),
        row("c", "COMPLETED", started=NOW - timedelta(days=10), plan="ERP", by="bob@example.com"),
    ]
    ids = lambda f: [r.execution_id for r in f.apply(rows)]  # noqa: E731
    assert ids(h.HistoryFilter(statuses=h.statuses_of("active"))) == ["a"]
    assert ids(h.HistoryFilter(statuses=h.statuses_of("finished"))) == ["b", "c"]
    assert ids(h.HistoryFilter(statuses=h.statuses_of("failed"))) == ["b"]
    assert ids(h.HistoryFilter(execution_type="RECOVERY")) == ["b"]
    assert ids(h.HistoryFilter(since=NOW - h.DATE_RANGES["last hour"])) == ["a"]
    assert ids(h.HistoryFilter(since=NOW - h.DATE_RANGES["last 24 h"])) == ["a", "b"]
    assert ids(h.HistoryFilter(since=NOW - timedelta(days=11), until=NOW - timedelta(days=1))) == ["c"]
    assert ids(h.HistoryFilter(text="BOB@")) == ["c"] and ids(h.HistoryFilter(text="erp")) == ["c"]
    with pytest.raises(ValueError):
        h.statuses_of("bogus")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", NOW - timedelta(minutes=90)), ("24h", NOW - timedelta(hours=24)), ("7d", NOW - timedelta(days=7)),
     ("2w", NOW - timedelta(days=14)), ("2025-05-01", datetime(2025, 5, 1, tzinfo=UTC))],
)
def test_parse_since(text, expected):
    assert h.parse_since(text, NOW) == expected


def test_parse_since_rejects_garbage():
    with pytest.raises(ValueError):
        h.parse_since("yesterday-ish", NOW)


def test_csv_neutralises_formulas_and_has_a_header():
    text = h.csv_text([row(plan="=HYPERLINK(1)")])
    lines = text.splitlines()
    assert lines[0].startswith("Plan,Type,Status") and lines[1].startswith("'=HYPERLINK(1)")


def test_head_condition_pins_status_updated_at_and_wave_count():
    cand = h.PruneCandidate("e1", "FAILED", "u9", 3)
    expr, names, values = h.head_condition(cand)
    assert "#s IN (" in expr and "#u = :u" in expr and "#w = :w" in expr
    assert sorted(v for k, v in values.items() if k.startswith(":t")) == sorted(s.value for s in h.TERMINAL_STATUSES)
    assert values[":u"] == "u9" and values[":w"] == 3 and names["#s"] == "status"
    expr2, _n, _v = h.head_condition(h.PruneCandidate("e1", "FAILED", "", 0, False))
    assert "attribute_not_exists(#u)" in expr2 and "attribute_not_exists(#w)" in expr2


candidate_st = st.builds(
    h.PruneCandidate,
    execution_id=st.uuids().map(str),
    raw_status=st.sampled_from(["COMPLETED", "FAILED"]),
    updated_at=st.just("u"),
    wave_count=st.one_of(st.integers(0, 6), st.integers(95, 260)),
)


@given(st.lists(candidate_st, max_size=40, unique_by=lambda c: c.execution_id), st.integers(2, 100))
def test_plan_transactions_covers_every_write_once_within_limits(cands, max_items):
    plan = h.plan_transactions(cands, max_items)
    writes = []
    for tx in plan:
        assert 0 < tx.write_count <= max_items
        for part in tx.parts:
            if part.include_head:
                writes.append((part.execution_id, "EXECUTION"))
            writes.extend((part.execution_id, sk) for sk in part.wave_sks)
    expected = [(cd.execution_id, "EXECUTION") for cd in cands] + [(cd.execution_id, sk) for cd in cands for sk in cd.wave_sks]
    assert sorted(writes) == sorted(expected) and len(writes) == len(set(writes))
    for cd in cands:
        txs = [i for i, tx in enumerate(plan) if cd.execution_id in tx.execution_ids]
        if cd.write_count <= max_items:
            assert len(txs) == 1  # whole: the execution item and all its waves in one transaction
        else:  # split: the execution item goes first, with as many waves as fit
            first = plan[txs[0]].parts[0]
            assert first.include_head and first.write_count == max_items and txs == list(range(txs[0], txs[-1] + 1))


def test_plan_packs_many_small_executions_into_few_transactions():
    cands = [h.PruneCandidate(f"e{i}", "COMPLETED", "u", 3) for i in range(1000)]
    plan = h.plan_transactions(cands)
    assert len(plan) == 40 and all(tx.write_count == 100 for tx in plan)


reason_st = st.one_of(
    st.just({"Code": "None"}),
    st.just({"Code": "ConditionalCheckFailed", "Item": {"status": "RUNNING"}}),
    st.just({"Code": "ConditionalCheckFailed", "Item": {"status": "FAILED", "updatedAt": "new"}}),
    st.just({"Code": "ConditionalCheckFailed"}),
    st.just({"Code": "ThrottlingError"}),
    st.just({"Code": "TransactionConflict"}),
    st.just({"Code": "ValidationError", "Message": "boom"}),
)


@given(st.lists(st.integers(0, 4), min_size=1, max_size=8), st.data())
def test_judge_cancellation_settles_or_retries_every_execution_exactly_once(wave_counts, data):
    cands = [h.PruneCandidate(f"e{i}", "COMPLETED", "u", n) for i, n in enumerate(wave_counts)]
    tx = h.plan_transactions(cands)[0]
    reasons = data.draw(st.lists(reason_st, min_size=tx.write_count, max_size=tx.write_count))
    verdict = h.judge_cancellation(tx, reasons)
    now = {p.execution_id for p in verdict.retry_now}
    later = {p.execution_id for p in verdict.retry_later}
    final = set(verdict.final)
    assert now | later | final == set(tx.execution_ids)
    assert not (now & later) and not (now & final) and not (later & final)
    for outcome, _reason in verdict.final.values():
        assert outcome is not h.Outcome.DELETED
    # an execution with no write at fault is retried at once
    at_fault = set()
    i = 0
    for part in tx.parts:
        for _ in range(part.write_count):
            if reasons[i].get("Code") != "None":
                at_fault.add(part.execution_id)
            i += 1
    assert now == set(tx.execution_ids) - at_fault


def test_condition_failure_is_classified_from_the_current_item():
    cand = h.PruneCandidate("e1", "FAILED", "u", 1)
    assert h.classify_condition_failure(cand, None) is h.Outcome.NOT_FOUND
    assert h.classify_condition_failure(cand, {"status": "RUNNING"}) is h.Outcome.SKIPPED_ACTIVE
    assert h.classify_condition_failure(cand, {"status": "??"}) is h.Outcome.SKIPPED_ACTIVE
    assert h.classify_condition_failure(cand, {"status": "FAILED", "updatedAt": "v"}) is h.Outcome.SKIPPED_CHANGED


rows_st = st.lists(
    st.tuples(st.sampled_from([s.value for s in ExecutionStatus] + ["", "X"]), st.integers(0, 90), st.booleans()),
    max_size=30,
)


@given(rows_st, st.integers(0, 60))
def test_preview_counts_add_up(spec, days):
    rows = [row(f"e{i}", s, started=NOW - timedelta(days=age, hours=2)) for i, (s, age, _live) in enumerate(spec)]
    jobs = {f"e{i}": [f"drsjob-{i:017d}"] for i in range(len(spec))}
    live = [f"drsjob-{i:017d}" for i, (_s, _a, is_live) in enumerate(spec) if is_live]
    scope = h.PruneScope.older_than(days)
    p = h.build_preview(rows, scope, NOW, job_ids_of=jobs, live_job_ids=live)
    in_scope = [r for r in rows if scope.includes(r, NOW)]
    assert p.delete_count + len(p.preserved_live_jobs) + len(p.preserved_active) == len(in_scope)
    assert p.out_of_scope == len(rows) - len(in_scope)
    assert sum(p.by_status.values()) == p.delete_count
    assert all(is_terminal(cd.raw_status) for cd in p.to_delete)
    assert all(r.status is ExecutionStatus.CANCELLED for r in rows if r.execution_id in p.preserved_live_jobs)


def test_job_id_batches_respect_describe_jobs_limit():
    ids = [f"drsjob-{i:017d}" for i in range(2500)] + ["not-a-job", "", "drsjob-short"]
    valid = h.valid_job_ids(ids + ids[:10])
    assert len(valid) == 2500
    assert [len(b) for b in h.chunks(valid, h.MAX_JOB_IDS_PER_DESCRIBE)] == [1000, 1000, 500]


def test_describe_jobs_limit_matches_botocore_model():
    import botocore.session

    model = botocore.session.get_session().get_service_model("drs").operation_model("DescribeJobs")
    assert model.input_shape.members["filters"].members["jobIDs"].metadata["max"] == h.MAX_JOB_IDS_PER_DESCRIBE
    ddb = botocore.session.get_session().get_service_model("dynamodb")
    items = ddb.operation_model("TransactWriteItems").input_shape.members["TransactItems"]
    assert items.metadata["max"] == h.MAX_TRANSACT_ITEMS
