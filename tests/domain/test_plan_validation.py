"""Each validation rule, with its severity, code, location and message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef, Wave
from drs_console.domain.status import ReplicationState as R
from drs_console.domain.validation import (
    Code,
    Location,
    Problem,
    Severity,
    has_errors,
    summarize,
    validate,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"


def server(sid: str, state: R = R.CONTINUOUS, **tags: str) -> SourceServer:
    return SourceServer(sid, replication_state=state, tags=tags)


INVENTORY = InventorySnapshot(
    ACCOUNT,
    REGION,
    datetime.now(UTC) - timedelta(hours=2),
    (
        server("s-0000000000000db01", Application="payments", Tier="db"),
        server("s-0000000000000a001", Application="payments", Tier="app"),
        server("s-0000000000000e001", Application="payments", Tier="web"),
        server("s-0000000000000e002", Application="payments", Tier="web"),
        server("s-0000000000000c001", Application="crm", Tier="web"),
    ),
)


def make_plan(*waves: tuple[str, list[str]] | Wave) -> Plan:
    plan = Plan.new("Payments", target_account_id=ACCOUNT, target_region=REGION)
    for w in waves:
        if isinstance(w, Wave):
            plan.add_wave(None, w)
        else:
            name, ids = w
            plan.add_wave(None, Wave(name=name, servers=[ServerRef(i) for i in ids]))
    return plan


def good_plan() -> Plan:
    return make_plan(("DB", ["s-0000000000000db01"]), ("App", ["s-0000000000000a001"]), ("Web", ["s-0000000000000e001", "s-0000000000000e002"]))


def codes(problems: list[Problem]) -> list[Code]:
    return [p.code for p in problems]


def only(problems: list[Problem], code: Code) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def check(plan: Plan, **kw) -> list[Problem]:
    kw.setdefault("inventory_fresh", True)
    return validate(plan, kw.pop("inventory", INVENTORY), **kw)


def test_a_good_plan_has_no_problems():
    assert check(good_plan()) == []
    assert summarize([]).text() == "valid"


def test_name_missing():
    plan = good_plan()
    plan.rename("  ")
    p = only(check(plan), Code.NAME_MISSING)
    assert p.severity is Severity.ERROR and p.location == Location(field="name")
    assert p.render() == "plan: name: error: the plan has no name"


@pytest.mark.parametrize(
    ("account", "region", "code"),
    [
        ("", REGION, Code.TARGET_ACCOUNT_MISSING),
        ("12345", REGION, Code.TARGET_ACCOUNT_INVALID),
        (ACCOUNT, "", Code.TARGET_REGION_MISSING),
        (ACCOUNT, "US East", Code.TARGET_REGION_INVALID),
    ],
)
def test_target_fields(account, region, code):
    plan = good_plan()
    plan.set_attribute("target_account_id", account)
    plan.set_attribute("target_region", region)
    assert only(validate(plan, None), code).severity is Severity.ERROR


def test_wrong_account_or_region_than_connected():
    problems = check(good_plan(), connected_account="999999999999", connected_region="eu-west-1")
    acct = only(problems, Code.WRONG_ACCOUNT)
    reg = only(problems, Code.WRONG_REGION)
    assert acct.severity is reg.severity is Severity.ERROR
    assert "999999999999" in acct.message and ACCOUNT in acct.message
    assert "eu-west-1" in reg.message
    assert check(good_plan(), connected_account=ACCOUNT, connected_region=REGION) == []


def test_empty_wave_and_no_waves():
    p = only(check(make_plan(("DB", ["s-0000000000000db01"]), ("Nothing", []))), Code.WAVE_EMPTY)
    assert p.severity is Severity.ERROR
    assert p.location.render() == 'wave 2 "Nothing"'
    assert only(check(make_plan()), Code.NO_WAVES).severity is Severity.ERROR


def test_selector_matching_nothing_is_an_empty_wave():
    plan = make_plan(("DB", ["s-0000000000000db01"]), Wave(name="Ghosts", selector="Application=ghost"))
    assert "matches no server" in only(check(plan), Code.WAVE_EMPTY).message


def test_selector_without_inventory_is_not_empty():
    plan = make_plan(("DB", ["s-0000000000000db01"]), Wave(name="Web", selector="Tier=web"))
    assert Code.WAVE_EMPTY not in codes(validate(plan, None))


def test_server_in_two_waves():
    plan = make_plan(("DB", ["s-0000000000000db01"]), ("App", ["s-0000000000000a001", "s-0000000000000db01"]))
    p = only(check(plan), Code.SERVER_IN_TWO_WAVES)
    assert p.severity is Severity.ERROR
    assert p.location.render() == 'wave 2 "App": server s-0000000000000db01'
    assert 'also in wave 1 "DB"' in p.message


def test_server_repeated_in_one_wave():
    plan = make_plan(Wave(name="DB", servers=[ServerRef("s-0000000000000db01"), ServerRef("s-0000000000000db01")]))
    p = only(check(plan), Code.SERVER_REPEATED)
    assert p.location.server_id == "s-0000000000000db01" and p.severity is Severity.ERROR


def test_overlapping_selectors():
    plan = make_plan(
        Wave(name="Payments web", selector="Application=payments AND Tier=web"),
        Wave(name="All web", selector="Tier=web"),
    )
    overlaps = [p for p in check(plan) if p.code == Code.SELECTOR_OVERLAP]
    assert {p.location.server_id for p in overlaps} == {"s-0000000000000e001", "s-0000000000000e002"}
    assert all(p.location.wave_index == 1 for p in overlaps)
    assert "selectors of this wave and of wave 1" in overlaps[0].message


def test_selector_overlapping_an_explicit_server():
    plan = make_plan(("Web 1", ["s-0000000000000e001"]), Wave(name="Web", selector="Tier=web"))
    p = only(check(plan), Code.SELECTOR_OVERLAP)
    assert p.location.server_id == "s-0000000000000e001" and "this wave's selector" in p.message


def test_explicit_and_selector_in_the_same_wave_is_fine():
    plan = make_plan(Wave(name="Web", servers=[ServerRef("s-0000000000000e001")], selector="Tier=web"))
    assert check(plan) == []


def test_selector_syntax_error_with_column():
    plan = make_plan(Wave(name="Web", servers=[ServerRef("s-0000000000000e001")], selector="Tier=web AND"))
    p = only(check(plan), Code.SELECTOR_SYNTAX)
    assert p.severity is Severity.ERROR and p.location.field == "selector"
    assert p.message.startswith("column 13:")


def test_wave_over_200_servers():
    ids = [f"s-{i:05d}" for i in range(201)]
    inv = InventorySnapshot(ACCOUNT, REGION, datetime.now(UTC), tuple(server(i) for i in ids))
    plan = make_plan(("Big", ids))
    p = only(check(plan, inventory=inv), Code.WAVE_TOO_MANY)
    assert p.severity is Severity.ERROR and "201 servers" in p.message and "200" in p.message
    plan.remove_servers(0, ids[:1])
    assert check(plan, inventory=inv) == []


def test_wave_over_the_accounts_job_quota():
    plan = good_plan()
    p = only(check(plan, job_quota=1), Code.WAVE_OVER_QUOTA)
    assert p.location.wave_index == 2 and "quota of 1" in p.message
    assert check(plan, job_quota=500) == []  # a quota above 200 does not lift the DRS limit


def test_server_not_in_inventory_fresh_is_error_stale_is_warning():
    plan = make_plan(("DB", ["s-0000000000000db01", "s-00000000000008888"]))
    fresh = only(check(plan, inventory_fresh=True), Code.SERVER_NOT_IN_INVENTORY)
    assert fresh.severity is Severity.ERROR
    problems = check(plan, inventory_fresh=False)
    stale = only(problems, Code.SERVER_NOT_IN_INVENTORY)
    assert stale.severity is Severity.WARNING and "stale" in stale.message
    assert only(problems, Code.STALE_INVENTORY).severity is Severity.WARNING
    assert not has_errors(problems)


@pytest.mark.parametrize(
    ("state", "code", "severity"),
    [
        (R.STALLED, Code.REPLICATION_UNHEALTHY, Severity.ERROR),
        (R.DISCONNECTED, Code.REPLICATION_UNHEALTHY, Severity.ERROR),
        (R.STOPPED, Code.REPLICATION_UNHEALTHY, Severity.ERROR),
        (R.PAUSED, Code.REPLICATION_UNHEALTHY, Severity.ERROR),
        (R.INITIATING, Code.REPLICATION_SYNCING, Severity.WARNING),
        (R.INITIAL_SYNC, Code.REPLICATION_SYNCING, Severity.WARNING),
        (R.BACKLOG, Code.REPLICATION_SYNCING, Severity.WARNING),
        (R.UNKNOWN, Code.REPLICATION_UNKNOWN, Severity.WARNING),
    ],
)
def test_replication_health(state, code, severity):
    inv = InventorySnapshot(ACCOUNT, REGION, datetime.now(UTC), (server("s-0000000000000db01", state),))
    p = only(check(make_plan(("DB", ["s-0000000000000db01"])), inventory=inv), code)
    assert p.severity is severity
    assert state.value in p.message or state is R.UNKNOWN
    assert p.location.render() == 'wave 1 "DB": server s-0000000000000db01'


def test_no_inventory_skips_server_rules_with_one_warning():
    plan = make_plan(("DB", ["s-00000000000009999"]))
    problems = validate(plan, None)
    assert codes(problems) == [Code.NO_INVENTORY]
    assert problems[0].severity is Severity.WARNING
    assert problems[0].render() == "plan: warning: no inventory known: server checks were skipped"


def test_inventory_of_another_account_is_not_used():
    inv = InventorySnapshot("999999999999", REGION, datetime.now(UTC), ())
    problems = validate(good_plan(), inv, inventory_fresh=True)
    assert codes(problems) == [Code.OTHER_INVENTORY]


def test_duplicate_wave_names_warn():
    plan = make_plan(("Web", ["s-0000000000000e001"]), ("web ", ["s-0000000000000e002"]))
    p = only(check(plan), Code.WAVE_DUPLICATE_NAME)
    assert p.severity is Severity.WARNING and p.location.wave_index == 1
    assert 'wave 1 has the same name "Web"' == p.message


def test_unnamed_wave_warns_and_renders():
    plan = make_plan(("", ["s-0000000000000e001"]))
    p = only(check(plan), Code.WAVE_NAME_MISSING)
    assert p.location.render() == "wave 1 (unnamed): name"


@pytest.mark.parametrize(("minutes", "ok"), [(4, False), (5, True), (1440, True), (1441, False), (-1, False)])
def test_wave_timeout_range(minutes, ok):
    plan = good_plan()
    plan.set_wave_option(0, "timeout_minutes", minutes)
    problems = check(plan)
    if ok:
        assert problems == []
    else:
        p = only(problems, Code.WAVE_TIMEOUT_RANGE)
        assert p.severity is Severity.ERROR and p.location.render() == 'wave 1 "DB": timeout'


@pytest.mark.parametrize(
    ("seconds", "code", "severity"),
    [
        (4, Code.POLL_INTERVAL_RANGE, Severity.ERROR),
        (3601, Code.POLL_INTERVAL_RANGE, Severity.ERROR),
        (10, Code.POLL_INTERVAL_LOW, Severity.WARNING),
        (15, None, None),
        (3600, None, None),
    ],
)
def test_poll_interval_range(seconds, code, severity):
    plan = good_plan()
    plan.set_attribute("poll_interval_seconds", seconds)
    problems = check(plan)
    if code is None:
        assert problems == []
    else:
        p = only(problems, code)
        assert p.severity is severity and p.location.render() == "plan: poll interval"


def test_summary_text():
    plan = make_plan(("DB", ["s-0000000000000db01"]), ("DB", []))
    s = summarize(check(plan))
    assert (s.errors, s.warnings, s.ok) == (1, 1, False)
    assert s.text() == "1 error, 1 warning"
