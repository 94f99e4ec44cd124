"""`drs-console doctor`: is this account, region and backend ready, and is what is deployed what this
console ships? Each check gives a finding (PASS, WARN or FAIL) with one line saying what to do."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...domain import contract as c
from ...domain.accounts import KnownAccount
from ...domain.errors import ConsoleError, Finding, ProblemKind
from ...domain.wording import noun
from ..backend import BackendLocation, BackendService, probe_input, render_template
from ..cfn_template import parse_template
from ..deployment import Deployment, cli_options, inspect_deployment, newer_than_console, read_resources
from ..session import AwsConnection
from . import account_checks as ac
from . import definition_checks as dc
from . import role_checks as rc
from . import run_checks as runs
from . import stack_checks as sc
from . import table_checks as tc
from .findings import FAIL, FIX_DEPLOY, PASS, WARN, DoctorFinding, deploy_command, finding

# The Tasks the probe must pass through (resourceType, resource as in the execution history).
PROBE_TASKS = (("dynamodb", "getItem"), ("aws-sdk:drs", "describeJobs"))


class DoctorService:
    def __init__(self, conn: AwsConnection, *, probe_timeout: float = 60.0, failed_executions: int = 5,
                 drift_detection: bool = True):
        self.conn = conn
        self.backend = BackendService(conn)
        self.probe_timeout = probe_timeout
        self.newest = failed_executions
        self.drift_detection = drift_detection

    async def run(
        self,
        stack_name: str = c.DEFAULT_STACK_NAME,
        *,
        state_machine_arn: str | None = None,
        history_table: str | None = None,
        progress: Callable[[Finding], None] | None = None,
        accounts: Sequence[KnownAccount] = (),
        library_plans: list | None = None,
    ) -> list[DoctorFinding]:
        """Every check's finding, in order; with ``library_plans`` (the plan library's plans) also the
        DRS native plans linked to them and their drift; ``accounts``: the known accounts, each checked
        last (account_checks.py), with what the deployed state machine needs of each one's role
        (may assume it; its trust names the state machine's role)."""
        findings: list[DoctorFinding] = []

        def add(f: DoctorFinding | list[DoctorFinding]) -> None:
            for one in f if isinstance(f, list) else [f]:
                findings.append(one)
                if progress:
                    progress(one)

        ident = await self._guard("identity", self._identity)
        add(ident[0])
        caller_arn, account = ident[1] or ("", "")
        add((await self._guard("drs", self._drs))[0])
        dep, ok = await self._guard("stack", self._deployment, stack_name, state_machine_arn, history_table, account)
        if isinstance(ok, DoctorFinding):
            add(ok)
        if dep is not None:
            await self._backend_checks(dep, bool(state_machine_arn or history_table), add)
        add(await self._guard_one("permissions", rc.operator_permissions, self.conn, caller_arn))
        if library_plans is not None:
            from ..runs import plan_version
            from .native_checks import native_plans_check

            add(await self._guard_one("native-plans", native_plans_check, self.conn, library_plans, plan_version))
        if accounts:
            add(await ac.known_account_checks(self.conn, accounts, caller_arn, dep))
        return findings

    async def _guard(self, check: str, fn, *args) -> tuple[Any, Any]:
        try:
            return await fn(*args)
        except ConsoleError as exc:
            level = WARN if exc.kind == ProblemKind.ACCESS_DENIED else FAIL
            return finding(check, level, exc.message, exc.remedy or "Fix the problem above and run doctor again."), None

    # -- identity, DRS ------------------------------------------------------------------------------
    async def _identity(self) -> tuple[DoctorFinding, tuple[str, str]]:
        ident = await self.conn.identity()
        where = " (sandbox)" if ident.sandbox else ""
        return (finding("identity", PASS, f"Account {ident.account_id} as {ident.arn} in {ident.region}{where}."),
                (ident.arn, ident.account_id))

    async def _drs(self) -> tuple[DoctorFinding, None]:
        drs = self.conn.client("drs")
        try:
            resp = await self.conn.call(drs.describe_source_servers, filters={}, maxResults=10)
        except ConsoleError as exc:
            if exc.kind == ProblemKind.DRS_NOT_INITIALIZED:
                return finding("drs", FAIL, exc.message, exc.remedy), None
            raise
        n = len(resp.get("items") or [])
        more = "+" if resp.get("nextToken") else ""
        return finding("drs", PASS, f"DRS is initialized in {self.conn.region} ({n}{more} {noun(n if not more else 2, 'source server')} seen)."), None

    # -- where the backend is -----------------------------------------------------------------------
    async def _deployment(self, stack_name: str, arn: str | None, table: str | None,
                          account: str) -> tuple[Deployment | None, DoctorFinding | None]:
        region = self.conn.region
        if arn and sc.arn_region(arn) and sc.arn_region(arn) != region:
            return None, finding(
                "stack", FAIL,
                f"The state machine {arn} is in {sc.arn_region(arn)}, not in {region} where doctor looks.",
                f"Run doctor with '--region {sc.arn_region(arn)}' (or pass the ARN of the state machine in {region}).",
            )
        if arn or table:
            dep = Deployment(stack_name="", region=region, account=account,
                             expected_template=parse_template(render_template()),
                             state_machine_arn=arn or "", table_name=table or "",
                             cli_options=cli_options(self.conn))
            info = await self.backend.stack(stack_name) if not (arn and table) else None
            if info is not None:
                dep.state_machine_arn = arn or info.outputs.get(c.OUTPUT_STATE_MACHINE_ARN, "")
                dep.table_name = table or info.outputs.get(c.OUTPUT_HISTORY_TABLE, "")
            await read_resources(self.conn, dep)
            return dep, finding("stack", PASS, "Stack not checked: the state machine and table were given "
                                "explicitly; their resources are compared with this console's template.")
        dep = await inspect_deployment(self.conn, stack_name, account=account)
        if dep.stack is None:
            return None, await sc.missing_stack(self.conn, stack_name)
        return dep, sc.stack_status(dep)

    # -- the backend --------------------------------------------------------------------------------
    async def _backend_checks(self, dep: Deployment, explicit: bool, add_finding) -> None:
        newer = newer_than_console(dep.deployed_contract)

        def add(f: DoctorFinding | list[DoctorFinding]) -> None:
            """A newer backend is never repaired with this console's (older) one: no remedy deploys."""
            for one in f if isinstance(f, list) else [f]:
                if newer and one.fix == FIX_DEPLOY:
                    one = finding(one.check, one.level, one.message, "The backend is newer than this console: "
                                  "update DRS Console rather than deploying over it.", details=one.details)
                add_finding(one)
        if dep.stack is not None:
            add(sc.template_check(dep, newer=newer))
            drift = await self._drift(dep)
            add(sc.resources_check(dep, drift))
        if dep.state_machine is None and dep.state_machine_arn and explicit:
            add(finding("state-machine", FAIL, f"State machine {dep.state_machine_arn} does not exist.",
                        "Pass the ARN of an existing state machine, or deploy the backend with 'backend deploy'."))
        if dep.state_machine is not None:
            status = dep.state_machine.get("status", "ACTIVE")
            if status != "ACTIVE":
                add(finding("state-machine", FAIL, f"State machine {dep.state_machine.get('name')} is {status}.",
                            f"'{deploy_command(dep.stack_name or c.DEFAULT_STACK_NAME, dep.region, options=dep.cli_options)}'."))
            add(dc.contract_check(dep))
            add(dc.definition_check(dep))
            add(await dc.tasks_check(self.conn, dep))
            add(await self._guarded_list("role", rc.role_check, self.conn, dep))
        if dep.table_name:
            add(await self._guard_one("history-table", tc.table_check, self.conn, dep))
        elif not explicit or dep.state_machine is not None:
            add(finding("history-table", FAIL, "No history table to check.", "Deploy the backend first."))
        if dep.state_machine is not None:
            ours, why = dc.is_ours(dep)
            if newer:
                ours, why = False, f"the backend is newer (contract {dep.deployed_contract}) than this console"
            if ours and dep.table is not None:
                add(await self._guard_one("probe", self._probe, dep))
            else:
                add(finding("probe", FAIL if not newer else WARN,
                            f"The probe was not run: {why or 'the history table is missing'}.",
                            "Fix the findings above; doctor runs the probe on this console's backend only."))
            add(await self._guard_one("executions", runs.executions_check, self.backend, dep, self.newest))
        if dep.table is not None:
            add(await self._guard_one("history-records", runs.records_check, self.backend, dep, self.newest))

    async def _guard_one(self, check: str, fn, *args) -> DoctorFinding:
        try:
            return await fn(*args)
        except ConsoleError as exc:
            level = WARN if exc.kind == ProblemKind.ACCESS_DENIED else FAIL
            return finding(check, level, exc.message, exc.remedy or "Fix the problem above and run doctor again.")

    async def _guarded_list(self, check: str, fn, *args) -> list[DoctorFinding]:
        try:
            return await fn(*args)
        except ConsoleError as exc:
            level = WARN if exc.kind == ProblemKind.ACCESS_DENIED else FAIL
            return [finding(check, level, exc.message, exc.remedy or "Fix the problem above and run doctor again.")]

    async def _drift(self, dep: Deployment) -> DoctorFinding | None:
        if not self.drift_detection:
            return None
        if self.conn.params.is_sandbox:
            return finding("resources", PASS, "(The sandbox has no CloudFormation drift detection; the resources "
                           "were compared with the template directly.)")
        return await sc.drift_check(self.conn, dep)

    async def _probe(self, dep: Deployment) -> DoctorFinding:
        loc = BackendLocation(dep.state_machine_arn, dep.table_name, dep.stack_name)
        doc = dict(probe_input())
        doc["historyTable"] = dep.table_name
        poll = 0.05 if self.conn.params.is_sandbox else 1.0
        info, output = await self.backend.probe(loc, timeout=self.probe_timeout, document=doc, poll=poll)
        remedy = (f"'{deploy_command(dep.stack_name, dep.region, options=dep.cli_options)}' puts the bundled definition back."
                  if dep.stack else "The state machine is not a working DRS Console backend.")
        if info.running:
            return finding("probe", FAIL, f"The probe execution did not finish within {int(self.probe_timeout)} s.",
                           "Look at the execution in the Step Functions console.")
        if info.status != "SUCCEEDED":
            failure = await self.backend.execution_failure(info.arn)
            where = f" in state {failure.state}" if failure.state else ""
            return finding("probe", FAIL,
                           f"The probe execution {info.status}{where}: {failure.error}: {failure.cause}".rstrip(": "),
                           remedy if "AccessDenied" not in failure.error + failure.cause else
                           "The state machine's role is not allowed what the probe reads: see the 'role' checks.",
                           fix=FIX_DEPLOY if dep.stack else "")
        answered = output.get("contractVersion") if isinstance(output, Mapping) else None
        if answered != c.CONTRACT_VERSION:
            return finding("probe", FAIL, f"The probe answered {json.dumps(output)[:200]}, not contract "
                           f"{c.CONTRACT_VERSION}.", remedy, fix=FIX_DEPLOY if dep.stack else "")
        events = await self.backend.execution_history(info.arn, newest_first=False)
        passed = {
            (det.get("resourceType"), det.get("resource"))
            for ev in events
            for det in [ev.get("taskSucceededEventDetails") or {}]
            if det
        }
        missing = [f"{t}:{r}" for t, r in PROBE_TASKS if (t, r) not in passed]
        if missing:
            through = ", ".join(sorted(f"{t}:{r}" for t, r in passed)) or "no Task at all"
            return finding(
                "probe", FAIL,
                f"The probe answered contract {answered} but passed through {through}, not {', '.join(missing)}: "
                "its answer does not prove that the Tasks of a run work.",
                remedy, fix=FIX_DEPLOY if dep.stack else "",
            )
        return finding("probe", PASS, f"The probe answered contract {answered} after a real "
                       f"{' and '.join(f'{t}:{r}' for t, r in PROBE_TASKS)}.")


    # -- the quick checks preflight runs before a start ---------------------------------------------
    async def _location_deployment(self, loc: BackendLocation) -> Deployment:
        account = (await self.conn.identity()).account_id
        dep = Deployment(stack_name=loc.stack_name, region=self.conn.region, account=account,
                         expected_template=parse_template(render_template()),
                         state_machine_arn=loc.state_machine_arn, table_name=loc.history_table,
                         cli_options=cli_options(self.conn))
        await read_resources(self.conn, dep)
        return dep

    async def _state_machine(self, loc: BackendLocation) -> tuple[DoctorFinding, dict | None]:
        """Does the state machine exist and speak this console's contract (preflight's quick check)."""
        dep = await self._location_deployment(loc)
        if dep.state_machine is None:
            return finding("contract", FAIL, f"State machine {loc.state_machine_arn} does not exist.",
                           "Run 'drs-console backend deploy'."), None
        return dc.contract_check(dep), dep.deployed_definition()

    async def _history_table(self, table: str) -> tuple[DoctorFinding, None]:
        dep = await self._location_deployment(BackendLocation("", table))
        return await tc.table_check(self.conn, dep), None


def fixable(findings: list[Finding]) -> list[DoctorFinding]:
    return [f for f in findings if isinstance(f, DoctorFinding) and f.fix == FIX_DEPLOY and f.level != PASS]
