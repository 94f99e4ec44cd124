"""One formatter per field: how every view (CLI text, ``--json``, the HTML and CSV reports, the
GUI tables) names, reads and writes the figures of an execution, so that they cannot drift.

* Times: ``utc_text`` (date, time and zone), ``clock_text`` (time of day in UTC, for tables whose
  header says UTC), ``iso_utc`` (JSON and CSV), ``stamp`` (a ``--follow`` line: UTC with the zone,
  or local time with the zone).
* Durations: ``duration_text`` ("1 h 02 min 03 s"), ``duration_value`` (whole seconds for JSON/CSV).
* The mission's per-server fields: ``SERVER_FIELDS``, each with its header (text and GUI), its
  JSON key, its CSV column, the value getter, the text formatter and the JSON value. An unknown
  value reads ``—`` in text and ``null`` in JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .execution import ServerView, WaveView
from .inventory import format_age

DASH = "—"


# -- times ----------------------------------------------------------------------------------------
def utc_text(dt: datetime | None, empty: str = DASH) -> str:
    """``2026-12-01 03:12:05 UTC``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if dt else empty


def clock_text(dt: datetime | None, empty: str = "") -> str:
    """``03:12:05``: the time of day in UTC (for a column whose header says UTC)."""
    return dt.astimezone(UTC).strftime("%H:%M:%S") if dt else empty


def iso_utc(dt: datetime | None) -> str | None:
    """``2026-12-01T03:12:05Z`` (JSON, CSV); None when unknown. Whole seconds: every view agrees
    to the second."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def stamp(dt: datetime, *, local: bool = False) -> str:
    """A ``--follow`` line's stamp: ``03:12:05 UTC``, or local time with its zone (``04:12:05 CET``)."""
    if local:
        here = dt.astimezone()
        return here.strftime("%H:%M:%S ") + (here.tzname() or here.strftime("%z"))
    return dt.astimezone(UTC).strftime("%H:%M:%S UTC")


# -- durations ------------------------------------------------------------------------------------
def whole_second(dt: datetime | None) -> datetime | None:
    """A recorded time to the second: every view shows times so, and durations are their
    differences (a wave shown 12:00:21 to 12:00:24 lasted 3 s, never 2; an execution shown 15:26:00
    to 15:26:20 took 20 s in History too, never 21)."""
    return dt.replace(microsecond=0) if dt is not None else None


def duration_value(seconds: float | None) -> int | None:
    """Whole seconds (JSON, CSV); None when unknown."""
    return None if seconds is None else max(0, int(round(seconds)))


def duration_text(seconds: float | None, empty: str = DASH) -> str:
    """``1 h 02 min 03 s``, ``4 min 05 s``, ``12 s``."""
    secs = duration_value(seconds)
    if secs is None:
        return empty
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h} h {m:02d} min {s:02d} s"
    return f"{m} min {s:02d} s" if m else f"{s} s"


# -- point in time ----------------------------------------------------------------------------------
def recovery_snapshot_text(snapshot_id: str, at: datetime | None, requested: datetime | None = None) -> str:
    """``pit-0123456789abcdef0 of 2026-12-01 07:50:12 UTC, 9 min 48 s before the requested time``:
    a point-in-time run's snapshot of a server (preflight, status, report, the GUI's column)."""
    if not snapshot_id and at is None:
        return DASH
    when = utc_text(at, "")
    text = " of ".join(x for x in (snapshot_id, when) if x)
    if at is not None and requested is not None:
        text += f", {duration_text((requested - at).total_seconds())} before the requested time"
    return text


POINT_IN_TIME_LABEL = "Point in time (requested)"


def point_in_time_text(at: datetime | None, empty: str = "") -> str:
    """A point-in-time run's requested time: ``2026-12-01 08:00:00 UTC`` (every view)."""
    return utc_text(at, empty)


def wave_point_in_time_text(wave_at: datetime | None, run_at: datetime | None) -> str:
    """A wave's time when it is not the run's (a per-wave override), else ""."""
    return utc_text(wave_at) if wave_at is not None and wave_at != run_at else ""


# -- the per-server fields ------------------------------------------------------------------------
def _text_value(value: Any) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, datetime):
        return utc_text(value)
    return str(getattr(value, "value", value))


def _json_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return iso_utc(value)
    return str(getattr(value, "value", value))


@dataclass(frozen=True, slots=True)
class ServerField:
    key: str  # the JSON key
    header: str  # CLI text, report and GUI column header
    csv: str  # the CSV column
    get: Callable[[ServerView], Any]

    def value(self, s: ServerView) -> Any:
        return self.get(s)

    def text(self, s: ServerView) -> str:
        return _text_value(self.get(s))

    def json(self, s: ServerView) -> Any:
        return _json_value(self.get(s))


SOURCE_SERVER_ID = ServerField("sourceServerId", "Source server ID", "server_id", lambda s: s.source_server_id)
NAME = ServerField("name", "Name", "server_name", lambda s: s.name)
SOURCE_INSTANCE_ID = ServerField("sourceInstanceId", "Source instance ID", "source_instance_id",
                                 lambda s: s.source_instance_id)
