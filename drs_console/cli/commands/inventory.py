"""`drs-console inventory`: the DRS source servers of the connected account and region."""

from __future__ import annotations

import argparse

from ...aws.drs import DrsService
from ...domain.inventory import format_age, parse_iso_duration
from ...domain.wording import plural
from ...store.inventory_cache import InventoryCache
from ..context import CliContext


def register(sub) -> None:
    p = sub.add_parser(
        "inventory",
        help="list the DRS source servers",
        description="List the DRS source servers of the connected account and region. "
        "The result is cached for offline plan editing.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=inventory)


async def inventory(args: argparse.Namespace, ctx: CliContext) -> int:
    conn = ctx.connection()
    ident = await conn.identity()
    snap = await DrsService(conn).inventory(ident.account_id)
    if not conn.params.is_sandbox:
        InventoryCache().save(snap, conn.params.endpoint_url)  # an --endpoint-url run keeps its own cache
    if args.json:
        ctx.print_json(
            {
                "accountId": snap.account_id,
                "region": snap.region,
                "fetchedAt": snap.fetched_at.isoformat(),
                "servers": [
                    {
                        "name": s.name,
                        "sourceServerID": s.source_server_id,
                        "hostname": s.hostname,
                        "fqdn": s.fqdn,
                        "sourceInstanceID": s.instance_id,
                        "sourceAccountID": s.account_id,
                        "originRegion": s.origin_region,
                        "replicationState": s.replication_state.value,
                        "lagDuration": s.lag_duration,
                        "lastLaunchResult": s.last_launch_result,
                        "tags": dict(s.tags),
                    }
                    for s in snap.servers
                ],
            }
        )
        return 0
    rows = [("NAME", "SOURCE SERVER", "INSTANCE", "ACCOUNT", "REGION", "REPLICATION", "LAG", "LAST LAUNCH")]
    for s in sorted(snap.servers, key=lambda s: s.name.casefold()):
        lag = parse_iso_duration(s.lag_duration)
        rows.append(
            (
                s.name,
                s.source_server_id,
                s.instance_id or "-",
                s.account_id or "-",
                s.origin_region or "-",
                s.replication_state.value,
                format_age(lag) if lag is not None else "-",
                s.last_launch_result or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        ctx.print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    ctx.print(f"\n{plural(len(snap.servers), 'source server')} in account {snap.account_id}, {snap.region}")
    return 0
