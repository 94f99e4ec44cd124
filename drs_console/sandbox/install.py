"""Plug the DRS simulator into moto as the service ``drs``.

moto resolves a service in two places, and both are patched here:

* ``moto.backend_index.backend_url_patterns`` – the (service, URL regex) list that the
  in-process mock (``mock_aws``: botocore stubber and ``responses``) and moto's server
  (``DomainDispatcherApplication.get_backend_for_host``; server mode turns a request's SigV4
  signing name ``drs`` into the host ``drs.<region>.amazonaws.com``) match against;
* ``moto.backends.get_backend("drs")`` imports the module ``moto.drs`` and reads its
  ``drs_backends``: we register ``drs_console.sandbox.drs`` in ``sys.modules`` under that name.

Nothing in moto's files is changed; everything happens in this process.
"""

from __future__ import annotations

import re
import sys
import threading

DRS_URL_PATTERN = re.compile(r"https?://drs\.(.+)\.amazonaws\.com")

_lock = threading.Lock()


def install_drs() -> None:
    """Register the DRS backend with moto. Idempotent and thread-safe."""
    import moto
    import moto.backend_index as backend_index

    from . import drs as drs_package

    with _lock:
        if sys.modules.get("moto.drs") is not drs_package:
            sys.modules["moto.drs"] = drs_package
            moto.drs = drs_package  # type: ignore[attr-defined]
        patterns = backend_index.backend_url_patterns
        if not any(name == "drs" for name, _ in patterns):
            # first, so that no broader pattern of another service can claim DRS's host
            patterns.insert(0, ("drs", DRS_URL_PATTERN))


def is_installed() -> bool:
    import moto.backend_index as backend_index

    return sys.modules.get("moto.drs") is not None and any(
        name == "drs" for name, _ in backend_index.backend_url_patterns
    )
