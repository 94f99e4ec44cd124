"""The history table: keys, types, the ByStartTime index the console queries, TTL, and a real listing."""

from __future__ import annotations

from ...domain import contract as c
from ...domain.errors import ConsoleError
from ..deployment import Deployment, table_problems
from ..session import AwsConnection
from .findings import FAIL, FIX_DEPLOY, PASS, DoctorFinding, deploy_command, finding


async def table_check(conn: AwsConnection, dep: Deployment) -> DoctorFinding:
    name = dep.table_name
    if not name:
        return finding("history-table", FAIL, "No history table to check.", "Deploy the backend first.")
    where = deploy_command(dep.stack_name or c.DEFAULT_STACK_NAME, dep.region, options=dep.cli_options)
    if dep.table is None:
        return finding("history-table", FAIL, f"The history table {name} does not exist.",
                       f"'{where}' creates it again." if dep.stack else "Pass the right --history-table.",
                       fix=FIX_DEPLOY if dep.stack else "")
    fixable, fatal = table_problems(dep)
    if fatal:
        return finding(
            "history-table", FAIL, f"The history table is wrong: {'; '.join(fatal + fixable)}.",
            "Its items cannot be converted in place: export what you need, delete the table ('aws dynamodb "
            f"delete-table --table-name {name} --region {dep.region}'), then run '{where}', which creates it again.",
            details=fatal + fixable,
        )
    listing = ""
    try:
        ddb = conn.client("dynamodb")
        await conn.call(ddb.query, TableName=name, IndexName=c.LIST_INDEX,
                        KeyConditionExpression=f"{c.LIST_PK} = :pk",
                        ExpressionAttributeValues={":pk": {"S": c.LIST_PK_VALUE}}, ScanIndexForward=False, Limit=1)
    except ConsoleError as exc:
        listing = f"'history list' fails: {exc.message.splitlines()[0][:160]}"
    problems = fixable + ([listing] if listing else [])
    if problems:
        return finding("history-table", FAIL, f"The history table {name} is wrong: {'; '.join(problems)}.",
                       f"'{where}' rebuilds the index and TTL as the template has them." if dep.stack else
                       "Point to the backend's history table, or redeploy the backend.",
                       details=problems, fix=FIX_DEPLOY if dep.stack else "")
    return finding("history-table", PASS, f"History table {name} is {dep.table.get('TableStatus')} with PK/SK, "
                   f"{c.LIST_INDEX} as the template has it and TTL on {c.TTL_ATTRIBUTE}; listing works.")
