"""Resolve a point in time for a DRS native run: the same reads and rule as the Step Functions
backend's preflight (``aws/preflight.py``): the plan's waves against fresh DescribeSourceServers
(``domain.preflight.resolve_waves``), each server's snapshot by ``aws/point_in_time.resolve_waves``
(DescribeRecoverySnapshots; ``domain/point_in_time`` picks), judged by
``domain.point_in_time.check_point_in_time`` (BLOCK: no snapshot at or before the time; WARN: a
wave's snapshots too far apart). The result, a ``domain.native_point_in_time.PlanPoints``, gives
the native start its ``{server: snapshot}`` mapping and the execution's tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ...domain import point_in_time as pit
from ...domain import preflight as p
from ...domain.inventory import server_from_drs
from ...domain.native_point_in_time import PlanPoints
from ...domain.plan import Plan
from ..drs_batch import Reader
from ..point_in_time import resolve_waves
from ..session import AwsConnection


async def resolve_plan_points(conn: AwsConnection, plan: Plan, *, point_in_time: datetime | None,
                              wave_points: Mapping[int, datetime] | None = None,
                              max_spread: timedelta | None = None, reader: Reader | None = None) -> PlanPoints | None:
    """The plan's resolution for ``point_in_time`` (and per-wave ``wave_points``, 0-based wave
    index -> time); None when neither is given (the latest data)."""
    from ..preflight import read_servers

    point_in_time = point_in_time.astimezone(UTC).replace(microsecond=0) if point_in_time else None
    wave_points = {i: t.astimezone(UTC).replace(microsecond=0) for i, t in (wave_points or {}).items()}
    if point_in_time is None and not wave_points:
        return None
    spread = max_spread if max_spread is not None else timedelta(minutes=pit.DEFAULT_MAX_SPREAD_MINUTES)
    reader = reader or Reader(conn)
    items, _everything = await read_servers(reader, plan)
    servers = {s.source_server_id: s for s in (server_from_drs(i) for i in items)}
    waves = p.resolve_waves(plan, list(servers.values()))
    known = [replace(w, server_ids=tuple(s for s in w.server_ids if s in servers)) for w in waves]
    resolutions = await resolve_waves(reader, known, point_in_time, wave_points)
    names = {sid: s.name for sid, s in servers.items() if s.name and s.name != sid}
    checks = pit.check_point_in_time(resolutions, max_spread=spread, names=names)
    return PlanPoints(point_in_time, resolutions, tuple(checks), spread)
