"""Disclosure for one answer: the redaction policy, then the personal-data quota.

Both front ends call this, so a client's RDAP and WHOIS answers draw on one quota
and show the same thing.
"""

from __future__ import annotations

from rdap_coop.core.metrics import Metrics, Service
from rdap_coop.core.models import Domain, PublicContact, PublicDomain
from rdap_coop.core.quota import PersonalDataQuota
from rdap_coop.core.redaction import AccessTier, Viewer, redact_domain


def shows_personal_data(contact: PublicContact) -> bool:
    personal = (contact.name, contact.street, contact.city, contact.postal_code,
                contact.voice, contact.fax, contact.email)
    return any(value is not None for value in personal)


async def disclose_domain(
    domain: Domain,
    viewer: Viewer,
    client_key: str,
    quota: PersonalDataQuota,
    metrics: Metrics,
    service: Service,
) -> PublicDomain:
    """What ``viewer`` (charged as ``client_key``) may see of ``domain`` now."""
    public = redact_domain(domain, viewer)
    if viewer.tier is not AccessTier.PUBLIC:
        return public
    contacts = sum(shows_personal_data(contact) for contact in public.contacts)
    if not contacts:
        return public
    if not await quota.admit(client_key, contacts):
        metrics.count_quota(service, "exceeded")
        return redact_domain(domain, viewer, honour_consent=False)
    metrics.count_quota(service, "within")
    return public
