"""Accredited clients: the clients file, bearer-token authentication and query purposes.

The clients file is TOML. Each ``[[client]]`` table names one accredited client;
each ``[[whois_allow]]`` table lets one address range see a tier's data over WHOIS,
which has no way to carry a credential. Only the SHA-256 hash of a token is stored,
never the token itself::

    [[client]]
    id = "c-3f9a1b2c4d5e"                   # [A-Za-z0-9._-]{1,64}, unique
    organisation = "WIPO Arbitration and Mediation Center"
    tier = "udrp_provider"                  # registrar | udrp_provider | law_enforcement
    registrar_id = 1234                     # IANA Registrar ID: required iff tier = "registrar"
    token_sha256 = "<64 lowercase hex>"     # hash_token(token); unique
    networks = ["192.0.2.0/24"]             # optional; absent or [] means any address
    expires = 2027-12-31T00:00:00Z          # optional; a date-time with an offset
    revoked = false                         # optional
    rate_limit_burst = 1000                 # optional override of the authenticated budget
    rate_limit_per_second = 50.0            # optional override
    created = 2026-11-29T12:00:00Z          # required

    [[whois_allow]]
    network = "198.51.100.0/24"             # allow-listed ranges must not overlap
    tier = "law_enforcement"                # and registrar_id iff tier = "registrar"
    organisation = "Example Police Cyber Unit"
    purpose = "criminalInvestigationAndDNSAbuse"  # WHOIS cannot state a purpose, so the
                                            # range has one: required iff the tier has several

Unknown tables or keys are errors, so a misspelt ``revoked`` cannot leave a client
enabled. A request without an ``Authorization`` header is public; a header that is
present but names no valid client fails, never falling back to public or broader data
(SPEC ACC-11). Tokens are compared in constant time and never appear in a log, an
exception or a ``repr``.

Query purposes (the ``roidc1_qp`` query parameter) are values of the IANA "RDAP
Query Purpose Values" registry that RFC 9560 created.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import NewType

from rdap_coop.core.config import IPNetwork
from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.redaction import AccessTier, Viewer

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


CaseReference = NewType("CaseReference", str)


# The IANA "RDAP Query Purpose Values" registry, as RFC 9560 created it.
KNOWN_PURPOSES: frozenset[str] = frozenset({
    "domainNameControl", "personalDataProtection", "technicalIssueResolution",
    "domainNameCertification", "individualInternetUse", "businessDomainNamePurchaseOrSale",
    "academicPublicInterestDNSResearch", "legalActions", "regulatoryAndContractEnforcement",
    "criminalInvestigationAndDNSAbuse", "dnsTransparency",
})


PURPOSES_BY_TIER: Mapping[AccessTier, frozenset[str]] = MappingProxyType({
    AccessTier.REGISTRAR: frozenset({"domainNameControl"}),
    AccessTier.UDRP_PROVIDER: frozenset({"domainNameControl"}),
    AccessTier.LAW_ENFORCEMENT: frozenset({"criminalInvestigationAndDNSAbuse", "legalActions"}),
})


SHA256_HEX = re.compile(r"[0-9a-f]{64}")


_CASE_REFERENCE = re.compile(r"[A-Za-z0-9._/:-]{1,64}")


class ClientsFileError(ValueError):
    """The clients file is missing or invalid; the message names the entry and field."""


class AuthFailure(enum.StrEnum):
    """Why a presented credential was refused: for audit and metrics, not for the client."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WRONG_ADDRESS = "wrong_address"


class AuthenticationFailed(Exception):
    """A credential was presented and refused (401); never carries the credential."""

    def __init__(self, reason: AuthFailure) -> None:
        super().__init__(f"authentication failed: {reason.value}")
        self.reason = reason


class UnknownPurpose(InvalidQuery):
    """``roidc1_qp`` is not a registered RDAP query purpose (400)."""


class PurposeRequired(InvalidQuery):
    """No purpose was stated and the client's tier has no single default (400)."""


class InvalidCaseReference(InvalidQuery):
    """The case reference is not 1-64 characters of ``[A-Za-z0-9._/:-]`` (400)."""


class PurposeNotAllowed(Exception):
    """A registered purpose the client's tier is not entitled to (403)."""


@dataclass(frozen=True, slots=True)
class AccreditedClient:
    client_id: str
    organisation: str
    tier: AccessTier
    registrar_id: int | None
    token_sha256: str = field(repr=False)
    networks: tuple[IPNetwork, ...]
    expires_at: datetime | None
    revoked: bool
    rate_limit_burst: int | None
    rate_limit_per_second: float | None
    created_at: datetime

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.tier, self.registrar_id)


@dataclass(frozen=True, slots=True)
class WhoisAllowance:
    network: IPNetwork
    tier: AccessTier
    organisation: str
    registrar_id: int | None
    purpose: str

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.tier, self.registrar_id)

    @property
    def client_id(self) -> str:
        """The identity the audit log records for WHOIS answers to this range."""
        return f"whois-allow:{self.network}"


@dataclass(frozen=True, slots=True)
class ClientsConfig:
    clients: tuple[AccreditedClient, ...] = ()
    whois_allowances: tuple[WhoisAllowance, ...] = ()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def resolve_purpose(tier: AccessTier, requested: str | None) -> str:
    """The purpose a request runs under; an empty ``requested`` counts as none."""
    entitled = PURPOSES_BY_TIER.get(tier, frozenset())
    if not requested:
        if len(entitled) == 1:
            return next(iter(entitled))
        raise PurposeRequired("A query purpose (roidc1_qp) is required for this client")
    if requested not in KNOWN_PURPOSES:
        raise UnknownPurpose("The query purpose (roidc1_qp) is not a registered RDAP purpose")
    if requested not in entitled:
        raise PurposeNotAllowed("This client is not entitled to the stated query purpose")
    return requested


def parse_case_reference(raw: str | None) -> CaseReference | None:
    """A dispute or case number as sent; ``None`` or empty means no reference."""
    if not raw:
        return None
    if _CASE_REFERENCE.fullmatch(raw) is None:
        raise InvalidCaseReference("The case reference must be 1-64 of A-Z a-z 0-9 . _ / : -")
    return CaseReference(raw)
