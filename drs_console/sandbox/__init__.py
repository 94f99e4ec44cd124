"""Offline sandbox: moto plus a simulated AWS Elastic Disaster Recovery (moto has no DRS).

Use ``Sandbox`` (starts moto's server with DRS on 127.0.0.1), or ``install_drs()`` to add the
DRS backend to moto's in-process mock (``mock_aws``).
"""

from .clock import SimClock
from .install import install_drs
from .sandbox import Sandbox
from .simulator import DrsError, DrsSimulator

__all__ = ["DrsError", "DrsSimulator", "Sandbox", "SimClock", "install_drs"]
