"""Plain records the DRS simulator keeps, and the helpers that render them in DRS's JSON shapes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


def drs_time(dt: datetime) -> str:
    """DRS's ISO-8601 timestamp text, UTC with a 'Z' as the model's ISO8601DatetimeString pattern
    requires: '2024-05-01T12:00:03.250000Z'."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def parse_drs_time(text: str) -> datetime:
    """Parse an ISO-8601 timestamp as clients send it ('Z' or an offset; naive means UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def hex_id(rng: random.Random, length: int = 17) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def iso_duration(seconds: float) -> str:
    """Seconds as an ISO-8601 duration in DRS's style: 'PT0S', 'PT12M5S', 'P1DT4H'."""
    secs = max(0, int(seconds))
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins, secs = divmod(rem, 60)
    out = "P"
    if days:
        out += f"{days}D"
    if hours or mins or secs or not days:
        out += "T"
        if hours:
            out += f"{hours}H"
        if mins:
            out += f"{mins}M"
        if secs or (not hours and not mins):
            out += f"{secs}S"
    return out


@dataclass
class LastLaunch:
    api_call_at: datetime
    job_id: str
    launch_type: str  # DRILL | RECOVERY
    status: str  # LaunchStatus


@dataclass
class ServerRecord:
    source_server_id: str
    arn: str
    hostname: str
    fqdn: str
    aws_instance_id: str
    origin_account_id: str
    origin_region: str
    origin_az: str
    replication_state: str
    lag_seconds: int
    tags: dict[str, str]
    added_at: datetime
    os_full: str
    cpu_cores: int
    cpu_model: str
    ram_bytes: int
    disks: list[tuple[str, int]]
    recommended_instance_type: str
    ip: str
    mac: str
    staging_account_id: str
    staging_status: str  # EXTENDED | NOT_EXTENDED
    staging_az: str
    agent_version: str
    replication_error: str = ""
    replication_raw_error: str = ""
    sync_progress: float = 1.0  # INITIAL_SYNC: fraction replicated
    frozen_at: datetime | None = None  # STALLED/DISCONNECTED: when data last arrived (last contact)
    # mutable launch state
    last_launch_result: str = "NOT_STARTED"
    last_launch: LastLaunch | None = None
    recovery_instance_id: str = ""

    def item(self, now: datetime, dr_region: str) -> dict[str, Any]:
        total = sum(b for _, b in self.disks)
        replicated_disks = []
        for name, size in self.disks:
            replicated = int(size * self.sync_progress)
            backlog = 0
            if self.replication_state == "BACKLOG":
                backlog = int(size * 0.002)
            replicated_disks.append(
                {
                    "deviceName": name,
                    "totalStorageBytes": size,
                    "replicatedStorageBytes": replicated,
                    "rescannedStorageBytes": 0,
                    "backloggedStorageBytes": backlog,
                    "volumeStatus": "REGULAR",
                }
            )
        lag = self.lag_seconds
        if self.frozen_at is not None and self.replication_state in ("STALLED", "DISCONNECTED"):
            lag = max(0, int((now - self.frozen_at).total_seconds()))  # the lag grows while stuck
        repl: dict[str, Any] = {
            "dataReplicationState": self.replication_state,
            "lagDuration": iso_duration(lag),
            "replicatedDisks": replicated_disks,
            "stagingAvailabilityZone": self.staging_az,
        }
        if self.replication_state == "INITIAL_SYNC":
            remaining = (1.0 - self.sync_progress) * total / (40 * 1024 * 1024)  # ~40 MB/s
            repl["etaDateTime"] = drs_time(now + _seconds(remaining))
            repl["dataReplicationInitiation"] = {
                "startDateTime": drs_time(self.added_at),
                "steps": [
                    {"name": step, "status": "SUCCEEDED"}
                    for step in (
                        "WAIT",
                        "CREATE_SECURITY_GROUP",
                        "LAUNCH_REPLICATION_SERVER",
                        "BOOT_REPLICATION_SERVER",
                        "AUTHENTICATE_WITH_SERVICE",
                        "DOWNLOAD_REPLICATION_SOFTWARE",
                        "CREATE_STAGING_DISKS",
                        "ATTACH_STAGING_DISKS",
                        "PAIR_REPLICATION_SERVER_WITH_AGENT",
                        "CONNECT_AGENT_TO_REPLICATION_SERVER",
                        "START_DATA_TRANSFER",
                    )
                ],
            }
        if self.replication_error:
            repl["dataReplicationError"] = {
                "error": self.replication_error,
                "rawError": self.replication_raw_error,
            }
        last_seen = now - _seconds(lag if self.replication_state == "DISCONNECTED" else 3)
        life: dict[str, Any] = {
            "addedToServiceDateTime": drs_time(self.added_at),
            "firstByteDateTime": drs_time(self.added_at + _seconds(95)),
            "elapsedReplicationDuration": iso_duration((now - self.added_at).total_seconds()),
            "lastSeenByServiceDateTime": drs_time(last_seen),
        }
        if self.last_launch is not None:
            life["lastLaunch"] = {
                "initiated": {
                    "apiCallDateTime": drs_time(self.last_launch.api_call_at),
                    "jobID": self.last_launch.job_id,
                    "type": self.last_launch.launch_type,
                },
                "status": self.last_launch.status,
            }
        staging: dict[str, Any] = {"status": self.staging_status}
        if self.staging_status == "EXTENDED":
            staging["stagingAccountID"] = self.staging_account_id
            staging["stagingSourceServerArn"] = (
                f"arn:aws:drs:{dr_region}:{self.staging_account_id}:source-server/{self.source_server_id}"
            )
        item: dict[str, Any] = {
            "sourceServerID": self.source_server_id,
            "arn": self.arn,
            "tags": dict(self.tags),
            "lastLaunchResult": self.last_launch_result,
            "dataReplicationInfo": repl,
            "lifeCycle": life,
            "sourceProperties": {
                "lastUpdatedDateTime": drs_time(now - _seconds(600)),
                "recommendedInstanceType": self.recommended_instance_type,
                "identificationHints": {
                    "fqdn": self.fqdn,
                    "hostname": self.hostname,
                    "awsInstanceID": self.aws_instance_id,
                },
                "networkInterfaces": [{"macAddress": self.mac, "ips": [self.ip], "isPrimary": True}],
                "disks": [{"deviceName": n, "bytes": b} for n, b in self.disks],
                "cpus": [{"cores": self.cpu_cores, "modelName": self.cpu_model}],
                "ramBytes": self.ram_bytes,
                "os": {"fullString": self.os_full},
                "supportsNitroInstances": True,
            },
            "stagingArea": staging,
            "sourceCloudProperties": {
                "originAccountID": self.origin_account_id,
                "originRegion": self.origin_region,
                "originAvailabilityZone": self.origin_az,
            },
            "replicationDirection": "FAILOVER",
            "agentVersion": self.agent_version,
        }
        if self.recovery_instance_id:
            item["recoveryInstanceId"] = self.recovery_instance_id
        return item


