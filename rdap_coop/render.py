"""Pure rendering of public registry values into RDAP JSON (RFC 9083, ICANN gTLD profile).

Every function returns plain dicts, lists, strings, ints and bools, built in a fixed
order so that the bytes the HTTP layer writes with orjson are the same for every
spelling of a query (SPEC JSON-13). Nothing here reads the clock, the environment or
the database: the request URL and the replica's freshness arrive in ``RenderContext``.

Profile duties met here: conformance strings (RFC 9083 §4.1; TIG24 §1.3; RP24 §1.2),
``self``/``related``/``about`` links (RFC 9083 §4.2; TIG §3.2; RP24 §2.4.6), the
required notices (TIG §3.3; RP §2.6.3, §2.10), events including "last update of RDAP
database" (RP §2.3.1.3, §3.3, §4.4), ``secureDNS`` (RP §2.10 2019), RFC 9537
``redacted`` (RP24 §2.7 and Appendix E) and RFC 9083 §6 error bodies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address

from rdap_coop.core.models import (
    ContactRole,
    DomainRecord,
    DsRecord,
    HostSummary,
    Nameserver,
    PublicContact,
    PublicDomain,
    Registrar,
)
from rdap_coop.core.statuses import rdap_statuses
from rdap_coop.render_entities import (
    HTML_MEDIA_TYPE,
    RDAP_MEDIA_TYPE,
    contact_entity,
    link,
    registrar_entity,
    self_link,
)
from rdap_coop.render_redacted import redacted_entries

RDAP_LEVEL_0 = "rdap_level_0"
PROFILE_CONFORMANCE = (
    RDAP_LEVEL_0,
    "icann_rdap_technical_implementation_guide_1",
    "icann_rdap_response_profile_1",
)
REDACTED_CONFORMANCE = "redacted"

STATUS_CODES_URL = "https://icann.org/epp"
INACCURACY_FORM_URL = "https://icann.org/wicf"

_CONTACT_ORDER = (ContactRole.REGISTRANT, ContactRole.TECHNICAL)


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a response needs beyond the object itself.

    ``request_url`` is the exact URL the client used: ICANN compares link and notice
    ``value`` members with it byte for byte (SPEC §14 point 4). ``database_updated_at``
    is the replica's freshness, required for lookups and unused by help and errors.
    ``show_unicode_name`` says the query was typed with U-labels: the queried object
    then carries ``unicodeName`` even when its name has no IDN label (RP §2.1,
    RCT -46101); IDNs carry ``unicodeName`` regardless.
    """

    base_url: str
    request_url: str
    port43: str | None
    tos_url: str
    database_updated_at: datetime | None
    show_unicode_name: bool = True
    # Operator limits to describe in /help (rate limit, personal-data quota).
    limits_description: tuple[str, ...] = ()
    # For authorised (non-public) viewers: the disclosure notice's lines (SPEC ACC-12,
    # RED-20). Empty for the public.
    disclosure_description: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Links are built as base_url + "domain/<name>" (RFC 9224 §3; SPEC EXT-50).
        if not self.base_url.endswith("/"):
            raise ValueError("base_url must end with '/'")


# --- Responses ---------------------------------------------------------------


def render_domain(domain: PublicDomain, ctx: RenderContext) -> dict[str, object]:
    """A domain lookup (RFC 9083 §5.3; RP24 §2)."""
    record = domain.record
    contacts = shown_contacts(domain.contacts)
    redacted = redacted_entries(contacts)
    document: dict[str, object] = {
        "rdapConformance": _conformance(redacted=bool(redacted)),
        "objectClassName": "domain",
        "handle": record.roid,
        "ldhName": record.ldh_name,
    }
    _put_unicode_name(document, record.ldh_name, record.unicode_name, ctx.show_unicode_name)
    document["links"] = _domain_links(record, ctx)
    document["status"] = list(rdap_statuses(record.statuses))
    _put_port43(document, ctx)
    document["events"] = _domain_events(record, ctx)
    document["secureDNS"] = _secure_dns(record.ds_records)
    document["nameservers"] = [
        _embedded_nameserver(host, ctx.base_url)
        for host in sorted(record.nameservers, key=lambda host: host.ldh_name)
    ]
    document["entities"] = [
        registrar_entity(record.registrar, ctx.base_url),
        *(contact_entity(contact) for contact in contacts),
    ]
    document["notices"] = [
        _tos_notice(ctx), _status_codes_notice(ctx), _inaccuracy_notice(ctx),
        *_disclosure_notice(ctx),
    ]
    if redacted:
        document["redacted"] = redacted
    return document


