"""The last drills read from the history table, kept on disk so that readiness works offline.

One file per endpoint, account and region (named like the inventory cache's, under its own
folder), written atomically whenever readiness was read live."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ..domain.readiness import DrillRecord
from .atomic import atomic_write_text
from .inventory_cache import InventoryCache, normalize_endpoint
from .paths import app_paths

log = logging.getLogger(__name__)
CACHE_VERSION = 1


class DrillCache:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or app_paths().drill_cache_dir
        self._names = InventoryCache(self.folder)

    def save(self, account_id: str, region: str, drills: Iterable[DrillRecord], endpoint: str | None = None,
             *, read_at: datetime | None = None) -> None:
        doc = {"version": CACHE_VERSION, "accountId": account_id, "region": region,
               "endpoint": normalize_endpoint(endpoint), "readAt": (read_at or datetime.now(UTC)).isoformat(),
               "drills": [d.to_json() for d in drills]}
        atomic_write_text(self._names._path(account_id, region, endpoint), json.dumps(doc))

    def load(self, account_id: str, region: str, endpoint: str | None = None) -> tuple[list[DrillRecord], datetime] | None:
        """(the drills, when they were read), None when there is no usable cache."""
        path = self._names._path(account_id, region, endpoint)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") != CACHE_VERSION or str(doc.get("endpoint") or "") != normalize_endpoint(endpoint):
                return None
            return [DrillRecord.from_json(d) for d in doc["drills"]], datetime.fromisoformat(doc["readAt"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable drill cache %s: %s", path, exc)
            return None
