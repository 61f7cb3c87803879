"""RDAP entity objects: the sponsoring registrar, its abuse contact, and domain contacts.

Pure functions from model values to JSON-ready dicts (RFC 9083 §5.1), with vCards
as jCard (RFC 7095). The registrar follows ICANN's response profile (RP24 §2.4,
§3.1; SPEC §4.3); contacts are rendered only from ``PublicContact``, the output of
the disclosure policy, so this module never decides what a viewer may see: it
shows what it is given and leaves withheld values blank or absent as RP24
Appendix E prescribes (SPEC §8.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rdap_coop.core.models import ContactRole, PublicContact, Registrar, WithheldField
from rdap_coop.core.wording import EMAIL_REDACTED_TEXT

RDAP_MEDIA_TYPE = "application/rdap+json"
HTML_MEDIA_TYPE = "text/html"

VCARD_FIELDS_BY_ROLE: Mapping[ContactRole, frozenset[WithheldField]] = MappingProxyType(
    {
        ContactRole.REGISTRANT: frozenset(WithheldField),
        # The Registration Data Policy keeps only ID, name, phone and email for the
        # technical contact, and RP24 Appendix E defines redactions for nothing else.
        ContactRole.TECHNICAL: frozenset(
            {
                WithheldField.ID,
                WithheldField.NAME,
                WithheldField.PHONE,
                WithheldField.PHONE_EXT,
                WithheldField.EMAIL,
            }
        ),
    }
)
"""The contact data each shown role carries; roles missing here are never rendered (GT-27)."""

def link(*, value: str, rel: str, href: str, media_type: str) -> dict[str, object]:
    """An RFC 9083 §4.2 link; ``value`` is the context URI, which ICANN checks closely."""
    return {"value": value, "rel": rel, "href": href, "type": media_type}


def self_link(href: str, value: str | None = None) -> dict[str, object]:
    """A ``self`` link; ``value`` defaults to ``href`` for nested objects."""
    return link(value=href if value is None else value, rel="self", href=href,
                media_type=RDAP_MEDIA_TYPE)


def tel_uri(number: str, extension: str | None = None) -> str:
    """An RFC 3966 ``tel:`` URI from an E.164a number such as ``+44.1612345678`` (TIG §7.1)."""
    uri = f"tel:{number}"
    return f"{uri};ext={extension}" if extension else uri


def registrar_href(registrar: Registrar, base_url: str) -> str:
    return f"{base_url}entity/{registrar.iana_id}"


def registrar_entity(
    registrar: Registrar, base_url: str, self_value: str | None = None
) -> dict[str, object]:
    """The registrar entity (RP24 §2.4, §3.1): handle and publicIds are the IANA ID.

    ``self_value`` is the request URL when this entity is the top object of the
    response; nested copies link to themselves.
    """
    href = registrar_href(registrar, base_url)
    iana_id = str(registrar.iana_id)
    return {
        "objectClassName": "entity",
        "handle": iana_id,
        "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": iana_id}],
        "vcardArray": _registrar_vcard(registrar),
        "entities": [_abuse_entity(registrar)],
        "links": [self_link(href, self_value), _about_link(registrar, base_url)],
    }


def _about_link(registrar: Registrar, base_url: str) -> dict[str, object]:
    """RP24 §2.4.6: ``value`` is the registrar's RDAP base URL from IANA's registrar
    registry (RCT -47701/-47702), ``href`` its web site (RCT -47703).

    A registrar IANA lists no RDAP service for -- chiefly the registry-reserved IDs
    9994-9999 -- is reached through this registry's own RDAP service, so ``value``
    falls back to our base URL rather than dropping the required link (RCT -47700).
    """
    return link(
        value=registrar.rdap_base_url or base_url,
        rel="about",
        href=registrar.url,
        media_type=HTML_MEDIA_TYPE,
    )


def _registrar_vcard(registrar: Registrar) -> list[object]:
    # A registrar lookup needs fn, adr, tel and email (RP24 §3.1; RCT -60101).
    properties: list[list[object]] = [
        _text("fn", registrar.name),
        _adr(
            registrar.country_code,
            _registrar_street(registrar.street),
            registrar.city,
            registrar.state_province,
            registrar.postal_code,
        ),
    ]
    if registrar.phone:
        properties.append(_tel("voice", tel_uri(registrar.phone)))
    if registrar.fax:
        properties.append(_tel("fax", tel_uri(registrar.fax)))
    properties.append(_text("email", registrar.email))
    return _jcard(properties)


def _registrar_street(lines: tuple[str, ...]) -> str | list[str]:
    # One line as a plain string: RDAPCT's registrar-lookup check reads the street
    # component as a string (RP §3.1); jCard allows both forms (RFC 7095 §3.3.1.3).
    if len(lines) == 1:
        return lines[0]
    return list(lines) if lines else ""


def _abuse_entity(registrar: Registrar) -> dict[str, object]:
    """RP24 §2.4.5: the registrar's abuse contact, with voice tel and email (RCT -47500)."""
    return {
        "objectClassName": "entity",
        "roles": ["abuse"],
        "vcardArray": _jcard(
            [
                _text("fn", "Abuse Contact"),
                _tel("voice", tel_uri(registrar.abuse_phone)),
                _text("email", registrar.abuse_email),
            ]
        ),
    }


