"""Plan validation: every problem with a severity, a precise location, a code and a message.

``validate`` never raises for any plan the model can hold; it reports. ERROR problems block a
run, WARNING problems are shown and may be accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .inventory import InventorySnapshot, SourceServer, format_age
from .plan import Plan, Wave
from .regions import DRS_REGIONS
from .selector import SelectorSyntaxError, TagSelector
from .status import ReplicationHealth
from .text import first_unsafe_character, printable
from .wording import plural

# DRS StartRecovery accepts at most 200 source servers per call (one wave = one job).
START_RECOVERY_MAX_SERVERS = 200
POLL_INTERVAL_MIN = 5
POLL_INTERVAL_MAX = 3600
POLL_INTERVAL_WARN_BELOW = 15  # faster polling risks DRS API throttling
WAVE_TIMEOUT_MIN = 5
WAVE_TIMEOUT_MAX = 24 * 60

_ACCOUNT_RE = re.compile(r"^[0-9]{12}$", re.ASCII)
# DRS source server IDs: "s-" and 17 lowercase hexadecimal digits (ASCII only: no look-alikes).
SOURCE_SERVER_ID_RE = re.compile(r"^s-[0-9a-f]{17}$", re.ASCII)


def _char_name(c: str) -> str:
    """Like ``'с' (U+0441 CYRILLIC SMALL LETTER ES)``; printable even for a control character."""
    name = unicodedata.name(c, "")
    if "\ud800" <= c <= "\udfff":
        name = "a lone surrogate"
    elif not name:
        name = "a control character"
    return f"{printable(repr(c))} (U+{ord(c):04X} {name})"


def unsafe_text(text: str) -> str | None:
    """Why ``text`` cannot be a name (a control character, a bidi override, a lone surrogate that
    no file can store), or None."""
    c = first_unsafe_character(text)
    return f"contains {_char_name(c)}; remove it" if c is not None else None


def server_id_problem(server_id: str) -> str | None:
    """Why ``server_id`` is not a DRS source server ID, or None."""
    if SOURCE_SERVER_ID_RE.match(server_id):
        return None
    odd = next((c for c in server_id if not (c.isascii() and c.isprintable())), None)
    shown = printable(repr(server_id[:40]))
    if odd is not None:
        return f"{shown} contains {_char_name(odd)}: a DRS source server ID is s- and 17 lowercase hex digits"
    return f"{shown} is not a DRS source server ID (s- and 17 lowercase hex digits, like s-1234567890abcdef0)"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    NAME_MISSING = "plan.name-missing"
    TARGET_ACCOUNT_MISSING = "plan.target-account-missing"
    TARGET_ACCOUNT_INVALID = "plan.target-account-invalid"
    TARGET_REGION_MISSING = "plan.target-region-missing"
    TARGET_REGION_INVALID = "plan.target-region-invalid"
    NAME_INVALID_TEXT = "plan.name-invalid-text"
    WRONG_ACCOUNT = "plan.wrong-account"
    WRONG_REGION = "plan.wrong-region"
    POLL_INTERVAL_RANGE = "plan.poll-interval-range"
    POLL_INTERVAL_LOW = "plan.poll-interval-low"
    NO_WAVES = "plan.no-waves"
    NO_INVENTORY = "inventory.none"
    STALE_INVENTORY = "inventory.stale"
    OTHER_INVENTORY = "inventory.other-account"
    WAVE_NAME_MISSING = "wave.name-missing"
    WAVE_NAME_INVALID_TEXT = "wave.name-invalid-text"
    WAVE_DUPLICATE_NAME = "wave.duplicate-name"
    WAVE_EMPTY = "wave.empty"
    WAVE_TOO_MANY = "wave.too-many-servers"
    WAVE_OVER_QUOTA = "wave.over-job-quota"
    WAVE_TIMEOUT_RANGE = "wave.timeout-range"
    SELECTOR_SYNTAX = "wave.selector-syntax"
    SERVER_ID_INVALID = "server.id-invalid"
    SERVER_REPEATED = "server.repeated-in-wave"
    SERVER_IN_TWO_WAVES = "server.in-two-waves"
    SELECTOR_OVERLAP = "server.selector-overlap"
    SERVER_NOT_IN_INVENTORY = "server.not-in-inventory"
    REPLICATION_SYNCING = "server.replication-syncing"
    REPLICATION_UNHEALTHY = "server.replication-unhealthy"
    REPLICATION_UNKNOWN = "server.replication-unknown"


DUPLICATE_CODES = frozenset({Code.SERVER_REPEATED, Code.SERVER_IN_TWO_WAVES, Code.SELECTOR_OVERLAP})

_FIELD_LABELS = {
    "name": "name",
    "target_account_id": "target account",
    "target_region": "target region",
    "poll_interval_seconds": "poll interval",
    "failure_policy": "failure policy",
    "timeout_minutes": "timeout",
    "selector": "selector",
    "pause_before": "pause before",
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: the plan, a wave (0-based index and its name), a server, a field.
    ``field`` is the model attribute name (``timeout_minutes``, ``target_region`` ...)."""

    wave_index: int | None = None
    wave_name: str | None = None
    server_id: str | None = None
    field: str | None = None

    @classmethod
    def of_wave(
        cls, index: int, wave: Wave, *, server_id: str | None = None, field: str | None = None
    ) -> Location:
        return cls(index, wave.name, server_id, field)

    def render(self) -> str:
        """Like ``wave 2 "Web tier": server s-123`` or ``plan: poll interval``."""
        parts: list[str] = []
        if self.wave_index is None:
            parts.append("plan")
        else:
            name = (self.wave_name or "").strip()
            parts.append(
                f'wave {self.wave_index + 1} "{name}"' if name else f"wave {self.wave_index + 1} (unnamed)"
            )
        if self.server_id:
            parts.append(f"server {self.server_id}")
        if self.field:
            parts.append(_FIELD_LABELS.get(self.field, self.field))
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    code: Code
    message: str
    location: Location = Location()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        """One line: ``<location>: <severity>: <message>``."""
        return f"{self.location.render()}: {self.severity.value}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationSummary:
    errors: int
    warnings: int

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def text(self) -> str:
        if not self.errors and not self.warnings:
            return "valid"
        parts = []
        if self.errors:
            parts.append(plural(self.errors, "error"))
        if self.warnings:
            parts.append(plural(self.warnings, "warning"))
        return ", ".join(parts)


