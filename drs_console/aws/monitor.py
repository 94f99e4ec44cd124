"""Live monitoring of one execution: a cancellable poller that yields ``MonitorUpdate``s.

One poll cycle reads, in batches (see ``drs_batch``):

* the history record – one Query on ``EXEC#id`` (execution item + wave items + planJson);
* the plan – from the record's planJson, else the execution input (DescribeExecution), once;
* the source servers of the plan – once (names, replication state), 200 IDs per call;
* DescribeJobs for the waves' jobs that DRS has not yet reported COMPLETED, 1,000 IDs per call;
* DescribeJobLogItems and DescribeRecoveryInstances only for the jobs that are running or whose
  participants changed this cycle (one last time when a job completes).

The interval is ``poll_interval`` while something changes, doubling up to ``max_interval`` when
nothing did for ``idle_after`` cycles or while the execution is PAUSED. ``poke()`` polls now.
A terminal status ends the stream with one update in state ENDED.

Transient errors (unreachable, throttled) give RECONNECTING updates that keep the last view and
back off; expired credentials give one AUTH_PAUSED update and wait for ``resume_after_reauth``
(or the ``reconnect`` callable). Transitions are derived by diffing consecutive views of the
history record, so nothing is missed across an outage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ..domain.accounts import KnownAccount
from ..domain.contract import ExecutionRecord
from ..domain.errors import ConsoleError, ProblemKind
from ..domain.execution import ExecutionView, JobLogEvent, MonitorUpdate, StreamState
from ..domain.inventory import SourceServer
from ..domain.progress import (
    Transition,
    build_view,
    diff_views,
    events_from_log,
    failure_reasons,
    parse_plan,
    plan_waves,
)
from ..domain.status import ExecutionStatus
from .accounts import AccountConnector
from .backend import BackendLocation, BackendService
from .drs_batch import Reader, instances_by_job
from .session import AwsConnection

log = logging.getLogger(__name__)

TRANSIENT = frozenset({ProblemKind.UNREACHABLE, ProblemKind.THROTTLED})
AUTH = frozenset({ProblemKind.SSO_EXPIRED, ProblemKind.NO_CREDENTIALS})
MIN_POLL_INTERVAL = 1.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_INTERVAL = 15.0
UNRECORDED_LIMIT = 3  # cycles to wait for a record to appear when no execution ARN is known

Reconnect = Callable[[], Awaitable[AwsConnection | None]]


class RecordSource(Protocol):
    """Where an execution's record comes from when it is not our history table (an engine's own
    API, e.g. a DRS native execution): the monitor reads jobs, logs and instances as usual."""

    async def read(self, reader: Reader) -> tuple[ExecutionRecord, dict[str, Any]]: ...

    def wave_jobs(self, record: ExecutionRecord) -> dict[str, int]: ...  # job ID -> wave index

    def build(self, *, record: ExecutionRecord, jobs: dict, servers: dict, instances: dict, reasons: dict,
              account_id: str, region: str) -> ExecutionView: ...


@dataclass(frozen=True)
class CycleResult:
    view: ExecutionView
    api_calls: int
    events_changed: bool
    observed_at: datetime | None = None  # after the record was read, before DRS's jobs were


class ExecutionMonitor:
    """Polls one execution. Use ``async for update in monitor.updates()``; ``stop()`` ends it."""

    def __init__(
        self,
        conn: AwsConnection,
        location: BackendLocation,
        execution_id: str,
        *,
        execution_arn: str = "",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_interval: float = DEFAULT_MAX_INTERVAL,
        min_interval: float = MIN_POLL_INTERVAL,
        idle_after: int = 3,
        stale_after: float = 120.0,
        reconnect: Reconnect | None = None,
        account_id: str = "",
        max_attempts: int = 3,
        source: RecordSource | None = None,
        accounts: Sequence[KnownAccount] = (),
        connector: AccountConnector | None = None,
    ):
        self.source = source
        # contract 1.2: a wave's job in another account is read there (its known account's connection)
        self.accounts = {a.account_id: a for a in accounts}
        self.connector = connector
        self._max_attempts = max_attempts
        self._readers: dict[str, Reader] = {}
        self.location = location
        self.execution_id = execution_id
        self.execution_arn = execution_arn
        self.min_interval = max(0.01, float(min_interval))
        self.poll_interval = max(self.min_interval, float(poll_interval))
        self.max_interval = max(self.poll_interval, float(max_interval))
        self.idle_after = max(1, int(idle_after))
        self.stale_after = stale_after
        self.reconnect = reconnect
        self.account_id = account_id
        self.reader = Reader(conn, max_attempts=max_attempts)
        self.state = StreamState.LIVE
        self.last_view: ExecutionView | None = None
        self.last_update: MonitorUpdate | None = None
        self.cycles = 0
        # wave index -> every distinct (status, job ID) the monitor saw, in order
        self.wave_history: dict[int, list[tuple[ExecutionStatus | None, str]]] = {}
        self.transitions: list[Transition] = []  # all of them, oldest first
        self._plan: dict[str, Any] | None = None
        self._input_type = ""
        self._input_fetched = False
        self._servers: dict[str, SourceServer] = {}
        self._servers_loaded = False
        self._jobs: dict[str, dict[str, Any]] = {}
        self._job_fp: dict[str, tuple] = {}
        self._final_jobs: set[str] = set()
        self._events: dict[str, list[JobLogEvent]] = {}
        self._reasons: dict[str, dict[str, str]] = {}
        self._instances: dict[str, dict[str, dict[str, Any]]] = {}
        self._sfn_status = ""
        self._sfn_error = ""
        self._unrecorded = 0
        self._last_change = time.monotonic()
        self._last_stale_check = 0.0
        self._stopped = False
        self._wake: asyncio.Event | None = None
        self._reauth: asyncio.Event | None = None

    # -- control -------------------------------------------------------------------------------
    @property
    def conn(self) -> AwsConnection:
        return self.reader.conn

    def stop(self) -> None:
        """End the stream after the current cycle (or at once if it is sleeping)."""
        self._stopped = True
        if self._wake is not None:
            self._wake.set()
        if self._reauth is not None:
            self._reauth.set()

    def poke(self) -> None:
        """Poll now (e.g. right after the operator resumed or cancelled)."""
        if self._wake is not None:
            self._wake.set()

    def resume_after_reauth(self, new_conn: AwsConnection | None = None) -> None:
        """Continue after AUTH_PAUSED, with a fresh connection (or the same one, refreshed)."""
        if new_conn is not None:
            self.reader.conn = new_conn
        if self._reauth is not None:
            self._reauth.set()

    @property
    def events(self) -> tuple[JobLogEvent, ...]:
        """Every job log event seen, newest first."""
        allev = [e for evs in self._events.values() for e in evs]
        allev.sort(key=lambda e: e.time, reverse=True)
        return tuple(allev)

    # -- reading -------------------------------------------------------------------------------
    async def snapshot(self) -> ExecutionView:
        """One full read (every job, log and recovery instance): for ``status`` and reports."""
        result = await self._cycle(full=True)
        return result.view

    async def _input_plan(self) -> None:
        """The plan and type from the execution input (DescribeExecution), fetched once."""
        if self._input_fetched or not self.execution_arn:
            return
        resp = await self.reader.call("stepfunctions", "describe_execution", executionArn=self.execution_arn)
        self._input_fetched = True
        self._sfn_status = str(resp.get("status") or "")
        self._sfn_error = str(resp.get("error") or "")
        try:
            doc = json.loads(resp.get("input") or "{}")
        except ValueError:
            doc = {}
        if self._plan is None:
            self._plan = parse_plan(doc.get("plan"))
        self._input_type = str(doc.get("executionType") or "")

    async def _reader_for(self, account_id: str) -> Reader:
        """The reader of ``account_id``: the connected one's, else its known account's connection
        (made once through the connector); an account it cannot reach reads as the connected one
        (its jobs are then not found, and the wave shows the record's figures)."""
        if not account_id or account_id == self.account_id or account_id not in self.accounts:
            return self.reader
        reader = self._readers.get(account_id)
        if reader is None:
            if self.connector is None:
                self.connector = AccountConnector(self.conn)
            try:
                conn = await self.connector.connection(self.accounts[account_id])
            except ConsoleError:
                return self.reader
            reader = self._readers[account_id] = Reader(conn, max_attempts=self._max_attempts)
        return reader

    async def _cycle(self, *, full: bool = False) -> CycleResult:
        reader = self.reader
        before = reader.calls
        if self.source is not None:
            record, plan = await self.source.read(reader)
        else:
            record, plan = await reader.execution(self.location.history_table, self.execution_id)
        if record is None and not self.execution_arn:
            self._unrecorded += 1
            if full or self._unrecorded > UNRECORDED_LIMIT:
                raise ConsoleError(
                    ProblemKind.NOT_FOUND,
                    f"No execution {self.execution_id} in the history table {self.location.history_table}.",
                    "Check the execution ID ('drs-console history list').",
                )
        # a change the record gives no time of happened by now (the record said it), and a job
        # read below that has not ended had not ended by now: stamped so, it falls within its wave
        observed_at = datetime.now(UTC)
        if plan is not None:
            self._plan = plan
        if record is not None and record.execution_arn:
            self.execution_arn = record.execution_arn
        fetched = self._input_fetched
        if self.source is None and (self._plan is None or record is None):
            await self._input_plan()
        if record is None and self.execution_arn and fetched and not full:
            # not recorded yet: is the Step Functions execution still running?
            resp = await reader.call("stepfunctions", "describe_execution", executionArn=self.execution_arn)
            self._sfn_status = str(resp.get("status") or "")
            self._sfn_error = str(resp.get("error") or "")
        if not self.account_id:
            try:
                ident = await reader.call("sts", "get_caller_identity")
                self.account_id = str(ident.get("Account") or "?")
            except ConsoleError as exc:
                if exc.kind in TRANSIENT or exc.kind in AUTH:
                    raise
                self.account_id = "?"
        if not self._servers_loaded:
            waves_in = plan_waves(self._plan)
            ids = [s for w in waves_in for s in w["sourceServerIds"]]
            if ids:
                account_of = {sid: a for w in waves_in for sid, a in w.get("accounts", {}).items()}
                by_account: dict[str, list[str]] = {}
                for sid in ids:
                    by_account.setdefault(account_of.get(sid) or self.account_id, []).append(sid)
                servers: dict[str, SourceServer] = {}
                for account, sids in by_account.items():
                    servers.update(await (await self._reader_for(account)).source_servers(sids))
                self._servers = servers
                self._servers_loaded = True
        events_changed = False
        if record is not None:
            wave_jobs = (self.source.wave_jobs(record) if self.source is not None
                         else {w.job_id: w.index for w in record.waves if w.job_id})
            todo = list(wave_jobs) if full else [j for j in wave_jobs if j not in self._final_jobs]
            job_account = {j.job_id: j.account_id for w in record.waves for j in w.jobs}
            if self.source is None:  # every job of a wave (contract 1.2: one per account)
                for w in record.waves:
                    for j in w.jobs:
                        wave_jobs.setdefault(j.job_id, w.index)
                        if j.job_id not in todo and (full or j.job_id not in self._final_jobs):
                            todo.append(j.job_id)
            if todo:
                fresh: dict[str, Any] = {}
                by_account: dict[str, list[str]] = {}
                for job_id in todo:
                    by_account.setdefault(job_account.get(job_id, ""), []).append(job_id)
                for account, ids in by_account.items():
                    fresh.update(await (await self._reader_for(account)).jobs(ids))
                names = {sid: s.name for sid, s in self._servers.items()}
                waves = plan_waves(self._plan)
                for job_id in todo:
                    job = fresh.get(job_id)
                    if job is None:
                        continue
                    self._jobs[job_id] = job
                    fp = (job.get("status"), tuple((p.get("sourceServerID"), p.get("launchStatus"),
                                                    p.get("recoveryInstanceID"))
                                                   for p in job.get("participatingServers") or []))
                    changed = fp != self._job_fp.get(job_id)
                    done = str(job.get("status", "")).upper() == "COMPLETED"
                    job_reader = await self._reader_for(job_account.get(job_id, ""))
                    if full or changed or not done:
                        events = events_from_log(await job_reader.job_log(job_id), names)
                        if len(events) != len(self._events.get(job_id, ())):
                            events_changed = True
                        self._events[job_id] = events
                        self._reasons[job_id] = failure_reasons(events)
                    if full or changed:
                        idx = wave_jobs[job_id]
                        sids = waves[idx]["sourceServerIds"] if idx < len(waves) else [
                            str(p.get("sourceServerID")) for p in job.get("participatingServers") or []]
                        launched = any(p.get("launchStatus") == "LAUNCHED" or p.get("recoveryInstanceID")
                                       for p in job.get("participatingServers") or [])
                        if launched or full:
                            by_job = instances_by_job(await job_reader.recovery_instances(sids))
                            self._instances[job_id] = by_job.get(job_id, {})
                    # only now (every read of this job succeeded) is the change taken as seen
                    self._job_fp[job_id] = fp
                    if done:
                        self._final_jobs.add(job_id)
        if self.source is not None and record is not None:
            view = self.source.build(record=record, jobs=self._jobs, servers=self._servers,
                                     instances=self._instances, reasons=self._reasons,
                                     account_id=self.account_id, region=self.conn.region)
            return CycleResult(view, reader.calls - before, events_changed, observed_at)
        status_if_unrecorded: ExecutionStatus | None = ExecutionStatus.PENDING
        if record is None and self._sfn_status and self._sfn_status not in ("RUNNING", "PENDING_REDRIVE"):
            status_if_unrecorded = ExecutionStatus.FAILED
        view = build_view(
            execution_id=self.execution_id,
            record=record,
            plan=self._plan,
            jobs=self._jobs,
            servers=self._servers,
            instances=self._instances,
            reasons=self._reasons,
            execution_type=self._input_type,
            account_id=self.account_id,
            region=self.conn.region,
            execution_arn=self.execution_arn,
            status_if_unrecorded=status_if_unrecorded,
        )
        if record is None and status_if_unrecorded is ExecutionStatus.FAILED:
            from dataclasses import replace

            view = replace(view, error=self._sfn_error or f"States.{self._sfn_status}",
                           cause="The execution ended before it recorded anything in the history table.")
        if not full and record is not None:
            await self._maybe_reconcile(record)
        return CycleResult(view, reader.calls - before, events_changed, observed_at)

    async def _maybe_reconcile(self, record: ExecutionRecord) -> None:
        """An active record that has not changed for ``stale_after`` seconds: if its Step Functions
        execution has ended, write the record terminal (BackendService.reconcile)."""
        now = time.monotonic()
        if record.is_terminal or not record.execution_arn:
            return
        if now - self._last_change < self.stale_after or now - self._last_stale_check < self.stale_after:
            return
        self._last_stale_check = now
        service = BackendService(self.conn)
        self.reader.calls += 2
        await service.reconcile(self.location, self.execution_id)

    # -- the stream ----------------------------------------------------------------------------
    async def updates(self) -> AsyncIterator[MonitorUpdate]:
        self._wake = asyncio.Event()
        self._reauth = asyncio.Event()
        interval = self.poll_interval
        backoff = self.min_interval
        idle = 0
        while not self._stopped:
            calls_before = self.reader.calls
            try:
                result = await self._cycle()
            except ConsoleError as exc:
                calls = self.reader.calls - calls_before
                if exc.kind in TRANSIENT:
                    self.state = StreamState.RECONNECTING
                    yield self._keep(StreamState.RECONNECTING, exc.one_line(), calls)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, self.max_interval)
                    continue
                if exc.kind in AUTH:
                    self.state = StreamState.AUTH_PAUSED
                    yield self._keep(StreamState.AUTH_PAUSED, exc.one_line(), calls)
                    await self._wait_reauth()
                    backoff = self.min_interval
                    continue
                raise
            backoff = self.min_interval
            self.cycles += 1
            view = result.view
            prev = self.last_view
            changed = prev is None or view != prev or result.events_changed
            transitions = diff_views(prev, view, result.observed_at) if (prev is None or view != prev) else []
            self._record(view, transitions)
            if changed:
                self._last_change = time.monotonic()
            ended = view.is_terminal
            self.state = StreamState.ENDED if ended else StreamState.LIVE
            update = MonitorUpdate(
                view=view,
                state=self.state,
                changed=changed,
                events=self.events,
                message="",
                api_calls=result.api_calls,
                transitions=tuple(t.text for t in transitions),
                observed_at=result.observed_at,
            )
            self.last_view = view
            self.last_update = update
            yield update
            if ended:
                return
            if changed:
                idle = 0
                interval = self.poll_interval
            else:
                idle += 1
                if idle >= self.idle_after:
                    interval = min(interval * 2, self.max_interval)
            if view.status is ExecutionStatus.PAUSED:
                interval = self.max_interval
            await self._sleep(interval)

    def _keep(self, state: StreamState, message: str, calls: int) -> MonitorUpdate:
        view = self.last_view or build_view(
            execution_id=self.execution_id, record=None, plan=self._plan, servers=self._servers,
            execution_type=self._input_type, account_id=self.account_id, region=self.conn.region,
            execution_arn=self.execution_arn,
        )
        update = MonitorUpdate(view=view, state=state, changed=False, events=self.events, message=message,
                               api_calls=calls)
        self.last_update = update
        return update

    def _record(self, view: ExecutionView, transitions: list[Transition]) -> None:
        self.transitions.extend(transitions)
        for w in view.waves:
            seen = self.wave_history.setdefault(w.index, [])
            entry = (w.status, w.job_id)
            if w.status is not None and (not seen or seen[-1] != entry):
                seen.append(entry)

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        if self._stopped:
            return
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _wait_reauth(self) -> None:
        assert self._reauth is not None
        if self.reconnect is not None:
            try:
                fresh = await self.reconnect()
            except ConsoleError as exc:
                log.info("reconnect failed: %s", exc.one_line())
                fresh = None
            if fresh is not None:
                self.reader.conn = fresh
                return
        await self._reauth.wait()
        self._reauth.clear()


async def follow(
    conn: AwsConnection, location: BackendLocation, execution_id: str, **kwargs: Any
) -> AsyncIterator[MonitorUpdate]:
    """``ExecutionMonitor(...).updates()`` in one call."""
    monitor = ExecutionMonitor(conn, location, execution_id, **kwargs)
    async for update in monitor.updates():
        yield update
