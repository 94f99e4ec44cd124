"""`drs-console doctor`: is this account, region and backend ready? Each check gives one Finding
(PASS, WARN or FAIL) with one line saying what to do."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from ..domain import contract as c
from ..domain.errors import ConsoleError, Finding, ProblemKind
from ..domain.wording import noun, plural
from .backend import BackendLocation, BackendService
from .session import AwsConnection

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"

OPERATOR_ACTIONS = (
    "drs:DescribeSourceServers",
    "drs:DescribeJobs",
    "states:StartExecution",
    "states:DescribeExecution",
    "states:StopExecution",
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:GetExecutionHistory",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "cloudformation:DescribeStacks",
)


def _lambda_functions(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(state, function name or ARN) of every Lambda task: direct ARNs and lambda:invoke."""
    found: list[tuple[str, str]] = []

    def walk(states: Mapping[str, Any]) -> None:
        for name, st in (states or {}).items():
            if not isinstance(st, Mapping):
                continue
            res = str(st.get("Resource") or "")
            if st.get("Type") == "Task":
                if ":lambda:" in res and ":function:" in res:
                    found.append((name, res))
                elif res.startswith("arn:aws:states:::lambda:invoke"):
                    fn = (st.get("Parameters") or {}).get("FunctionName") or (st.get("Arguments") or {}).get(
                        "FunctionName"
                    )
                    if fn:
                        found.append((name, str(fn)))
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(st.get(key), Mapping):
                    walk(st[key].get("States") or {})
            for br in st.get("Branches") or []:
                walk(br.get("States") or {})

    walk(definition.get("States") or {})
    return found


def _principal_arn(caller_arn: str) -> str:
    """arn:aws:sts::123:assumed-role/Name/session -> arn:aws:iam::123:role/Name (for simulation)."""
    if ":assumed-role/" in caller_arn:
        prefix, rest = caller_arn.split(":assumed-role/", 1)
        return prefix.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    return caller_arn


