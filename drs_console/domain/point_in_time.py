"""Point-in-time recovery: the requested time, and each server's recovery snapshot for it.

Pure: ``aws/point_in_time.py`` reads DescribeRecoverySnapshots and calls these functions.

* ``parse_point_in_time`` reads TIME: ISO 8601 with a zone (``2026-12-01T08:00:00Z``,
  ``2026-12-01T10:00:00+02:00``), relative (``now-2h``, ``now-90m``, ``now-1d``, ``now-1h30m``) or
  the GUI date-time picker's local form (``2026-12-01 10:00 local``: this machine's zone; shown with
  its UTC equivalent). A time without a zone, in the future, or unparsable is refused with the
  accepted forms.
* ``resolve_server`` / ``resolve``: for each server the **newest recovery snapshot taken at or
  before** the requested time (by its ``timestamp``, else its ``expectedTimestamp``). Ties (two
  snapshots taken at the same instant) go to the greatest snapshot ID, so the choice never depends
  on the order DRS listed them in.
* ``check_point_in_time``: a server with no snapshot at or before the time BLOCKs (naming the
  oldest snapshot it has, or that it has none); a wave whose servers' resolved snapshots are more
  than ``max_spread`` apart (default 15 minutes) WARNs: the application would be recovered from
  inconsistent points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .errors import BadInput

DEFAULT_MAX_SPREAD_MINUTES = 15
LOCAL_SUFFIX = "local"

ACCEPTED_FORMS = ("ISO 8601 with a zone (2026-12-01T08:00:00Z or 2026-12-01T10:00:00+02:00), "
                  "relative to now (now-2h, now-90m, now-1d, now-1h30m) or local time "
                  "(2026-12-01 10:00 local)")
_RELATIVE = re.compile(r"^now\s*-\s*((?:\d+\s*[dhms]\s*)+)$", re.IGNORECASE)
_PART = re.compile(r"(\d+)\s*([dhms])", re.IGNORECASE)
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True, slots=True)
class PointInTime:
    """A requested time: ``at`` (aware, UTC), what was typed and how it reads."""

    at: datetime
    text: str = ""
    local: bool = False  # typed (or picked) as this machine's local time

    def iso(self) -> str:
        return iso(self.at)

    def describe(self) -> str:
        """'2026-12-01 08:00:00 UTC' (+ ' = 10:00 local, UTC+02:00' for a local time, or what was typed)."""
        utc = f"{self.at:%Y-%m-%d %H:%M:%S} UTC"
        if self.local:
            here = self.at.astimezone()
            return f"{here:%Y-%m-%d %H:%M:%S} local ({here.strftime('%z')[:3]}:{here.strftime('%z')[3:]}) = {utc}"
        if self.text and self.text.lower().startswith("now"):
            return f"{utc} ({self.text.replace(' ', '')})"
        return utc


def iso(at: datetime) -> str:
    """``2026-12-01T08:00:00Z``: whole seconds, UTC (the contract's pointInTime)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bad(text: str, why: str) -> BadInput:
    return BadInput(f"Point in time {text!r}: {why}.", f"Give TIME as {ACCEPTED_FORMS}.")


def parse_point_in_time(text: str, now: datetime | None = None, *, local_zone: timezone | None = None) -> PointInTime:
    """TIME as a ``PointInTime`` (see the module docstring); ``BadInput`` otherwise."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    raw = (text or "").strip()
    if not raw:
        raise _bad(raw, "it is empty")
    local = False
    rel = _RELATIVE.match(raw)
    if rel:
        at = now - parse_duration(rel.group(1))
    elif raw.lower() == "now":
        at = now
    else:
        body = raw
        if body.lower().endswith(" " + LOCAL_SUFFIX):
            body = body[: -len(LOCAL_SUFFIX)].strip()
            local = True
        iso_text = body[:-1] + "+00:00" if body.endswith(("Z", "z")) else body
        try:
            dt = datetime.fromisoformat(iso_text)
        except ValueError:
            raise _bad(raw, "it is not a time this console reads") from None
        if local:
            if dt.tzinfo is not None:
                raise _bad(raw, "it has both a zone and 'local'")
            dt = dt.replace(tzinfo=local_zone) if local_zone else dt.astimezone()  # naive -> this machine's zone
        elif dt.tzinfo is None:
            raise _bad(raw, "it has no time zone (add Z for UTC, an offset like +02:00, or ' local')")
        at = dt.astimezone(UTC)
    at = at.replace(microsecond=0)
    if at > now:
        raise _bad(raw, f"it is in the future ({at:%Y-%m-%d %H:%M:%S} UTC; now is {now:%Y-%m-%d %H:%M:%S} UTC)")
    return PointInTime(at, raw, local)


def parse_duration(text: str) -> timedelta:
    """``2h``, ``90m``, ``1d``, ``1h30m``, ``45s`` as a timedelta (ValueError otherwise)."""
    raw = (text or "").strip()
    if not raw or not re.fullmatch(r"(?:\d+\s*[dhms]\s*)+", raw, re.IGNORECASE):
        raise ValueError(f"{text!r} is not a duration like 2h, 90m, 1d or 1h30m")
    return timedelta(seconds=sum(int(n) * _UNIT[u.lower()] for n, u in _PART.findall(raw)))


def parse_max_spread(value: Any) -> timedelta:
    """``--max-spread MINUTES`` (a whole number 0..1440) as a timedelta; BadInput otherwise."""
    try:
        minutes = int(str(value).strip())
    except ValueError:
        minutes = -1
    if not 0 <= minutes <= 1440:
        raise BadInput(f"--max-spread {value!r}: give a whole number of minutes, 0 to 1440.",
                       f"The default is {DEFAULT_MAX_SPREAD_MINUTES}.")
    return timedelta(minutes=minutes)


# --- resolution ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Snapshot:
    """One DescribeRecoverySnapshots item: its ID and when it was taken."""

    snapshot_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Resolution:
    """A server's recovery snapshot for a requested time (``snapshot`` None: none at or before it;
    ``oldest``: then the oldest it has, if any)."""

    source_server_id: str
    requested: datetime
    snapshot: Snapshot | None = None
    oldest: Snapshot | None = None

    @property
    def ok(self) -> bool:
        return self.snapshot is not None

    @property
    def before_seconds(self) -> float | None:
        """How far before the requested time the snapshot was taken."""
        return None if self.snapshot is None else (self.requested - self.snapshot.at).total_seconds()

    def to_json(self) -> dict[str, Any]:
        return {
            "sourceServerId": self.source_server_id,
            "requestedTime": iso(self.requested),
            "recoverySnapshotId": self.snapshot.snapshot_id if self.snapshot else None,
            "snapshotTime": iso(self.snapshot.at) if self.snapshot else None,
            "beforeSeconds": int(self.before_seconds) if self.snapshot else None,
            "oldestSnapshotId": self.oldest.snapshot_id if self.oldest else None,
            "oldestSnapshotTime": iso(self.oldest.at) if self.oldest else None,
        }


def snapshot_from_item(item: Mapping[str, Any]) -> Snapshot | None:
    """A DescribeRecoverySnapshots item as a Snapshot (its ``timestamp``, else ``expectedTimestamp``)."""
    from .progress import parse_time

    at = parse_time(item.get("timestamp")) or parse_time(item.get("expectedTimestamp"))
    sid = str(item.get("snapshotID") or "")
    return Snapshot(sid, at) if at is not None and sid else None


def _key(s: Snapshot) -> tuple[datetime, str]:
    return (s.at, s.snapshot_id)  # newest first by time; a tie goes to the greatest ID


def resolve_server(source_server_id: str, requested: datetime, snapshots: Iterable[Snapshot],
                   oldest: Snapshot | None = None) -> Resolution:
    """The newest snapshot taken at or before ``requested`` (ties: the greatest snapshot ID).
    ``oldest``: the server's oldest snapshot when known (named when nothing is at or before)."""
    snaps = list(snapshots)
    eligible = [s for s in snaps if s.at <= requested]
    best = max(eligible, key=_key, default=None)
    if best is None and oldest is None:
        oldest = min(snaps, key=_key, default=None)
    return Resolution(source_server_id, requested, best, None if best else oldest)


