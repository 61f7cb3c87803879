"""The disclosure policy: who may see which contact data.

One pure function decides, for every viewer, what of a contact is shown and what
is withheld; both front ends render its result, so RDAP and WHOIS can never
disagree on a redaction (SPEC RED-13). The rules follow ICANN's Registration Data
Policy as the .coop registry applies it:

- Always public: the registrant's organisation (a cooperative, not a person),
  state/province and country.
- Withheld from the public unless the contact consented to publication through its
  EPP disclose flags: name, street, city, postal code, phone (+ext), fax (+ext) and
  email. No flag means no consent (fail closed, SPEC RED-03).
- Registry contact IDs (ROIDs) are always withheld from the public: they would link
  a person's registrations together even where each is otherwise redacted.
- Technical contacts carry only ID, name, phone and email: the data the policy still
  collects for them; administrative and billing contacts are never shown.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rdap_coop.core.models import (
    Contact,
    ContactRole,
    DisclosableField,
    Domain,
    PublicContact,
    PublicDomain,
    Withheld,
    WithheldField,
)

SERVER_POLICY = "Server policy"
QUOTA_EXCEEDED = "Personal-data quota exceeded"

_SHOWN_ROLES = (ContactRole.REGISTRANT, ContactRole.TECHNICAL)
_ROLE_LABELS = {ContactRole.REGISTRANT: "Registrant", ContactRole.TECHNICAL: "Tech"}


def withheld_field_name(role: ContactRole, field: WithheldField) -> str:
    """The ICANN name of a datum (RFC 9537 redacted-name registry), e.g. "Registrant Name",
    "Registry Tech ID": RDAP marks redactions with it and the audit log records
    disclosures with it."""
    label = _ROLE_LABELS[role]
    if field is WithheldField.ID:
        return f"Registry {label} ID"
    return f"{label} {field.value}"


class AccessTier(enum.StrEnum):
    PUBLIC = "public"
    REGISTRAR = "registrar"
    UDRP_PROVIDER = "udrp_provider"
    LAW_ENFORCEMENT = "law_enforcement"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking. ``registrar_id`` is set only for the registrar tier."""

    tier: AccessTier = AccessTier.PUBLIC
    registrar_id: int | None = None


PUBLIC_VIEWER = Viewer()


def is_entitled_to_full_data(viewer: Viewer, sponsoring_registrar_id: int) -> bool:
    """Whether ``viewer`` sees a contact of an object sponsored by that registrar in full."""
    if viewer.tier in (AccessTier.UDRP_PROVIDER, AccessTier.LAW_ENFORCEMENT):
        return True
    return viewer.tier is AccessTier.REGISTRAR and viewer.registrar_id == sponsoring_registrar_id


def redact_domain(domain: Domain, viewer: Viewer, *, honour_consent: bool = True) -> PublicDomain:
    """``honour_consent=False`` withholds even consented data (the personal-data quota)."""
    full = is_entitled_to_full_data(viewer, domain.record.registrar.iana_id)
    contacts = tuple(
        redact_contact(contact, role, full_access=full, honour_consent=honour_consent)
        for role in _SHOWN_ROLES
        for contact_role, contact in domain.contacts
        if contact_role is role
    )
    return PublicDomain(record=domain.record, contacts=contacts)


@dataclass(slots=True)
class _Decision:
    """Accumulates what one contact shows; ``keep`` returns the value or records it."""

    consented: frozenset[DisclosableField]
    full_access: bool
    withheld: list[Withheld]
    honour_consent: bool = True

    def keep(
        self, value: str | None, field: WithheldField, flag: DisclosableField | None
    ) -> str | None:
        if value is None or value == "":
            return None
        consented = flag is not None and flag in self.consented
        if self.full_access or (consented and self.honour_consent):
            return value
        self.withheld.append(Withheld(field, QUOTA_EXCEEDED if consented else SERVER_POLICY))
        return None


def redact_contact(
    contact: Contact, role: ContactRole, *, full_access: bool, honour_consent: bool = True
) -> PublicContact:
    """Apply the policy to one contact holding ``role``.

    ``withheld`` lists only data that exists and was not disclosed, in a fixed order,
    so a renderer marks a redaction exactly where something was held back.
    """
    decision = _Decision(contact.disclose, full_access, [], honour_consent)
    handle = decision.keep(contact.roid, WithheldField.ID, None)
    name = decision.keep(contact.name, WithheldField.NAME, DisclosableField.NAME)
    if role is ContactRole.TECHNICAL:
        return _technical_contact(contact, decision, handle, name)
    street = _keep_street(contact, decision)
    city = decision.keep(contact.city, WithheldField.CITY, DisclosableField.ADDR)
    postal_code = decision.keep(
        contact.postal_code, WithheldField.POSTAL_CODE, DisclosableField.ADDR
    )
    voice = decision.keep(contact.voice, WithheldField.PHONE, DisclosableField.VOICE)
    voice_ext = decision.keep(contact.voice_ext, WithheldField.PHONE_EXT, DisclosableField.VOICE)
    fax = decision.keep(contact.fax, WithheldField.FAX, DisclosableField.FAX)
    fax_ext = decision.keep(contact.fax_ext, WithheldField.FAX_EXT, DisclosableField.FAX)
    email = decision.keep(contact.email, WithheldField.EMAIL, DisclosableField.EMAIL)
    return PublicContact(
        role=role,
        handle=handle,
        name=name,
        organisation=contact.organisation or None,
        street=street,
        city=city,
        state_province=contact.state_province or None,
        postal_code=postal_code,
        country_code=contact.country_code,
        voice=voice,
        voice_ext=voice_ext if voice is not None else None,
        fax=fax,
        fax_ext=fax_ext if fax is not None else None,
        email=email,
        withheld=tuple(decision.withheld),
    )


def _keep_street(contact: Contact, decision: _Decision) -> tuple[str, ...] | None:
    lines = tuple(line for line in contact.street if line)
    if not lines:
        return None
    joined = decision.keep("\n".join(lines), WithheldField.STREET, DisclosableField.ADDR)
    return None if joined is None else lines


def _technical_contact(
    contact: Contact, decision: _Decision, handle: str | None, name: str | None
) -> PublicContact:
    voice = decision.keep(contact.voice, WithheldField.PHONE, DisclosableField.VOICE)
    voice_ext = decision.keep(contact.voice_ext, WithheldField.PHONE_EXT, DisclosableField.VOICE)
    email = decision.keep(contact.email, WithheldField.EMAIL, DisclosableField.EMAIL)
    return PublicContact(
        role=ContactRole.TECHNICAL,
        handle=handle,
        name=name,
        organisation=None,
        street=None,
        city=None,
        state_province=None,
        postal_code=None,
        country_code=None,
        voice=voice,
        voice_ext=voice_ext if voice is not None else None,
        fax=None,
        fax_ext=None,
        email=email,
        withheld=tuple(decision.withheld),
    )