def summarize(problems: Sequence[Problem]) -> ValidationSummary:
    errors = sum(1 for p in problems if p.is_error)
    return ValidationSummary(errors, len(problems) - errors)


def has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.is_error for p in problems)


# --- resolution ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedWave:
    """A wave's servers: the explicit ones, then the selector's matches not already listed."""

    index: int
    wave: Wave
    server_ids: tuple[str, ...]
    from_selector: frozenset[str]
    selector_error: SelectorSyntaxError | None = None
    selector_resolved: bool = True  # False when there is a selector but no inventory to apply it to
    repeated: tuple[str, ...] = ()  # explicit servers listed more than once in the wave


def resolve_wave(index: int, wave: Wave, servers: Sequence[SourceServer] | None) -> ResolvedWave:
    ids: list[str] = []
    seen: set[str] = set()
    repeated: list[str] = []
    for ref in wave.servers:
        if ref.source_server_id in seen:
            repeated.append(ref.source_server_id)
            continue
        seen.add(ref.source_server_id)
        ids.append(ref.source_server_id)
    from_selector: set[str] = set()
    error = None
    resolved = True
    if wave.selector:
        try:
            selector = TagSelector.parse(wave.selector)
        except SelectorSyntaxError as exc:
            error = exc
        else:
            if servers is None:
                resolved = False
            else:
                for server in selector.resolve(servers):
                    sid = server.source_server_id
                    if sid not in seen:
                        seen.add(sid)
                        ids.append(sid)
                        from_selector.add(sid)
    return ResolvedWave(index, wave, tuple(ids), frozenset(from_selector), error, resolved, tuple(repeated))


