"""Where DRS Console keeps its files (platformdirs), overridable for tests and portable use.

``DRS_CONSOLE_HOME`` set to a folder puts config, data, cache and logs below it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "drs-console"
APP_AUTHOR = "drs-console"


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
    def inventory_cache_dir(self) -> Path:
        return self.cache_dir / "inventory"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "drs-console.log"


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
