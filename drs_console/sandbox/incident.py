"""A simulated incident (ransomware, a bad change) for demonstrating point-in-time recovery.

``Sandbox(incident=timedelta(hours=2))`` (``sandbox serve --incident 2h``, or
``$DRS_CONSOLE_SANDBOX_INCIDENT=2h`` for the in-process sandbox of ``--sandbox`` and the desktop):
when the sandbox starts, the incident happened that long ago, and a set of source servers is
compromised since then: the sample plan's servers and every fourth continuously replicating server
(by ID). Each carries the tags ``drs-console:compromised=true`` and ``drs-console:compromised-at``
(ISO 8601 UTC); ``Sandbox.incident_info`` (and ``GET /_sandbox/health``) lists them. Recovering to
a point in time before the incident (``--point-in-time now-3h``) launches them from snapshots taken
before it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain.point_in_time import iso, parse_duration

INCIDENT_ENV = "DRS_CONSOLE_SANDBOX_INCIDENT"
TAG = "drs-console:compromised"
TAG_AT = "drs-console:compromised-at"
SAMPLE_PLAN = ("plans", "sample-payments.json")


@dataclass(frozen=True)
class Incident:
    at: datetime
    server_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "compromisedServerIds": list(self.server_ids), "tag": f"{TAG}=true"}


def incident_from_env() -> timedelta | None:
    """``$DRS_CONSOLE_SANDBOX_INCIDENT`` as a duration (None when unset); ValueError saying what to set."""
    value = os.environ.get(INCIDENT_ENV, "").strip()
    if not value:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(f"${INCIDENT_ENV} is {value!r}, not a duration: set it to something like 2h or 90m") from None


def _sample_plan_servers() -> list[str]:
    try:
        from ..resources import resource_path

        doc = json.loads(resource_path(*SAMPLE_PLAN).read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError):
        return []
    return [str(s.get("sourceServerId")) for w in doc.get("waves") or [] for s in w.get("servers") or []]


def compromised_servers(sim: Any) -> list[str]:
    """The sample plan's servers present in ``sim``, then every fourth CONTINUOUS server by ID."""
    ids = sim.server_ids()
    continuous = sorted(s for s in ids if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS")
    chosen = [s for s in _sample_plan_servers() if s in ids]
    chosen += [s for s in continuous[::4] if s not in chosen]
    return chosen


def apply_incident(sim: Any, ago: timedelta) -> Incident:
    """Mark the compromised servers (tags on the source servers); the incident was ``ago`` before now."""
    at = (sim.clock.now() - ago).astimezone(UTC).replace(microsecond=0)
    chosen = compromised_servers(sim)
    for sid in chosen:
        sim.tag_resource(sim.server(sid)["arn"], {TAG: "true", TAG_AT: iso(at)})
    return Incident(at, tuple(chosen))
