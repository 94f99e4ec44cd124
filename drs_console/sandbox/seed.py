"""Deterministic seed data: a plausible estate of source servers replicating into the sandbox."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .records import ServerRecord, hex_id

DOMAIN = "corp.example.com"

# (host prefix, Application tag, Environment tag)
APPLICATIONS: tuple[tuple[str, str, str], ...] = (
    ("pay", "Payments", "Production"),
    ("crm", "CRM", "Production"),
    ("erp", "ERP", "Production"),
    ("shop", "Web Shop", "Production"),
    ("auth", "Identity", "Production"),
    ("hr", "HR Portal", "Production"),
    ("dwh", "Data Warehouse", "Production"),
    ("api", "Partner API", "Production"),
    ("inv", "Inventory", "Production"),
    ("bi", "Reporting", "Staging"),
    ("mail", "Mail Relay", "Production"),
    ("qa", "Test Harness", "Staging"),
)
TIERS = ("web", "app", "db")
ORIGIN_REGIONS = ("us-west-2", "us-east-2", "eu-west-1", "eu-central-1")

_OS = {
    "web": ("Linux version 5.10.205-195.807.amzn2.x86_64 (Amazon Linux 2)", "t3.medium", 2, 4),
    "app": ("Microsoft Windows Server 2019 Datacenter 10.0.17763 64-bit", "m5.xlarge", 4, 16),
    "db": ("Red Hat Enterprise Linux 8.8 (Ootpa) 4.18.0-477.el8.x86_64", "r5.2xlarge", 8, 64),
}
_CPU = "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"
_AGENT = "4.7.{}"
GiB = 1024**3


def account_ids(seed: int) -> list[str]:
    """The 2 or 3 source accounts of a seed (12-digit IDs)."""
    rng = random.Random(f"drs-sandbox-accounts/{seed}")
    count = rng.choice((2, 3))
    return [str(rng.randint(2 * 10**11, 9 * 10**11 - 1)) for _ in range(count)]


# The shipped sample plan (resources/plans/sample-payments.json) recovers the Payments servers:
# they replicate continuously, so the first drill a new user runs completes for real. The sandbox's
# unhealthy servers are drawn among the other applications (not those the seeded active executions
# use either: sandbox/history_seed.py ACTIVE_APPLICATIONS).
HEALTHY_APPLICATIONS = frozenset({"Payments"})
_NOT_MOVED_TO = HEALTHY_APPLICATIONS | {"Test Harness", "Reporting"}


def _application(i: int) -> str:
    return APPLICATIONS[i % len(APPLICATIONS)][1]


def _keep_healthy(states: list[str], seed: int) -> None:
    """Move each unhealthy state drawn for a HEALTHY_APPLICATIONS server to a healthy server of
    another application (deterministic from the seed)."""
    rng = random.Random(f"drs-sandbox-healthy/{seed}")
    for i, state in enumerate(states):
        if state == "CONTINUOUS" or _application(i) not in HEALTHY_APPLICATIONS:
            continue
        free = [k for k, st in enumerate(states) if st == "CONTINUOUS" and _application(k) not in _NOT_MOVED_TO]
        if not free:
            free = [k for k, st in enumerate(states) if st == "CONTINUOUS" and _application(k) not in HEALTHY_APPLICATIONS]
        if free:
            states[rng.choice(free)] = state
        states[i] = "CONTINUOUS"


def _replication(state: str, rng: random.Random) -> tuple[int, float, str, str]:
    """(lag seconds, sync progress, error, raw error) of a server in ``state``."""
    error = raw = ""
    progress = 1.0
    if state == "CONTINUOUS":
        lag = rng.randint(0, 4)
    elif state == "INITIAL_SYNC":
        lag = rng.randint(1800, 6 * 3600)
        progress = round(rng.uniform(0.1, 0.9), 3)
    elif state == "BACKLOG":
        lag = rng.randint(300, 2400)
    elif state == "STALLED":
        lag = rng.randint(3600, 6 * 3600)
        error, raw = "UNSTABLE_NETWORK", "Replication stalled: no data received from the agent for 1h"
    else:  # DISCONNECTED
        lag = rng.randint(26 * 3600, 4 * 86400)
        error, raw = "AGENT_NOT_SEEN", "The AWS Replication Agent has not been seen by the service"
    return lag, progress, error, raw


def seed_servers(
    *, seed: int, count: int, region: str, account_id: str, start: datetime, variant: str = ""
) -> list[ServerRecord]:
    """``count`` source servers, the same for the same seed (only times depend on ``start``).

    ``variant`` (a target account's, sandbox/accounts.py): other draws (other IDs) and host names
    that start with it, so that no two accounts of one sandbox share a server ID or name."""
    rng = random.Random(f"drs-sandbox-servers/{seed}" + (f"/{variant}" if variant else ""))
    accounts = account_ids(seed)
    origins = [r for r in ORIGIN_REGIONS if r != region]
    account_region = {acct: origins[i % len(origins)] for i, acct in enumerate(accounts)}

    # replication states: mostly CONTINUOUS, a few of each unhealthy/syncing state
    states = ["CONTINUOUS"] * count
    if count >= 10:
        extra = {
            "INITIAL_SYNC": max(1, round(count * 0.08)),
            "BACKLOG": max(1, round(count * 0.05)),
            "STALLED": max(1, round(count * 0.035)),
            "DISCONNECTED": max(1, round(count * 0.03)),
        }
        slots = rng.sample(range(count), sum(extra.values()))
        i = 0
        for state, n in extra.items():
            for _ in range(n):
                states[slots[i]] = state
                i += 1
    drawn = list(states)  # what the per-server draws below follow (so every ID stays the same)
    _keep_healthy(states, seed)

    servers: list[ServerRecord] = []
    used_ids: set[str] = set()
    for i in range(count):
        prefix, application, environment = APPLICATIONS[i % len(APPLICATIONS)]
        k = i // len(APPLICATIONS)
        tier = TIERS[k % len(TIERS)]
        number = k // len(TIERS) + 1
        hostname = f"{variant + '-' if variant else ''}{prefix}-{tier}-{number:02d}"
        app_index = i % len(APPLICATIONS)
        origin_account = accounts[app_index % len(accounts)]
        origin_region = account_region[origin_account]
        az = f"{origin_region}{'abc'[rng.randrange(3)]}"
        sid = "s-" + hex_id(rng)
        while sid in used_ids:
            sid = "s-" + hex_id(rng)
        used_ids.add(sid)
        os_full, itype, cores, ram_gib = _OS[tier]
        disks = [("/dev/xvda" if tier != "app" else "C:", rng.choice((30, 50, 80)) * GiB)]
        if tier == "db":
            disks.append(("/dev/xvdf", rng.choice((200, 500, 1000)) * GiB))
        elif tier == "app":
            disks.append(("D:", rng.choice((100, 150)) * GiB))
        state = states[i]
        lag, progress, error, raw = _replication(drawn[i], rng)
        if state != drawn[i]:  # moved off a kept-healthy server: its own draws, the rest unchanged
            lag, progress, error, raw = _replication(state, random.Random(f"drs-sandbox-moved/{seed}/{sid}"))
        extended = origin_account != accounts[0]
        servers.append(
            ServerRecord(
                source_server_id=sid,
                arn=f"arn:aws:drs:{region}:{account_id}:source-server/{sid}",
                hostname=hostname,
                fqdn=f"{hostname}.{DOMAIN}",
                aws_instance_id="i-" + hex_id(rng),
                origin_account_id=origin_account,
                origin_region=origin_region,
                origin_az=az,
                replication_state=state,
                lag_seconds=lag,
                tags={
                    "Name": hostname,
                    "Application": application,
                    "Tier": tier,
                    "Environment": environment,
                },
                added_at=start - timedelta(days=rng.randint(20, 400), seconds=rng.randint(0, 86399)),
                os_full=os_full,
                cpu_cores=cores,
                cpu_model=_CPU,
                ram_bytes=ram_gib * GiB,
                disks=disks,
                recommended_instance_type=itype,
                ip=f"10.{20 + app_index}.{rng.randint(0, 255)}.{rng.randint(4, 250)}",
                mac=":".join(f"{rng.randrange(256):02x}" for _ in range(6)),
                staging_account_id=origin_account if extended else account_id,
                staging_status="EXTENDED" if extended else "NOT_EXTENDED",
                staging_az=f"{region}{'abc'[rng.randrange(3)]}",
                agent_version=_AGENT.format(rng.randint(100, 300)),
                replication_error=error,
                replication_raw_error=raw,
                sync_progress=progress,
                frozen_at=start - timedelta(seconds=lag) if state in ("STALLED", "DISCONNECTED") else None,
            )
        )
    return servers
