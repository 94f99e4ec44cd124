"""DRS source servers as the console sees them, independent of boto3's dict shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .status import ReplicationHealth, ReplicationState, replication_health


@dataclass(frozen=True, slots=True)
class SourceServer:
    source_server_id: str
    hostname: str = ""
    fqdn: str = ""
    instance_id: str = ""  # source EC2 instance ID (awsInstanceID), when the source is on EC2
    account_id: str = ""  # originAccountID
    origin_region: str = ""
    replication_state: ReplicationState = ReplicationState.UNKNOWN
    lag_duration: str = ""  # ISO-8601 duration as DRS reports it, e.g. "PT2M"
    last_launch_result: str = ""  # NOT_STARTED | PENDING | SUCCEEDED | FAILED
    recovery_instance_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Display name: the Name tag, else the hostname, else the ID."""
        return self.tags.get("Name") or self.hostname or self.source_server_id

    @property
    def health(self) -> ReplicationHealth:
        return replication_health(self.replication_state)

    def tags_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))

    def matches_text(self, needle: str) -> bool:
        """Case-insensitive match of a free-text filter against every visible field."""
        n = needle.casefold()
        hay = (
            self.name,
            self.source_server_id,
            self.hostname,
            self.fqdn,
            self.instance_id,
            self.account_id,
            self.origin_region,
            self.replication_state.value,
            self.last_launch_result,
            self.tags_text(),
        )
        return any(n in h.casefold() for h in hay if h)


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """The source servers of one account and region, as read at one moment."""

    account_id: str
    region: str
    fetched_at: datetime
    servers: tuple[SourceServer, ...]

    def by_id(self) -> dict[str, SourceServer]:
        return {s.source_server_id: s for s in self.servers}

    def age(self, now: datetime | None = None) -> timedelta:
        now = now or datetime.now(UTC)
        return now - self.fetched_at


def parse_iso_duration(text: str) -> timedelta | None:
    """Parse the small ISO-8601 duration subset DRS uses (PnDTnHnMnS)."""
    import re

    m = re.fullmatch(
        r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
        text or "",
    )
    if not m or text in ("P", "PT"):
        return None
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def format_age(delta: timedelta) -> str:
    """'just now', '5 min', '3 h 10 min', '2 d 4 h' – for inventory and lag display."""
    secs = int(delta.total_seconds())
    if secs < 0:
        secs = 0
    if secs < 60:
        return f"{secs} s" if secs else "0 s"
    mins, _ = divmod(secs, 60)
    if mins < 60:
        return f"{mins} min"
    hours, mins = divmod(mins, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def server_from_drs(item: Mapping) -> SourceServer:
    """Build a SourceServer from one DescribeSourceServers item (boto3's shape, plain dict)."""
    props = item.get("sourceProperties") or {}
    ident = props.get("identificationHints") or {}
    repl = item.get("dataReplicationInfo") or {}
    cloud = item.get("sourceCloudProperties") or {}
    return SourceServer(
        source_server_id=item.get("sourceServerID", ""),
        hostname=ident.get("hostname", ""),
        fqdn=ident.get("fqdn", ""),
        instance_id=ident.get("awsInstanceID", ""),
        account_id=cloud.get("originAccountID", ""),
        origin_region=cloud.get("originRegion", ""),
        replication_state=ReplicationState.parse(repl.get("dataReplicationState")),
        lag_duration=repl.get("lagDuration", "") or "",
        last_launch_result=item.get("lastLaunchResult", "") or "",
        recovery_instance_id=item.get("recoveryInstanceId", "") or "",
        tags=dict(item.get("tags") or {}),
    )


def servers_from_drs(items: Iterable[Mapping]) -> tuple[SourceServer, ...]:
    return tuple(server_from_drs(i) for i in items)
