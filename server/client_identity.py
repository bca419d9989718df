"""Who is asking: the client's address, and the keyed hash rate limits keep instead of it.

The client is the socket peer, unless LEASTMEANS_TRUSTED_PROXIES names the reverse
proxies in front of the app. Only when the peer is one of them is X-Forwarded-For read,
from the right: each trusted proxy appends the address it saw, so the right-most hop
that is not a trusted proxy is the first address nobody under the client's control
wrote. Hops further left are whatever the client chose to send and are never used.
Without the setting the header is ignored, so a client cannot pick its own identity;
behind a proxy that is not declared, every request seems to come from the proxy, and
per-client limits become one limit shared by everyone (see docs/deployment.md).

Rate-limit keys never hold the address. They hold an HMAC of it under a key derived
from the server secret and the current UTC day, so the store cannot be read back into
addresses, and keys of different days cannot be linked to each other. IPv6 clients are
keyed by their /64 network: one host usually owns a whole /64 and could otherwise
change address for every request.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
from functools import lru_cache

from litestar.connection import ASGIConnection

from server.settings import trusted_proxies

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for part in configured:
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"LEASTMEANS_TRUSTED_PROXIES: '{part}' is not an IP address or network") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    hop = text.strip().strip('"')
    if hop.startswith("[") and "]" in hop:  # [v6]:port
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:  # v4:port
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def _is_trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(connection: ASGIConnection) -> str:
    """The client's address as text: the socket peer, or the right-most untrusted hop of
    X-Forwarded-For when the peer is a trusted proxy."""
    peer = connection.client.host if connection.client else ""
    networks = _networks(trusted_proxies())
    if not networks or not _is_trusted(_address(peer), networks):
        return peer
    hops = [hop.strip() for value in connection.headers.getall("x-forwarded-for", []) for hop in value.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        address = _address(hop)
        if not _is_trusted(address, networks):
            return str(address) if address is not None else hop
    # Every hop is one of our proxies: the request started inside (a health check, say).
    return hops[0] if hops else peer


def _client_identity(text: str) -> str:
    address = _address(text)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address) if address is not None else text


@lru_cache(maxsize=1)
def _secret() -> bytes:
    from server.workspace.config import WorkspaceSettings

    return WorkspaceSettings().secret_key.encode()


def _day_key(day: dt.date) -> bytes:
    return hmac.new(_secret(), f"rate-limit-keys:{day.isoformat()}".encode(), hashlib.sha256).digest()


def keyed_hash(kind: str, value: str) -> str:
    """An HMAC of `value` under today's key (32 hex digits); `kind` keeps uses apart."""
    day = dt.datetime.now(dt.timezone.utc).date()
    return hmac.new(_day_key(day), f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()[:32]


def client_key(connection: ASGIConnection) -> str:
    """The keyed hash that stands for this request's client in rate-limit keys."""
    return keyed_hash("client", _client_identity(client_address(connection)))
