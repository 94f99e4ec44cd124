"""Settings and the inventory cache: typed, versioned, atomic, and never a credential on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from drs_console.__main__ import main
from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.status import ReplicationState
from drs_console.store.inventory_cache import InventoryCache
from drs_console.store.paths import app_paths
from drs_console.store.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_settings_round_trip_with_version():
    save_settings(Settings(profile="dr-admin", region="eu-west-1", backend_stack_name="dr"))
    path = app_paths().settings_file
    doc = json.loads(path.read_text())
    assert doc["version"] == SETTINGS_VERSION
    loaded = load_settings()
    assert (loaded.profile, loaded.region, loaded.backend_stack_name) == ("dr-admin", "eu-west-1", "dr")


def test_settings_v1_migrates():
    path = app_paths().settings_file
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "profile": "ops", "stack": "legacy-stack"}))
    loaded = load_settings()
    assert loaded.profile == "ops" and loaded.backend_stack_name == "legacy-stack" and loaded.sandbox is False


def test_corrupt_settings_give_defaults_and_stay_untouched():
    path = app_paths().settings_file
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe{not json")
    assert load_settings() == Settings()
    assert path.read_bytes() == b"\xff\xfe{not json"
    path.write_text(json.dumps({"version": 2, "profile": 42, "region": ["x"]}))
    loaded = load_settings()
    assert loaded.profile is None and loaded.region is None  # wrong types are ignored, not crashed on


def test_inventory_cache_round_trip_and_latest():
    cache = InventoryCache()
    server = SourceServer("s-1", hostname="h", replication_state=ReplicationState.STALLED, tags={"Name": "web"})
    old = InventorySnapshot("111122223333", "us-east-1", datetime.now(UTC) - timedelta(hours=3), (server,))
    new = InventorySnapshot("444455556666", "us-east-1", datetime.now(UTC), (server,))
    cache.save(old)
    cache.save(new)
    assert cache.load("111122223333", "us-east-1") == old
    assert cache.latest("us-east-1").account_id == "444455556666"
    assert cache.latest("eu-west-1") is None


def test_a_corrupt_cache_file_is_ignored():
    cache = InventoryCache()
    cache.folder.mkdir(parents=True)
    (cache.folder / "111122223333-us-east-1.json").write_text("{")
    assert cache.load("111122223333", "us-east-1") is None


def test_no_credential_is_ever_written(monkeypatch, capsys):
    """Connect with real-looking keys (to a local endpoint), then search every file we wrote."""
    from tests.fakes import aws_error_endpoint

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLETOKEN")
    with aws_error_endpoint() as url:
        main(["-v", "--region", "us-east-1", "--endpoint-url", url, "inventory"])
    save_settings(Settings(profile="p"))
    from drs_console.logsetup import configure_logging

    configure_logging(verbose=True, to_file=True)
    import logging

    logging.getLogger("botocore").debug("request headers: Authorization: AWS4 Credential=AKIAIOSFODNN7EXAMPLE/x")
    logging.getLogger("test").info("aws_secret_access_key=%s token=%s", secret, "IQoJb3JpZ2luX2VjEXAMPLETOKEN")
    for handler in logging.getLogger().handlers:
        handler.flush()
    home = app_paths().config_dir.parent
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written, "the test wrote the settings and the log"
    for path in written:
        data = path.read_bytes()
        for needle in (secret, "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "AKIAIOSFODNN7EXAMPLE"):
            assert needle.encode() not in data, f"{needle[:8]}… found in {path}"
    capsys.readouterr()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_drs_console", False)]:
        root.removeHandler(handler)
        handler.close()


def test_the_inventory_cache_belongs_to_one_endpoint():
    """A sandbox or --endpoint-url run never overwrites, nor is shown as, the real account's cache."""
    from drs_console.store.inventory_cache import SANDBOX_ENDPOINT, cache_endpoint

    cache = InventoryCache()
    real = InventorySnapshot("111122223333", "us-east-1", datetime.now(UTC) - timedelta(hours=2),
                             (SourceServer("s-real"),))
    fake = InventorySnapshot("111122223333", "us-east-1", datetime.now(UTC), (SourceServer("s-fake"),))
    cache.save(real)
    cache.save(fake, "http://127.0.0.1:5000/")
    cache.save(fake, cache_endpoint("http://127.0.0.1:6001", sandbox=True))
    assert len(list(cache.folder.glob("*.json"))) == 3
    # the same account and region at another endpoint: each keeps its own
    assert cache.load("111122223333", "us-east-1") == real
    assert cache.load("111122223333", "us-east-1", "HTTP://127.0.0.1:5000") == fake  # the same URL, normalized
    assert cache.load("111122223333", "us-east-1", SANDBOX_ENDPOINT) == fake
    assert cache.load("111122223333", "us-east-1", "http://127.0.0.1:5001") is None
    # offline mode shows the newest cache of the endpoint it was last connected to, never another's
    assert cache.latest("us-east-1") == real
    assert cache.latest("us-east-1", "http://127.0.0.1:5000") == fake
    # a file renamed onto another endpoint's key is not taken for it
    (cache.folder / "111122223333-us-east-1.json").unlink()
    next(cache.folder.glob("*@*.json")).rename(cache.folder / "111122223333-us-east-1.json")
    assert cache.load("111122223333", "us-east-1") is None and cache.latest("us-east-1") is None
