"""Bearer-token authentication against the accredited clients of one clients file."""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from rdap_coop.core.clients import (
    AccreditedClient,
    AuthenticationFailed,
    AuthFailure,
    ClientsConfig,
    IPAddress,
    WhoisAllowance,
    hash_token,
)
from rdap_coop.core.clients_file import load_clients

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
_BEARER = re.compile(r"bearer +([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE | re.ASCII)


_MAX_AUTHORIZATION_CHARS = 1024


class ClientDirectory:
    """The accredited clients of one clients file, swapped whole on ``reload``.

    Readers take ``config`` once per request, so a reload never shows them half of
    the old file and half of the new one.
    """

    __slots__ = ("_config", "_path", "_version")

    def __init__(self, path: Path) -> None:
        self._path = path
        self._config = load_clients(path)
        self._version = 1

    @property
    def config(self) -> ClientsConfig:
        return self._config

    @property
    def version(self) -> int:  # 1, then one more on every successful reload
        return self._version

    def reload(self) -> ClientsConfig:
        """Re-read the file; on ``ClientsFileError`` the previous clients stay in force."""
        config = load_clients(self._path)
        self._config, self._version = config, self._version + 1
        return config

    def authenticate(
        self, authorization: str | None, address: IPAddress | None, now: datetime
    ) -> AccreditedClient | None:
        """``None`` without an Authorization header (a public request); otherwise the
        client, or ``AuthenticationFailed``. ``now`` must be timezone-aware."""
        if authorization is None:
            return None
        digest = hash_token(_bearer_token(authorization))
        client = _client_with_digest(self._config.clients, digest)
        if client is None:
            raise AuthenticationFailed(AuthFailure.UNKNOWN)
        _check_standing(client, address, now)
        return client

    def whois_viewer_for(self, address: IPAddress | None) -> WhoisAllowance | None:
        if address is None:
            return None
        address = _unmapped(address)
        for allowance in self._config.whois_allowances:
            if address in allowance.network:
                return allowance
        return None


def _bearer_token(authorization: str) -> str:
    if len(authorization) > _MAX_AUTHORIZATION_CHARS:
        raise AuthenticationFailed(AuthFailure.MALFORMED)
    match = _BEARER.fullmatch(authorization.strip(" \t"))
    if match is None:
        raise AuthenticationFailed(AuthFailure.MALFORMED)
    return match.group(1)


def _client_with_digest(
    clients: Iterable[AccreditedClient], digest: str
) -> AccreditedClient | None:
    # Every entry is compared, and in constant time, so the time taken does not
    # reveal which entry (if any) matched or how much of a hash agreed.
    found = None
    for client in clients:
        if hmac.compare_digest(client.token_sha256, digest):
            found = client
    return found


def _check_standing(client: AccreditedClient, address: IPAddress | None, now: datetime) -> None:
    if client.revoked:
        raise AuthenticationFailed(AuthFailure.REVOKED)
    if client.expires_at is not None and now >= client.expires_at:
        raise AuthenticationFailed(AuthFailure.EXPIRED)
    if client.networks and (
        address is None or not any(_unmapped(address) in net for net in client.networks)
    ):
        raise AuthenticationFailed(AuthFailure.WRONG_ADDRESS)


def _unmapped(address: IPAddress) -> IPAddress:
    """``::ffff:192.0.2.1`` from a dual-stack socket is the IPv4 client 192.0.2.1."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
