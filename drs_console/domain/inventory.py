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
    # The account that holds the server in DRS (its ARN's), which differs from the source account
    # above (where the machine runs); "" in caches written before accounts were known.
    drs_account_id: str = ""
    # An extended source server (stagingArea.status EXTENDED) replicates through a staging account.
    staging_account_id: str = ""
    staging_status: str = ""  # EXTENDED | NOT_EXTENDED | EXTENSION_ERROR | ""

    @property
    def extended(self) -> bool:
        return self.staging_status == "EXTENDED"

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
            self.drs_account_id,
            self.staging_account_id,
            self.origin_region,
            self.replication_state.value,
            self.last_launch_result,
            self.tags_text(),
        )
        return any(n in h.casefold() for h in hay if h)


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """The source servers of the connected account (``account_id``) and of every known account
    read with it, in one region, as read at one moment. Each server says which account holds it
    (``drs_account_id``); ``problems`` names the known accounts that could not be read."""

    account_id: str
    region: str
    fetched_at: datetime
    servers: tuple[SourceServer, ...]
    account_names: Mapping[str, str] = field(default_factory=dict)  # known account -> its name
    problems: Mapping[str, str] = field(default_factory=dict)  # account -> why it could not be read
    accounts: tuple[str, ...] = ()  # the accounts read (the connected one first); () = it alone

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Every account of this inventory: the connected one first, then those read or holding a server."""
        seen = dict.fromkeys((self.account_id, *self.accounts, *self.problems))
        for s in self.servers:
            seen.setdefault(self.server_account(s), None)
        return tuple(a for a in seen if a)

    def server_account(self, server: SourceServer) -> str:
        """The account holding ``server`` in DRS (the connected one for servers read before accounts)."""
        return server.drs_account_id or self.account_id

    def account_label(self, account_id: str) -> str:
        name = self.account_names.get(account_id, "")
        return f"{name} ({account_id})" if name else account_id

    def in_account(self, account_id: str) -> tuple[SourceServer, ...]:
        return tuple(s for s in self.servers if self.server_account(s) == account_id)

    def by_id(self) -> dict[str, SourceServer]:
        return {s.source_server_id: s for s in self.servers}

    @property
    def own_servers(self) -> tuple[SourceServer, ...]:
        """The servers the connected account holds: what a plan of that account resolves its server
        IDs and selectors against (a selector never picks another account's server by its tags)."""
        return self.in_account(self.account_id)

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
    staging = item.get("stagingArea") or {}
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
        drs_account_id=arn_account(item.get("arn") or ""),
        staging_account_id=str(staging.get("stagingAccountID") or "") if staging.get("status") == "EXTENDED" else "",
        staging_status=str(staging.get("status") or ""),
    )


def arn_account(arn: str) -> str:
    """The account field of an ARN ('' when it is not one)."""
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""


def servers_from_drs(items: Iterable[Mapping]) -> tuple[SourceServer, ...]:
    return tuple(server_from_drs(i) for i in items)