def render_nameserver(ns: Nameserver, ctx: RenderContext) -> dict[str, object]:
    """A nameserver lookup (RFC 9083 §5.2; RP §4)."""
    document: dict[str, object] = {
        "rdapConformance": _conformance(redacted=False),
        "objectClassName": "nameserver",
        "handle": ns.roid,
        "ldhName": ns.ldh_name,
    }
    _put_unicode_name(document, ns.ldh_name, ns.unicode_name, ctx.show_unicode_name)
    document["links"] = [self_link(f"{ctx.base_url}nameserver/{ns.ldh_name}", ctx.request_url)]
    document["status"] = list(rdap_statuses(_host_statuses(ns.statuses, ns.is_linked)))
    _put_ip_addresses(document, ns.addresses)
    _put_port43(document, ctx)
    document["events"] = _object_events(ns.created_at, ns.updated_at, ctx)
    document["entities"] = [registrar_entity(ns.registrar, ctx.base_url)]
    document["notices"] = [_tos_notice(ctx), *_disclosure_notice(ctx)]
    return document


def render_registrar(registrar: Registrar, ctx: RenderContext) -> dict[str, object]:
    """A registrar looked up as ``/entity/<IANA ID>`` (RP §3; SPEC GT-31)."""
    document: dict[str, object] = {"rdapConformance": _conformance(redacted=False)}
    document.update(registrar_entity(registrar, ctx.base_url, self_value=ctx.request_url))
    document["status"] = ["active"]
    _put_port43(document, ctx)
    document["events"] = _object_events(registrar.created_at, registrar.updated_at, ctx)
    document["notices"] = [_tos_notice(ctx), *_disclosure_notice(ctx)]
    return document


def render_help(ctx: RenderContext) -> dict[str, object]:
    """``/help`` (RFC 9083 §7; TIG24 §3.4): only ``rdapConformance`` and ``notices``."""
    return {
        "rdapConformance": _conformance(redacted=False),
        "notices": [_tos_notice(ctx), _help_notice(ctx.limits_description)],
    }


def render_error(status: int, title: str, description: Sequence[str]) -> dict[str, object]:
    """An RFC 9083 §6 error body; ``errorCode`` equals the HTTP status (RCT -12108)."""
    return {
        "rdapConformance": _conformance(redacted=False),
        "errorCode": status,
        "title": title,
        "description": list(description),
    }


def shown_contacts(contacts: Iterable[PublicContact]) -> tuple[PublicContact, ...]:
    """Registrant, then technical contact, at most one of each (SPEC CON-01).

    Administrative and billing contacts are never output (SPEC GT-27), whatever the
    caller passes in.
    """
    first_by_role: dict[ContactRole, PublicContact] = {}
    for contact in contacts:
        first_by_role.setdefault(contact.role, contact)
    return tuple(first_by_role[role] for role in _CONTACT_ORDER if role in first_by_role)


# --- Members -----------------------------------------------------------------


def _conformance(*, redacted: bool) -> list[str]:
    # Top level only (RFC 9083 §4.1); "redacted" exactly when RFC 9537 is used (RCT -62001).
    return [*PROFILE_CONFORMANCE, REDACTED_CONFORMANCE] if redacted else list(PROFILE_CONFORMANCE)


def _put_unicode_name(
    document: dict[str, object], ldh_name: str, unicode_name: str | None, queried_in_unicode: bool
) -> None:
    if unicode_name is not None:
        document["unicodeName"] = unicode_name
    elif queried_in_unicode:
        # An NR-LDH name is a valid unicodeName (RFC 9083 §3).
        document["unicodeName"] = ldh_name


def _put_port43(document: dict[str, object], ctx: RenderContext) -> None:
    # Only while WHOIS is operated (RFC 9083 §4.7; SPEC JSON-08).
    if ctx.port43 is not None:
        document["port43"] = ctx.port43


