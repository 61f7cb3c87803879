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


@dataclass(frozen=True, slots=True)
class PublicViews:
    """Everything an anonymous viewer may be shown of one domain.

    The same for every such viewer, so a front end may render each view once and
    share the result; which view a viewer gets depends only on its personal-data
    quota (``admits_personal_data``), charged on every answer, shared or not.
    """

    within_quota: PublicDomain  # consent to publish honoured
    over_quota: PublicDomain  # consent not honoured: no personal data at all
    personal_contacts: int  # contacts whose personal data ``within_quota`` shows


def public_views(domain: Domain) -> PublicViews:
    view = redact_domain(domain, PUBLIC_VIEWER)
    contacts = sum(shows_personal_data(contact) for contact in view.contacts)
    if not contacts:
        return PublicViews(view, view, 0)
    return PublicViews(view, redact_domain(domain, PUBLIC_VIEWER, honour_consent=False), contacts)


async def admits_personal_data(
    personal_contacts: int,
    client_key: str,
    quota: PersonalDataQuota,
    metrics: Metrics,
    service: Service,
) -> bool:
    """Charge ``client_key`` for seeing the personal data of ``personal_contacts``
    contacts; False when its quota is spent (it then gets the over-quota view)."""
    if not personal_contacts:
        return True
    if not await quota.admit(client_key, personal_contacts):
        metrics.count_quota(service, "exceeded")
        return False
    metrics.count_quota(service, "within")
    return True


async def disclose_domain(
    domain: Domain,
    viewer: Viewer,
    client_key: str,
    quota: PersonalDataQuota,
    metrics: Metrics,
    service: Service,
) -> Disclosure:
    """What ``viewer`` (charged as ``client_key``) may see of ``domain`` now."""
    if viewer.tier is not AccessTier.PUBLIC:
        view = redact_domain(domain, viewer)
        return Disclosure(view, disclosed_fields(domain, view))
    views = public_views(domain)
    admitted = await admits_personal_data(
        views.personal_contacts, client_key, quota, metrics, service
    )
    return Disclosure(views.within_quota if admitted else views.over_quota, ())
