"""Server leases (resources/backend/CONTRACT.md, "Server leases"): the history-table items by which
the state machine holds each server of the wave it runs, so that two executions never launch the
same server at once. Pure: items arrive deserialized from the aws layer.

A lease item is keyed ``PK = LEASE#<sourceServerId>``, ``SK = LEASE`` and carries no GSI key, so
the ByStartTime index and every execution query (``PK = EXEC#...``) never see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LEASE_PK_PREFIX = "LEASE#"
LEASE_SK = "LEASE"
ENTITY_TYPE = "LEASE"
# The state machine's lease clock counts seconds from this instant (Step Functions has no epoch
# time: the ASL reads its state's entered time through lookup tables of March-based years).
LEASE_CLOCK_EPOCH = 1677628800  # 2023-03-01T00:00:00Z
LEASE_GRACE_SECONDS = 3600  # a lease lasts the wave's timeout + one poll interval + this
ERROR_SERVER_IN_USE = "DrsConsole.ServerInUse"


def lease_pk(source_server_id: str) -> str:
    return f"{LEASE_PK_PREFIX}{source_server_id}"


def lease_key(source_server_id: str) -> dict[str, str]:
    """The lease's primary key, as plain values."""
    return {"PK": lease_pk(source_server_id), "SK": LEASE_SK}


def is_lease_item(item: Mapping[str, Any]) -> bool:
    return str(item.get("PK") or "").startswith(LEASE_PK_PREFIX) or item.get("SK") == LEASE_SK


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class ServerLease:
    """One server's lease: who holds it and until when."""

    source_server_id: str
    holder: str  # executionId of the holding execution
    holder_arn: str = ""
    plan_id: str = ""
    wave_index: int | None = None  # 0-based
    acquired_at: str = ""
    expires_at: int | None = None  # epoch seconds (also the table's TTL attribute)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ServerLease | None:
        """From a deserialized lease item; None when it is not one (or names no holder)."""
        pk = str(item.get("PK") or "")
        if not pk.startswith(LEASE_PK_PREFIX) or item.get("SK") != LEASE_SK:
            return None
        holder = str(item.get("holder") or "")
        if not holder:
            return None
        expires = _int(item.get("expiresAt"))
        until = _int(item.get("leaseUntil"))
        if until is not None:  # the condition the state machine evaluates is on leaseUntil
            expires = LEASE_CLOCK_EPOCH + until
        return cls(
            source_server_id=pk[len(LEASE_PK_PREFIX) :],
            holder=holder,
            holder_arn=str(item.get("holderArn") or ""),
            plan_id=str(item.get("planId") or ""),
            wave_index=_int(item.get("waveIndex")),
            acquired_at=str(item.get("acquiredAt") or ""),
            expires_at=expires,
        )

    def expired(self, now: datetime) -> bool:
        """True once the state machine takes the lease over (no expiry: never). Its clock counts
        whole minutes, so a lease is over for sure a minute after ``expires_at``."""
        return self.expires_at is not None and now.timestamp() >= self.expires_at + 60

    def held_by_other(self, execution_id: str, now: datetime) -> bool:
        """Whether a start of ``execution_id`` would be refused this server now."""
        return self.holder != execution_id and not self.expired(now)

    @property
    def expires(self) -> datetime | None:
        return datetime.fromtimestamp(self.expires_at, UTC) if self.expires_at is not None else None