class DoctorService:
    def __init__(self, conn: AwsConnection, *, probe_timeout: float = 60.0, failed_executions: int = 5):
        self.conn = conn
        self.backend = BackendService(conn)
        self.probe_timeout = probe_timeout
        self.failed_executions = failed_executions

    async def run(
        self,
        stack_name: str = c.DEFAULT_STACK_NAME,
        *,
        state_machine_arn: str | None = None,
        history_table: str | None = None,
        progress: Callable[[Finding], None] | None = None,
    ) -> list[Finding]:
        findings: list[Finding] = []

        def add(f: Finding) -> Finding:
            findings.append(f)
            if progress:
                progress(f)
            return f

        caller_arn = ""
        ident = await self._guard("identity", self._identity)
        add(ident[0])
        caller_arn = ident[1] or ""
        add((await self._guard("drs", self._drs))[0])

        location, stack_finding = await self._locate(stack_name, state_machine_arn, history_table)
        add(stack_finding)
        definition: dict[str, Any] | None = None
        if location and location.state_machine_arn:
            sm_finding, definition = await self._guard("state-machine", self._state_machine, location)
            add(sm_finding)
            if definition is not None:
                for f in await self._tasks(definition):
                    add(f)
                add((await self._guard("probe", self._probe, location))[0])
            add((await self._guard("failed-executions", self._failed_executions, location))[0])
        else:
            add(Finding("state-machine", FAIL, "No state machine to check.", "Deploy the backend first."))
        if location and location.history_table:
            add((await self._guard("history-table", self._history_table, location.history_table))[0])
        else:
            add(Finding("history-table", FAIL, "No history table to check.", "Deploy the backend first."))
        add((await self._guard("permissions", self._permissions, caller_arn))[0])
        return findings

    async def _guard(self, check: str, fn, *args) -> tuple[Finding, Any]:
        try:
            return await fn(*args)
        except ConsoleError as exc:
            level = WARN if exc.kind == ProblemKind.ACCESS_DENIED else FAIL
            return Finding(check, level, exc.message, exc.remedy or "Fix the problem above and run doctor again."), None

    # -- checks ------------------------------------------------------------------------------------
    async def _identity(self) -> tuple[Finding, str]:
        ident = await self.conn.identity()
        where = " (sandbox)" if ident.sandbox else ""
        return (
            Finding("identity", PASS, f"Account {ident.account_id} as {ident.arn} in {ident.region}{where}."),
            ident.arn,
        )

    async def _drs(self) -> tuple[Finding, None]:
        drs = self.conn.client("drs")
        try:
            resp = await self.conn.call(drs.describe_source_servers, filters={}, maxResults=10)
        except ConsoleError as exc:
            if exc.kind == ProblemKind.DRS_NOT_INITIALIZED:
                return Finding("drs", FAIL, exc.message, exc.remedy), None
            raise
        n = len(resp.get("items") or [])
        more = "+" if resp.get("nextToken") else ""
        return Finding("drs", PASS, f"DRS is initialized in {self.conn.region} ({n}{more} {noun(n if not more else 2, 'source server')} seen)."), None

    async def _locate(
        self, stack_name: str, arn: str | None, table: str | None
    ) -> tuple[BackendLocation | None, Finding]:
        if arn and table:
            return BackendLocation(arn, table), Finding(
                "stack", PASS, "Stack not checked: state machine and table were given explicitly."
            )
        try:
            info = await self.backend.stack(stack_name)
        except ConsoleError as exc:
            return None, Finding("stack", FAIL, exc.message, exc.remedy)
        if info is None:
            if arn or table:
                return BackendLocation(arn or "", table or ""), Finding(
                    "stack", FAIL, f"Stack {stack_name!r} not found.", "Pass both --state-machine-arn and --history-table."
                )
            return None, Finding(
                "stack",
                FAIL,
                f"The backend stack {stack_name!r} does not exist in {self.conn.region}.",
                "Run 'drs-console backend deploy' (or pass --stack-name).",
            )
        missing = [k for k in (c.OUTPUT_STATE_MACHINE_ARN, c.OUTPUT_HISTORY_TABLE) if not info.outputs.get(k)]
        loc = BackendLocation(
            arn or info.outputs.get(c.OUTPUT_STATE_MACHINE_ARN, ""),
            table or info.outputs.get(c.OUTPUT_HISTORY_TABLE, ""),
            stack_name,
            info.outputs.get(c.OUTPUT_CONTRACT_VERSION, ""),
        )
        if missing:
            return loc, Finding(
                "stack",
                FAIL,
                f"Stack {stack_name!r} ({info.status}) lacks the outputs {', '.join(missing)}.",
                "It is not a DRS Console backend: deploy one with 'drs-console backend deploy --stack-name NAME'.",
            )
        if not info.is_usable:
            return loc, Finding(
                "stack", WARN, f"Stack {stack_name!r} is {info.status}: {info.status_reason}".rstrip(": "),
                "Run 'drs-console backend deploy' to bring it to a complete state.",
            )
        version = info.outputs.get(c.OUTPUT_CONTRACT_VERSION, "")
        if version and version != c.CONTRACT_VERSION:
            return loc, Finding(
                "stack", FAIL, f"Stack {stack_name!r} implements contract {version}; this console speaks {c.CONTRACT_VERSION}.",
                "Run 'drs-console backend deploy' to update the backend.",
            )
        return loc, Finding("stack", PASS, f"Stack {stack_name!r} is {info.status} with its outputs.")

    async def _state_machine(self, loc: BackendLocation) -> tuple[Finding, dict | None]:
        sfn = self.conn.client("stepfunctions")
        try:
            d = await self.conn.call(sfn.describe_state_machine, stateMachineArn=loc.state_machine_arn)
        except ConsoleError as exc:
            if exc.kind == ProblemKind.NOT_FOUND:
                return Finding(
                    "state-machine", FAIL, f"State machine {loc.state_machine_arn} does not exist.",
                    "Run 'drs-console backend deploy'.",
                ), None
            raise
        try:
            definition = json.loads(d.get("definition") or "{}")
        except ValueError:
            definition = {}
        status = d.get("status", "ACTIVE")
        if status != "ACTIVE":
            return Finding("state-machine", FAIL, f"State machine {d.get('name')} is {status}.",
                           "Run 'drs-console backend deploy'."), definition
        version = c.contract_version_of(definition)
        if version is None:
            return Finding(
                "state-machine", FAIL,
                f"State machine {d.get('name')} does not declare a DRS Console contract version "
                f"('{c.CONTRACT_MARKER}' in its Comment): it is not this console's backend.",
                "Deploy the reference backend with 'drs-console backend deploy', or point to the right state machine.",
            ), definition
        if version != c.CONTRACT_VERSION:
            return Finding(
                "state-machine", FAIL,
                f"State machine {d.get('name')} speaks contract {version}; this console speaks {c.CONTRACT_VERSION}.",
                "Run 'drs-console backend deploy' to update it (or use a matching console).",
            ), definition
        return Finding("state-machine", PASS,
                       f"State machine {d.get('name')} is ACTIVE and speaks contract {version}."), definition

    async def _tasks(self, definition: Mapping[str, Any]) -> list[Finding]:
        findings: list[Finding] = []
        resources = c.task_resources(definition)
        integrations = sorted({r for _, r in resources if r.startswith("arn:aws:states:::")})
        unknown = []
        for res in integrations:
            if res.startswith("arn:aws:states:::aws-sdk:"):
                service_action = res.split("arn:aws:states:::aws-sdk:", 1)[1].split(".", 1)[0]
                service, _, action = service_action.partition(":")
                if not _sdk_action_exists(service, action):
                    unknown.append(res)
        if unknown:
            findings.append(Finding("tasks", FAIL, "Task resources name unknown API actions: " + ", ".join(unknown),
                                    "Fix the definition, or redeploy with 'drs-console backend deploy'."))
        else:
            findings.append(Finding("tasks", PASS,
                                    f"{plural(len(resources), 'Task state')} {noun(len(resources), 'uses', 'use')} "
                                    f"{plural(len(integrations), 'service integration')}, "
                                    "all known."))
        lam = self.conn.client("lambda")
        for state, fn in _lambda_functions(definition):
            try:
                cfg = (await self.conn.call(lam.get_function, FunctionName=fn))["Configuration"]
            except ConsoleError as exc:
                findings.append(Finding(f"lambda:{state}", FAIL, f"State {state} calls {fn}: {exc.message}",
                                        "Deploy the function or fix the definition."))
                continue
            st = cfg.get("State", "Active")
            line = (f"State {state} calls {cfg.get('FunctionName')} ({st}; handler {cfg.get('Handler')}, "
                    f"runtime {cfg.get('Runtime')}, {cfg.get('CodeSize')} bytes, SHA {cfg.get('CodeSha256')}, "
                    f"modified {cfg.get('LastModified')}).")
            findings.append(Finding(f"lambda:{state}", PASS if st == "Active" else FAIL, line,
                                    "" if st == "Active" else "Wait for the function to become Active or fix it."))
        return findings

    async def _probe(self, loc: BackendLocation) -> tuple[Finding, None]:
        info, output = await self.backend.probe(loc, timeout=self.probe_timeout)
        if info.running:
            return Finding("probe", FAIL, f"The probe execution did not finish within {int(self.probe_timeout)} s.",
                           "Look at the execution in the Step Functions console."), None
        if info.status != "SUCCEEDED":
            failure = await self.backend.execution_failure(info.arn)
            where = f" in state {failure.state}" if failure.state else ""
            return Finding(
                "probe", FAIL,
                f"The probe execution {info.status}{where}: {failure.error}: {failure.cause}".rstrip(": "),
                "The state machine is not a working DRS Console backend: run 'drs-console backend deploy'.",
            ), None
        answered = output.get("contractVersion") if isinstance(output, Mapping) else None
        if answered != c.CONTRACT_VERSION:
            return Finding("probe", FAIL,
                           f"The probe answered {json.dumps(output)[:200]}, not contract {c.CONTRACT_VERSION}.",
                           "Run 'drs-console backend deploy' to install the matching backend."), None
        return Finding("probe", PASS, f"The probe answered contract {answered}."), None

    async def _history_table(self, table: str) -> tuple[Finding, None]:
        ddb = self.conn.client("dynamodb")
        try:
            d = (await self.conn.call(ddb.describe_table, TableName=table))["Table"]
        except ConsoleError as exc:
            if exc.kind == ProblemKind.NOT_FOUND:
                return Finding("history-table", FAIL, f"The history table {table} does not exist.",
                               "Run 'drs-console backend deploy' (or pass the right --history-table)."), None
            raise
        keys = {k["AttributeName"]: k["KeyType"] for k in d.get("KeySchema") or []}
        if keys != {c.PK: "HASH", c.SK: "RANGE"}:
            return Finding("history-table", FAIL,
                           f"The table {table} has keys {keys}, not PK (HASH) and SK (RANGE).",
                           "Point to the backend's history table, or redeploy the backend."), None
        indexes = {g["IndexName"] for g in d.get("GlobalSecondaryIndexes") or []}
        if c.LIST_INDEX not in indexes:
            return Finding("history-table", WARN, f"The table {table} has no {c.LIST_INDEX} index.",
                           "Listing executions will scan; redeploy the backend to add it."), None
        return Finding("history-table", PASS, f"History table {table} is {d.get('TableStatus')} with PK/SK and "
                       f"{c.LIST_INDEX}."), None

    async def _failed_executions(self, loc: BackendLocation) -> tuple[Finding, None]:
        failed = await self.backend.recent_executions(loc.state_machine_arn, status="FAILED",
                                                      limit=self.failed_executions)
        failed = [e for e in failed if not e.name.startswith("drs-console-probe-")]
        if not failed:
            return Finding("failed-executions", PASS, "No recent failed executions."), None
        details = [await self.backend.execution_failure(e.arn) for e in failed]
        groups = Counter((d.error, d.cause, d.state) for d in details)
        (error, cause, state), n = groups.most_common(1)[0]
        where = f" in state {state}" if state else ""
        same = f"{n} of the last {len(details)} failed executions" if n > 1 else "The last failed execution"
        return Finding(
            "failed-executions", WARN,
            f"{same} failed{where}: {error}: {cause[:300]}".rstrip(": "),
            "Read the cause; 'drs-console doctor --json' lists every one.",
        ), None

    async def _permissions(self, caller_arn: str) -> tuple[Finding, None]:
        if not caller_arn:
            return Finding("permissions", WARN, "Permissions not checked (no identity).", ""), None
        if self.conn.params.is_sandbox:
            return Finding("permissions", WARN, "Permissions not simulated in the sandbox (it has no IAM policy "
                           "simulator).", "Run doctor against your AWS account to check them."), None
        iam = self.conn.client("iam")
        try:
            resp = await self.conn.call(iam.simulate_principal_policy,
                                        PolicySourceArn=_principal_arn(caller_arn),
                                        ActionNames=list(OPERATOR_ACTIONS))
        except Exception as exc:  # noqa: BLE001 - denied, unsupported, unparsable: all only a WARN
            message = exc.message if isinstance(exc, ConsoleError) else str(exc)
            return Finding("permissions", WARN, f"Could not simulate your permissions: {message[:200]}",
                           "Ask for iam:SimulatePrincipalPolicy to have them checked, or ignore this."), None
        denied = [r["EvalActionName"] for r in resp.get("EvaluationResults") or []
                  if r.get("EvalDecision") != "allowed"]
        if denied:
            return Finding("permissions", FAIL, "You are not allowed: " + ", ".join(denied),
                           "Ask your AWS administrator for these actions."), None
        return Finding("permissions", PASS, f"Allowed all {len(OPERATOR_ACTIONS)} operator actions."), None


def _sdk_action_exists(service: str, action: str) -> bool:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model({"sfn": "stepfunctions"}.get(service, service))
    except Exception:  # noqa: BLE001 - unknown service
        return False
    return any(op.lower() == action.lower() for op in model.operation_names)


def worst(findings: list[Finding]) -> str:
    levels = {f.level for f in findings}
    return FAIL if FAIL in levels else WARN if WARN in levels else PASS