def resolve_plan(plan: Plan, servers: Sequence[SourceServer] | None) -> list[ResolvedWave]:
    """Every wave's servers against an inventory (None: selectors stay unresolved)."""
    return [resolve_wave(i, w, servers) for i, w in enumerate(plan.waves)]


# --- rules --------------------------------------------------------------------------------



# Where DRS is offered: the list generated into ``domain.regions`` at build time, plus whatever
# the installed botocore knows (the aws layer registers its reader; a newer botocore may know
# regions launched since the build, and such a region must never read as invalid).
_region_source: Callable[[], Iterable[str]] | None = None
_source_regions: frozenset[str] | None = None


def set_region_source(source: Callable[[], Iterable[str]] | None) -> None:
    """Register where to read further DRS regions from (read once, only when needed)."""
    global _region_source, _source_regions
    _region_source, _source_regions = source, None


def known_regions(region: str | None = None) -> frozenset[str]:
    """The DRS regions: the generated list, extended by the registered source when ``region`` is
    not in it (or when no region is given)."""
    global _source_regions
    if region is not None and region in DRS_REGIONS:
        return DRS_REGIONS
    if _source_regions is None and _region_source is not None:
        try:
            _source_regions = frozenset(_region_source())
        except Exception:  # noqa: BLE001 - the generated list still holds
            _source_regions = frozenset()
    return DRS_REGIONS | (_source_regions or frozenset())