def _domain_links(record: DomainRecord, ctx: RenderContext) -> list[dict[str, object]]:
    links = [self_link(f"{ctx.base_url}domain/{record.ldh_name}", ctx.request_url)]
    registrar = record.registrar
    # TIG §3.2 (RCT -23200..-23202): refer to the registrar's own RDAP record of the
    # domain; IANA IDs 9994-9999 belong to registries and are exempt.
    if registrar.rdap_base_url is not None and not registrar.is_registry_reserved:
        base = registrar.rdap_base_url.removesuffix("/")
        links.append(link(value=ctx.request_url, rel="related",
                          href=f"{base}/domain/{record.ldh_name}", media_type=RDAP_MEDIA_TYPE))
    return links


def _embedded_nameserver(host: HostSummary, base_url: str) -> dict[str, object]:
    """A nameserver inside a domain (RP §2.9): handle and status on every one (DOM-03)."""
    nameserver: dict[str, object] = {
        "objectClassName": "nameserver",
        "handle": host.roid,
        "ldhName": host.ldh_name,
    }
    _put_unicode_name(nameserver, host.ldh_name, host.unicode_name, queried_in_unicode=False)
    nameserver["links"] = [self_link(f"{base_url}nameserver/{host.ldh_name}")]
    # A host delegated to by this domain is linked by definition (RFC 5732 §2.3).
    nameserver["status"] = list(rdap_statuses(_host_statuses(host.statuses, is_linked=True)))
    _put_ip_addresses(nameserver, host.addresses)
    return nameserver


def _host_statuses(statuses: tuple[str, ...], is_linked: bool) -> tuple[str, ...]:
    return (*statuses, "linked") if is_linked else statuses


def _put_ip_addresses(
    document: dict[str, object], addresses: Iterable[IPv4Address | IPv6Address]
) -> None:
    """``ipAddresses`` for hosts with glue; str() gives dotted quads and RFC 5952 text."""
    v4 = sorted(address for address in addresses if isinstance(address, IPv4Address))
    v6 = sorted(address for address in addresses if isinstance(address, IPv6Address))
    families: dict[str, object] = {}
    if v4:
        families["v4"] = [str(address) for address in v4]
    if v6:
        families["v6"] = [str(address) for address in v6]
    if families:
        document["ipAddresses"] = families


def _secure_dns(ds_records: tuple[DsRecord, ...]) -> dict[str, object]:
    """Always present (RP §2.10 2019; RCT -46800); ``dsData`` whenever the zone is signed."""
    secure_dns: dict[str, object] = {"delegationSigned": bool(ds_records)}
    if ds_records:
        ordered = sorted(ds_records, key=lambda ds: (ds.key_tag, ds.algorithm,
                                                     ds.digest_type, ds.digest))
        secure_dns["dsData"] = [
            {"keyTag": ds.key_tag, "algorithm": ds.algorithm,
             "digestType": ds.digest_type, "digest": ds.digest}
            for ds in ordered
        ]
    return secure_dns


# --- Events ------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: UTC, whole seconds (RFC 3339; SPEC §14 point 16).

    Raises ValueError for a naive datetime, whose zone would be a guess.
    """
    if moment.utcoffset() is None:
        raise ValueError("naive datetime: cannot place it in UTC")
    # isoformat, unlike strftime("%Y"), always writes four year digits.
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _event(action: str, moment: datetime) -> dict[str, object]:
    return {"eventAction": action, "eventDate": rfc3339(moment)}


def _domain_events(record: DomainRecord, ctx: RenderContext) -> list[dict[str, object]]:
    # One event per action (RFC 9083 §4.5); "last changed" only after an update
    # and "transfer" only after a transfer (SPEC §14 point 8).
    events = [_event("registration", record.created_at), _event("expiration", record.expires_at)]
    if record.updated_at is not None:
        events.append(_event("last changed", record.updated_at))
    if record.transferred_at is not None:
        events.append(_event("transfer", record.transferred_at))
    events.append(_database_event(ctx))
    return events


def _object_events(
    created_at: datetime, updated_at: datetime | None, ctx: RenderContext
) -> list[dict[str, object]]:
    events = [_event("registration", created_at)]
    if updated_at is not None:
        events.append(_event("last changed", updated_at))
    events.append(_database_event(ctx))
    return events


def _database_event(ctx: RenderContext) -> dict[str, object]:
    """The replica's freshness, never the request time (RP §2.3.1.3, §3.3, §4.4; RCT -43100)."""
    if ctx.database_updated_at is None:
        raise ValueError("a lookup needs database_updated_at for its last-update event")
    return _event("last update of RDAP database", ctx.database_updated_at)


