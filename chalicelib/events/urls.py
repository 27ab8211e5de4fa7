"""Where webhooks may point: https to public addresses in AWS stages, loopback http locally.

Checked when a subscription is saved and again before every delivery, against the
addresses the name resolves to then; the delivery connects to the address it checked, so a
name that re-resolves to 169.254.169.254 between the check and the connection (DNS
rebinding) is not reached.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.settings import get_settings

LOCAL_STAGES = ("local", "test")  # moto on loopback: tests receive on 127.0.0.1


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks here; the message says why, for the caller."""


@dataclass(frozen=True)
class Target:
    """A vetted destination: connect to ``address`` and speak to ``host``."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def local_rules() -> bool:
    return get_settings().stage in LOCAL_STAGES


def check_url(url: str, *, local: bool | None = None) -> Target:
    """Parse, resolve and vet ``url``; raises UnsafeUrl with the reason."""
    local = local_rules() if local is None else local
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL ({exc})") from None
    allowed = ("http", "https") if local else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeUrl("must use https" if not local else "must use http or https")
    if not parts.hostname:
        raise UnsafeUrl("must name a host")
    if parts.username or parts.password:
        raise UnsafeUrl("may not carry a user name or password")
    if parts.fragment:
        raise UnsafeUrl("may not have a #fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    addresses = _resolve(parts.hostname, port)
    if not local:
        for address in addresses:
            if not _public(address):
                raise UnsafeUrl(f"resolves to {address}, a private, loopback or link-local address")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"has a host name that does not resolve ({exc})") from None
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeUrl("has a host name that does not resolve")
    return found


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