@dataclass(frozen=True, slots=True)
class WaveResolution:
    """A wave's requested time and its servers' resolutions (in the wave's order)."""

    index: int
    name: str
    requested: datetime
    servers: tuple[Resolution, ...]

    @property
    def spread_seconds(self) -> float:
        times = [r.snapshot.at for r in self.servers if r.snapshot]
        return (max(times) - min(times)).total_seconds() if len(times) > 1 else 0.0


def wave_requested(index: int, default: datetime | None, overrides: Mapping[int, datetime]) -> datetime | None:
    """The time wave ``index`` (0-based) recovers to: its override, else the run's (None: latest)."""
    return overrides.get(index, default)


# --- checks ------------------------------------------------------------------------------------------
def _ago(seconds: float | None) -> str:
    from .fields import duration_text

    return duration_text(seconds)


def check_point_in_time(waves: Sequence[WaveResolution], *, max_spread: timedelta = timedelta(
        minutes=DEFAULT_MAX_SPREAD_MINUTES), names: Mapping[str, str] | None = None) -> list:
    """The preflight checks of a point-in-time run (``domain.preflight.Check``): one per server
    (PASS with its snapshot, or BLOCK), and a WARN per wave whose snapshots spread too far."""
    from .fields import recovery_snapshot_text
    from .preflight import Check, Level

    names = names or {}
    out = []
    for w in waves:
        label = f'wave {w.index + 1} "{w.name}"'
        for r in w.servers:
            who = f"{names[r.source_server_id]} ({r.source_server_id})" if names.get(r.source_server_id) \
                else r.source_server_id
            if r.snapshot is None:
                if r.oldest is not None:
                    what = (f"its oldest is {r.oldest.snapshot_id} taken {r.oldest.at:%Y-%m-%d %H:%M:%S} UTC, "
                            "after that time")
                else:
                    what = "it has no recovery snapshot at all"
                out.append(Check("point-in-time", Level.BLOCK,
                                 f"{label}: {who} has no recovery snapshot at or before "
                                 f"{w.requested:%Y-%m-%d %H:%M:%S} UTC: {what}.",
                                 "Choose a later point in time, or remove the server from the wave.",
                                 wave_index=w.index, server_ids=(r.source_server_id,)))
                continue
            out.append(Check("point-in-time", Level.PASS,
                             f"{label}: {who} recovers to "
                             f"{recovery_snapshot_text(r.snapshot.snapshot_id, r.snapshot.at, r.requested)}.",
                             wave_index=w.index, server_ids=(r.source_server_id,)))
        spread = w.spread_seconds
        if spread > max_spread.total_seconds():
            ok = [r for r in w.servers if r.snapshot]
            first = min(ok, key=lambda r: r.snapshot.at)  # type: ignore[union-attr]
            last = max(ok, key=lambda r: r.snapshot.at)  # type: ignore[union-attr]
            out.append(Check("point-in-time", Level.WARN,
                             f"{label}: an application recovered from inconsistent points: its servers' "
                             f"snapshots are {_ago(spread)} apart ({first.source_server_id} "
                             f"{first.snapshot.at:%H:%M:%S} UTC to {last.source_server_id} "  # type: ignore[union-attr]
                             f"{last.snapshot.at:%H:%M:%S} UTC), more than "  # type: ignore[union-attr]
                             f"{_ago(max_spread.total_seconds())}.",
                             "Accept it, choose another point in time, or raise --max-spread.",
                             wave_index=w.index, server_ids=tuple(r.source_server_id for r in ok)))
    return out


def resolution_lines(waves: Sequence[WaveResolution]) -> list[str]:
    """The per-server table the preflight prints under its checks."""
    from .fields import recovery_snapshot_text

    out = []
    for w in waves:
        out.append(f"  wave {w.index + 1} {w.name!r} to {w.requested:%Y-%m-%d %H:%M:%S} UTC:")
        for r in w.servers:
            text = (recovery_snapshot_text(r.snapshot.snapshot_id, r.snapshot.at, r.requested) if r.snapshot
                    else "no snapshot at or before that time")
            out.append(f"    {r.source_server_id}: {text}")
    return out


def waves_json(waves: Sequence[WaveResolution]) -> list[dict[str, Any]]:
    return [{"index": w.index, "name": w.name, "requestedTime": iso(w.requested),
             "spreadSeconds": int(w.spread_seconds), "servers": [r.to_json() for r in w.servers]} for w in waves]
