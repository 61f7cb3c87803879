"""EPP status tokens and their RDAP names (RFC 8056 §2), shared by RDAP and WHOIS.

The registry stores statuses as EPP tokens (RFC 5731 §2.3, RFC 5732 §2.3 and the
RGP statuses of RFC 3915). RDAP shows them as the lower-case, space-separated
values of the IANA "RDAP JSON Values" registry (SPEC STAT-01); WHOIS shows the
tokens themselves.

A token this table does not know is skipped rather than guessed at: RDAPCT rejects
unregistered status values (RCT -11000..-11003). Callers use ``unknown_statuses``
to raise an alert about such data instead of hiding it (SPEC STAT-03: surface, do
not silently fix).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

EPP_TO_RDAP: Mapping[str, str] = MappingProxyType(
    {
        # RFC 5731/5732 object statuses.
        "ok": "active",
        "linked": "associated",
        "inactive": "inactive",
        "pendingCreate": "pending create",
        "pendingDelete": "pending delete",
        "pendingRenew": "pending renew",
        "pendingTransfer": "pending transfer",
        "pendingUpdate": "pending update",
        "clientDeleteProhibited": "client delete prohibited",
        "clientHold": "client hold",
        "clientRenewProhibited": "client renew prohibited",
        "clientTransferProhibited": "client transfer prohibited",
        "clientUpdateProhibited": "client update prohibited",
        "serverDeleteProhibited": "server delete prohibited",
        "serverHold": "server hold",
        "serverRenewProhibited": "server renew prohibited",
        "serverTransferProhibited": "server transfer prohibited",
        "serverUpdateProhibited": "server update prohibited",
        # RFC 3915 grace-period (RGP) statuses.
        "addPeriod": "add period",
        "autoRenewPeriod": "auto renew period",
        "renewPeriod": "renew period",
        "transferPeriod": "transfer period",
        "redemptionPeriod": "redemption period",
        "pendingRestore": "pending restore",
    }
)
"""Every EPP token we publish, spelt as in the RFCs, with its RFC 8056 RDAP name."""

# EPP tokens are case-sensitive on the wire, but a replica column may have been
# loaded in another case; matching case-insensitively costs nothing and loses nothing.
_BY_FOLDED_TOKEN = MappingProxyType({token.casefold(): token for token in EPP_TO_RDAP})


def epp_token(token: str) -> str | None:
    """The canonical spelling of an EPP status token, or None if it is not one we know."""
    return _BY_FOLDED_TOKEN.get(token.strip().casefold())


def rdap_status(token: str) -> str | None:
    """The RDAP status for one EPP token, or None if the token is unknown."""
    canonical = epp_token(token)
    return None if canonical is None else EPP_TO_RDAP[canonical]


def rdap_statuses(epp: Iterable[str]) -> tuple[str, ...]:
    """RDAP statuses for EPP tokens: unique, sorted, unknown tokens skipped.

    Sorting makes the JSON identical however the rows were ordered (SPEC JSON-13).
    Pair with ``unknown_statuses`` to report what was skipped.
    """
    mapped = (rdap_status(token) for token in epp)
    return tuple(sorted({status for status in mapped if status is not None}))


def unknown_statuses(epp: Iterable[str]) -> tuple[str, ...]:
    """The tokens ``rdap_statuses`` skips, unique and sorted, for the caller to alert on."""
    return tuple(sorted({token for token in epp if epp_token(token) is None}))