def is_rendered_role(role: ContactRole) -> bool:
    return role in VCARD_FIELDS_BY_ROLE


def contact_entity(contact: PublicContact) -> dict[str, object]:
    """A domain contact (RP24 §2.7) from what the disclosure policy let through.

    No ``self`` link: contact entities are not served at ``/entity/<handle>`` to the
    public, and a link to a 404 would only invite errors. Raises ValueError for a role
    that is never shown (administrative, billing).
    """
    if not is_rendered_role(contact.role):
        raise ValueError(f"{contact.role.value} contacts are not published")
    entity: dict[str, object] = {"objectClassName": "entity"}
    if contact.handle is not None:
        entity["handle"] = contact.handle
    entity["roles"] = [contact.role.value]
    entity["vcardArray"] = _jcard(_contact_properties(contact))
    if contact.is_withheld(WithheldField.EMAIL):
        entity["remarks"] = [_email_redacted_remark()]
    return entity


def _email_redacted_remark() -> dict[str, object]:
    # RDAPCT's registry-mode check of a removed email (RP24 §2.7.5; RCT -65400) is met by
    # the `redacted` entry; this remark tells a human where to go instead (SPEC RED-04:
    # the registrar operates the contact channel the Registration Data Policy requires).
    return {
        "title": "EMAIL REDACTED FOR PRIVACY",
        "type": "object redacted due to authorization",
        "description": [EMAIL_REDACTED_TEXT],
    }


def _contact_properties(contact: PublicContact) -> list[list[object]]:
    """vCard properties in a fixed order: fn, org, adr, tel (voice), tel (fax), email.

    ``fn`` and ``adr`` are required jCard members, so withheld parts become ``""``
    (emptyValue); everything else is left out when absent (removal). RP24 App. E.
    """
    fields = VCARD_FIELDS_BY_ROLE[contact.role]
    properties: list[list[object]] = [_text("fn", contact.name or "")]
    if WithheldField.ORGANIZATION in fields and contact.organisation is not None:
        properties.append(_text("org", contact.organisation))
    if WithheldField.STREET in fields:
        properties.append(_contact_adr(contact))
    if contact.voice is not None:
        properties.append(_tel("voice", tel_uri(contact.voice, contact.voice_ext)))
    if WithheldField.FAX in fields and contact.fax is not None:
        properties.append(_tel("fax", tel_uri(contact.fax, contact.fax_ext)))
    if contact.email is not None:
        properties.append(_text("email", contact.email))
    return properties


def _contact_adr(contact: PublicContact) -> list[object]:
    # State/province and country are never redacted (SPEC RED-01, RED-10).
    street: str | list[str] = list(contact.street) if contact.street else ""
    return _adr(
        contact.country_code,
        street,
        contact.city or "",
        contact.state_province,
        contact.postal_code or "",
    )


def _jcard(properties: list[list[object]]) -> list[object]:
    return ["vcard", [["version", {}, "text", "4.0"], *properties]]


def _text(name: str, value: str) -> list[object]:
    return [name, {}, "text", value]


def _tel(kind: str, uri: str) -> list[object]:
    # Every tel carries a voice/fax type parameter (TIG §7.1-7.2; RCT -20900).
    return ["tel", {"type": kind}, "uri", uri]


def _adr(
    country_code: str | None,
    street: str | list[str],
    city: str,
    region: str | None,
    postal_code: str | None,
) -> list[object]:
    """A structured address (TIG §4.1; RFC 8605): seven components, the country in the
    ``cc`` parameter and the country-name component empty (RP §1.4; RCT -62100)."""
    parameters: dict[str, object] = {} if country_code is None else {"cc": country_code}
    components: list[object] = ["", "", street, city, region or "", postal_code or "", ""]
    return ["adr", parameters, "text", components]
