"""Typed, versioned user settings stored as JSON under the platformdirs config dir.

Never holds a credential: only the names of things (profile, region, endpoint, stack, and the
known accounts: their IDs, names, profiles and role ARNs).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..domain.accounts import KnownAccount, parse_accounts
from .atomic import atomic_write_text
from .paths import app_paths

log = logging.getLogger(__name__)

SETTINGS_VERSION = 4


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    sandbox: bool = False
    backend_stack_name: str = "drs-console"
    state_machine_arn: str | None = None
    history_table: str | None = None
    # The desktop's layout, per user: splitter sizes and the columns hidden in each table (by key).
    splitters: dict[str, list[int]] = field(default_factory=dict)
    hidden_columns: dict[str, list[int]] = field(default_factory=dict)
    # point-in-time runs: servers of one wave whose snapshots are further apart than this WARN
    point_in_time_max_spread_minutes: int = 15
    # The accounts the console reaches besides the connected one (v4): names and ARNs only.
    accounts: list[KnownAccount] = field(default_factory=list)


def _migrate(data: dict) -> dict:
    version = int(data.get("version", 1))
    if version < 2:
        # v1 called the stack "stack" and had no sandbox flag.
        if "stack" in data:
            data["backend_stack_name"] = data.pop("stack") or "drs-console"
        data.setdefault("sandbox", False)
        version = 2
    if version < 3:
        # v3 remembers the desktop's layout (splitters, hidden columns); nothing to convert.
        version = 3
    if version < 4:
        # v4 knows other accounts (profile or role to reach each); none before.
        data.setdefault("accounts", [])
        version = 4
    data["version"] = version
    return data


def load_settings(path: Path | None = None) -> Settings:
    """Load settings; a missing or unreadable file gives defaults (and is left untouched)."""
    path = path or app_paths().settings_file
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("settings file %s unreadable (%s); using defaults", path, exc)
        return Settings()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        data = _migrate(data)
        if data["version"] > SETTINGS_VERSION:
            log.warning("settings file %s is from a newer version; using what is understood", path)
        known = {f.name: f for f in fields(Settings)}
        kwargs = {}
        for key, value in data.items():
            if key not in known or key == "version":
                continue
            if key in _LAYOUT_KEYS:
                kwargs[key] = _int_lists(value)
                continue
            if key == "accounts":
                kwargs[key] = _accounts(value, path)
                continue
            if value is not None and key == "sandbox" and not isinstance(value, bool):
                continue
            if key == "point_in_time_max_spread_minutes":
                if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1440:
                    kwargs[key] = value
                continue
            if value is not None and key != "sandbox" and not isinstance(value, str):
                continue
            kwargs[key] = value
        return Settings(**kwargs)
    except (ValueError, TypeError) as exc:
        log.warning("settings file %s is not valid (%s); using defaults", path, exc)
        return Settings()


_LAYOUT_KEYS = ("splitters", "hidden_columns")


def _int_lists(value) -> dict[str, list[int]]:
    """A {name: [int, ...]} mapping; anything else in it is dropped (a hand-edited file)."""
    if not isinstance(value, dict):
        return {}
    return {
        str(k): [int(n) for n in v]
        for k, v in value.items()
        if isinstance(v, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in v)
    }


def _accounts(value, path: Path) -> list[KnownAccount]:
    """The known accounts of a settings file; an entry that is not valid is left out (logged)."""
    if not isinstance(value, list):
        return []
    accounts, problems = parse_accounts(value)
    for problem in problems:
        log.warning("settings file %s: known account %s", path, problem)
    return accounts


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or app_paths().settings_file
    settings.version = SETTINGS_VERSION
    doc = asdict(settings)
    doc["accounts"] = [a.as_dict() for a in settings.accounts]
    atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")
