"""Typed, versioned user settings stored as JSON under the platformdirs config dir.

Never holds a credential: only the names of things (profile, region, endpoint, stack).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .atomic import atomic_write_text
from .paths import app_paths

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2


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


def _migrate(data: dict) -> dict:
    version = int(data.get("version", 1))
    if version < 2:
        # v1 called the stack "stack" and had no sandbox flag.
        if "stack" in data:
            data["backend_stack_name"] = data.pop("stack") or "drs-console"
        data.setdefault("sandbox", False)
        version = 2
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
            if value is not None and key == "sandbox" and not isinstance(value, bool):
                continue
            if value is not None and key != "sandbox" and not isinstance(value, str):
                continue
            kwargs[key] = value
        return Settings(**kwargs)
    except (ValueError, TypeError) as exc:
        log.warning("settings file %s is not valid (%s); using defaults", path, exc)
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or app_paths().settings_file
    settings.version = SETTINGS_VERSION
    atomic_write_text(path, json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n")
