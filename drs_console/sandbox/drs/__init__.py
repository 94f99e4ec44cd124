"""The DRS service for moto: backend, responses and URLs, laid out like one of moto's own services.

``install_drs()`` (in ``drs_console.sandbox.install``) registers this package as ``moto.drs``.
"""

from .models import DrsBackend, drs_backends

__all__ = ["DrsBackend", "drs_backends"]
