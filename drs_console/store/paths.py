"""Where DRS Console keeps its files (platformdirs), overridable for tests and portable use.

``DRS_CONSOLE_HOME`` set to a folder puts config, data, cache and logs below it.

Layout (every folder an atomic write of ours goes to is in ``AppPaths.written_folders``)::

    <config>/settings.json
    <data>/plans/                   the plan library (``<data>/plans/.recovery/``: autosaves)
    <data>/sandbox-plans/           the sandbox's own library (same layout)
    <cache>/inventory/              the last inventory per endpoint, account and region
    <cache>/drills/                 the last drills read from the history, likewise (offline readiness)
    <logs>/drs-console.log          appended, not written atomically
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "drs-console"
APP_AUTHOR = "drs-console"
RECOVERY_DIR = ".recovery"  # a library's autosaves of unsaved edits
SANDBOX_LIBRARY_DIR = "sandbox-plans"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def plan_library(self) -> Path:
        return self.data_dir / "plans"

    @property
    def sandbox_plan_library(self) -> Path:
        return self.data_dir / SANDBOX_LIBRARY_DIR

    @property
    def inventory_cache_dir(self) -> Path:
        return self.cache_dir / "inventory"

    @property
    def drill_cache_dir(self) -> Path:
        return self.cache_dir / "drills"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "drs-console.log"

    @property
    def written_folders(self) -> tuple[Path, ...]:
        """Every folder under the app's home that store/atomic.py writes to (where a crashed
        write can leave a temporary): settings, both plan libraries with their autosaves, and the
        inventory and drill caches. Not recursive: nothing of ours is written deeper."""
        return (
            self.config_dir,
            self.plan_library,
            self.plan_library / RECOVERY_DIR,
            self.sandbox_plan_library,
            self.sandbox_plan_library / RECOVERY_DIR,
            self.inventory_cache_dir,
            self.drill_cache_dir,
        )


def app_paths() -> AppPaths:
    home = os.environ.get("DRS_CONSOLE_HOME")
    if home:
        base = Path(home)
        return AppPaths(base / "config", base / "data", base / "cache", base / "logs")
    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )
