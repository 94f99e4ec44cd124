"""Resolve a point in time to each server's recovery snapshot (DescribeRecoverySnapshots).

For each (server, requested time): DescribeRecoverySnapshots with ``order=DESC`` and
``filters.toDateTime`` = the requested time, one page of ``PAGE`` items (following ``nextToken``
past empty pages): the first items are the newest at or before the time, and the domain
(``domain/point_in_time.resolve_server``) picks among them, ties included. A server with none
gets one more call, ``order=ASC``, ``maxResults=1``, for its oldest snapshot (named in the BLOCK).
DescribeRecoverySnapshots takes one server per call: ``SNAPSHOT_READS_IN_FLIGHT`` calls run at
once, each in the connection's bounded executor (never on the GUI thread). A server another
account holds in DRS is resolved there, with that account's reader (``resolve_servers``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from ..domain import point_in_time as pit
from ..domain.preflight import ResolvedWave
from .drs_batch import SNAPSHOT_READS_IN_FLIGHT, Reader

PAGE = 10  # a tie at the requested time's newest snapshot is on the first page


async def resolve_server(reader: Reader, source_server_id: str, requested: datetime) -> pit.Resolution:
    items = await reader.recovery_snapshots(source_server_id, order="DESC", max_results=PAGE, limit=PAGE,
                                            filters={"toDateTime": pit.iso(requested)})
    snaps = [s for s in (pit.snapshot_from_item(i) for i in items) if s is not None]
    resolution = pit.resolve_server(source_server_id, requested, snaps)
    if resolution.ok:
        return resolution
    oldest_items = await reader.recovery_snapshots(source_server_id, order="ASC", max_results=1, limit=1)
    oldest = next((s for s in (pit.snapshot_from_item(i) for i in oldest_items) if s is not None), None)
    return pit.resolve_server(source_server_id, requested, snaps, oldest)


async def resolve_servers(reader: Reader, wanted: Iterable[tuple[str, datetime]], *,
                          concurrency: int = SNAPSHOT_READS_IN_FLIGHT) -> dict[tuple[str, datetime], pit.Resolution]:
    """Each (server, requested time)'s resolution, read with ``reader`` (the account that holds the
    servers in DRS), ``concurrency`` calls at once."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(sid: str, at: datetime) -> tuple[tuple[str, datetime], pit.Resolution]:
        async with gate:
            return (sid, at), await resolve_server(reader, sid, at)

    return dict(await asyncio.gather(*(one(sid, at) for sid, at in sorted(set(wanted)))))


async def resolve_waves(reader: Reader, waves: Sequence[ResolvedWave], default: datetime | None,
                        overrides: Mapping[int, datetime] | None = None, *,
                        resolved: Mapping[tuple[str, datetime], pit.Resolution] | None = None,
                        concurrency: int = SNAPSHOT_READS_IN_FLIGHT) -> tuple[pit.WaveResolution, ...]:
    """Every wave that recovers to a point in time (its override, else ``default``) with each of
    its servers' resolution; waves that recover from the latest data are left out. ``resolved``:
    resolutions already read elsewhere (servers other accounts hold, read in their account, see
    ``aws/preflight.py``); the rest are read with ``reader``."""
    overrides = overrides or {}
    found = dict(resolved or {})
    wanted = {(sid, at) for w in waves if (at := pit.wave_requested(w.index, default, overrides))
              for sid in w.server_ids} - set(found)
    found.update(await resolve_servers(reader, wanted, concurrency=concurrency))
    out = []
    for w in waves:
        at = pit.wave_requested(w.index, default, overrides)
        if at is not None:
            out.append(pit.WaveResolution(w.index, w.name, at, tuple(found[(s, at)] for s in w.server_ids)))
    return tuple(out)
