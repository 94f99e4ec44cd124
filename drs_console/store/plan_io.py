"""Plan files: hostile-input-proof reading, schema migration, atomic writing.

Reading never modifies the file and never lets a malformed file raise anything but a
``PlanFileError`` (the reason, and the line and column where there is one). Limits: 20 MB per
file, nesting 20 levels deep (checked before the JSON parser recurses), the string and list
limits of ``drs_console.domain.plan``.

Schema versions: every file carries ``schemaVersion``. Older versions are migrated on load (the
file itself is left as it is until the user saves); a file of a newer version is read leniently
(unknown fields ignored) and opened read-only with a notice saying so.

Version history:

* 1 -- ``targetAccountId``/``targetRegion`` at the top level; waves held bare ``serverIds``
  and had no ``pauseBefore`` and no ``selector``.
* 2 -- ``target: {accountId, region}``; waves hold ``servers`` with cached display details,
  ``pauseBefore`` and an optional tag ``selector``. Optional ``rtoTargetMinutes`` (the plan's
  recovery time objective, 1 to 10,080 minutes): written only when set, so files without it (all
  older ones) read as before, with no RTO target.
"""

from __future__ import annotations

import codecs
import errno
import json
import math
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.errors import BadInput
from ..domain.plan import (
    MAX_ID,
    MAX_SERVERS_PER_WAVE,
    MAX_SERVERS_TOTAL,
    MAX_WAVES,
    SCHEMA_VERSION,
    Plan,
    PlanFormatError,
)
from .atomic import atomic_write_bytes

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 20
MAX_NUMBER_CHARS = 24
# Structure a plan can have at most (every server an object, a few per wave), with room to spare:
# counted in the raw bytes before parsing, so a file of millions of tiny values is refused in
# milliseconds instead of being built in memory.
MAX_CONTAINERS = 2 * (MAX_SERVERS_TOTAL + 4 * MAX_WAVES) + 1_000
MAX_VALUES = 12 * MAX_SERVERS_TOTAL + 20 * MAX_WAVES + 10_000
READ_TIME_LIMIT = 2.0  # seconds to read one plan file
BACKUP_SUFFIX = ".bak"


class PlanFileError(BadInput):
    """A plan file that cannot be used. The file was not changed."""

    def __init__(
        self, source: str | os.PathLike, reason: str, *, line: int | None = None, column: int | None = None
    ):
        self.source = str(source)
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"{self.source}: {self.where}{reason}", "The file was not changed.")

    @property
    def where(self) -> str:
        if self.line is None:
            return ""
        if self.column is None:
            return f"line {self.line}: "
        return f"line {self.line}, column {self.column}: "

    @property
    def short(self) -> str:
        """The reason with its line/column, without the file name."""
        return f"{self.where}{self.reason}"


@dataclass(slots=True)
class LoadedPlan:
    """A plan read from a file, with what the editor must know about that file."""

    plan: Plan
    path: Path | None = None
    file_schema_version: int = SCHEMA_VERSION
    read_only: bool = False  # written by a newer DRS Console: saving over it would lose data
    notice: str = ""  # "" or one sentence for the user (migrated, read-only, new ID ...)

    @property
    def migrated(self) -> bool:
        return self.file_schema_version < SCHEMA_VERSION


# --- JSON decoding ------------------------------------------------------------------------


class _JsonRejected(ValueError):
    pass


def _line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    nl = "\n" if isinstance(text, str) else b"\n"
    line = text.count(nl, 0, offset) + 1
    start = text.rfind(nl, 0, offset) + 1
    return line, offset - start + 1


_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_structure(data: bytes, source: str) -> None:
    """Refuse more containers or values than any plan has (counted in C, before parsing)."""
    containers = data.count(b"{") + data.count(b"[")
    if containers > MAX_CONTAINERS:
        raise PlanFileError(
            source, f"more than {MAX_CONTAINERS:,} objects and lists ({containers:,}); not a plan file"
        )
    values = data.count(b",")
    if values > MAX_VALUES:
        raise PlanFileError(source, f"more than {MAX_VALUES:,} values ({values:,}); not a plan file")