# --- Notices -----------------------------------------------------------------


def search_notices(ctx: RenderContext, *, truncated: bool) -> list[dict[str, object]]:
    """Notices of a search response; a capped result set says so (RFC 9083 §9)."""
    notices = [_tos_notice(ctx), *_disclosure_notice(ctx)]
    if truncated:
        notices.append({
            "title": "Search Policy",
            "type": "result set truncated due to excessive load",
            "description": ["The result set was limited by the server; refine the search."],
        })
    return notices


def _disclosure_notice(ctx: RenderContext) -> list[dict[str, object]]:
    """Non-public answers say so, and for what purpose (RED-20, ACC-12)."""
    if not ctx.disclosure_description:
        return []
    return [{
        "title": "Authorized Disclosure of Non-Public Data",
        "description": list(ctx.disclosure_description),
    }]


def _tos_notice(ctx: RenderContext) -> dict[str, object]:
    """On every 200 response (TIG24 §3.3; RCT -61200..-61202)."""
    return {
        "title": "Terms of Use",
        "description": [
            "Registration data of the .coop top-level domain is provided for lawful "
            "purposes only.",
            "Use of this service is subject to the terms of use linked below.",
        ],
        "links": [link(value=ctx.request_url, rel="terms-of-service", href=ctx.tos_url,
                       media_type=HTML_MEDIA_TYPE)],
    }


def _status_codes_notice(ctx: RenderContext) -> dict[str, object]:
    """RP §2.6.3 (RCT -46601..-46606): the exact text and link ICANN checks."""
    return {
        "title": "Status Codes",
        "description": [
            f"For more information on domain status codes, please visit {STATUS_CODES_URL}"
        ],
        "links": [link(value=ctx.request_url, rel="glossary", href=STATUS_CODES_URL,
                       media_type=HTML_MEDIA_TYPE)],
    }


def _inaccuracy_notice(ctx: RenderContext) -> dict[str, object]:
    """RP24 §2.10 (RCT -46701..-46706): the exact text and link ICANN checks."""
    return {
        "title": "RDDS Inaccuracy Complaint Form",
        "description": [f"URL of the ICANN RDDS Inaccuracy Complaint Form: {INACCURACY_FORM_URL}"],
        "links": [link(value=ctx.request_url, rel="help", href=INACCURACY_FORM_URL,
                       media_type=HTML_MEDIA_TYPE)],
    }


def _help_notice(limits_description: tuple[str, ...]) -> dict[str, object]:
    """What /help should describe (SPEC HLP-01): lookups, searches, limits, redaction.

    No angle brackets in fixed text: RDAPCT flags any "<...script...>" span on the
    single-line response as executable code (RP §1.2.2; RCT -40100), and "description"
    contains "script".
    """
    return {
        "title": "Supported Queries",
        "description": [
            "This is the RDAP service of the .coop registry (RFC 9082, RFC 9083).",
            "Domain lookups: domain/ followed by a name registered directly under .coop, "
            "given as A-labels or U-labels.",
            "Nameserver lookups: nameserver/ followed by the host name.",
            "Registrar lookups: entity/ followed by the registrar's IANA Registrar ID.",
            "Searches: domains?name=, nsLdhName= or nsIp=; nameservers?name= or ip=; "
            "entities?fn= or handle= (registrars); with paging (cursor, count), sorting "
            "(sort) and field sets (fieldSet=id, brief or full). ip/ and autnum/ queries "
            "are not served by a domain registry and return 501.",
            "Contact data is redacted following the ICANN Registration Data Policy; see the "
            "redacted member of each response (RFC 9537).",
            "Requests are rate limited per client; over the limit the reply is 429 with "
            "Retry-After.",
            *limits_description,
            "Accredited registrars, UDRP providers and law enforcement authenticate with a "
            "bearer token issued per organisation by the registry (Authorization: Bearer; "
            "not RFC 9560 OpenID Connect), state a query purpose in roidc1_qp (registrars "
            "and UDRP providers: domainNameControl; law enforcement: "
            "criminalInvestigationAndDNSAbuse or legalActions) and may give a caseReference. "
            "Every such answer is recorded in an audit log.",
            "Reverse search (RFC 9536): domains/reverse_search/entity?fn=, email= or handle= "
            "(optionally role=registrant or technical), exact matches, for law enforcement "
            "only.",
        ],
    }
