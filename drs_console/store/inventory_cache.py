"""The last inventory per endpoint, account and region, kept on disk for offline use.

A cache belongs to one endpoint: AWS itself (no endpoint URL: ``<account>-<region>.json``, as
before) or a custom ``--endpoint-url`` or the sandbox (``<account>-<region>@<hash of the URL or of "sandbox">.json``),
so that a sandbox or test-endpoint run never overwrites, nor is shown as, the real account's.

Version 2 keeps the servers per account (``accounts``: one section per account read with the
connected one, each with its name, its servers and why it could not be read); version 1 files
(every server at the top, all in the connected account) still load."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path

from ..domain.inventory import InventorySnapshot, SourceServer
from ..domain.status import ReplicationState
from .atomic import atomic_write_text
from .paths import app_paths

log = logging.getLogger(__name__)
CACHE_VERSION = 2
READABLE_VERSIONS = (1, 2)
_SERVER_FIELDS = frozenset(f.name for f in fields(SourceServer))
SANDBOX_ENDPOINT = "sandbox"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class InventoryCache:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or app_paths().inventory_cache_dir

    def _path(self, account_id: str, region: str, endpoint: str | None = None) -> Path:
        base = f"{_SAFE.sub('_', account_id)}-{_SAFE.sub('_', region)}"
        key = normalize_endpoint(endpoint)
        if key:
            base += "@" + hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.folder / f"{base}.json"

    def save(self, snapshot: InventorySnapshot, endpoint: str | None = None) -> None:
        """Cache ``snapshot`` for its account and region at ``endpoint`` (None/"": AWS itself)."""
        sections = []
        for account in snapshot.account_ids:
            servers = []
            for server in snapshot.in_account(account):
                d = asdict(server)
                d["replication_state"] = server.replication_state.value
                d["tags"] = dict(server.tags)
                servers.append(d)
            section = {"accountId": account, "name": snapshot.account_names.get(account, ""), "servers": servers}
            if account in snapshot.problems:
                section["problem"] = snapshot.problems[account]
            sections.append(section)
        doc = {
            "version": CACHE_VERSION,
            "accountId": snapshot.account_id,
            "region": snapshot.region,
            "endpoint": normalize_endpoint(endpoint),
            "fetchedAt": snapshot.fetched_at.isoformat(),
            "accounts": sections,
            "read": list(snapshot.accounts),
        }
        atomic_write_text(self._path(snapshot.account_id, snapshot.region, endpoint), json.dumps(doc))

    def load(self, account_id: str, region: str, endpoint: str | None = None) -> InventorySnapshot | None:
        return self._load_file(self._path(account_id, region, endpoint), normalize_endpoint(endpoint))

    def latest(self, region: str | None = None, endpoint: str | None = None) -> InventorySnapshot | None:
        """The newest cached inventory of ``endpoint`` (default: AWS itself), optionally for a
        region: what offline mode shows."""
        best: InventorySnapshot | None = None
        if not self.folder.is_dir():
            return None
        key = normalize_endpoint(endpoint)
        for path in self.folder.glob("*.json"):
            snap = self._load_file(path, key)
            if snap is None or (region and snap.region != region):
                continue
            if best is None or snap.fetched_at > best.fetched_at:
                best = snap
        return best

    def _load_file(self, path: Path, endpoint: str = "") -> InventorySnapshot | None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") not in READABLE_VERSIONS or str(doc.get("endpoint") or "") != endpoint:
                return None  # another endpoint's inventory (or a hash collision): never shown here
            hub = str(doc["accountId"])
            if doc["version"] == 1:  # every server in the connected account
                sections = [{"accountId": hub, "servers": doc["servers"]}]
            else:
                sections = doc["accounts"]
            servers, names, problems, accounts = [], {}, {}, []
            for section in sections:
                account = str(section["accountId"])
                accounts.append(account)
                if section.get("name"):
                    names[account] = str(section["name"])
                if section.get("problem"):
                    problems[account] = str(section["problem"])
                for d in section["servers"]:
                    d = {k: v for k, v in dict(d).items() if k in _SERVER_FIELDS}  # a newer file's extras left out
                    d["replication_state"] = ReplicationState.parse(d.get("replication_state"))
                    d["tags"] = {str(k): str(v) for k, v in (d.get("tags") or {}).items()}
                    if account != hub:  # a known account's server says so ("" stays the connected one's)
                        d["drs_account_id"] = str(d.get("drs_account_id") or account)
                    servers.append(SourceServer(**d))
            return InventorySnapshot(
                account_id=hub,
                region=str(doc["region"]),
                fetched_at=datetime.fromisoformat(doc["fetchedAt"]),
                servers=tuple(servers),
                account_names=names,
                problems=problems,
                accounts=tuple(str(a) for a in doc.get("read") or ()),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable inventory cache %s: %s", path, exc)
            return None


def cache_endpoint(endpoint_url: str | None, sandbox: bool = False) -> str:
    """The endpoint a connection's cache is kept under: the sandbox (whose URL changes with each
    start) is one endpoint of its own, ``sandbox``."""
    return SANDBOX_ENDPOINT if sandbox else normalize_endpoint(endpoint_url)


def normalize_endpoint(endpoint: str | None) -> str:
    """The endpoint a cache is keyed by: "" for AWS itself, else the URL without a trailing slash
    and with its scheme and host lower-cased."""
    text = (endpoint or "").strip().rstrip("/")
    if not text:
        return ""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.lower()
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"
