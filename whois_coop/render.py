"""Pure rendering of public registry values into WHOIS text (RFC 3912; Spec 4 §1.4-1.7).

Records follow the ICANN registry format as clarified by the RDDS advisory: one
``Key: value`` per line, keys spelt and ordered as in Spec 4, repeated keys for
multi-valued data, then the last-update line and the disclaimer (SPEC WHO-10..WHO-18).
Every reply is a ``str`` of CRLF-terminated lines; the server encodes it as UTF-8.

Layout rules, the same for every record:

- Each key of a record is always printed, in a fixed order. A repeatable key
  (``Domain Status``, ``Registrant Street``, ``Name Server``, ``IP Address``,
  ``Street``) prints once per value, or once with an empty value when there is none,
  so a parser meets the same keys for every object (SPEC WHO-11).
- An absent datum prints the bare key (``Registrant Fax:``); a datum the disclosure
  policy withheld prints ``REDACTED FOR PRIVACY`` (an email, the pointer to the
  registrar's RDDS), and only then (SPEC WHO-18). ``PublicContact.withheld`` decides
  which is which, so WHOIS marks exactly what RDAP marks in ``redacted`` (RED-13).
- Domain and host names are A-labels in upper case, as in the Spec 4 examples; an
  IDN adds the extra field ``Internationalized Domain Name`` with its U-label form
  after the Spec 4 fields (WHO-06, WHO-11).
- Statuses are EPP tokens, unique and sorted; a token the registry does not know is
  skipped, as RDAP skips it (SPEC STAT-04, WHO-20).

This module never decides what a viewer may see: it accepts only ``PublicDomain``,
the output of the disclosure policy, and prints what it is given.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from types import MappingProxyType

from rdap_coop.core.models import (
    ContactRole,
    DomainRecord,
    HostSummary,
    Nameserver,
    PublicContact,
    PublicDomain,
    Registrar,
    WithheldField,
)
from rdap_coop.core.statuses import epp_token
from rdap_coop.core.wording import RESERVED_NAME_TEXT
from whois_coop.render_text import (
    EMAIL_REDACTED_VALUE,
    INACCURACY_FORM_LINE,
    REDACTED_VALUE,
    dns_name,
    field_line,
    footer_lines,
    join_lines,
    optional_timestamp,
    repeated_lines,
    sanitise,
    utc_timestamp,
)

STATUS_URL_PREFIX = "https://icann.org/epp#"

NOT_FOUND_TEMPLATE = 'No match for "{query}".'
"""The first line of a reply for a valid query that matched nothing (SPEC WHO-19)."""

RESERVED_TEMPLATE = 'No match for "{query}". ' + RESERVED_NAME_TEXT
"""A reserved name: still "No match" for parsers, plus the sentence RDAP's 404 carries."""


class Failure(enum.Enum):
    """Why a connection gets one fixed line instead of an answer."""

    INVALID_QUERY = "invalid query"
    RATE_LIMITED = "rate limited"
    UNAVAILABLE = "temporarily unavailable"
    TOO_MANY = "too many connections"
    TOO_LONG = "query too long"
    TIMEOUT = "timeout"
    INTERNAL = "internal error"


INVALID_QUERY_LINE = 'Invalid query. Send "help" for the supported queries.'
RATE_LIMITED_LINE = "Query limit exceeded; try again later."
UNAVAILABLE_LINE = "The service is temporarily unavailable; try again later."
TOO_MANY_CONNECTIONS_LINE = "Too many connections; try again later."
QUERY_TOO_LONG_LINE = "Query too long. Send one name, IP address or registrar per connection."
TIMEOUT_LINE = "Timeout: no complete query line was received in time."
INTERNAL_ERROR_LINE = "Internal error; try again later."

