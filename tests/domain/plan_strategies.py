"""Hypothesis strategies for plans (shared by the domain and store tests)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import strategies as st

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import FailurePolicy, Plan, ServerRef, Wave
from drs_console.domain.status import ReplicationState

# A small pool so that the same server often lands in two waves.
SERVER_IDS = [f"s-{i:017x}" for i in range(12)]

names = st.text(max_size=40)
timestamps = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
uuids = st.builds(lambda: str(uuid.uuid4()))
server_refs = st.builds(
    ServerRef,
    source_server_id=st.sampled_from(SERVER_IDS),
    name=names,
    source_instance_id=st.text(max_size=20),
    source_account_id=st.text(alphabet="0123456789", max_size=12),
    replication_state=st.sampled_from(list(ReplicationState)),
)
selectors = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "Application=payments",
            "Application=payments AND Tier=web",
            "Tier=db OR Tier=app",
            "NOT Tier=web",
            "Application!=payments",
            "(Tier=web",  # does not parse
            "Application=",  # does not parse
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def waves(draw) -> Wave:
    return Wave(
        id=draw(uuids),
        name=draw(names),
        servers=draw(st.lists(server_refs, max_size=6)),
        selector=draw(selectors),
        pause_before=draw(st.booleans()),
        timeout_minutes=draw(st.integers(-10, 3000)),
    )


@st.composite
def plans(draw, max_waves: int = 6) -> Plan:
    return Plan(
        name=draw(names),
        id=draw(uuids),
        description=draw(st.text(max_size=80)),
        target_account_id=draw(st.sampled_from(["", "123456789012", "12345", "999999999999"])),
        target_region=draw(st.sampled_from(["", "us-east-1", "eu-west-1", "moon-1"])),
        waves=draw(st.lists(waves(), max_size=max_waves)),
        poll_interval_seconds=draw(st.integers(-5, 5000)),
        failure_policy=draw(st.sampled_from(list(FailurePolicy))),
        tags=draw(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=10), max_size=4)),
        created_at=draw(timestamps),
        modified_at=draw(timestamps),
    )


source_servers = st.builds(
    SourceServer,
    source_server_id=st.sampled_from(SERVER_IDS),
    replication_state=st.sampled_from(list(ReplicationState)),
    tags=st.dictionaries(
        st.sampled_from(["Application", "Tier", "Name"]), st.sampled_from(["payments", "web", "db", "app"])
    ),
)


@st.composite
def inventories(draw) -> InventorySnapshot:
    servers = draw(st.lists(source_servers, max_size=10, unique_by=lambda s: s.source_server_id))
    return InventorySnapshot(
        account_id=draw(st.sampled_from(["123456789012", "999999999999", ""])),
        region=draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
        servers=tuple(servers),
    )