@dataclass
class Participant:
    source_server_id: str
    launch_status: str = "PENDING"
    recovery_instance_id: str = ""

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sourceServerID": self.source_server_id, "launchStatus": self.launch_status}
        if self.recovery_instance_id:
            out["recoveryInstanceID"] = self.recovery_instance_id
        return out


@dataclass
class LogItem:
    at: datetime
    event: str
    data: dict[str, Any] = field(default_factory=dict)

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logDateTime": drs_time(self.at), "event": self.event}
        if self.data:
            out["eventData"] = dict(self.data)
        return out


@dataclass
class JobRecord:
    job_id: str
    arn: str
    job_type: str  # LAUNCH | TERMINATE
    initiated_by: str  # START_DRILL | START_RECOVERY | TERMINATE_RECOVERY_INSTANCES
    created_at: datetime
    seq: int
    participants: list[Participant]
    tags: dict[str, str] = field(default_factory=dict)
    is_drill: bool = False
    scaled: bool = True  # steps take AWS time / speed (False: seeded history, at AWS's pace)
    fail_ids: frozenset[str] | None = None  # seeded: exactly these servers fail (None: the usual rules)
    pins: dict[str, Any] = field(default_factory=dict)  # source server ID -> pinned RecoverySnapshot
    on_end: Any = None  # called with the end time when the job ends (recovery plan executions)
    status: str = "PENDING"
    ended_at: datetime | None = None
    log: list[LogItem] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status != "COMPLETED"

    def participant(self, source_server_id: str) -> Participant:
        for p in self.participants:
            if p.source_server_id == source_server_id:
                return p
        raise KeyError(source_server_id)

    def item(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "jobID": self.job_id,
            "arn": self.arn,
            "type": self.job_type,
            "initiatedBy": self.initiated_by,
            "creationDateTime": drs_time(self.created_at),
            "status": self.status,
            "participatingServers": [p.item() for p in self.participants],
            "tags": dict(self.tags),
        }
        if self.ended_at is not None:
            out["endDateTime"] = drs_time(self.ended_at)
        return out


@dataclass
class RecoveryInstanceRecord:
    recovery_instance_id: str  # DRS uses the EC2 instance ID as the recovery instance ID
    arn: str
    source_server_id: str
    job_id: str
    is_drill: bool
    launched_at: datetime
    snapshot_at: datetime
    tags: dict[str, str]
    origin_environment: str
    origin_az: str
    hostname: str
    instance_type: str
    ec2_state: str = "RUNNING"
    terminated_at: datetime | None = None

    def item(self, now: datetime) -> dict[str, Any]:
        return {
            "recoveryInstanceID": self.recovery_instance_id,
            "ec2InstanceID": self.recovery_instance_id,
            "ec2InstanceState": self.ec2_state,
            "jobID": self.job_id,
            "sourceServerID": self.source_server_id,
            "arn": self.arn,
            "tags": dict(self.tags),
            "isDrill": self.is_drill,
            "originEnvironment": self.origin_environment,
            "originAvailabilityZone": self.origin_az,
            "pointInTimeSnapshotDateTime": drs_time(self.snapshot_at),
            "recoveryInstanceProperties": {
                "lastUpdatedDateTime": drs_time(max(self.launched_at, now)),
                "identificationHints": {
                    "hostname": self.hostname,
                    "awsInstanceID": self.recovery_instance_id,
                },
            },
            "dataReplicationInfo": {"dataReplicationState": "NOT_STARTED"},
            "failback": {"state": "FAILBACK_NOT_STARTED"},
        }


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
