"""Custom endpoint URLs (LocalStack, a VPC endpoint, the sandbox): checked where they are typed.

botocore only says "Invalid endpoint: 127.0.0.1:4566" (a ValueError) when it makes a client;
``validate_endpoint_url`` says what is wrong and what to type instead, before anything connects.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .errors import BadInput

SCHEMES = ("http", "https")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_SCHEME_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class InvalidEndpointUrl(BadInput):
    """An endpoint URL that cannot be used; the message says what to type."""


def validate_endpoint_url(text: str) -> str:
    """The endpoint URL, trimmed, when it is ``http(s)://host[:port][/path]``; else
    ``InvalidEndpointUrl`` with one sentence saying what is wrong and an example to type."""
    url = (text or "").strip()
    if not url:
        raise InvalidEndpointUrl("The endpoint URL is empty.", "Type one like http://127.0.0.1:4566, or leave it out.")
    if any(c.isspace() for c in url):
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} contains a space.", "Type one like http://127.0.0.1:4566, without spaces."
        )
    if not _SCHEME_PREFIX.match(url):
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has no scheme.", f"Type it with http:// or https://, for example http://{url}."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has an invalid port.", "Type a port from 1 to 65535, like http://127.0.0.1:4566."
        ) from None
    if parts.scheme.lower() not in SCHEMES:
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} uses {parts.scheme}://; AWS endpoints use http:// or https://.",
            f"Type it like https://{parts.netloc or 'host'}{parts.path}.",
        )
    host = parts.hostname or ""
    if not host:
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has no host.", "Type one like http://127.0.0.1:4566."
        )
    if not (_HOST.match(host) or _is_ip_literal(host)):
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has an invalid host {host!r}.", "Type one like http://127.0.0.1:4566."
        )
    if port == 0:
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has an invalid port.", "Type a port from 1 to 65535, like http://127.0.0.1:4566."
        )
    if parts.query or parts.fragment:
        raise InvalidEndpointUrl(
            f"The endpoint URL {url!r} has a query or fragment; an endpoint is a scheme, host, port and path.",
            f"Type it like {parts.scheme}://{parts.netloc}{parts.path}.",
        )
    return url


def _is_ip_literal(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
