"""The plan library: one JSON file per plan in a folder, with autosave recovery and a trash.

Layout of the library folder (``app_paths().plan_library`` unless given)::

    <library>/<slug>-<id8>.json        one plan per file (any *.json dropped here is listed)
    <library>/<file>.json.bak          the previous version, kept by every save
    <library>/.recovery/<plan-id>.json autosaves of unsaved edits
    <library>/.trash/                  deleted plans (moved, never erased)

Every write is atomic (store/atomic.py). Listing and opening never modify a file.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain.plan import SCHEMA_VERSION, Plan, PlanFormatError, format_timestamp, parse_timestamp, utc_now
from ..domain.validation import Problem, ValidationSummary, summarize, validate
from .atomic import atomic_write_bytes
from .paths import RECOVERY_DIR, app_paths
from .plan_io import (
    BACKUP_SUFFIX,
    LoadedPlan,
    PlanFileError,
    decode_json,
    file_schema_version,
    json_bytes,
    plan_from_document,
    read_bytes_limited,
    read_plan_file,
    write_plan_file,
)

TRASH_DIR = ".trash"
AUTOSAVE_KIND = "drs-console-autosave"
AUTOSAVE_VERSION = 1
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One file of the library: a readable plan's summary, or the reason it cannot be read."""

    path: Path
    error: str | None = None  # None for a readable plan
    plan_id: str = ""
    name: str = ""
    target_account_id: str = ""
    target_region: str = ""
    wave_count: int = 0
    server_count: int = 0  # explicit servers; waves with a selector are counted in selector_waves
    selector_waves: int = 0
    modified_at: datetime | None = None
    read_only: bool = False
    notice: str = ""
    validation: ValidationSummary | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"path": str(self.path), "error": self.error}
        return {
            "path": str(self.path),
            "id": self.plan_id,
            "name": self.name,
            "targetAccountId": self.target_account_id,
            "targetRegion": self.target_region,
            "waves": self.wave_count,
            "servers": self.server_count,
            "selectorWaves": self.selector_waves,
            "modifiedAt": format_timestamp(self.modified_at) if self.modified_at else None,
            "readOnly": self.read_only,
            "notice": self.notice,
            "errors": self.validation.errors if self.validation else 0,
            "warnings": self.validation.warnings if self.validation else 0,
        }


@dataclass(frozen=True, slots=True)
class Autosave:
    """An autosave of unsaved edits that can be recovered or discarded."""

    plan_id: str
    path: Path
    saved_at: datetime | None = None
    plan_name: str = ""
    source_path: Path | None = None  # the file the edits belong to (None: never saved)
    error: str | None = None  # the autosave exists but cannot be read


