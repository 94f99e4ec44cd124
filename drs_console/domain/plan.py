"""Recovery plans: ordered waves of DRS source servers, and how to run them.

The model is editing-friendly: a plan is changed only through its mutation methods, each of which
returns what an undo command needs to reverse it, and tells every callback in ``plan.listeners``
what changed (a ``PlanChange``) so a UI can adapt them to Qt signals.

``Plan.to_dict`` / ``Plan.from_dict`` give the JSON form of the current schema version with a
stable key order; ``from_dict`` checks every type and size and raises ``PlanFormatError`` with
the JSON path of what is wrong. Migration of older schema versions lives in the store.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .errors import BadInput
from .inventory import SourceServer
from .status import ReplicationState

SCHEMA_VERSION = 2

DEFAULT_POLL_INTERVAL_SECONDS = 30
DEFAULT_WAVE_TIMEOUT_MINUTES = 60

# Hard limits of the file format (validation has the softer, operational ranges).
MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_ID = 128
MAX_WAVES = 500
MAX_SERVERS_PER_WAVE = 5_000
MAX_SERVERS_TOTAL = 50_000
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_SELECTOR = 4096
MAX_INT = 10**9
MAX_SERVER_NAME = 256  # a Name tag value may be 256 characters
# The plan's optional recovery time objective: the time a whole recovery may take, in minutes.
MIN_RTO_TARGET_MINUTES = 1
MAX_RTO_TARGET_MINUTES = 7 * 24 * 60  # a week


class FailurePolicy(StrEnum):
    STOP_ON_FAILURE = "STOP_ON_FAILURE"  # a failed wave stops the plan
    CONTINUE = "CONTINUE"  # later waves run even when a wave failed


class PlanFormatError(BadInput):
    """A plan dict that does not have the plan shape. ``path`` is like ``waves[2].name``."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ServerRef:
    """A source server chosen explicitly, with display details cached from the inventory."""

    source_server_id: str
    name: str = ""
    source_instance_id: str = ""
    source_account_id: str = ""
    replication_state: ReplicationState = ReplicationState.UNKNOWN
    critical: bool | None = None  # the DRS native plan's impact level; None: the wave's
    # the account holding the server in DRS (which recovers it); "": the plan's target account
    account_id: str = ""

    @classmethod
    def from_server(cls, server: SourceServer, *, account_id: str = "") -> ServerRef:
        return cls(
            source_server_id=server.source_server_id,
            name=server.name,
            source_instance_id=server.instance_id,
            source_account_id=server.account_id,
            replication_state=server.replication_state,
            account_id=account_id,
        )

    @classmethod
    def from_inventory(cls, server: SourceServer, connected_account: str) -> ServerRef:
        """``server`` as read in an inventory of ``connected_account``: a server another account
        holds in DRS records that account (``accountId``), one of the connected account's none."""
        other = server.drs_account_id if server.drs_account_id and server.drs_account_id != connected_account else ""
        return cls.from_server(server, account_id=other)

    def recovering_account(self, default: str) -> str:
        """The account that recovers this server: its own when recorded, else ``default`` (the
        plan's target account, or the connected one)."""
        return self.account_id or default

    @property
    def display_name(self) -> str:
        return self.name or self.source_server_id

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "sourceServerId": self.source_server_id,
            "name": self.name,
            "sourceInstanceId": self.source_instance_id,
            "sourceAccountId": self.source_account_id,
            "replicationState": self.replication_state.value,
        }
        if self.critical is not None:  # written only when set: older files stay as they were
            doc["critical"] = self.critical
        if self.account_id:  # likewise: a server of the plan's target account records none
            doc["accountId"] = self.account_id
        return doc


