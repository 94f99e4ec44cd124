"""moto backend for DRS: one DrsSimulator per account and region."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, BaseBackend

from ..clock import SimClock
from ..simulator import DEFAULT_JOB_QUOTA, DrsSimulator


@dataclass
class SimulatorSettings:
    """What new DRS backends are built with. The Sandbox sets these before it starts.

    Only the ``home`` account and region, and each of ``targets`` (account -> (servers, host-name
    variant), in the home region) get seeded source servers; any other account or region is an
    initialized but empty DRS.
    """

    clock: SimClock = field(default_factory=lambda: SimClock(speed=1.0))
    seed: int = 7
    servers: int = 60
    home_account: str = DEFAULT_ACCOUNT_ID
    home_region: str = "us-east-1"
    launch_failure_rate: float = 0.0
    throttle_rate: float = 0.0
    job_quota: int = DEFAULT_JOB_QUOTA
    targets: dict[str, tuple[int, str]] = field(default_factory=dict)


_settings_lock = threading.Lock()
_settings = SimulatorSettings()


def configure(settings: SimulatorSettings) -> None:
    """Use ``settings`` for DRS backends created from now on (call reset afterwards)."""
    global _settings
    with _settings_lock:
        _settings = settings


def current_settings() -> SimulatorSettings:
    with _settings_lock:
        return _settings


class DrsBackend(BaseBackend):
    """Elastic Disaster Recovery, simulated. All behaviour lives in ``self.simulator``."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        s = current_settings()
        home = account_id == s.home_account and region_name == s.home_region
        self.simulator = DrsSimulator(
            clock=s.clock,
            region=region_name,
            account_id=account_id,
            seed=s.seed,
            servers=s.servers if home else 0,
            launch_failure_rate=s.launch_failure_rate if home else 0.0,
            throttle_rate=s.throttle_rate if home else 0.0,
            job_quota=s.job_quota,
        )
        target = s.targets.get(account_id) if region_name == s.home_region else None
        if target and target[0]:
            from ..seed import seed_servers

            self.simulator.add_servers(seed_servers(
                seed=s.seed, count=target[0], region=region_name, account_id=account_id,
                start=s.clock.now(), variant=target[1],
            ))


drs_backends = BackendDict(DrsBackend, "drs")