@dataclass
class PlanLibrary:
    folder: Path = field(default_factory=lambda: app_paths().plan_library)
    _cache: dict[Path, tuple[tuple, LoadedPlan | PlanFileError]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)

    @property
    def recovery_dir(self) -> Path:
        return self.folder / RECOVERY_DIR

    @property
    def trash_dir(self) -> Path:
        return self.folder / TRASH_DIR

    @property
    def written_folders(self) -> tuple[Path, ...]:
        """The folders saves and autosaves write to (where store/cleanup.py looks for the
        temporaries a crashed one left)."""
        return (self.folder, self.recovery_dir)

    # --- listing ----------------------------------------------------------------------

    def plan_files(self) -> list[Path]:
        """The plan files of the library (``*.json``, not hidden), sorted by file name. Every
        such name is listed, whatever it is (a folder, a FIFO, a dangling link ...): reading
        it says why it is not a plan."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        return sorted(
            (self.folder / n for n in names if not n.startswith(".") and n.endswith(".json")),
            key=lambda p: p.name,
        )

    def _read(self, path: Path) -> LoadedPlan:
        """read_plan_file through a cache keyed by the file's identity, size and mtime: a
        refresh reads only what changed (a file that timed out is not read again until it
        changes). Raises PlanFileError."""
        try:
            st = os.stat(path)
            signature: tuple | None = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)
        except OSError:
            signature = None  # missing, dangling, looping: cheap to find out again
        with self._cache_lock:
            cached = self._cache.get(path)
        if signature is not None and cached is not None and cached[0] == signature:
            result = cached[1]
        else:
            try:
                result = read_plan_file(path, source=path.name)
            except PlanFileError as exc:
                result = exc
            if signature is not None:
                with self._cache_lock:
                    self._cache[path] = (signature, result)
        if isinstance(result, PlanFileError):
            raise result
        return copy.deepcopy(result)  # callers may edit the plan

    def list_entries(self, validator: Callable[[Plan], list[Problem]] | None = None) -> list[LibraryEntry]:
        """Every plan file: readable plans sorted by name, then unreadable files with the reason.

        ``validator`` gives each plan's problems for the summary (default: ``validate(plan)``
        without an inventory); the UI passes one that knows the inventory and connection."""
        validator = validator or (lambda plan: validate(plan))
        good: list[LibraryEntry] = []
        bad: list[LibraryEntry] = []
        for path in self.plan_files():
            try:
                loaded = self._read(path)
            except PlanFileError as exc:
                bad.append(LibraryEntry(path, error=exc.short))
                continue
            plan = loaded.plan
            problems = validator(plan)
            good.append(
                LibraryEntry(
                    path,
                    plan_id=plan.id,
                    name=plan.name,
                    target_account_id=plan.target_account_id,
                    target_region=plan.target_region,
                    wave_count=len(plan.waves),
                    server_count=plan.explicit_server_count(),
                    selector_waves=sum(1 for w in plan.waves if w.selector),
                    modified_at=plan.modified_at,
                    read_only=loaded.read_only,
                    notice=loaded.notice,
                    validation=summarize(problems),
                )
            )
        good.sort(key=lambda e: (e.name.casefold(), e.path.name))
        return good + bad

    def find(self, plan_id: str) -> Path | None:
        """The library file holding the plan with this ID, if any."""
        for path in self.plan_files():
            try:
                if self._read(path).plan.id == plan_id:
                    return path
            except PlanFileError:
                continue
        return None

    # --- open / save ------------------------------------------------------------------

    def open(self, path: Path | str) -> LoadedPlan:
        """Open a plan file from anywhere (PlanFileError when it cannot be used)."""
        return read_plan_file(Path(path))

    def path_for_new(self, plan: Plan) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", plan.name.casefold()).strip("-")[:40].strip("-") or "plan"
        base = f"{slug}-{plan.id[:8]}"
        path = self.folder / f"{base}.json"
        n = 2
        while path.exists():
            path = self.folder / f"{base}-{n}.json"
            n += 1
        return path

    def save(self, plan: Plan, path: Path | str | None = None) -> Path:
        """Save atomically (the previous version kept as ``.bak``) and drop the plan's autosave.

        ``path`` None: the library file already holding this plan's ID, else a new file.
        Sets ``plan.modified_at``. Refuses to overwrite a file of a newer schema version."""
        if path is None:
            path = self.find(plan.id) or self.path_for_new(plan)
        path = Path(path)
        if path.exists():
            version = file_schema_version(path)
            if version is not None and version > SCHEMA_VERSION:
                raise PlanFileError(
                    path,
                    f"was written by a newer DRS Console (plan schema version {version}); saving would lose "
                    "what this version does not understand. Save a copy under another name instead.",
                )
        plan.modified_at = utc_now()
        write_plan_file(path, plan, backup=True)
        self.discard_autosave(plan.id)
        return path

    def export(self, plan: Plan, dest: Path | str) -> Path:
        """Write a copy of the plan anywhere (atomically; an existing file there is replaced)."""
        dest = Path(dest)
        write_plan_file(dest, plan, backup=False)
        return dest

    def import_file(self, source: Path | str) -> LoadedPlan:
        """Copy a plan file from anywhere into the library (in the current schema). A plan whose
        ID is already in the library gets a new ID."""
        loaded = read_plan_file(Path(source))
        if loaded.read_only:
            raise PlanFileError(
                source,
                "was written by a newer DRS Console and cannot be imported by this version; update DRS Console",
            )
        plan = loaded.plan
        notice = loaded.notice
        if self.find(plan.id) is not None:
            old = plan.id
            plan = plan.duplicate(name=plan.name)
            notice = (notice + " " if notice else "") + f"The library already has a plan with ID {old}; "
            notice += "the imported copy got a new ID."
        path = self.path_for_new(plan)
        write_plan_file(path, plan, backup=False)
        return LoadedPlan(plan, path, loaded.file_schema_version, notice=notice)

    def duplicate(self, path: Path | str, name: str | None = None) -> LoadedPlan:
        """Save a copy of a plan under a new ID (and ``name``, default "<name> (copy)")."""
        loaded = read_plan_file(Path(path))
        copy = loaded.plan.duplicate(name)
        new_path = self.path_for_new(copy)
        write_plan_file(new_path, copy, backup=False)
        return LoadedPlan(copy, new_path)

    def rename(self, path: Path | str, name: str) -> LoadedPlan:
        """Rename the plan stored in ``path`` (the file name stays)."""
        path = Path(path)
        loaded = read_plan_file(path)
        if loaded.read_only:
            raise PlanFileError(path, "was written by a newer DRS Console and is read-only")
        loaded.plan.rename(name)
        self.save(loaded.plan, path)
        return LoadedPlan(loaded.plan, path)

    # --- trash ------------------------------------------------------------------------

    def delete(self, path: Path | str) -> Path:
        """Move a plan file (and its .bak) to the library's .trash; returns where it went.
        The plan's autosave is discarded."""
        path = Path(path)
        if not path.exists():
            raise PlanFileError(path, "no such file")
        plan_id = None
        with contextlib.suppress(PlanFileError):
            plan_id = read_plan_file(path).plan.id
        self.trash_dir.mkdir(parents=True, exist_ok=True)
        stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
        dest = self.trash_dir / path.name
        if dest.exists():
            dest = self.trash_dir / f"{path.stem}.{stamp}{path.suffix}"
        shutil.move(str(path), str(dest))
        bak = path.with_name(path.name + BACKUP_SUFFIX)
        if bak.exists():
            with contextlib.suppress(OSError):
                shutil.move(str(bak), str(dest.with_name(dest.name + BACKUP_SUFFIX)))
        if plan_id:
            self.discard_autosave(plan_id)
        return dest

    def trashed(self) -> list[Path]:
        if not self.trash_dir.is_dir():
            return []
        return sorted(p for p in self.trash_dir.iterdir() if p.name.endswith(".json"))

    def restore(self, trashed: Path | str) -> Path:
        """Move a file back from the trash into the library; returns its new path."""
        trashed = Path(trashed)
        dest = self.folder / trashed.name
        n = 2
        while dest.exists():
            dest = self.folder / f"{trashed.stem}-{n}{trashed.suffix}"
            n += 1
        shutil.move(str(trashed), str(dest))
        return dest

    # --- autosave ---------------------------------------------------------------------

    def autosave_path(self, plan_id: str) -> Path:
        if not _UUID_RE.match(plan_id):
            raise ValueError(f"not a plan ID: {plan_id!r}")
        return self.recovery_dir / f"{plan_id}.json"

    def autosave(self, plan: Plan, source_path: Path | str | None = None) -> Path:
        """Write the unsaved state of a plan to its recovery file (atomically)."""
        path = self.autosave_path(plan.id)
        doc = {
            "kind": AUTOSAVE_KIND,
            "autosaveVersion": AUTOSAVE_VERSION,
            "savedAt": format_timestamp(utc_now()),
            "sourcePath": str(Path(source_path).resolve()) if source_path else None,
            "plan": plan.to_dict(),
        }
        atomic_write_bytes(path, json_bytes(doc))
        return path

    def recoverable(self) -> list[Autosave]:
        """Autosaves left behind (newest first); unreadable ones carry the reason."""
        if not self.recovery_dir.is_dir():
            return []
        found: list[Autosave] = []
        for path in self.recovery_dir.glob("*.json"):
            if not _UUID_RE.match(path.stem):
                continue
            try:
                doc, loaded = self._read_autosave(path)
            except PlanFileError as exc:
                found.append(Autosave(path.stem, path, error=exc.short))
                continue
            found.append(
                Autosave(
                    loaded.plan.id,
                    path,
                    saved_at=_timestamp_or_none(doc.get("savedAt")),
                    plan_name=loaded.plan.name,
                    source_path=Path(doc["sourcePath"]) if isinstance(doc.get("sourcePath"), str) else None,
                )
            )
        epoch = datetime.min.replace(tzinfo=utc_now().tzinfo)
        found.sort(key=lambda a: a.saved_at or epoch, reverse=True)
        return found

    def recover(self, plan_id: str) -> LoadedPlan:
        """The plan as autosaved, with ``path`` set to the file it belongs to (None if it was
        never saved). The autosave stays until the plan is saved or the autosave discarded."""
        path = self.autosave_path(plan_id)
        doc, loaded = self._read_autosave(path)
        source = doc.get("sourcePath")
        loaded.path = Path(source) if isinstance(source, str) else None
        return loaded

    def discard_autosave(self, plan_id: str) -> bool:
        try:
            path = self.autosave_path(plan_id)
        except ValueError:
            return False
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _read_autosave(self, path: Path) -> tuple[dict[str, Any], LoadedPlan]:
        source = str(path)
        doc = decode_json(read_bytes_limited(path, source), source)
        if not isinstance(doc, dict) or doc.get("kind") != AUTOSAVE_KIND:
            raise PlanFileError(source, "not a DRS Console autosave")
        if doc.get("autosaveVersion") != AUTOSAVE_VERSION:
            raise PlanFileError(
                source, f"autosave version {str(doc.get('autosaveVersion'))[:20]} is not supported"
            )
        loaded = plan_from_document(doc.get("plan"), source)
        if path.stem != loaded.plan.id:
            raise PlanFileError(source, "the autosave's plan ID does not match its file name")
        return doc, loaded


def _timestamp_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def default_library() -> PlanLibrary:
    return PlanLibrary(app_paths().plan_library)


__all__ = [
    "Autosave",
    "LibraryEntry",
    "LoadedPlan",
    "PlanFileError",
    "PlanFormatError",
    "PlanLibrary",
    "default_library",
]