@dataclass(slots=True)
class Wave:
    """One step of a plan: servers recovered together (one StartRecovery job).

    The servers are the explicit ``servers`` plus, when ``selector`` is set, every inventory
    server whose tags match it. Change a wave of a plan through the plan's methods.
    """

    name: str
    servers: list[ServerRef] = field(default_factory=list)
    selector: str | None = None
    pause_before: bool = False
    timeout_minutes: int = DEFAULT_WAVE_TIMEOUT_MINUTES
    id: str = field(default_factory=new_id)
    # the native engine's options (domain/native_mapping.py): optional in the file, written only
    # when not the default. ``critical``: the servers' default impact level (CRITICAL/OPTIONAL);
    # ``delay_minutes``: a timed wait before this wave starts (a native WAIT step).
    critical: bool = True
    delay_minutes: int = 0

    def __post_init__(self) -> None:
        if self.selector is not None and not self.selector.strip():
            self.selector = None  # a blank selector is no selector

    def server_ids(self) -> list[str]:
        return [s.source_server_id for s in self.servers]

    def index_of(self, server_id: str) -> int:
        for i, s in enumerate(self.servers):
            if s.source_server_id == server_id:
                return i
        raise KeyError(server_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "pauseBefore": self.pause_before,
            "timeoutMinutes": self.timeout_minutes,
            "selector": self.selector,
            "servers": [s.to_dict() for s in self.servers],
            **({} if self.critical else {"critical": False}),
            **({"delayMinutes": self.delay_minutes} if self.delay_minutes else {}),
        }


class ChangeKind(StrEnum):
    PLAN_ATTRIBUTE = "plan-attribute"  # field = attribute name
    WAVE_INSERTED = "wave-inserted"  # wave_index
    WAVE_REMOVED = "wave-removed"  # wave_index, wave_id
    WAVE_MOVED = "wave-moved"  # wave_index (from) -> dst_index
    WAVE_CHANGED = "wave-changed"  # wave_index, field (name, pause_before, timeout_minutes, selector)
    SERVERS_INSERTED = "servers-inserted"  # wave_index, positions (ascending, after the insert)
    SERVERS_REMOVED = "servers-removed"  # wave_index, positions (ascending, before the removal)
    SERVERS_REORDERED = "servers-reordered"  # wave_index
    RESET = "reset"  # everything may have changed


@dataclass(frozen=True, slots=True)
class PlanChange:
    kind: ChangeKind
    wave_index: int | None = None
    wave_id: str | None = None
    field: str | None = None
    dst_index: int | None = None
    positions: tuple[int, ...] = ()
    server_ids: tuple[str, ...] = ()


PlanListener = Callable[[PlanChange], None]


@dataclass(frozen=True, slots=True)
class ServerMove:
    """The record of ``Plan.move_servers``; ``Plan.undo_move_servers`` reverses it exactly."""

    src_wave: int
    dst_wave: int
    removed: tuple[tuple[int, ServerRef], ...]  # (position in the source wave before the move, ref)
    inserted_at: int  # index in the destination wave of the first moved server, after the move


PLAN_ATTRIBUTES = (
    "name",
    "description",
    "target_account_id",
    "target_region",
    "poll_interval_seconds",
    "failure_policy",
    "tags",
    "rto_target_minutes",
)
WAVE_OPTIONS = ("name", "pause_before", "timeout_minutes", "selector", "critical", "delay_minutes")


