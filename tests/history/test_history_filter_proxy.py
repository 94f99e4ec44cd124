"""The History page's filtered view: always exactly the model's rows the filter accepts, in the
model's order, through appends, removals, in-place changes and re-sorts; and a keystroke is one
model change, however many rows it hides."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from drs_console.domain import history as h
from drs_console.ui.models.history_model import HistoryColumn, HistoryFilterProxy, HistoryModel

NOW = datetime(2025, 6, 1, tzinfo=UTC)
PLANS = ["Payments", "Portal", "Warehouse", "ERP"]
STATUSES = ["COMPLETED", "FAILED", "RUNNING", "CANCELLED"]


def row(i: int, *, status: str | None = None, plan: str | None = None) -> h.HistoryRow:
    ts = (NOW - timedelta(minutes=i)).isoformat()
    return h.HistoryRow.from_item({
        "PK": f"EXEC#e{i:05d}", "SK": "EXECUTION", "executionId": f"e{i:05d}",
        "status": status or STATUSES[i % 4], "planName": plan or PLANS[i % 3], "executionType": "DRILL",
        "startedAt": ts, "updatedAt": ts, "waveCount": 1, "initiatedBy": f"op{i % 7}",
    })


def visible(proxy: HistoryFilterProxy) -> list[str]:
    return [proxy.index(r, HistoryColumn.EXECUTION_ID).data() for r in range(proxy.rowCount())]


def expected(model: HistoryModel, flt: h.HistoryFilter) -> list[str]:
    return [r.execution_id for r in model.items() if flt.accepts(r)]


def test_the_view_always_shows_exactly_the_accepted_rows_in_model_order(qapp):
    rng = random.Random(3)
    model = HistoryModel()
    proxy = HistoryFilterProxy()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    flt = h.HistoryFilter()
    made = 0
    for step in range(150):
        op = rng.choice(["add", "add", "remove", "change", "sort", "filter", "text"])
        if op == "add":
            fresh = [row(made + k) for k in range(rng.randint(1, 6))]
            made += len(fresh)
            model.upsert(fresh)
        elif op == "remove" and model.rowCount():
            keys = rng.sample(sorted(model.keys()), min(model.rowCount(), rng.randint(1, 5)))
            model.remove_keys(keys)
        elif op == "change" and model.rowCount():
            i = int(rng.choice(sorted(model.keys()))[1:])
            model.upsert([row(i, status=rng.choice(STATUSES), plan=rng.choice(PLANS))])
        elif op == "sort":
            col = rng.choice([HistoryColumn.PLAN, HistoryColumn.STATUS, HistoryColumn.STARTED])
            proxy.sort(col, rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]))
        elif op == "filter":
            flt = h.HistoryFilter(statuses=rng.choice([None, h.statuses_of("finished"), h.statuses_of("active")]),
                                  text=flt.text)
            proxy.set_filter(flt)
        else:  # type or delete a character
            text = flt.text + rng.choice("aeyrt") if rng.random() < 0.7 or not flt.text else flt.text[:-1]
            flt = h.HistoryFilter(statuses=flt.statuses, text=text)
            proxy.set_filter(flt)
        assert visible(proxy) == expected(model, flt), (step, op)
        assert proxy.rows() == [r for r in model.items() if flt.accepts(r)]


def test_a_keystroke_that_hides_thousands_of_scattered_rows_is_one_model_change(qapp):
    model = HistoryModel()
    model.upsert([row(i) for i in range(5000)])
    proxy = HistoryFilterProxy()
    proxy.setSourceModel(model)
    signals: list[str] = []
    proxy.rowsRemoved.connect(lambda *_a: signals.append("removed"))
    proxy.rowsInserted.connect(lambda *_a: signals.append("inserted"))
    proxy.modelReset.connect(lambda: signals.append("reset"))
    proxy.layoutChanged.connect(lambda *_a: signals.append("layout"))
    for text in ("p", "pa", "pay", "po"):  # narrowing, narrowing, narrowing, then another text
        signals.clear()
        proxy.set_filter(h.HistoryFilter(text=text))
        assert signals == ["reset"], text
        assert visible(proxy) == expected(model, h.HistoryFilter(text=text))
    assert 0 < proxy.rowCount() < 5000


def test_a_scattered_prune_removes_its_rows_in_one_change(qapp):
    model = HistoryModel()
    model.upsert([row(i) for i in range(1000)])
    proxy = HistoryFilterProxy()
    proxy.setSourceModel(model)
    signals: list[str] = []
    model.rowsRemoved.connect(lambda *_a: signals.append("removed"))
    model.modelReset.connect(lambda: signals.append("reset"))
    assert model.remove_keys([f"e{i:05d}" for i in range(0, 1000, 2)]) == 500
    assert signals == ["reset"]
    assert visible(proxy) == expected(model, h.HistoryFilter()) and proxy.rowCount() == 500


def test_a_plan_name_with_terminal_escapes_reads_escaped_in_the_table(qapp):
    """A record's plan name comes from a plan file: control characters show as visible escapes,
    never reach the label raw (the CLI escapes the same way)."""
    model = HistoryModel()
    model.set_items([row(0, plan="Pay\x1b[2Jments\u202e")])
    shown = model.index(0, HistoryColumn.PLAN).data()
    assert "\x1b" not in shown and "\u202e" not in shown
    assert shown.startswith("Pay") and "ments" in shown and shown != "Payments"


def test_the_engine_filter_is_one_model_change_and_text_keystrokes_under_it_narrow(qapp):
    from dataclasses import replace

    model = HistoryModel()
    model.upsert([replace(row(i), engine="native") if i % 5 == 0 else row(i) for i in range(5000)])
    proxy = HistoryFilterProxy()
    proxy.setSourceModel(model)
    signals: list[str] = []
    proxy.rowsRemoved.connect(lambda *_a: signals.append("removed"))
    proxy.modelReset.connect(lambda: signals.append("reset"))
    for flt in (h.HistoryFilter(engine="native"), h.HistoryFilter(engine="native", text="p"),
                h.HistoryFilter(engine="native", text="pa"), h.HistoryFilter(engine="stepfunctions", text="pa"),
                h.HistoryFilter()):
        signals.clear()
        proxy.set_filter(flt)
        assert signals == ["reset"], flt
        assert visible(proxy) == expected(model, flt)
    proxy.set_filter(h.HistoryFilter(engine="native"))
    assert proxy.rowCount() == 1000
    assert {model.index(r, HistoryColumn.ENGINE).data() for r in range(model.rowCount())} == {"DRS native",
                                                                                              "Step Functions"}
