"""Plain values the query layer returns and the redaction policy produces.

The query layer builds the raw types (``Domain``, ``Contact``, ...) from rows in
exactly one module; redaction turns raw contacts into ``PublicContact`` values.
Renderers accept only the ``Public*`` types, so a raw contact cannot reach the wire
without passing through the disclosure policy (SPEC SEC-07).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Registrar:
    iana_id: int
    name: str
    url: str
    whois_server: str | None
    rdap_base_url: str | None
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str | None
    country_code: str
    phone: str | None
    fax: str | None
    email: str
    abuse_email: str
    abuse_phone: str
    created_at: datetime
    updated_at: datetime | None

    @property
    def is_registry_reserved(self) -> bool:
        """IANA IDs 9994-9999 are held by registries themselves (RDAPCT exempts them)."""
        return 9994 <= self.iana_id <= 9999


class DisclosableField(enum.StrEnum):
    """EPP contact disclose elements (RFC 5733 §2.9) a contact may consent to publish."""

    NAME = "name"
    ORG = "org"
    ADDR = "addr"
    VOICE = "voice"
    FAX = "fax"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Contact:
    """A registry contact as stored: personal data, never rendered directly."""

    roid: str
    name: str
    organisation: str | None
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str | None
    country_code: str
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    email: str
    disclose: frozenset[DisclosableField]


class ContactRole(enum.StrEnum):
    """Roles a contact holds on a domain, named as RDAP roles (RFC 9083 §10.2.4)."""

    REGISTRANT = "registrant"
    TECHNICAL = "technical"
    ADMINISTRATIVE = "administrative"
    BILLING = "billing"


@dataclass(frozen=True, slots=True)
class DsRecord:
    key_tag: int
    algorithm: int
    digest_type: int
    digest: str


@dataclass(frozen=True, slots=True)
class HostSummary:
    """A nameserver as embedded in a domain: enough for RDAP DOM-03 and WHOIS."""

    roid: str
    ldh_name: str
    unicode_name: str | None
    statuses: tuple[str, ...]
    addresses: tuple[IPv4Address | IPv6Address, ...]


@dataclass(frozen=True, slots=True)
class DomainRecord:
    """Everything about a domain that is not personal data: safe to render as is."""

    roid: str
    ldh_name: str
    unicode_name: str | None
    registrar: Registrar
    statuses: tuple[str, ...]
    created_at: datetime
    updated_at: datetime | None
    expires_at: datetime
    transferred_at: datetime | None
    ds_records: tuple[DsRecord, ...]
    nameservers: tuple[HostSummary, ...]
    eligibility_verified_at: datetime | None

    @property
    def has_ds_records(self) -> bool:
        return bool(self.ds_records)


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain as stored: its public record plus raw contacts by role."""

    record: DomainRecord
    contacts: tuple[tuple[ContactRole, Contact], ...]


@dataclass(frozen=True, slots=True)
class Nameserver:
    roid: str
    ldh_name: str
    unicode_name: str | None
    registrar: Registrar
    statuses: tuple[str, ...]
    addresses: tuple[IPv4Address | IPv6Address, ...]
    created_at: datetime
    updated_at: datetime | None
    is_linked: bool


@dataclass(frozen=True, slots=True)
class ReservedName:
    ldh_name: str
    reserved_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Lookup(Generic[T]):
    """A found object together with the replica's freshness at the time it was read."""

    value: T
    database_updated_at: datetime


@dataclass(frozen=True, slots=True)
class DomainAbsence:
    """Why a domain lookup found nothing: reserved (with the reservation) or simply absent."""

    reserved: ReservedName | None
    database_updated_at: datetime


# --- What redaction produces -------------------------------------------------


class RedactionMethod(enum.StrEnum):
    """RFC 9537 §3 methods we use."""

    REMOVAL = "removal"
    EMPTY_VALUE = "emptyValue"


class WithheldField(enum.StrEnum):
    """A contact datum the policy may withhold; values are the RP24 Appendix E stems."""

    ID = "ID"
    NAME = "Name"
    ORGANIZATION = "Organization"
    STREET = "Street"
    CITY = "City"
    POSTAL_CODE = "Postal Code"
    PHONE = "Phone"
    PHONE_EXT = "Phone Ext"
    FAX = "Fax"
    FAX_EXT = "Fax Ext"
    EMAIL = "Email"


@dataclass(frozen=True, slots=True)
class Withheld:
    """One datum the viewer did not get, with the reason (RFC 9537 `reason`)."""

    field: WithheldField
    reason: str


@dataclass(frozen=True, slots=True)
class PublicContact:
    """A contact as the viewer may see it: ``None`` (or empty) where withheld.

    ``withheld`` lists exactly the data that existed and was not disclosed, so
    renderers mark a redaction only where something was really held back.
    """

    role: ContactRole
    handle: str | None
    name: str | None
    organisation: str | None
    street: tuple[str, ...] | None
    city: str | None
    state_province: str | None
    postal_code: str | None
    country_code: str | None
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    email: str | None
    withheld: tuple[Withheld, ...]

    def is_withheld(self, field: WithheldField) -> bool:
        return any(item.field is field for item in self.withheld)


@dataclass(frozen=True, slots=True)
class PublicDomain:
    """A domain after disclosure policy: the only domain type renderers accept."""

    record: DomainRecord
    contacts: tuple[PublicContact, ...]