@dataclass(slots=True)
class Plan:
    name: str
    id: str = field(default_factory=new_id)
    description: str = ""
    target_account_id: str = ""
    target_region: str = ""
    waves: list[Wave] = field(default_factory=list)
    poll_interval_seconds: int = DEFAULT_POLL_INTERVAL_SECONDS
    failure_policy: FailurePolicy = FailurePolicy.STOP_ON_FAILURE
    tags: dict[str, str] = field(default_factory=dict)
    rto_target_minutes: int | None = None  # the recovery time objective; None: none set
    schema_version: int = SCHEMA_VERSION
    created_at: datetime = field(default_factory=utc_now)
    modified_at: datetime = field(default_factory=utc_now)
    listeners: list[PlanListener] = field(default_factory=list, compare=False, repr=False)

    # --- construction -----------------------------------------------------------------

    @classmethod
    def new(
        cls,
        name: str,
        *,
        target_account_id: str = "",
        target_region: str = "",
        wave_names: Iterable[str] = (),
    ) -> Plan:
        now = utc_now()
        return cls(
            name=name,
            target_account_id=target_account_id,
            target_region=target_region,
            waves=[Wave(name=n) for n in wave_names],
            created_at=now,
            modified_at=now,
        )

    def copy(self) -> Plan:
        """A deep copy without listeners."""
        listeners, self.listeners = self.listeners, []
        try:
            clone = copy.deepcopy(self)
        finally:
            self.listeners = listeners
        return clone

    def duplicate(self, name: str | None = None) -> Plan:
        """A copy with a new plan ID and new timestamps (the waves keep their IDs)."""
        clone = self.copy()
        clone.id = new_id()
        clone.name = name if name is not None else f"{self.name} (copy)"
        clone.created_at = clone.modified_at = utc_now()
        return clone

    # --- queries ----------------------------------------------------------------------

    def wave(self, index: int) -> Wave:
        return self.waves[self._check_index(index)]

    def wave_index(self, wave_id: str) -> int:
        for i, w in enumerate(self.waves):
            if w.id == wave_id:
                return i
        raise KeyError(wave_id)

    def explicit_server_ids(self) -> list[str]:
        return [ref.source_server_id for w in self.waves for ref in w.servers]

    def explicit_server_count(self) -> int:
        return sum(len(w.servers) for w in self.waves)

    def waves_containing(self, server_id: str) -> list[int]:
        return [
            i for i, w in enumerate(self.waves) if any(s.source_server_id == server_id for s in w.servers)
        ]

    # --- change notification ----------------------------------------------------------

    def subscribe(self, listener: PlanListener) -> Callable[[], None]:
        """Add a callback; returns a function that removes it."""
        self.listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self.listeners:
                self.listeners.remove(listener)

        return unsubscribe

    def _emit(self, change: PlanChange) -> None:
        for listener in list(self.listeners):
            listener(change)

    def notify_reset(self) -> None:
        self._emit(PlanChange(ChangeKind.RESET))

    # --- plan attributes --------------------------------------------------------------

    def set_attribute(self, attribute: str, value: Any) -> Any:
        """Set one of ``PLAN_ATTRIBUTES``; returns the old value (set it back to undo)."""
        if attribute not in PLAN_ATTRIBUTES:
            raise ValueError(f"not a plan attribute: {attribute}")
        if attribute == "failure_policy":
            value = FailurePolicy(value)
        elif attribute == "tags":
            value = dict(value)
            if len(value) > MAX_TAGS:
                raise ValueError(f"at most {MAX_TAGS} tags")
            for k, v in value.items():
                _check_text(k, "tag key", MAX_TAG_KEY, empty_ok=False)
                _check_text(v, "tag value", MAX_TAG_VALUE)
        elif attribute == "poll_interval_seconds":
            _check_int(value, attribute)
        elif attribute == "rto_target_minutes":
            check_rto_target(value)
        else:
            _check_text(value, attribute, _TEXT_LIMITS[attribute])
        old = getattr(self, attribute)
        if attribute == "tags":
            old = dict(old)
        setattr(self, attribute, value)
        self._emit(PlanChange(ChangeKind.PLAN_ATTRIBUTE, field=attribute))
        return old

    def rename(self, name: str) -> str:
        return self.set_attribute("name", name)

    def set_rto_target(self, minutes: int | None) -> int | None:
        """Set (None: clear) the recovery time objective in minutes; returns the old one."""
        return self.set_attribute("rto_target_minutes", minutes)

    # --- waves ------------------------------------------------------------------------

    def _check_index(self, index: int, *, allow_end: bool = False) -> int:
        limit = len(self.waves) + (1 if allow_end else 0)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < limit:
            raise IndexError(f"wave index {index} out of range (0..{limit - 1})")
        return index

    def add_wave(self, index: int | None, wave: Wave) -> int:
        """Insert ``wave`` before ``index`` (None: at the end); returns its index.
        Undo: ``remove_wave(returned index)``."""
        if index is None:
            index = len(self.waves)
        self._check_index(index, allow_end=True)
        if len(self.waves) >= MAX_WAVES:
            raise ValueError(f"a plan has at most {MAX_WAVES} waves")
        if any(w.id == wave.id for w in self.waves):
            raise ValueError(f"a wave with ID {wave.id} is already in the plan")
        self.waves.insert(index, wave)
        self._emit(PlanChange(ChangeKind.WAVE_INSERTED, wave_index=index, wave_id=wave.id))
        return index

    def remove_wave(self, index: int) -> Wave:
        """Remove and return the wave at ``index``. Undo: ``add_wave(index, wave)``."""
        self._check_index(index)
        wave = self.waves.pop(index)
        self._emit(PlanChange(ChangeKind.WAVE_REMOVED, wave_index=index, wave_id=wave.id))
        return wave

    def move_wave(self, src: int, dst: int) -> None:
        """Move the wave at ``src`` so that it ends up at index ``dst``. Undo: ``move_wave(dst, src)``."""
        self._check_index(src)
        self._check_index(dst)
        if src == dst:
            return
        wave = self.waves.pop(src)
        self.waves.insert(dst, wave)
        self._emit(PlanChange(ChangeKind.WAVE_MOVED, wave_index=src, dst_index=dst, wave_id=wave.id))

    def set_wave_option(self, index: int, option: str, value: Any) -> Any:
        """Set one of ``WAVE_OPTIONS`` of a wave; returns the old value (set it back to undo)."""
        wave = self.wave(index)
        if option not in WAVE_OPTIONS:
            raise ValueError(f"not a wave option: {option}")
        if option in ("pause_before", "critical"):
            if not isinstance(value, bool):
                raise TypeError(f"{option} must be a bool")
        elif option in ("timeout_minutes", "delay_minutes"):
            _check_int(value, option)
            if option == "delay_minutes" and value < 0:
                raise ValueError(f"a delay cannot be negative ({value})")
        elif option == "selector":
            if value is not None:
                _check_text(value, option, MAX_SELECTOR)
                if not value.strip():
                    value = None
        else:
            _check_text(value, option, MAX_NAME)
        old = getattr(wave, option)
        setattr(wave, option, value)
        self._emit(PlanChange(ChangeKind.WAVE_CHANGED, wave_index=index, wave_id=wave.id, field=option))
        return old

    def rename_wave(self, index: int, name: str) -> str:
        return self.set_wave_option(index, "name", name)

    def set_selector(self, index: int, selector: str | None) -> str | None:
        """Set (or clear with None/blank) a wave's tag selector; the text is kept even when it
        does not parse (validation reports it). Returns the old selector."""
        return self.set_wave_option(index, "selector", selector)

    # --- servers ----------------------------------------------------------------------

    def add_servers(
        self, wave_index: int, refs: Iterable[ServerRef], position: int | None = None
    ) -> list[int]:
        """Insert ``refs`` into a wave before ``position`` (None: at the end). Servers already in
        that wave are skipped. Returns the positions of the inserted servers (ascending).
        Undo: ``remove_servers(wave_index, <their ids>)``."""
        wave = self.wave(wave_index)
        if position is None:
            position = len(wave.servers)
        if not 0 <= position <= len(wave.servers):
            raise IndexError(f"server position {position} out of range")
        present = set(wave.server_ids())
        new: list[ServerRef] = []
        for ref in refs:
            if ref.source_server_id not in present:
                present.add(ref.source_server_id)
                new.append(ref)
        if not new:
            return []
        if len(wave.servers) + len(new) > MAX_SERVERS_PER_WAVE:
            raise ValueError(f"a wave holds at most {MAX_SERVERS_PER_WAVE} servers")
        for ref in new:
            _check_text(ref.source_server_id, "source server ID", MAX_ID, empty_ok=False)
        wave.servers[position:position] = new
        positions = tuple(range(position, position + len(new)))
        self._emit(
            PlanChange(
                ChangeKind.SERVERS_INSERTED,
                wave_index=wave_index,
                wave_id=wave.id,
                positions=positions,
                server_ids=tuple(r.source_server_id for r in new),
            )
        )
        return list(positions)

    def remove_servers(self, wave_index: int, server_ids: Iterable[str]) -> list[tuple[int, ServerRef]]:
        """Remove servers from a wave; returns ``(position, ref)`` pairs in ascending position
        order (positions before the removal); IDs not in the wave are ignored.
        Undo: ``insert_servers_at(wave_index, returned)``."""
        wave = self.wave(wave_index)
        wanted = set(server_ids)
        removed = [(i, ref) for i, ref in enumerate(wave.servers) if ref.source_server_id in wanted]
        if not removed:
            return []
        wave.servers = [ref for ref in wave.servers if ref.source_server_id not in wanted]
        self._emit(
            PlanChange(
                ChangeKind.SERVERS_REMOVED,
                wave_index=wave_index,
                wave_id=wave.id,
                positions=tuple(i for i, _ in removed),
                server_ids=tuple(r.source_server_id for _, r in removed),
            )
        )
        return removed

    def insert_servers_at(self, wave_index: int, positioned: Sequence[tuple[int, ServerRef]]) -> None:
        """Put servers back at the given positions (the inverse of ``remove_servers``)."""
        wave = self.wave(wave_index)
        items = sorted(positioned, key=lambda p: p[0])
        present = set(wave.server_ids())
        for _, ref in items:
            if ref.source_server_id in present:
                raise ValueError(f"server {ref.source_server_id} is already in wave {wave_index + 1}")
        for pos, ref in items:
            if not 0 <= pos <= len(wave.servers):
                raise IndexError(f"server position {pos} out of range")
            wave.servers.insert(pos, ref)
        self._emit(
            PlanChange(
                ChangeKind.SERVERS_INSERTED,
                wave_index=wave_index,
                wave_id=wave.id,
                positions=tuple(p for p, _ in items),
                server_ids=tuple(r.source_server_id for _, r in items),
            )
        )

    def set_server_critical(self, wave_index: int, server_ids: Iterable[str],
                            critical: bool | None) -> dict[str, bool | None]:
        """Set the impact level of servers of a wave (True CRITICAL, False OPTIONAL, None: the
        wave's); returns {server ID: its old value} (set each back to undo). ValueError for an ID
        the wave does not hold."""
        if critical is not None and not isinstance(critical, bool):
            raise TypeError("critical must be a bool or None")
        wave = self.wave(wave_index)
        wanted = list(dict.fromkeys(server_ids))
        missing = [i for i in wanted if i not in set(wave.server_ids())]
        if missing:
            raise ValueError(f"wave {wave_index + 1} does not hold {', '.join(missing)}")
        old = {r.source_server_id: r.critical for r in wave.servers if r.source_server_id in set(wanted)}
        wave.servers = [replace(r, critical=critical) if r.source_server_id in old else r for r in wave.servers]
        self._emit(PlanChange(ChangeKind.WAVE_CHANGED, wave_index=wave_index, wave_id=wave.id,
                              field="server_critical", server_ids=tuple(old)))
        return old

    def move_servers(
        self, src_wave: int, server_ids: Iterable[str], dst_wave: int, position: int | None = None
    ) -> ServerMove:
        """Move servers (keeping their relative order) to ``dst_wave`` before ``position``, a row
        of the destination wave as it is *before* the move (None: at the end). Moving within one
        wave reorders it. Raises ValueError when a server is already in a different destination
        wave. Undo: ``undo_move_servers(returned)``."""
        src = self.wave(src_wave)
        dst = self.wave(dst_wave)
        wanted = set(server_ids)
        removed = tuple((i, ref) for i, ref in enumerate(src.servers) if ref.source_server_id in wanted)
        if position is None:
            position = len(dst.servers)
        if not 0 <= position <= len(dst.servers):
            raise IndexError(f"server position {position} out of range")
        if src_wave != dst_wave:
            clash = [r.source_server_id for _, r in removed if r.source_server_id in set(dst.server_ids())]
            if clash:
                raise ValueError(f"already in wave {dst_wave + 1}: {', '.join(clash)}")
        moving = [ref for _, ref in removed]
        src.servers = [ref for ref in src.servers if ref.source_server_id not in wanted]
        if src_wave == dst_wave:
            position -= sum(1 for i, _ in removed if i < position)
        dst.servers[position:position] = moving
        record = ServerMove(src_wave, dst_wave, removed, position)
        self._emit_move(record)
        return record

    def undo_move_servers(self, move: ServerMove) -> None:
        """Reverse a ``move_servers`` (the plan must be as that move left it)."""
        src = self.wave(move.src_wave)
        dst = self.wave(move.dst_wave)
        del dst.servers[move.inserted_at : move.inserted_at + len(move.removed)]
        for pos, ref in move.removed:
            src.servers.insert(pos, ref)
        self._emit_move(move)

    def _emit_move(self, move: ServerMove) -> None:
        ids = tuple(r.source_server_id for _, r in move.removed)
        if move.src_wave == move.dst_wave:
            wave = self.waves[move.src_wave]
            self._emit(
                PlanChange(
                    ChangeKind.SERVERS_REORDERED, wave_index=move.src_wave, wave_id=wave.id, server_ids=ids
                )
            )
            return
        for idx in (move.src_wave, move.dst_wave):
            wave = self.waves[idx]
            self._emit(
                PlanChange(ChangeKind.SERVERS_REORDERED, wave_index=idx, wave_id=wave.id, server_ids=ids)
            )

    def refresh_server_details(self, servers: Iterable[SourceServer]) -> int:
        """Update the cached display details of explicit servers from an inventory; returns how
        many refs changed. (Not an undoable edit: it only refreshes cached details.)"""
        by_id = {s.source_server_id: s for s in servers}
        changed = 0
        for wi, wave in enumerate(self.waves):
            touched = False
            for i, ref in enumerate(wave.servers):
                server = by_id.get(ref.source_server_id)
                if server is None:
                    continue
                fresh = ServerRef.from_server(server, account_id=ref.account_id)
                if fresh != ref:
                    wave.servers[i] = fresh
                    changed += 1
                    touched = True
            if touched:
                self._emit(PlanChange(ChangeKind.SERVERS_REORDERED, wave_index=wi, wave_id=wave.id))
        return changed

    # --- JSON -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (current schema), keys in a stable order (``rtoTargetMinutes`` only when set)."""
        doc: dict[str, Any] = {
            "schemaVersion": SCHEMA_VERSION,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "target": {"accountId": self.target_account_id, "region": self.target_region},
            "pollIntervalSeconds": self.poll_interval_seconds,
            "failurePolicy": self.failure_policy.value,
            "tags": {k: self.tags[k] for k in sorted(self.tags)},
            "createdAt": format_timestamp(self.created_at),
            "modifiedAt": format_timestamp(self.modified_at),
            "waves": [w.to_dict() for w in self.waves],
        }
        if self.rto_target_minutes is not None:
            doc["rtoTargetMinutes"] = self.rto_target_minutes
        return doc

    @classmethod
    def from_dict(cls, data: Any, *, strict: bool = True) -> Plan:
        """Build a plan from its JSON form (current schema). With ``strict`` unknown fields are
        an error; without it they are ignored (for files written by a newer version)."""
        return _PlanReader(strict).plan(data)


