"""`drs-console inventory`: the DRS source servers of the connected account and region."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from ...aws.accounts import AccountConnector
from ...aws.drs import DrsService
from ...domain.errors import BadInput
from ...domain.inventory import format_age, parse_iso_duration
from ...domain.point_in_time import parse_point_in_time
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
    sub_actions = p.add_subparsers(dest="inventory_command", metavar="ACTION")
    sn = sub_actions.add_parser(
        "snapshots",
        help="list source servers' recovery snapshots, newest first",
        description="List the recovery snapshots (points in time) DRS holds of each SERVER_ID: snapshot ID, "
        "time and age, newest first (DescribeRecoverySnapshots, every page).",
    )
    sn.add_argument("server_ids", nargs="+", metavar="SERVER_ID", help="source server IDs (s-...)")
    sn.add_argument("--since", metavar="TIME",
                    help="only snapshots taken since TIME: ISO 8601 with a zone (2026-12-01T03:00Z), now-6h, now-2d, or 'YYYY-MM-DD HH:MM local'")
    sn.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sn.set_defaults(func=inventory_snapshots)


def parse_time_arg(text: str, now: datetime) -> datetime:
    """TIME for --since: the run path's point-in-time forms (one parser: ISO 8601 with a zone,
    now-2h / now-90m / now-1d, or 'YYYY-MM-DD HH:MM local')."""
    return parse_point_in_time(text, now).at


async def inventory(args: argparse.Namespace, ctx: CliContext) -> int:
    conn = ctx.connection()
    ident = await conn.identity()
    connector = AccountConnector(conn, hub_arn=ident.arn)
    try:  # the known accounts' servers too ('drs-console accounts'), each server saying its account
        snap = await DrsService(conn).inventory(ident.account_id, accounts=ctx.known_accounts(), connector=connector)
    finally:
        connector.close()
    for problem in snap.problems.values():
        ctx.fail(problem)
    if not conn.params.is_sandbox:
        InventoryCache().save(snap, conn.params.endpoint_url)  # an --endpoint-url run keeps its own cache
    if args.json:
        ctx.print_json(
            {
                "accountId": snap.account_id,
                "region": snap.region,
                "fetchedAt": snap.fetched_at.isoformat(),
                "accounts": [{"accountId": a, "name": snap.account_names.get(a, ""), "problem": snap.problems.get(a)}
                             for a in snap.account_ids],
                "servers": [
                    {
                        "name": s.name,
                        "accountId": snap.server_account(s),  # the account holding it in DRS
                        "stagingAccountID": s.staging_account_id,
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
    several = len(snap.account_ids) > 1
    rows = [("NAME", *(("IN ACCOUNT",) if several else ()), "SOURCE SERVER", "INSTANCE", "SOURCE ACCOUNT", "REGION",
             "REPLICATION", "LAG", "LAST LAUNCH")]
    for s in sorted(snap.servers, key=lambda s: s.name.casefold()):
        lag = parse_iso_duration(s.lag_duration)
        rows.append(
            (
                s.name,
                *((snap.server_account(s),) if several else ()),
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
    where = (f"accounts {', '.join(snap.account_ids)} (connected: {snap.account_id})" if several
             else f"account {snap.account_id}")
    ctx.print(f"\n{plural(len(snap.servers), 'source server')} in {where}, {snap.region}")
    return 0


SERVER_ID = re.compile(r"^s-[0-9a-zA-Z]{17}$")  # DRS's SourceServerID pattern


async def inventory_snapshots(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...aws.snapshots import SnapshotService

    bad = [i for i in args.server_ids if not SERVER_ID.match(i)]
    if bad:
        raise BadInput(f"Not a source server ID: {', '.join(repr(b) for b in bad)}.",
                       "Source server IDs look like s-1234567890abcdef0; see 'drs-console inventory'.")
    now = datetime.now(UTC)
    since = parse_time_arg(args.since, now) if args.since else None
    conn = ctx.connection()
    service = SnapshotService(conn)
    unknown = await service.unknown_servers(args.server_ids)
    if unknown:
        raise BadInput(f"No source server {', '.join(unknown)} in DRS in {conn.region}.",
                       "See 'drs-console inventory' for the source servers there (or check --region).")
    found = await service.of_servers(args.server_ids, since=since)
    now = datetime.now(UTC)
    if args.json:
        ctx.print_json({"region": conn.region, "since": since.isoformat() if since else None,
                        "servers": [{"sourceServerId": sid, "count": len(found[sid]),
                                     "snapshots": [s.to_json(now) for s in found[sid]]}
                                    for sid in dict.fromkeys(args.server_ids)]})
        return 0
    for n, sid in enumerate(dict.fromkeys(args.server_ids)):
        snaps = found[sid]
        if n:
            ctx.print("")
        span = f" since {since:%Y-%m-%d %H:%M:%S} UTC" if since else ""
        ctx.print(f"{sid}: {plural(len(snaps), 'recovery snapshot')}{span}")
        if not snaps:
            ctx.print("  (none: a server still in its initial sync, or stopped before its first one, has none)")
            continue
        rows = [("SNAPSHOT", "TIME", "AGE")] + [s.row(now) for s in snaps]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            ctx.print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0