SOURCE_ACCOUNT_ID = ServerField("sourceAccountId", "Source account ID", "source_account_id",
                                lambda s: s.source_account_id)
# the account that recovers it (holds it in DRS; its wave's job there): differs from the source
# account above, where the machine runs
RECOVERY_ACCOUNT_ID = ServerField("recoveryAccountId", "Recovery account", "recovery_account_id",
                                  lambda s: s.recovery_account_id)
REPLICATION_STATE = ServerField("replicationState", "Replication", "replication_state",
                                lambda s: s.replication_state)
LAUNCH_STATUS = ServerField("launchStatus", "Launch status", "launch_status", lambda s: s.launch_status)
RECOVERY_INSTANCE_ID = ServerField("recoveryInstanceId", "Recovery instance ID", "recovery_instance_id",
                                   lambda s: s.recovery_instance_id)
EC2_INSTANCE_ID = ServerField("ec2InstanceId", "EC2 instance ID", "ec2_instance_id", lambda s: s.ec2_instance_id)
EC2_STATE = ServerField("ec2InstanceState", "EC2 state", "ec2_instance_state", lambda s: s.ec2_instance_state)
FAILURE_REASON = ServerField("failureReason", "Failure reason", "failure_reason", lambda s: s.failure_reason)
RECOVERY_POINT = ServerField("recoveryPoint", "Recovery snapshot (point in time)", "recovery_point",
                             lambda s: s.recovery_point)
# a point-in-time run: the snapshot the console resolved and passed to StartRecovery (planJson)
REQUESTED_SNAPSHOT_ID = ServerField("recoverySnapshotId", "Recovery snapshot ID", "recovery_snapshot_id",
                                    lambda s: s.recovery_snapshot_id)
REQUESTED_POINT = ServerField("requestedRecoveryPoint", "Recovery point", "requested_recovery_point",
                              lambda s: s.recovery_snapshot_at)

#: Every view shows these, in this order.
SERVER_FIELDS: tuple[ServerField, ...] = (
    SOURCE_SERVER_ID, NAME, SOURCE_INSTANCE_ID, SOURCE_ACCOUNT_ID, REPLICATION_STATE, LAUNCH_STATUS,
    RECOVERY_INSTANCE_ID, EC2_INSTANCE_ID, EC2_STATE, FAILURE_REASON, RECOVERY_POINT, REQUESTED_POINT,
    REQUESTED_SNAPSHOT_ID, RECOVERY_ACCOUNT_ID,
)


def wave_label(w: WaveView) -> str:
    """``wave 2 "Web"``: a wave as every line about it names it (status, --follow, notifications)."""
    return f'wave {w.index + 1} "{w.name}"'


def job_text(job_id: str, account_id: str) -> str:
    """One DRS job with the account that runs it: 'drsjob-1a2b (account 123456789012)'."""
    return f"{job_id} (account {account_id})" if account_id else job_id


def recovering_account_text(account_id: str, name: str = "") -> str:
    """A plan's server that another account recovers (its ``accountId``; contract 1.2): 'recovered
    by account Target 1 (210987654321)', or the ID alone when the account has no known name."""
    return f"recovered by account {name} ({account_id})" if name else f"recovered by account {account_id}"


def wave_jobs_text(w: WaveView) -> str:
    """A wave's DRS jobs as every view shows them: each with its account when the wave ran outside
    the connected account (contract 1.2), a native step's every job (its retries), else its job."""
    if w.jobs:
        return ", ".join(job_text(j, a) for a, j in w.jobs)
    if len(w.job_ids) > 1:
        return ", ".join(w.job_ids)
    return w.job_id or ", ".join(w.job_ids)


def server_job_id(w: WaveView, s: ServerView) -> str:
    """The DRS job that launched ``s``: in a wave spanning accounts, its recovering account's job;
    else the wave's job."""
    return dict(w.jobs).get(s.recovery_account_id, w.job_id) if w.jobs else w.job_id


def server_json(s: ServerView) -> dict[str, Any]:
    return {f.key: f.json(s) for f in SERVER_FIELDS}


def server_label(s: ServerView) -> str:
    """``web-1 (s-1234)``, or the ID alone when the name is unknown."""
    return f"{s.name} ({s.source_server_id})" if s.name else s.source_server_id


# -- readiness ------------------------------------------------------------------------------------
def rto_target_text(minutes: int | None, empty: str = "none") -> str:
    """A plan's RTO target: ``45 min``, ``2 h``, ``2 h 30 min``; ``none`` when unset."""
    if minutes is None:
        return empty
    h, m = divmod(int(minutes), 60)
    if not h:
        return f"{m} min"
    return f"{h} h {m} min" if m else f"{h} h"


def age_text(seconds: float | None, empty: str = DASH) -> str:
    """How long ago (a recovery point, a lag, an inventory): ``41 min``, ``3 h 10 min``, ``2 d 4 h``."""
    if seconds is None:
        return empty
    return format_age(timedelta(seconds=max(0.0, seconds)))