_TEXT_LIMITS = {
    "name": MAX_NAME,
    "description": MAX_DESCRIPTION,
    "target_account_id": 64,
    "target_region": 64,
}


def _check_text(value: Any, what: str, limit: int, *, empty_ok: bool = True) -> None:
    """The limits of the file format, so that whatever the editor sets can be saved and read back."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    if not empty_ok and not value:
        raise ValueError(f"{what} must not be empty")


def rto_target_problem(value: Any) -> str | None:
    """Why ``value`` is not a recovery time objective in minutes (None: it is one, or None)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "the RTO target must be a whole number of minutes"
    if not MIN_RTO_TARGET_MINUTES <= value <= MAX_RTO_TARGET_MINUTES:
        return (f"the RTO target {value} min is out of range: use {MIN_RTO_TARGET_MINUTES} to "
                f"{MAX_RTO_TARGET_MINUTES} minutes (a week), or none")
    return None


def check_rto_target(value: Any) -> None:
    problem = rto_target_problem(value)
    if problem is not None:
        raise (TypeError if "whole number" in problem else ValueError)(problem)


def _check_int(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number")
    if not -MAX_INT <= value <= MAX_INT:
        raise ValueError(f"{what} is out of range")


# --- timestamps ---------------------------------------------------------------------------


def format_timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --- reading ------------------------------------------------------------------------------

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_PLAN_KEYS = {
    "schemaVersion",
    "id",
    "name",
    "description",
    "target",
    "pollIntervalSeconds",
    "failurePolicy",
    "tags",
    "createdAt",
    "modifiedAt",
    "waves",
    "rtoTargetMinutes",
}
_TARGET_KEYS = {"accountId", "region"}
_WAVE_KEYS = {"id", "name", "pauseBefore", "timeoutMinutes", "selector", "servers", "critical", "delayMinutes"}
_SERVER_KEYS = {"sourceServerId", "name", "sourceInstanceId", "sourceAccountId", "replicationState", "critical",
                "accountId"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _PlanReader:
    def __init__(self, strict: bool):
        self.strict = strict

    def fail(self, path: str, reason: str) -> PlanFormatError:
        return PlanFormatError(path, reason)

    def obj(self, value: Any, path: str, allowed: set[str], required: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {_type_name(value)}")
        for key in required:
            if key not in value:
                raise self.fail(_join(path, key), "missing")
        if self.strict:
            unknown = sorted(k for k in value if k not in allowed)
            if unknown:
                shown = ", ".join(repr(k[:40]) for k in unknown[:5])
                raise self.fail(path, f"unknown field{'s' if len(unknown) > 1 else ''} {shown}")
        return value

    def string(self, value: Any, path: str, limit: int, *, empty_ok: bool = True) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, found {_type_name(value)}")
        if len(value) > limit:
            raise self.fail(path, f"longer than {limit} characters ({len(value)})")
        if not empty_ok and not value:
            raise self.fail(path, "must not be empty")
        return value

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected a whole number, found {_type_name(value)}")
        if not -MAX_INT <= value <= MAX_INT:
            raise self.fail(path, "number out of range")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, found {_type_name(value)}")
        return value

    def lst(self, value: Any, path: str, limit: int) -> list:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, found {_type_name(value)}")
        if len(value) > limit:
            raise self.fail(path, f"more than {limit} items ({len(value)})")
        return value

    def timestamp(self, value: Any, path: str) -> datetime:
        text = self.string(value, path, 64, empty_ok=False)
        try:
            return parse_timestamp(text)
        except ValueError:
            raise self.fail(path, f"not an ISO-8601 timestamp: {text!r}") from None

    def plan(self, data: Any) -> Plan:
        d = self.obj(data, "", _PLAN_KEYS, ("schemaVersion", "id", "name", "waves"))
        pid = self.string(d["id"], "id", MAX_ID, empty_ok=False)
        if not _UUID_RE.match(pid):
            raise self.fail("id", f"not a UUID: {pid[:40]!r}")
        target = self.obj(d.get("target", {}), "target", _TARGET_KEYS, ())
        policy_text = self.string(
            d.get("failurePolicy", FailurePolicy.STOP_ON_FAILURE.value), "failurePolicy", 64
        )
        try:
            policy = FailurePolicy(policy_text)
        except ValueError:
            choices = " or ".join(p.value for p in FailurePolicy)
            raise self.fail("failurePolicy", f"{policy_text[:40]!r} is not {choices}") from None
        tags_raw = d.get("tags", {})
        if not isinstance(tags_raw, dict):
            raise self.fail("tags", f"expected an object, found {_type_name(tags_raw)}")
        if len(tags_raw) > MAX_TAGS:
            raise self.fail("tags", f"more than {MAX_TAGS} tags ({len(tags_raw)})")
        tags = {}
        for k, v in tags_raw.items():
            key = self.string(k, "tags", MAX_TAG_KEY, empty_ok=False)
            tags[key] = self.string(v, _join("tags", k), MAX_TAG_VALUE)
        waves_raw = self.lst(d["waves"], "waves", MAX_WAVES)
        waves = [self.wave(w, f"waves[{i}]") for i, w in enumerate(waves_raw)]
        seen: dict[str, int] = {}
        total = 0
        for i, w in enumerate(waves):
            if w.id in seen:
                raise self.fail(f"waves[{i}].id", f"the same wave ID as waves[{seen[w.id]}]")
            seen[w.id] = i
            total += len(w.servers)
        if total > MAX_SERVERS_TOTAL:
            raise self.fail("waves", f"more than {MAX_SERVERS_TOTAL} servers in all ({total})")
        rto = d.get("rtoTargetMinutes")
        if rto is not None:
            rto = self.integer(rto, "rtoTargetMinutes")
            problem = rto_target_problem(rto)
            if problem is not None:
                raise self.fail("rtoTargetMinutes", problem)
        now = utc_now()
        return Plan(
            name=self.string(d["name"], "name", MAX_NAME),
            id=pid.lower(),
            description=self.string(d.get("description", ""), "description", MAX_DESCRIPTION),
            target_account_id=self.string(target.get("accountId", ""), "target.accountId", 64),
            target_region=self.string(target.get("region", ""), "target.region", 64),
            waves=waves,
            poll_interval_seconds=self.integer(
                d.get("pollIntervalSeconds", DEFAULT_POLL_INTERVAL_SECONDS), "pollIntervalSeconds"
            ),
            failure_policy=policy,
            tags=tags,
            rto_target_minutes=rto,
            schema_version=SCHEMA_VERSION,
            created_at=self.timestamp(d["createdAt"], "createdAt") if "createdAt" in d else now,
            modified_at=self.timestamp(d["modifiedAt"], "modifiedAt") if "modifiedAt" in d else now,
        )

    def wave(self, data: Any, path: str) -> Wave:
        d = self.obj(data, path, _WAVE_KEYS, ("id", "name"))
        servers_raw = self.lst(d.get("servers", []), _join(path, "servers"), MAX_SERVERS_PER_WAVE)
        servers = [self.server(s, f"{path}.servers[{i}]") for i, s in enumerate(servers_raw)]
        selector = d.get("selector")
        if selector is not None:
            selector = self.string(selector, _join(path, "selector"), MAX_SELECTOR)
        return Wave(
            id=self.string(d["id"], _join(path, "id"), MAX_ID, empty_ok=False),
            name=self.string(d["name"], _join(path, "name"), MAX_NAME),
            servers=servers,
            selector=selector,
            pause_before=self.boolean(d.get("pauseBefore", False), _join(path, "pauseBefore")),
            timeout_minutes=self.integer(
                d.get("timeoutMinutes", DEFAULT_WAVE_TIMEOUT_MINUTES), _join(path, "timeoutMinutes")
            ),
            critical=self.boolean(d.get("critical", True), _join(path, "critical")),
            delay_minutes=self._delay(d.get("delayMinutes", 0), _join(path, "delayMinutes")),
        )

    def _delay(self, value: Any, path: str) -> int:
        minutes = self.integer(value, path)
        if minutes < 0:
            raise self.fail(path, f"a delay cannot be negative ({minutes})")
        return minutes

    def server(self, data: Any, path: str) -> ServerRef:
        d = self.obj(data, path, _SERVER_KEYS, ("sourceServerId",))
        state = self.string(d.get("replicationState", "UNKNOWN"), _join(path, "replicationState"), 64)
        return ServerRef(
            source_server_id=self.string(
                d["sourceServerId"], _join(path, "sourceServerId"), MAX_ID, empty_ok=False
            ),
            name=self.string(d.get("name", ""), _join(path, "name"), MAX_SERVER_NAME),
            source_instance_id=self.string(
                d.get("sourceInstanceId", ""), _join(path, "sourceInstanceId"), MAX_ID
            ),
            source_account_id=self.string(d.get("sourceAccountId", ""), _join(path, "sourceAccountId"), 64),
            replication_state=ReplicationState.parse(state),
            critical=self.boolean(d["critical"], _join(path, "critical")) if "critical" in d else None,
            account_id=self._account(d.get("accountId", ""), _join(path, "accountId")),
        )

    def _account(self, value: Any, path: str) -> str:
        account = self.string(value, path, 64)
        if account and not (len(account) == 12 and account.isdigit()):
            raise self.fail(path, f"{account!r} is not a 12-digit AWS account ID")
        return account


def _join(path: str, key: str) -> str:
    key = str(key)[:60]
    return f"{path}.{key}" if path else key
