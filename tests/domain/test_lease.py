"""Server leases, pure parts: the lease item, its expiry, the preflight rule and history ignoring it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drs_console.domain import history as h
from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.lease import LEASE_CLOCK_EPOCH, ServerLease, is_lease_item, lease_key
from drs_console.domain.preflight import Level, ResolvedWave, check_leases

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
S1, S2, S3 = "s-0000000000000000a", "s-0000000000000000b", "s-0000000000000000c"


def item(server, holder, *, until_epoch, **extra):
    return {"PK": f"LEASE#{server}", "SK": "LEASE", "entityType": "LEASE", "holder": holder,
            "holderArn": f"arn:aws:states:us-east-1:123456789012:execution:sm:{holder}",
            "leaseUntil": until_epoch - LEASE_CLOCK_EPOCH, "expiresAt": until_epoch, "waveIndex": 0, **extra}


def lease(server, holder, *, minutes):
    return ServerLease.from_item(item(server, holder, until_epoch=int((NOW + timedelta(minutes=minutes)).timestamp())))


def test_lease_item_round_trip_and_expiry():
    assert lease_key(S1) == {"PK": f"LEASE#{S1}", "SK": "LEASE"}
    le = lease(S1, "exec-a", minutes=30)
    assert le.source_server_id == S1 and le.holder == "exec-a" and le.wave_index == 0
    assert le.expires == NOW + timedelta(minutes=30)
    assert not le.expired(NOW) and le.held_by_other("exec-b", NOW) and not le.held_by_other("exec-a", NOW)
    # the state machine counts whole minutes: over for sure one minute after its end, not before
    assert not le.expired(NOW + timedelta(minutes=30, seconds=30))
    assert le.expired(NOW + timedelta(minutes=31)) and not le.held_by_other("exec-b", NOW + timedelta(minutes=31))
    assert ServerLease.from_item({"PK": "EXEC#x", "SK": "EXECUTION", "holder": "x"}) is None
    assert ServerLease.from_item({"PK": f"LEASE#{S1}", "SK": "LEASE"}) is None  # names no holder


def test_preflight_blocks_servers_leased_by_another_execution_and_names_it():
    waves = [ResolvedWave(0, "DB", (S1, S2)), ResolvedWave(1, "App", (S3,))]
    leases = [lease(S1, "exec-live", minutes=90), lease(S2, "exec-live", minutes=90),
              lease(S3, "exec-ended", minutes=10), lease("s-0000000000000000f", "other", minutes=90)]
    checks = check_leases(waves, leases, {}, NOW, active_ids={"exec-live"})
    assert [c.level for c in checks] == [Level.BLOCK, Level.BLOCK]
    ended, live = checks
    assert live.server_ids == (S1, S2) and "are in execution exec-live" in live.message
    assert 'wave 1 "DB"' in live.message and "until 2026-12-01 09:30 UTC" in live.message
    assert "drs-console cancel exec-live" in live.remedy
    assert ended.server_ids == (S3,) and "is in execution exec-ended" in ended.message
    assert "not active" in ended.remedy and "2026-12-01 08:10 UTC" in ended.remedy


def test_preflight_passes_own_and_expired_leases():
    waves = [ResolvedWave(0, "DB", (S1, S2))]
    leases = [lease(S1, "me", minutes=90), lease(S2, "gone", minutes=-5)]
    (check,) = check_leases(waves, leases, {}, NOW, own_execution="me")
    assert check.level is Level.PASS


def test_history_never_lists_a_lease_as_an_execution():
    lease_items = [item(S1, "exec-a", until_epoch=2_000_000_000),
                   {**item(S2, "exec-b", until_epoch=2_000_000_000), "SK": "EXECUTION"}]  # even malformed
    assert all(is_lease_item(i) for i in lease_items)
    assert all(h.HistoryRow.from_item(i) is None for i in lease_items)
    head = {"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "status": "COMPLETED",
            "updatedAt": "2026-01-01T00:00:00Z", "waveCount": 0}
    rows = [r for r in (h.HistoryRow.from_item(i) for i in [*lease_items, head]) if r is not None]
    assert [r.execution_id for r in rows] == ["e1"]
    preview = h.build_preview(rows, h.PruneScope.all_finished(), NOW)
    assert [c.execution_id for c in preview.to_delete] == ["e1"]
    assert all(sk.startswith("WAVE#") for c in preview.to_delete for sk in c.wave_sks)
    assert ExecutionRecord.from_items([lease_items[0]]) is None