FAILURE_LINES: Mapping[Failure, str] = MappingProxyType(
    {
        Failure.INVALID_QUERY: INVALID_QUERY_LINE,
        Failure.RATE_LIMITED: RATE_LIMITED_LINE,
        Failure.UNAVAILABLE: UNAVAILABLE_LINE,
        Failure.TOO_MANY: TOO_MANY_CONNECTIONS_LINE,
        Failure.TOO_LONG: QUERY_TOO_LONG_LINE,
        Failure.TIMEOUT: TIMEOUT_LINE,
        Failure.INTERNAL: INTERNAL_ERROR_LINE,
    }
)
"""Fixed text only: a failure line never echoes the query (WHO-04; RFC 3912 §5)."""

HELP_LINES = (
    "This is the WHOIS service of the .coop registry (RFC 3912).",
    "Send one query line per connection; the server replies, then closes the connection.",
    "Queries (keywords are case-insensitive):",
    "  example.coop                    a domain, as A-labels or U-labels",
    "  domain example.coop             the same, with the keyword",
    "  ns1.example.coop                a name server: a host name below a .coop domain",
    "  nameserver ns1.example.coop     the same, with the keyword",
    "  192.0.2.53  or  2001:db8::53    the name servers with that IPv4 or IPv6 address",
    "  nameserver 192.0.2.53           the same, with the keyword",
    "  1234  or  registrar 1234        a registrar by IANA Registrar ID",
    "  registrar Example Registrar     a registrar by name",
    "  help  or  ?                     this text",
    "Contact data is redacted following the ICANN Registration Data Policy.",
    "Queries are rate limited per client address, together with the RDAP service.",
)


# --- Domain ------------------------------------------------------------------


def render_domain(domain: PublicDomain, database_updated_at: datetime) -> str:
    """A domain record (Spec 4 §1.5; SPEC WHO-12, WHO-13)."""
    record = domain.record
    lines = [
        *_domain_registry_lines(record),
        *_status_lines(record.statuses),
        *_registrant_lines(_contact(domain.contacts, ContactRole.REGISTRANT)),
        *_tech_lines(_contact(domain.contacts, ContactRole.TECHNICAL)),
        *repeated_lines("Name Server", _host_names(record.nameservers)),
        field_line("DNSSEC", "signedDelegation" if record.has_ds_records else "unsigned"),
        *_idn_lines(record),
        INACCURACY_FORM_LINE,
        *footer_lines(database_updated_at, explain_statuses=True),
    ]
    return join_lines(lines)


def _domain_registry_lines(record: DomainRecord) -> list[str]:
    registrar = record.registrar
    return [
        field_line("Domain Name", dns_name(record.ldh_name)),
        field_line("Registry Domain ID", record.roid),
        field_line("Registrar WHOIS Server", registrar.whois_server),
        field_line("Registrar URL", registrar.url),
        # Empty until the first update, as RDAP has no "last changed" event (WHO-20).
        field_line("Updated Date", optional_timestamp(record.updated_at)),
        field_line("Creation Date", utc_timestamp(record.created_at)),
        field_line("Registry Expiry Date", utc_timestamp(record.expires_at)),
        field_line("Registrar", registrar.name),
        field_line("Registrar IANA ID", str(registrar.iana_id)),
        field_line("Registrar Abuse Contact Email", registrar.abuse_email),
        field_line("Registrar Abuse Contact Phone", registrar.abuse_phone),
    ]


def _status_lines(statuses: Iterable[str]) -> list[str]:
    # EPP token and its ICANN explanation URL (Spec 4 §1.5; SPEC WHO-12, STAT-04).
    tokens = sorted({token for token in map(epp_token, statuses) if token is not None})
    return repeated_lines("Domain Status", (f"{t} {STATUS_URL_PREFIX}{t}" for t in tokens))


def _idn_lines(record: DomainRecord) -> list[str]:
    # Not a Spec 4 key: an additional field, after the standard ones (SPEC WHO-11).
    if record.unicode_name is None or record.unicode_name == record.ldh_name:
        return []
    return [field_line("Internationalized Domain Name", record.unicode_name)]


