"""Disclosure for one answer: the redaction policy, then the personal-data quota.

Both front ends call this, so a client's RDAP and WHOIS answers draw on one quota,
show the same thing, and report the same disclosed fields to the audit log. A
"disclosed" field is one this viewer sees that the public would not: consented
data is public by consent and is never recorded as a disclosure.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdap_coop.core.metrics import Metrics, Service
from rdap_coop.core.models import Domain, PublicContact, PublicDomain
from rdap_coop.core.quota import PersonalDataQuota
from rdap_coop.core.redaction import (
    PUBLIC_VIEWER,
    AccessTier,
    Viewer,
    redact_domain,
    withheld_field_name,
)


@dataclass(frozen=True, slots=True)
class Disclosure:
    public: PublicDomain
    disclosed_fields: tuple[str, ...]
    # True when every public viewer gets exactly this view: the public tier, and no
    # personal data at all (so no quota can change it). Only such views may be shared.
    same_for_every_public_viewer: bool = False


def shows_personal_data(contact: PublicContact) -> bool:
    personal = (contact.name, contact.street, contact.city, contact.postal_code,
                contact.voice, contact.fax, contact.email)
    return any(value is not None for value in personal)


def withheld_names(view: PublicDomain) -> set[str]:
    return {
        withheld_field_name(contact.role, item.field)
        for contact in view.contacts
        for item in contact.withheld
    }


def disclosed_fields(domain: Domain, view: PublicDomain) -> tuple[str, ...]:
    """Names of the fields ``view`` shows that the public view of ``domain`` withholds."""
    public_view = redact_domain(domain, PUBLIC_VIEWER)
    return tuple(sorted(withheld_names(public_view) - withheld_names(view)))


async def disclose_domain(
    domain: Domain,
    viewer: Viewer,
    client_key: str,
    quota: PersonalDataQuota,
    metrics: Metrics,
    service: Service,
) -> Disclosure:
    """What ``viewer`` (charged as ``client_key``) may see of ``domain`` now."""
    view = redact_domain(domain, viewer)
    if viewer.tier is not AccessTier.PUBLIC:
        return Disclosure(view, disclosed_fields(domain, view))
    contacts = sum(shows_personal_data(contact) for contact in view.contacts)
    if not contacts:
        return Disclosure(view, (), same_for_every_public_viewer=True)
    if not await quota.admit(client_key, contacts):
        metrics.count_quota(service, "exceeded")
        return Disclosure(redact_domain(domain, viewer, honour_consent=False), ())
    metrics.count_quota(service, "within")
    return Disclosure(view, ())
