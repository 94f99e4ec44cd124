"""The aws history service against the sandbox: the real backend's table, seeded history, DRS jobs."""

from __future__ import annotations

import asyncio

import pytest

from drs_console.aws.history import HistoryService, PruneControl
from drs_console.aws.session import AwsConnection
from drs_console.domain import contract as c
from drs_console.domain import history as h
from drs_console.domain.status import is_terminal


@pytest.fixture
def svc(history_sandbox):
    conn = AwsConnection(history_sandbox.sandbox.connection_params())
    yield HistoryService(conn, history_sandbox.table, backoff_base=0.0)
    conn.close()


def run(coro):
    return asyncio.run(coro)


def test_seed_is_realistic_and_describe_jobs_knows_its_jobs(history_sandbox, svc):
    seed = history_sandbox.reseed(60)
    rows = run(svc.list_all(page_size=9))
    assert sorted(r.execution_id for r in rows) == sorted(seed.execution_ids)
    statuses = {r.raw_status for r in rows}
    assert {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "TIMEOUT"} <= statuses
    assert any(r.is_active for r in rows) and len({r.plan_name for r in rows}) > 2
    starts = [r.started_at for r in rows]
    assert starts == sorted(starts, reverse=True)  # newest first, from the ByStartTime index
    sim = history_sandbox.sandbox.drs
    live_states = {sim.job(j)["status"] for j in seed.live_job_ids}
    assert live_states <= {"PENDING", "STARTED"} and seed.cancelled_with_live_jobs
    assert {sim.job(j)["status"] for j in seed.finished_job_ids} == {"COMPLETED"}
    live, calls = run(svc.live_jobs(seed.live_job_ids + seed.finished_job_ids))
    assert live == set(seed.live_job_ids) and calls == 1


def test_describe_jobs_is_batched_by_1000(history_sandbox, svc):
    seed = history_sandbox.reseed(12)
    fake = [f"drsjob-{i:017x}" for i in range(2100)]
    live, calls = run(svc.live_jobs(fake + seed.live_job_ids))
    assert calls == 3 and live == set(seed.live_job_ids)


def test_preview_and_prune_of_the_seeded_history(history_sandbox, svc):
    seed = history_sandbox.reseed(60)
    rows = run(svc.list_all())
    preview = run(svc.preview(rows, h.PruneScope.all_finished()))
    assert set(preview.preserved_live_jobs) == set(seed.cancelled_with_live_jobs)
    assert set(preview.preserved_active) == {r.execution_id for r in rows if not r.is_terminal}
    assert preview.delete_count == sum(1 for r in rows if r.is_terminal) - len(seed.cancelled_with_live_jobs)
    result = run(svc.prune(preview))
    assert result.count(h.Outcome.DELETED) == preview.delete_count and not result.failed
    assert result.write_calls == len(h.plan_transactions(preview.to_delete))
    items = history_sandbox.items()
    heads = {i["executionId"]: i for i in items if i["SK"] == c.EXECUTION_SK}
    assert set(heads) == set(preview.preserved_active) | set(preview.preserved_live_jobs)
    assert {i["PK"][5:] for i in items} == set(heads)  # no orphan wave records


def test_a_transaction_cancelled_for_one_item_retries_the_others(history_sandbox, svc):
    history_sandbox.reseed(30)
    rows = run(svc.list_all())
    preview = run(svc.preview(rows, h.PruneScope.all_finished()))
    victim, gone, changed = (cd.execution_id for cd in preview.to_delete[:3])

    def hook(index, tx):
        if index == 0:
            history_sandbox.update(victim, status="RUNNING", updatedAt="now")
            history_sandbox.update(changed, updatedAt="later")
            ddb = history_sandbox.sandbox.client("dynamodb")
            ddb.delete_item(TableName=history_sandbox.table, Key={"PK": {"S": f"EXEC#{gone}"}, "SK": {"S": "EXECUTION"}})

    result = run(svc.prune(preview, before_batch=hook))
    assert result.outcomes[victim] is h.Outcome.SKIPPED_ACTIVE and "RUNNING" in result.reasons[victim]
    assert result.outcomes[gone] is h.Outcome.NOT_FOUND
    assert result.outcomes[changed] is h.Outcome.SKIPPED_CHANGED
    assert result.count(h.Outcome.DELETED) == preview.delete_count - 3
    # the first transaction was cancelled once, then retried at once without the three
    assert result.write_calls == len(h.plan_transactions(preview.to_delete)) + 1
    heads = {i["executionId"] for i in history_sandbox.items() if i["SK"] == c.EXECUTION_SK}
    assert victim in heads and changed in heads


