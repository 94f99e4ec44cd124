from __future__ import annotations

import pytest

from drs_console.domain.errors import BadInput
from drs_console.domain.inventory import SourceServer
from drs_console.domain.selector import (
    MAX_NESTING,
    SelectorSyntaxError,
    TagSelector,
    parse_selector,
    selector_error,
)

SERVERS = [
    SourceServer("s-1", tags={"Application": "payments", "Tier": "web", "Name": "pay-web-01"}),
    SourceServer("s-2", tags={"Application": "payments", "Tier": "db"}),
    SourceServer("s-3", tags={"Application": "crm", "Tier": "web"}),
    SourceServer("s-4", tags={"Application": "payments", "Tier": "batch jobs"}),
    SourceServer("s-5", tags={}),
    SourceServer("s-6", tags={"aws:cloudformation:stack-name": "pay-stack"}),
]


def ids(expr: str) -> list[str]:
    return [s.source_server_id for s in TagSelector.parse(expr).resolve(SERVERS)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("Application=payments", ["s-1", "s-2", "s-4"]),
        ("Application=payments AND Tier=web", ["s-1"]),
        ("application=payments", []),  # keys are case-sensitive
        ("Application=Payments", []),  # values too
        ("Tier=web OR Tier=db", ["s-1", "s-2", "s-3"]),
        ("Application=payments and not Tier=web", ["s-2", "s-4"]),  # keywords any case
        ("Application=payments AND Tier!=web", ["s-2", "s-4"]),
        ("Tier!=web", ["s-2", "s-4", "s-5", "s-6"]),  # != matches servers without the tag
        ('Tier="batch jobs"', ["s-4"]),
        ("Tier='batch jobs'", ["s-4"]),
        ("Application=crm OR Application=payments AND Tier=db", ["s-2", "s-3"]),  # AND binds tighter
        ("(Application=crm OR Application=payments) AND Tier=web", ["s-1", "s-3"]),
        ("NOT (Tier=web OR Tier=db)", ["s-4", "s-5", "s-6"]),
        ("NOT NOT Tier=db", ["s-2"]),
        ("aws:cloudformation:stack-name=pay-stack", ["s-6"]),
        ("Name=pay-web-01", ["s-1"]),
    ],
)
def test_resolution(expr, expected):
    assert ids(expr) == expected


@pytest.mark.parametrize(
    ("expr", "column", "words"),
    [
        ("", 1, "empty"),
        ("   ", 4, "empty"),
        ("Application", 12, 'expected "=" or "!="'),
        ("Application=", 13, "expected a value"),
        ("Application=payments AND", 25, "ends too early"),
        ("Application=payments Tier=web", 22, "expected AND, OR"),
        ("(Tier=web", 10, 'expected ")"'),
        ("Tier=web)", 9, 'unmatched ")"'),
        ("()", 2, "empty parentheses"),
        ("Tier==web", 5, 'use "="'),
        ("Tier!web", 5, '"!" must be followed'),
        ('Tier="web', 6, "unterminated"),
        ("AND Tier=web", 1, "before AND"),
        ("=web", 1, "expected a condition"),
        ("Tier=web OR", 12, "ends too early"),
        ("Tier=AND", 6, "expected a value"),
    ],
)
def test_syntax_errors_have_a_column(expr, column, words):
    with pytest.raises(SelectorSyntaxError) as info:
        parse_selector(expr)
    assert info.value.column == column
    assert words in info.value.reason
    assert f"column {column}" in info.value.message
    assert isinstance(info.value, BadInput)
    assert selector_error(expr) is not None


def test_deep_nesting_and_length_are_refused_cleanly():
    deep = "(" * (MAX_NESTING + 1) + "a=1" + ")" * (MAX_NESTING + 1)
    with pytest.raises(SelectorSyntaxError, match="nested"):
        parse_selector(deep)
    with pytest.raises(SelectorSyntaxError, match="nested"):
        parse_selector("NOT " * 1000 + "a=1")
    with pytest.raises(SelectorSyntaxError, match="longer"):
        parse_selector("a=" + "x" * 10_000)
    ok = "(" * MAX_NESTING + "a=1" + ")" * MAX_NESTING
    assert parse_selector(ok).matches({"a": "1"})


def test_quoting_escapes_and_canonical_text():
    sel = TagSelector.parse(r'"Cost Center"="a \"b\"" and not (x=1 or y=2)')
    assert sel.matches(SourceServer("s", tags={"Cost Center": 'a "b"'}))
    canonical = sel.canonical()
    assert canonical == r'"Cost Center"="a \"b\"" AND NOT (x=1 OR y=2)'
    assert TagSelector.parse(canonical).tree == sel.tree
    # keywords as values must be quoted to round-trip
    assert TagSelector.parse('Mode="OR"').canonical() == 'Mode="OR"'


def test_preview():
    preview = TagSelector.parse("Application=payments").preview(SERVERS)
    assert preview.count == 3
    assert preview.ids == ("s-1", "s-2", "s-4")
    assert preview.summary() == "3 of 6 servers match"
    assert selector_error("Application=payments") is None
