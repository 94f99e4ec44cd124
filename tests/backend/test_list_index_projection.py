"""The ByStartTime index projects only what the lists read (history list, the executions list):
not planJson nor taskToken, which are read by key where needed. Half the pages and read units of
`history list` on AWS, and no list that silently shows blanks."""

from __future__ import annotations

import re

from drs_console.aws.backend import resources_dir
from drs_console.domain import contract as c
from drs_console.domain.history import HistoryRow

KEYS = {c.PK, c.SK, c.LIST_PK, "GSI1SK"}  # always projected
READ_BY_KEY_ONLY = {"taskToken", "pointInTime"}  # resume and cancel read the record with Query(PK = EXEC#id); the
# requested time of a point-in-time run is shown by the monitor and the report (read by key), not the lists


def projected_attributes() -> tuple[str, list[str]]:
    text = (resources_dir() / "template.yaml").read_text()
    block = text[text.index(f"IndexName: {c.LIST_INDEX}") :]
    block = block[: block.index("PointInTimeRecoverySpecification")]
    kind = re.search(r"ProjectionType:\s*(\w+)", block).group(1)
    names = re.findall(r"^\s+- (\w+)\s*$", block[block.index("NonKeyAttributes") :], re.M) if kind == "INCLUDE" else []
    return kind, names


class Recording(dict):
    """An execution item that remembers which attributes were asked for."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def _item() -> Recording:
    return Recording({c.PK: c.execution_pk("e1"), c.SK: c.EXECUTION_SK, "executionId": "e1", "status": "COMPLETED"})


def test_the_index_projects_the_list_attributes_only():
    kind, names = projected_attributes()
    assert kind == "INCLUDE"
    assert "planJson" not in names and "taskToken" not in names
    assert len(names) <= 100  # DynamoDB's limit across all indexes


def test_history_list_reads_nothing_the_index_does_not_project():
    _kind, names = projected_attributes()
    item = _item()
    assert HistoryRow.from_item(item) is not None
    assert item.asked - KEYS - set(names) == set()


def test_the_executions_list_reads_nothing_the_index_does_not_project():
    _kind, names = projected_attributes()
    item = _item()
    assert c.ExecutionRecord.from_items([item]) is not None
    assert item.asked - KEYS - set(names) - READ_BY_KEY_ONLY == set()
