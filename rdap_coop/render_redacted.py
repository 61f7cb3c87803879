"""RFC 9537 ``redacted`` entries for the contact data the disclosure policy withheld.

Each withheld datum becomes one entry named, and addressed, as RP24 Appendix E
prescribes (SPEC §8.2): ``fn`` and ``adr`` parts are required jCard members, so they
are blanked (``emptyValue``, ``postPath`` finds the blank); everything else is removed
(``removal``, ``prePath`` finds nothing). RDAPCT evaluates every path against the
returned document (SPEC EXT-33), so paths select by role, never by array index, and
are rooted at the object they describe: ``$`` for a lookup, later
``$.domainSearchResults[<i>]`` for a search result (SPEC SRCH-01).

The paths use the parenthesised filter form of the ICANN profile's examples,
``[?(@[0]=='fn')]``, which is also valid RFC 9535 (a parenthesised logical
expression) and what RDAPCT's Jayway evaluator expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from rdap_coop.core.models import (
    ContactRole,
    PublicContact,
    RedactionMethod,
    Withheld,
    WithheldField,
)
from rdap_coop.core.redaction import withheld_field_name
from rdap_coop.render_entities import VCARD_FIELDS_BY_ROLE

_FIELD_ORDER = tuple(WithheldField)

_EMPTY_VALUE_FIELDS = frozenset({WithheldField.NAME, WithheldField.STREET,
                                 WithheldField.CITY, WithheldField.POSTAL_CODE})

_PUBLIC_VALUE: Mapping[WithheldField, Callable[[PublicContact], object]] = MappingProxyType(
    {
        WithheldField.ID: lambda contact: contact.handle,
        WithheldField.NAME: lambda contact: contact.name,
        WithheldField.ORGANIZATION: lambda contact: contact.organisation,
        WithheldField.STREET: lambda contact: contact.street,
        WithheldField.CITY: lambda contact: contact.city,
        WithheldField.POSTAL_CODE: lambda contact: contact.postal_code,
        WithheldField.PHONE: lambda contact: contact.voice,
        WithheldField.PHONE_EXT: lambda contact: contact.voice_ext,
        WithheldField.FAX: lambda contact: contact.fax,
        WithheldField.FAX_EXT: lambda contact: contact.fax_ext,
        WithheldField.EMAIL: lambda contact: contact.email,
    }
)


redaction_name = withheld_field_name


def redaction_method(field: WithheldField) -> RedactionMethod:
    if field in _EMPTY_VALUE_FIELDS:
        return RedactionMethod.EMPTY_VALUE
    return RedactionMethod.REMOVAL


def contact_entity_path(role: ContactRole, path_prefix: str = "$") -> str:
    """JSONPath of the contact entity holding ``role`` inside the object at ``path_prefix``."""
    return f"{path_prefix}.entities[?(@.roles[0]=='{role.value}')]"


def redacted_entries(
    contacts: Iterable[PublicContact], path_prefix: str = "$"
) -> list[dict[str, object]]:
    """The ``redacted`` array for the contacts of one object, in a fixed order.

    Contacts whose role is never rendered contribute nothing. Raises ValueError if a
    contact claims a datum is withheld while still carrying it: that is a policy bug,
    and publishing both the value and a redaction claim would be a leak and a lie.
    """
    entries: list[dict[str, object]] = []
    for contact in contacts:
        if contact.role in VCARD_FIELDS_BY_ROLE:
            entries.extend(contact_redactions(contact, path_prefix))
    return entries


def contact_redactions(contact: PublicContact, path_prefix: str = "$") -> list[dict[str, object]]:
    """Entries for one rendered contact; see ``redacted_entries``."""
    shown_fields = VCARD_FIELDS_BY_ROLE[contact.role]
    by_field = {item.field: item for item in contact.withheld}
    entity = contact_entity_path(contact.role, path_prefix)
    entries = []
    for field in _FIELD_ORDER:
        item = by_field.get(field)
        if item is None or field not in shown_fields:
            continue
        _require_absent(contact, field)
        entries.append(_entry(contact, item, entity))
    return entries


def _require_absent(contact: PublicContact, field: WithheldField) -> None:
    if _PUBLIC_VALUE[field](contact) not in (None, "", ()):
        raise ValueError(f"{contact.role.value} {field.value} is marked withheld but present")


def _entry(contact: PublicContact, item: Withheld, entity: str) -> dict[str, object]:
    method = redaction_method(item.field)
    entry: dict[str, object] = {"name": {"type": redaction_name(contact.role, item.field)}}
    path = _path(contact, item.field, entity)
    if path is not None:
        key = "postPath" if method is RedactionMethod.EMPTY_VALUE else "prePath"
        entry[key] = path
        entry["pathLang"] = "jsonpath"
    entry["method"] = method.value
    entry["reason"] = {"description": item.reason}
    return entry


def _path(contact: PublicContact, field: WithheldField, entity: str) -> str | None:
    """Where the datum is (emptyValue) or would have been (removal).

    An extension lives inside its tel URI, which JSONPath cannot address: while the
    number itself is shown the extension gets no path at all (RFC 9537 §4.2 makes
    ``prePath`` optional); once the number is gone, the tel's path is empty as required.
    """
    if field is WithheldField.PHONE_EXT and contact.voice is not None:
        return None
    if field is WithheldField.FAX_EXT and contact.fax is not None:
        return None
    return _PATHS[field](entity)


def _property(entity: str, name: str) -> str:
    return f"{entity}.vcardArray[1][?(@[0]=='{name}')]"


def _tel(entity: str, kind: str) -> str:
    # Filter on the type too, so a fax still shown does not make a removed voice
    # number's path non-empty (and vice versa).
    return f"{entity}.vcardArray[1][?(@[0]=='tel' && @[1].type=='{kind}')]"


_PATHS: Mapping[WithheldField, Callable[[str], str]] = MappingProxyType(
    {
        WithheldField.ID: lambda entity: f"{entity}.handle",
        WithheldField.NAME: lambda entity: f"{_property(entity, 'fn')}[3]",
        WithheldField.ORGANIZATION: lambda entity: _property(entity, "org"),
        WithheldField.STREET: lambda entity: f"{_property(entity, 'adr')}[3][2]",
        WithheldField.CITY: lambda entity: f"{_property(entity, 'adr')}[3][3]",
        WithheldField.POSTAL_CODE: lambda entity: f"{_property(entity, 'adr')}[3][5]",
        WithheldField.PHONE: lambda entity: _tel(entity, "voice"),
        WithheldField.PHONE_EXT: lambda entity: _tel(entity, "voice"),
        WithheldField.FAX: lambda entity: _tel(entity, "fax"),
        WithheldField.FAX_EXT: lambda entity: _tel(entity, "fax"),
        WithheldField.EMAIL: lambda entity: _property(entity, "email"),
    }
)
"""RP24 Appendix E paths, relative to the contact entity's own path."""