def test_prune_stops_between_batches_when_cancelled(history_sandbox, svc):
    history_sandbox.reseed(60)
    rows = run(svc.list_all())
    preview = run(svc.preview(rows, h.PruneScope.all_finished()))
    control = PruneControl()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done:
            control.cancel()

    result = run(svc.prune(preview, progress=progress, control=control, max_items=20))
    assert result.cancelled and result.write_calls == 1
    assert result.count(h.Outcome.DELETED) + result.count(h.Outcome.NOT_ATTEMPTED) == preview.delete_count
    assert seen[0] == (0, preview.delete_count) and seen[-1][0] == preview.delete_count


def test_throttled_transactions_are_retried(history_sandbox, svc, monkeypatch):
    history_sandbox.reseed(20)
    rows = run(svc.list_all())
    preview = run(svc.preview(rows, h.PruneScope.all_finished()))
    real = svc._transact_sync
    calls = []

    def flaky(items):
        calls.append(len(items))
        if len(calls) <= 2:  # the service cancels the whole transaction for throttling, twice
            return [{"Code": "ThrottlingError"} for _ in items]
        return real(items)

    monkeypatch.setattr(svc, "_transact_sync", flaky)
    result = run(svc.prune(preview))
    assert result.count(h.Outcome.DELETED) == preview.delete_count and len(calls) == 3


def test_an_execution_with_more_waves_than_a_transaction_holds(history_sandbox, svc):
    history_sandbox.reseed(0)
    from drs_console.sandbox.history_seed import _batch_write

    eid = "big"
    head = {"PK": "EXEC#big", "SK": "EXECUTION", "GSI1PK": "EXECUTION", "GSI1SK": "2025-01-01T00:00:00Z#big",
            "executionId": eid, "status": "COMPLETED", "updatedAt": "u", "waveCount": 150,
            "startedAt": "2025-01-01T00:00:00Z"}
    waves = [{"PK": "EXEC#big", "SK": c.wave_sk(i), "status": "COMPLETED"} for i in range(150)]
    _batch_write(history_sandbox.sandbox, history_sandbox.table, [head, *waves])
    rows = run(svc.list_all())
    result = run(svc.prune(run(svc.preview(rows, h.PruneScope.all_finished()))))
    assert result.deleted == [eid] and result.write_calls == 2 and not result.leftover_waves
    assert history_sandbox.items() == []


def test_missing_wave_count_falls_back_to_a_query(history_sandbox, svc):
    history_sandbox.reseed(0)
    from drs_console.sandbox.history_seed import _batch_write

    head = {"PK": "EXEC#old", "SK": "EXECUTION", "GSI1PK": "EXECUTION", "GSI1SK": "2024#old",
            "executionId": "old", "status": "FAILED", "updatedAt": "u", "startedAt": "2024-01-01T00:00:00Z"}
    waves = [{"PK": "EXEC#old", "SK": c.wave_sk(i), "status": "FAILED"} for i in range(3)]
    _batch_write(history_sandbox.sandbox, history_sandbox.table, [head, *waves])
    rows = run(svc.list_all())
    assert not rows[0].wave_count_known and is_terminal(rows[0].raw_status)
    result = run(svc.prune(run(svc.preview(rows, h.PruneScope.all_finished()))))
    assert result.deleted == ["old"] and history_sandbox.items() == []
