"""`drs-console accounts`: the other accounts the console reaches (a profile or a role each)."""

from __future__ import annotations

import argparse

from ...domain.accounts import add_account, make_account, remove_account
from ...domain.errors import BadInput
from ...domain.wording import plural
from ..context import CliContext

EPILOG = """\
An account is reached with an AWS profile (SSO profiles included: 'aws sso login --profile NAME'
first) or by assuming a role from the connected identity (--role-arn, optionally --external-id).
resources/backend/target-account.yaml creates such a role in a target account. Only names and
ARNs are stored (in the settings file), never a credential. With --sandbox the sandbox's own
target accounts are listed and tested; they cannot be changed."""


def register(sub) -> None:
    p = sub.add_parser(
        "accounts", help="list, add, remove and test the other accounts the console reaches",
        description="The accounts the console reaches besides the connected one (a DRS account replicates "
        "at most 300 source servers by default, so large estates span accounts). The inventory lists the "
        "servers of every known account.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    asub = p.add_subparsers(dest="accounts_command", metavar="SUBCOMMAND", required=True)

    ls = asub.add_parser("list", help="list the known accounts")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(func=list_cmd)

    add = asub.add_parser(
        "add", help="add an account (a profile or a role to reach it)",
        description="Add an account the console reaches with a profile or by assuming a role. "
        "'accounts test' then checks it.",
    )
    add.add_argument("account_id", metavar="ACCOUNT_ID", help="the account's 12-digit ID")
    add.add_argument("--name", default="", help="a name to show for it (e.g. 'Payments prod')")
    how = add.add_mutually_exclusive_group(required=True)
    how.add_argument("--profile", dest="account_profile", metavar="PROFILE",
                     help="reach it with this AWS profile (SSO profiles included)")
    how.add_argument("--role-arn", metavar="ARN", help="reach it by assuming this role from the connected identity")
    add.add_argument("--external-id", metavar="ID", help="with --role-arn: the external ID the role's trust requires")
    add.add_argument("--replace", action="store_true", help="replace the account if it is already known")
    add.add_argument("--json", action="store_true", help="print the added account as JSON")
    add.set_defaults(func=add_cmd)

    rm = asub.add_parser("remove", help="forget an account")
    rm.add_argument("account", metavar="ACCOUNT", help="its ID or name")
    rm.set_defaults(func=remove_cmd)

    test = asub.add_parser(
        "test", help="reach each account, print its identity and whether DRS is initialized",
        description="For each known account (or those given): assume its role (with its external ID) or "
        "open its profile, read the identity (STS GetCallerIdentity) and check that DRS is initialized in "
        "the region (DescribeSourceServers). Exit code 1 when any account fails.",
    )
    test.add_argument("accounts", nargs="*", metavar="ACCOUNT", help="IDs or names (default: every known account)")
    test.add_argument("--json", action="store_true", help="print JSON instead of lines")
    test.set_defaults(func=test_cmd)


def _refuse_sandbox(ctx: CliContext) -> None:
    if ctx.sandbox:
        raise BadInput(
            "The sandbox's target accounts are its own and cannot be changed.",
            "Run without --sandbox to change your accounts (or against 'sandbox serve' with --endpoint-url).",
        )


def list_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    accounts = ctx.known_accounts()
    if args.json:
        ctx.print_json({"accounts": [a.as_dict() for a in accounts]})
        return 0
    if not accounts:
        ctx.print("No other accounts yet: add one with 'drs-console accounts add ACCOUNT_ID --role-arn ARN' "
                  "(or --profile NAME).")
        return 0
    rows = [("ACCOUNT", "NAME", "REACHED WITH")] + [(a.account_id, a.name or "-", a.reach_text()) for a in accounts]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        ctx.print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def add_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    _refuse_sandbox(ctx)
    from ...store.settings import load_settings, save_settings

    account = make_account(args.account_id, name=args.name, profile=args.account_profile,
                           role_arn=args.role_arn, external_id=args.external_id)
    settings = load_settings()
    settings.accounts = add_account(settings.accounts, account, replace=args.replace)
    save_settings(settings)
    if args.json:
        ctx.print_json(account.as_dict())
    else:
        ctx.print(f"Added {account.label}, reached with {account.reach_text()}. "
                  "Check it with 'drs-console accounts test'.")
    return 0


def remove_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    _refuse_sandbox(ctx)
    from ...store.settings import load_settings, save_settings

    settings = load_settings()
    settings.accounts, gone = remove_account(settings.accounts, args.account)
    save_settings(settings)
    ctx.print(f"Removed {gone.label}.")
    return 0


async def test_cmd(args: argparse.Namespace, ctx: CliContext) -> int:
    from ...aws.accounts import AccountConnector, check_accounts

    accounts = ctx.known_accounts()
    if args.accounts:
        picked = []
        for key in args.accounts:
            _rest, match = remove_account(accounts, key)  # BadInput naming the known ones
            picked.append(match)
        accounts = list(dict.fromkeys(picked))
    if not accounts:
        ctx.print("No other accounts to test: add one with 'drs-console accounts add'.")
        return 0
    hub = ctx.connection()
    ident = await hub.identity()
    connector = AccountConnector(hub, hub_arn=ident.arn)
    try:
        results = await check_accounts(connector, accounts)
    finally:
        connector.close()
    failed = [r for r in results if not r.ok]
    if args.json:
        ctx.print_json({"hub": {"accountId": ident.account_id, "arn": ident.arn, "region": ident.region},
                        "accounts": [r.as_dict() for r in results]})
        return 1 if failed else 0
    ctx.print(f"From account {ident.account_id} as {ident.arn}, {ident.region}:")
    for r in results:
        if r.ok and r.identity is not None:
            ctx.print(f"  OK    {r.account.label}: {r.identity.arn}; DRS initialized")
        else:
            ctx.print(f"  FAIL  {r.account.label}: {r.problem.one_line() if r.problem else 'failed'}")
    ctx.print(f"\n{plural(len(results) - len(failed), 'account')} reached, {len(failed)} failed.")
    return 1 if failed else 0
