"""The SSRF guard: newsflow never connects to an address inside the network it runs in on behalf
of a URL someone gave it (ingest's pages, feeds and sitemaps; alerts' webhooks).

The check happens where the connection is made, not on the URL: a network backend for httpcore
resolves the host, refuses the connection if *any* resolved address is loopback, private,
link-local, multicast, reserved or unspecified, and connects to the vetted address itself. So
every connection is checked — every redirect hop, every retry — and a DNS answer cannot change
between the check and the connect (no rebinding window). TLS still verifies the hostname.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx


class BlockedAddressError(Exception):
    """A connection the guard refused (ingest dead-letters it as ``blocked_address``)."""


@dataclass(frozen=True)
class AddressPolicy:
    """What a guarded client may connect to."""

    allow_private_network: bool = False
    """Lift the guard entirely (``newsflow run --allow-private-network``, for local feeds)."""
    allowed_endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    """``(address, port)`` pairs reachable despite the guard (one local feed server, say)."""

    @classmethod
    def of(cls, allow_private_network: bool, endpoints: Iterable[str]) -> AddressPolicy:
        """From settings: ``endpoints`` are ``host:port`` strings."""
        pairs = set()
        for endpoint in endpoints:
            host, _, port = endpoint.rpartition(":")
            pairs.add((host.strip("[]"), int(port)))
        return cls(allow_private_network, frozenset(pairs))

    def refuses(self, address: str, port: int) -> bool:
        """True if connecting to ``address:port`` would reach inside the network."""
        if self.allow_private_network or (address, port) in self.allowed_endpoints:
            return False
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return bool(
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
        )


async def vetted_addresses(host: str, port: int, policy: AddressPolicy, timeout: float | None = None) -> list[str]:
    """``host``'s addresses, if the policy allows every one of them; raises
    ``BlockedAddressError`` naming the refused ones, ``OSError`` if it cannot be resolved."""
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
        )
    except (OSError, TimeoutError) as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [a for a in addresses if policy.refuses(a, port)]
    if refused:
        raise BlockedAddressError(f"{host}:{port} resolves to {', '.join(refused)}, inside the network")
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets and connects to the vetted address (see the module docstring)."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await vetted_addresses(host, port, self.policy, timeout)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return await self.inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection passes the guard."""

    def __init__(self, policy: AddressPolicy, max_connections: int = 32) -> None:
        super().__init__(retries=0, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedNetworkBackend(policy),
        )