def validate(
    plan: Plan,
    inventory: InventorySnapshot | None = None,
    *,
    inventory_fresh: bool = False,
    connected_account: str | None = None,
    connected_region: str | None = None,
    job_quota: int | None = None,
    regions: Collection[str] | None = None,
) -> list[Problem]:
    """Check a plan. ``inventory`` None means no inventory is known: the server rules are skipped
    (one warning says so). ``inventory_fresh`` False makes "not in the inventory" a warning.
    ``regions``: where DRS is offered (default: ``known_regions()``)."""
    problems: list[Problem] = []
    add = problems.append
    plan_at = Location

    # plan fields
    if not plan.name.strip():
        add(Problem(Severity.ERROR, Code.NAME_MISSING, "the plan has no name", plan_at(field="name")))
    elif (why := unsafe_text(plan.name)) is not None:
        add(Problem(Severity.ERROR, Code.NAME_INVALID_TEXT, f"the plan name {why}", plan_at(field="name")))
    account = plan.target_account_id.strip()
    if not account:
        add(
            Problem(
                Severity.ERROR,
                Code.TARGET_ACCOUNT_MISSING,
                "no target account ID",
                plan_at(field="target_account_id"),
            )
        )
    elif not _ACCOUNT_RE.match(account):
        add(
            Problem(
                Severity.ERROR,
                Code.TARGET_ACCOUNT_INVALID,
                f"{printable(repr(account[:40]))} is not a 12-digit AWS account ID (digits 0-9 only)",
                plan_at(field="target_account_id"),
            )
        )
    region = plan.target_region.strip()
    if not region:
        add(
            Problem(
                Severity.ERROR, Code.TARGET_REGION_MISSING, "no target region", plan_at(field="target_region")
            )
        )
    elif region not in (known_regions(region) if regions is None else regions):
        add(
            Problem(
                Severity.ERROR,
                Code.TARGET_REGION_INVALID,
                f"{printable(repr(region[:40]))} is not a region where Elastic Disaster Recovery is offered "
                "(like us-east-1 or eu-west-1)",
                plan_at(field="target_region"),
            )
        )
    if connected_account and account and account != connected_account:
        add(
            Problem(
                Severity.ERROR,
                Code.WRONG_ACCOUNT,
                f"the plan targets account {account} but the console is connected to account {connected_account}",
                plan_at(field="target_account_id"),
            )
        )
    if connected_region and region and region != connected_region:
        add(
            Problem(
                Severity.ERROR,
                Code.WRONG_REGION,
                f"the plan targets region {region} but the console is connected to region {connected_region}",
                plan_at(field="target_region"),
            )
        )
    poll = plan.poll_interval_seconds
    if not POLL_INTERVAL_MIN <= poll <= POLL_INTERVAL_MAX:
        add(
            Problem(
                Severity.ERROR,
                Code.POLL_INTERVAL_RANGE,
                f"poll interval {poll} s is outside {POLL_INTERVAL_MIN}..{POLL_INTERVAL_MAX} s",
                plan_at(field="poll_interval_seconds"),
            )
        )
    elif poll < POLL_INTERVAL_WARN_BELOW:
        add(
            Problem(
                Severity.WARNING,
                Code.POLL_INTERVAL_LOW,
                f"poll interval {poll} s is short; DRS may throttle (at least {POLL_INTERVAL_WARN_BELOW} s is safer)",
                plan_at(field="poll_interval_seconds"),
            )
        )
    if not plan.waves:
        add(Problem(Severity.ERROR, Code.NO_WAVES, "the plan has no waves", plan_at(field="waves")))

    # inventory
    servers: Sequence[SourceServer] | None = None
    if inventory is None:
        add(Problem(Severity.WARNING, Code.NO_INVENTORY, "no inventory known: server checks were skipped"))
    elif (account and inventory.account_id and inventory.account_id != account) or (
        region and inventory.region and inventory.region != region
    ):
        add(
            Problem(
                Severity.WARNING,
                Code.OTHER_INVENTORY,
                f"the inventory is of account {inventory.account_id} in {inventory.region}, not of the plan's "
                f"target {account or '?'} in {region or '?'}: server checks were skipped",
            )
        )
    else:
        servers = inventory.own_servers
        if not inventory_fresh:
            add(
                Problem(
                    Severity.WARNING,
                    Code.STALE_INVENTORY,
                    f"checked against a cached inventory {format_age(inventory.age())} old; refresh it to be sure",
                )
            )
    by_id = {s.source_server_id: s for s in servers} if servers is not None else {}
    limit = START_RECOVERY_MAX_SERVERS
    if job_quota is not None and 0 < job_quota < limit:
        limit = job_quota

    # waves
    names: dict[str, int] = {}
    first_seen: dict[str, tuple[int, bool]] = {}  # server ID -> (wave index, came from a selector)
    for rw in resolve_plan(plan, servers):
        i, wave = rw.index, rw.wave
        at = Location.of_wave(i, wave)
        name_key = wave.name.strip().casefold()
        if (why := unsafe_text(wave.name)) is not None:
            add(
                Problem(
                    Severity.ERROR,
                    Code.WAVE_NAME_INVALID_TEXT,
                    f"the wave name {why}",
                    Location.of_wave(i, wave, field="name"),
                )
            )
        if not name_key:
            add(
                Problem(
                    Severity.WARNING,
                    Code.WAVE_NAME_MISSING,
                    "the wave has no name",
                    Location.of_wave(i, wave, field="name"),
                )
            )
        elif name_key in names:
            j = names[name_key]
            add(
                Problem(
                    Severity.WARNING,
                    Code.WAVE_DUPLICATE_NAME,
                    f'wave {j + 1} has the same name "{plan.waves[j].name.strip()}"',
                    Location.of_wave(i, wave, field="name"),
                )
            )
        else:
            names[name_key] = i
        timeout = wave.timeout_minutes
        if not WAVE_TIMEOUT_MIN <= timeout <= WAVE_TIMEOUT_MAX:
            add(
                Problem(
                    Severity.ERROR,
                    Code.WAVE_TIMEOUT_RANGE,
                    f"timeout {timeout} min is outside {WAVE_TIMEOUT_MIN}..{WAVE_TIMEOUT_MAX} min",
                    Location.of_wave(i, wave, field="timeout_minutes"),
                )
            )
        if rw.selector_error is not None:
            add(
                Problem(
                    Severity.ERROR,
                    Code.SELECTOR_SYNTAX,
                    f"column {rw.selector_error.column}: {rw.selector_error.reason}",
                    Location.of_wave(i, wave, field="selector"),
                )
            )
        if not rw.server_ids and (rw.selector_resolved or rw.selector_error is not None):
            if wave.selector and rw.selector_error is None:
                message = "the wave is empty: its selector matches no server in the inventory"
            else:
                message = "the wave has no servers"
            add(Problem(Severity.ERROR, Code.WAVE_EMPTY, message, at))
        count = len(rw.server_ids)
        if count > limit:
            if limit < START_RECOVERY_MAX_SERVERS:
                add(
                    Problem(
                        Severity.ERROR,
                        Code.WAVE_OVER_QUOTA,
                        f"{count} servers, more than the account's quota of {limit} per recovery job; split the wave",
                        at,
                    )
                )
            else:
                add(
                    Problem(
                        Severity.ERROR,
                        Code.WAVE_TOO_MANY,
                        f"{count} servers, more than the {START_RECOVERY_MAX_SERVERS} DRS recovers in one job; split the wave",
                        at,
                    )
                )
        for sid in dict.fromkeys(rw.repeated):
            add(
                Problem(
                    Severity.ERROR,
                    Code.SERVER_REPEATED,
                    "listed more than once in this wave",
                    Location.of_wave(i, wave, server_id=sid),
                )
            )
        for sid in rw.server_ids:
            via_selector = sid in rw.from_selector
            if sid in first_seen:
                j, other_selector = first_seen[sid]
                other = plan.waves[j]
                other_text = f'wave {j + 1} "{other.name.strip()}"' if other.name.strip() else f"wave {j + 1}"
                if via_selector or other_selector:
                    how = (
                        "matched by the selectors of this wave and of "
                        if via_selector and other_selector
                        else (
                            "matched by this wave's selector but also in "
                            if via_selector
                            else "also matched by the selector of "
                        )
                    )
                    add(
                        Problem(
                            Severity.ERROR,
                            Code.SELECTOR_OVERLAP,
                            f"{how}{other_text}; a server may be in one wave only",
                            Location.of_wave(i, wave, server_id=sid),
                        )
                    )
                else:
                    add(
                        Problem(
                            Severity.ERROR,
                            Code.SERVER_IN_TWO_WAVES,
                            f"also in {other_text}; a server may be in one wave only",
                            Location.of_wave(i, wave, server_id=sid),
                        )
                    )
            else:
                first_seen[sid] = (i, via_selector)
            server = by_id.get(sid)
            loc = Location.of_wave(i, wave, server_id=sid)
            if server is None and (why := server_id_problem(sid)) is not None:
                add(Problem(Severity.ERROR, Code.SERVER_ID_INVALID, why, loc))
                continue  # one problem for it: no "not in the inventory" on top
            if servers is None:
                continue
            if server is None:
                if inventory_fresh:
                    add(
                        Problem(
                            Severity.ERROR,
                            Code.SERVER_NOT_IN_INVENTORY,
                            "not in the account's DRS inventory",
                            loc,
                        )
                    )
                else:
                    add(
                        Problem(
                            Severity.WARNING,
                            Code.SERVER_NOT_IN_INVENTORY,
                            "not in the cached inventory (it may be stale)",
                            loc,
                        )
                    )
                continue
            health = server.health
            state = server.replication_state.value
            if health is ReplicationHealth.UNHEALTHY:
                add(
                    Problem(
                        Severity.ERROR,
                        Code.REPLICATION_UNHEALTHY,
                        f"replication is {state}; it cannot be recovered until replication is healthy",
                        loc,
                    )
                )
            elif health is ReplicationHealth.SYNCING:
                add(
                    Problem(
                        Severity.WARNING,
                        Code.REPLICATION_SYNCING,
                        f"replication is {state}, not yet continuous; the recovery point may be old or missing",
                        loc,
                    )
                )
            elif health is ReplicationHealth.UNKNOWN:
                add(Problem(Severity.WARNING, Code.REPLICATION_UNKNOWN, "replication state unknown", loc))
    return problems