def _check_depth(text: str, source: str) -> None:
    """Reject nesting deeper than MAX_DEPTH before json recurses into it (strings are skipped
    whole by the regular expression, so only brackets cost a Python step)."""
    depth = 0
    for m in _STRUCTURE.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, col = _line_col(text, m.start())
                raise PlanFileError(
                    source,
                    f"nested more than {MAX_DEPTH} levels deep; not a plan file",
                    line=line,
                    column=col,
                )
        elif c in "]}":
            depth -= 1


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JsonRejected(f"the key {key[:60]!r} appears twice in one object")
        out[key] = value
    return out


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _JsonRejected(f"a number with {len(text)} digits; numbers in plan files are short")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _JsonRejected(f"a number with {len(text)} characters; numbers in plan files are short")
    value = float(text)
    if not math.isfinite(value):
        raise _JsonRejected(f"the number {text} is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise _JsonRejected(f"{name} is not valid JSON")


def decode_json(data: bytes, source: str) -> Any:
    """Bytes -> JSON value with every limit enforced; PlanFileError on anything wrong."""
    if len(data) > MAX_FILE_BYTES:
        raise PlanFileError(
            source,
            f"the file is {len(data) / 1e6:.1f} MB; plan files are at most {MAX_FILE_BYTES // 2**20} MB",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise PlanFileError(source, "the file is UTF-16 or UTF-32 text; plan files are UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.strip():
        raise PlanFileError(source, "the file is empty")
    _check_structure(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise PlanFileError(
            source,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); is this a plan file?",
            line=line,
            column=col,
        ) from None
    _check_depth(text, source)
    try:
        return json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        reason = exc.msg
        if exc.pos >= len(text.rstrip()):
            reason += " (the file ends too early: truncated?)"
        raise PlanFileError(source, f"not valid JSON: {reason}", line=exc.lineno, column=exc.colno) from None
    except _JsonRejected as exc:
        raise PlanFileError(source, str(exc)) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise PlanFileError(source, f"not valid JSON: {type(exc).__name__}") from None


# --- migration ----------------------------------------------------------------------------


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    allowed = {
        "schemaVersion",
        "id",
        "name",
        "description",
        "targetAccountId",
        "targetRegion",
        "pollIntervalSeconds",
        "failurePolicy",
        "tags",
        "createdAt",
        "modifiedAt",
        "waves",
    }
    unknown = sorted(k for k in doc if k not in allowed)
    if unknown:
        raise PlanFormatError("", f"unknown field {unknown[0][:40]!r} in a schema version 1 plan")
    out: dict[str, Any] = {"schemaVersion": 2}
    for key in ("id", "name", "description"):
        if key in doc:
            out[key] = doc[key]
    out["target"] = {"accountId": doc.get("targetAccountId", ""), "region": doc.get("targetRegion", "")}
    for key in ("pollIntervalSeconds", "failurePolicy", "tags", "createdAt", "modifiedAt"):
        if key in doc:
            out[key] = doc[key]
    waves = doc.get("waves")
    if not isinstance(waves, list):
        raise PlanFormatError("waves", "expected a list")
    if len(waves) > MAX_WAVES:
        raise PlanFormatError("waves", f"more than {MAX_WAVES} items ({len(waves)})")
    new_waves = []
    for i, wave in enumerate(waves):
        if not isinstance(wave, dict):
            raise PlanFormatError(f"waves[{i}]", "expected an object")
        extra = sorted(k for k in wave if k not in {"id", "name", "serverIds", "timeoutMinutes"})
        if extra:
            raise PlanFormatError(
                f"waves[{i}]", f"unknown field {extra[0][:40]!r} in a schema version 1 wave"
            )
        ids = wave.get("serverIds", [])
        if not isinstance(ids, list):
            raise PlanFormatError(f"waves[{i}].serverIds", "expected a list")
        if len(ids) > MAX_SERVERS_PER_WAVE:
            raise PlanFormatError(
                f"waves[{i}].serverIds", f"more than {MAX_SERVERS_PER_WAVE} items ({len(ids)})"
            )
        servers = []
        for j, sid in enumerate(ids):
            if not isinstance(sid, str) or not sid or len(sid) > MAX_ID:
                raise PlanFormatError(f"waves[{i}].serverIds[{j}]", "expected a source server ID")
            servers.append({"sourceServerId": sid})
        new_wave: dict[str, Any] = {k: wave[k] for k in ("id", "name") if k in wave}
        new_wave["pauseBefore"] = False
        if "timeoutMinutes" in wave:
            new_wave["timeoutMinutes"] = wave["timeoutMinutes"]
        new_wave["selector"] = None
        new_wave["servers"] = servers
        new_waves.append(new_wave)
    out["waves"] = new_waves
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(doc: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Bring a plan document up to the current schema; returns it and the version it had.
    A newer document is returned unchanged."""
    version = schema_version_of(doc)
    current = version
    while current < SCHEMA_VERSION:
        doc = MIGRATIONS[current](doc)
        current += 1
    return doc, version


def schema_version_of(doc: Any) -> int:
    if not isinstance(doc, dict):
        raise PlanFormatError("", f"not a plan: the top level is {_kind(doc)}, not an object")
    if "schemaVersion" not in doc:
        raise PlanFormatError("schemaVersion", "missing; this is not a DRS Console plan file")
    version = doc["schemaVersion"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise PlanFormatError("schemaVersion", f"expected a whole number, found {_kind(version)}")
    if version < 1 or version > 10_000:
        raise PlanFormatError("schemaVersion", f"{version} is not a plan schema version")
    return version


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def plan_from_document(doc: Any, source: str, path: Path | None = None) -> LoadedPlan:
    """A decoded JSON document -> LoadedPlan (migrating or opening read-only as needed)."""
    try:
        version = schema_version_of(doc)
        if version > SCHEMA_VERSION:
            try:
                plan = Plan.from_dict(doc, strict=False)
            except PlanFormatError as exc:
                raise PlanFileError(
                    source,
                    f"written by a newer DRS Console (plan schema version {version}; this version reads up to "
                    f"{SCHEMA_VERSION}) and cannot be read: {exc.message}. Update DRS Console.",
                ) from None
            return LoadedPlan(
                plan,
                path,
                version,
                read_only=True,
                notice=f"This plan was written by a newer DRS Console (plan schema version {version}); "
                f"it is opened read-only. Update DRS Console to edit it, or save a copy.",
            )
        doc, version = migrate(doc)
        plan = Plan.from_dict(doc)
    except PlanFormatError as exc:
        raise PlanFileError(source, exc.message) from None
    notice = ""
    if version < SCHEMA_VERSION:
        notice = (
            f"Converted from plan schema version {version} to {SCHEMA_VERSION}; "
            "the file is rewritten in the new format when you save."
        )
    return LoadedPlan(plan, path, version, notice=notice)


def parse_plan_bytes(data: bytes, source: str = "<plan>", path: Path | None = None) -> LoadedPlan:
    return plan_from_document(decode_json(data, source), source, path)


def read_bytes_limited(path: Path, source: str | None = None) -> bytes:
    """Read a regular file of at most MAX_FILE_BYTES (opened read-only, never blocking on a
    FIFO or a device), within READ_TIME_LIMIT seconds: a file that never ends or stalls (a link
    to /proc/kmsg, a hung network share) is refused with that reason. The read runs on its own
    daemon thread, abandoned (never joined) if it does not finish."""
    source = source or str(path)
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            outcome["data"] = _read_regular(Path(path), source)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="plan-file-read", daemon=True).start()
    if not done.wait(READ_TIME_LIMIT):
        raise PlanFileError(
            source, f"reading did not finish within {READ_TIME_LIMIT:g} s (a never-ending or stalled file?)"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["data"]


def _kind_reason(mode: int) -> str | None:
    """Why a file of this type is not a plan file, None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a plan file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a plan file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a plan file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a plan file"
    return "is not a regular file"


def _read_regular(path: Path, source: str) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise PlanFileError(
                source, f"is a symbolic link to {os.readlink(path)[:200]!r}, which does not exist"
            ) from None
        raise PlanFileError(source, "no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PlanFileError(source, "is a symbolic link that loops (it never reaches a file)") from None
        if exc.errno == errno.ENXIO:
            raise PlanFileError(source, "is a socket or a device, not a plan file") from None
        raise PlanFileError(source, f"cannot be read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        reason = _kind_reason(st.st_mode)
        if reason is not None:
            raise PlanFileError(source, reason)
        if st.st_size > MAX_FILE_BYTES:
            raise PlanFileError(
                source,
                f"the file is {st.st_size / 1e6:.1f} MB; plan files are at most {MAX_FILE_BYTES // 2**20} MB",
            )
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise PlanFileError(source, "would block: not a file that can be read to its end (like /proc/kmsg)") from None
        raise PlanFileError(source, f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_plan_file(path: Path | str, source: str | None = None) -> LoadedPlan:
    """Open a plan file from anywhere. Raises PlanFileError; never modifies the file."""
    path = Path(path)
    source = source or str(path)
    return parse_plan_bytes(read_bytes_limited(path, source), source, path)


# --- writing ------------------------------------------------------------------------------


def json_bytes(doc: Any) -> bytes:
    """A document as UTF-8 JSON. Text that UTF-8 cannot hold (a lone surrogate, read from a
    ``\\ud800`` escape) is written as JSON escapes instead, so saving never fails and the file
    reads back as it was (validation reports the name)."""
    try:
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def plan_to_bytes(plan: Plan) -> bytes:
    return json_bytes(plan.to_dict())


def write_plan_file(path: Path | str, plan: Plan, *, backup: bool = True) -> None:
    """Write atomically; with ``backup`` the previous content is kept as ``<file>.bak``."""
    atomic_write_bytes(Path(path), plan_to_bytes(plan), backup_suffix=BACKUP_SUFFIX if backup else None)


def file_schema_version(path: Path) -> int | None:
    """The schemaVersion of an existing file, None when absent or unreadable."""
    try:
        doc = decode_json(read_bytes_limited(path), str(path))
        return schema_version_of(doc)
    except (PlanFileError, PlanFormatError):
        return None