def _host_names(hosts: Iterable[HostSummary]) -> list[str]:
    # The order RDAP lists them in (WHO-20).
    return [dns_name(host.ldh_name) for host in sorted(hosts, key=lambda host: host.ldh_name)]


# --- Contacts ----------------------------------------------------------------


def _contact(contacts: Iterable[PublicContact], role: ContactRole) -> PublicContact:
    """The first contact holding ``role``, as RDAP shows it, or one with no data at all."""
    for contact in contacts:
        if contact.role is role:
            return contact
    return PublicContact(
        role=role, handle=None, name=None, organisation=None, street=None, city=None,
        state_province=None, postal_code=None, country_code=None, voice=None, voice_ext=None,
        fax=None, fax_ext=None, email=None, withheld=(),
    )


def _contact_line(
    key: str, contact: PublicContact, field: WithheldField, value: str | None
) -> str:
    if contact.is_withheld(field):
        # Withheld wins over a value: the policy's list is the single truth (RED-13).
        shown = EMAIL_REDACTED_VALUE if field is WithheldField.EMAIL else REDACTED_VALUE
        return field_line(key, shown)
    return field_line(key, value)


def _registrant_lines(contact: PublicContact) -> list[str]:
    street = (
        [field_line("Registrant Street", REDACTED_VALUE)]
        if contact.is_withheld(WithheldField.STREET)
        else repeated_lines("Registrant Street", contact.street or ())
    )
    return [
        _contact_line("Registry Registrant ID", contact, WithheldField.ID, contact.handle),
        _contact_line("Registrant Name", contact, WithheldField.NAME, contact.name),
        _contact_line(
            "Registrant Organization", contact, WithheldField.ORGANIZATION, contact.organisation
        ),
        *street,
        _contact_line("Registrant City", contact, WithheldField.CITY, contact.city),
        # State/Province and Country are never redacted (RDP §9.1; SPEC RED-01, WHO-18).
        field_line("Registrant State/Province", contact.state_province),
        _contact_line(
            "Registrant Postal Code", contact, WithheldField.POSTAL_CODE, contact.postal_code
        ),
        field_line("Registrant Country", contact.country_code),
        *_phone_lines("Registrant", contact),
        _contact_line("Registrant Fax", contact, WithheldField.FAX, contact.fax),
        _contact_line("Registrant Fax Ext", contact, WithheldField.FAX_EXT, contact.fax_ext),
        _contact_line("Registrant Email", contact, WithheldField.EMAIL, contact.email),
    ]


def _tech_lines(contact: PublicContact) -> list[str]:
    # The Registration Data Policy keeps only ID, name, phone and email for the
    # technical contact; the admin block is not collected at all (SPEC WHO-12).
    return [
        _contact_line("Registry Tech ID", contact, WithheldField.ID, contact.handle),
        _contact_line("Tech Name", contact, WithheldField.NAME, contact.name),
        *_phone_lines("Tech", contact),
        _contact_line("Tech Email", contact, WithheldField.EMAIL, contact.email),
    ]


def _phone_lines(label: str, contact: PublicContact) -> list[str]:
    # E.164a as stored, the extension in its own key (Spec 4 §1.5; SPEC WHO-14).
    return [
        _contact_line(f"{label} Phone", contact, WithheldField.PHONE, contact.voice),
        _contact_line(f"{label} Phone Ext", contact, WithheldField.PHONE_EXT, contact.voice_ext),
    ]


# --- Nameservers and registrars ------------------------------------------------


def render_nameservers(hosts: Sequence[Nameserver], database_updated_at: datetime) -> str:
    """Host records (Spec 4 §1.6; SPEC WHO-15), separated by a blank line.

    A query by IP address may match several hosts; they share one last-update line
    and disclaimer, after the last record. Raises ValueError for no hosts: that reply
    is ``render_not_found``.
    """
    if not hosts:
        raise ValueError("render_nameservers needs at least one host")
    lines: list[str] = []
    for host in hosts:
        if lines:
            lines.append("")
        lines += _nameserver_lines(host)
    return join_lines([*lines, *footer_lines(database_updated_at)])


