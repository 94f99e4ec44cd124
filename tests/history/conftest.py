"""History fixtures: one sandbox per module with the reference backend deployed (deploying takes
seconds), its history table emptied and reseeded for each test."""

from __future__ import annotations

import pytest

from drs_console.sandbox import Sandbox
from drs_console.sandbox.backend import deploy_reference_backend
from drs_console.sandbox.history_seed import HistorySeed, seed_history
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.pages.history import HistoryPage
from drs_console.ui.tasks import TaskRunner


class SharedSandbox:
    """Hands the module's running sandbox to a ConnectionController without letting it stop it."""

    def __init__(self, sandbox: Sandbox):
        self._sandbox = sandbox

    def start(self) -> str:
        return self._sandbox.endpoint_url

    def stop(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._sandbox, name)


class HistorySandbox:
    def __init__(self):
        self.sandbox = Sandbox(manual_clock=True, servers=40)
        self.sandbox.start()
        self.outputs = deploy_reference_backend(self.sandbox)
        self.table = self.outputs["HistoryTableName"]
        self.seed: HistorySeed | None = None

    def reseed(self, n: int) -> HistorySeed:
        self.clear()
        self.sandbox.drs.reset()
        self.seed = seed_history(self.sandbox, n, self.table)
        return self.seed

    def clear(self) -> None:
        ddb = self.sandbox.client("dynamodb")
        keys = []
        for page in ddb.get_paginator("scan").paginate(TableName=self.table, ProjectionExpression="PK, SK"):
            keys.extend(page["Items"])
        for i in range(0, len(keys), 25):
            ddb.batch_write_item(
                RequestItems={self.table: [{"DeleteRequest": {"Key": k}} for k in keys[i : i + 25]]}
            )

    def items(self) -> list[dict]:
        from drs_console.aws.backend import deserialize_item

        ddb = self.sandbox.client("dynamodb")
        out = []
        for page in ddb.get_paginator("scan").paginate(TableName=self.table):
            out.extend(deserialize_item(i) for i in page["Items"])
        return out

    def update(self, execution_id: str, **attrs) -> None:
        from boto3.dynamodb.types import TypeSerializer

        ser = TypeSerializer()
        names = {f"#a{i}": k for i, k in enumerate(attrs)}
        values = {f":v{i}": ser.serialize(v) for i, v in enumerate(attrs.values())}
        self.sandbox.client("dynamodb").update_item(
            TableName=self.table,
            Key={"PK": {"S": f"EXEC#{execution_id}"}, "SK": {"S": "EXECUTION"}},
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(attrs))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def stop(self) -> None:
        self.sandbox.stop()


@pytest.fixture(scope="module")
def history_sandbox():
    hs = HistorySandbox()
    yield hs
    hs.stop()


class HistoryConsole:
    """The History page wired as the app wires it, connected to the module's sandbox."""

    def __init__(self, qtbot, hs: HistorySandbox):
        self.hs = hs
        self.reporter = ErrorReporter()
        self.reporter.interactive = False
        self.errors: list[tuple[str, str]] = []
        self.reporter.shown.connect(lambda title, text: self.errors.append((title, text)))
        self.runner = TaskRunner(self.reporter.report)
        self.controller = ConnectionController(
            Settings(), sandbox_factory=lambda: SharedSandbox(hs.sandbox), persist=False
        )
        self.page = HistoryPage(self.controller, self.runner, clock=hs.sandbox.clock.now)
        self.page.resize(1400, 700)
        qtbot.addWidget(self.page)

    def close(self):
        self.runner.cancel_all()
        self.controller.close()
