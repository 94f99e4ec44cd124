"""A plan resolves its selectors against the servers its own account holds: an inventory that also
lists known target accounts (each server tagged alike, as estates often are) must not pull another
account's server into a wave by its tags (validation, readiness and the recovery-points dialog use
``own_servers``)."""

from __future__ import annotations

from datetime import UTC, datetime

from drs_console.domain.inventory import InventorySnapshot, ReplicationState, SourceServer
from drs_console.domain.plan import Plan
from drs_console.domain.readiness import assess

HUB = "123456789012"
TARGET = "300950662684"
TAGS = {"Application": "Payments", "Tier": "web"}


def _inventory() -> InventorySnapshot:
    ours = SourceServer("s-00000000000000001", hostname="pay-web-01", tags=TAGS, drs_account_id=HUB,
                        replication_state=ReplicationState.CONTINUOUS)
    theirs = SourceServer("s-00000000000000002", hostname="t1-pay-web-01", tags=TAGS, drs_account_id=TARGET,
                          replication_state=ReplicationState.CONTINUOUS)
    legacy = SourceServer("s-00000000000000003", hostname="pay-web-02", tags=TAGS,  # a cache without accounts
                          replication_state=ReplicationState.CONTINUOUS)
    return InventorySnapshot(HUB, "us-east-1", datetime.now(UTC), (ours, theirs, legacy), accounts=(HUB, TARGET))


def _plan() -> Plan:
    plan = Plan.new("Payments", target_account_id=HUB, target_region="us-east-1", wave_names=["Web"])
    plan.set_selector(0, "Application=Payments AND Tier=web")
    return plan


def test_own_servers_are_the_connected_accounts():
    inv = _inventory()
    assert [s.source_server_id for s in inv.own_servers] == ["s-00000000000000001", "s-00000000000000003"]


def test_readiness_judges_only_the_servers_the_plan_would_recover():
    inv = _inventory()
    judged = assess(_plan(), inv, points=None, drills=None)
    ids = {s.source_server_id for s in judged.servers}
    assert ids == {"s-00000000000000001", "s-00000000000000003"}
