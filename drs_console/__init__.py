"""DRS Console: an operator console for AWS Elastic Disaster Recovery."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("drs-console")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