def _nameserver_lines(host: Nameserver) -> list[str]:
    registrar = host.registrar
    return [
        field_line("Server Name", dns_name(host.ldh_name)),
        *repeated_lines("IP Address", _ip_texts(host.addresses)),
        field_line("Registrar", registrar.name),
        field_line("Registrar WHOIS Server", registrar.whois_server),
        field_line("Registrar URL", registrar.url),
    ]


def _ip_texts(addresses: Iterable[IPv4Address | IPv6Address]) -> list[str]:
    """IPv4 then IPv6, each sorted; str() gives dotted quads and RFC 5952 text (§14.17)."""
    v4 = sorted(address for address in addresses if isinstance(address, IPv4Address))
    v6 = sorted(address for address in addresses if isinstance(address, IPv6Address))
    return [str(address) for address in (*v4, *v6)]


def render_registrar(registrar: Registrar, database_updated_at: datetime) -> str:
    """A registrar record (Spec 4 §1.7; SPEC WHO-16).

    Our model holds no registrar admin or technical contacts, so those blocks are
    left out. The IANA ID and the abuse contact, which RDAP's registrar entity
    carries, follow the Spec 4 keys as additional fields (WHO-11, WHO-20).
    """
    lines = [
        field_line("Registrar", registrar.name),
        *repeated_lines("Street", registrar.street),
        field_line("City", registrar.city),
        field_line("State/Province", registrar.state_province),
        field_line("Postal Code", registrar.postal_code),
        field_line("Country", registrar.country_code),
        field_line("Phone Number", registrar.phone),
        field_line("Fax Number", registrar.fax),
        field_line("Email", registrar.email),
        field_line("Registrar WHOIS Server", registrar.whois_server),
        field_line("Registrar URL", registrar.url),
        field_line("Registrar IANA ID", str(registrar.iana_id)),
        field_line("Registrar Abuse Contact Email", registrar.abuse_email),
        field_line("Registrar Abuse Contact Phone", registrar.abuse_phone),
    ]
    return join_lines([*lines, *footer_lines(database_updated_at)])


# --- Help, absence and failures ------------------------------------------------


def render_help(database_updated_at: datetime | None) -> str:
    """The reply to ``help``; the last-update line only when the freshness is known."""
    return join_lines([*HELP_LINES, *footer_lines(database_updated_at)])


def render_not_found(query_text: str, database_updated_at: datetime | None) -> str:
    """``No match for "EXAMPLE.COOP".``, the last-update line when known, the disclaimer.

    ``query_text`` is the canonical form the parser produced (a name, an address or a
    registrar ID); it is sanitised all the same, as it echoes client input (WHO-03).
    """
    line = NOT_FOUND_TEMPLATE.format(query=_query_echo(query_text))
    return join_lines([line, *footer_lines(database_updated_at)])


def render_reserved(name: str, database_updated_at: datetime | None) -> str:
    """A name reserved by the sponsor: "No match", saying why, as the RDAP 404 does.

    Reservations are public policy of the .coop agreement, so the reply discloses
    them (SPEC WHO-19 allows it); the "No match" prefix keeps clients that test for
    it treating the name as unregistered, which it is.
    """
    line = RESERVED_TEMPLATE.format(query=_query_echo(name))
    return join_lines([line, *footer_lines(database_updated_at)])


def render_failure_line(kind: Failure) -> str:
    """One fixed line, CRLF-terminated; the server sends it and closes (WHO-04, WHO-19)."""
    return join_lines([FAILURE_LINES[kind]])


def _query_echo(query_text: str) -> str:
    """Names in upper case like ``Domain Name``; IP addresses in RFC 5952 form."""
    text = sanitise(query_text)
    try:
        return str(ip_address(text))
    except ValueError:
        return dns_name(text)
