"""`drs-console inventory`: the DRS source servers of the connected account and region."""

from __future__ import annotations

import argparse

from ...aws.accounts import AccountConnector
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
