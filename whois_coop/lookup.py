"""Answer one parsed WHOIS query: fetch, apply the disclosure policy, render text.

The same five steps as the RDAP handlers, over the same core: the query layer,
the redaction policy and the name canonicalisation are ``rdap_coop.core``'s, so
WHOIS and RDAP cannot disagree on a datum or a redaction (SPEC WHO-20). WHOIS
carries no credential: answers are public, except to address ranges an operator
allow-listed for a tier in the clients file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rdap_coop.core.access import Answered
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.config import WhoisSettings
from rdap_coop.core.disclosure import admits_personal_data, disclose_domain, public_views
from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.models import DomainAbsence
from rdap_coop.core.names import DomainName
from rdap_coop.core.queries import Registry
from rdap_coop.core.quota import PersonalDataQuota
from rdap_coop.core.redaction import AccessTier, Viewer
from whois_coop import render
from whois_coop.protocol import QueryKind, WhoisQuery


@dataclass(frozen=True, slots=True)
class LookupContext:
    """What every WHOIS answer draws on, for the life of the server."""

    registry: Registry
    settings: WhoisSettings
    quota: PersonalDataQuota
    metrics: Metrics
    # Public domain replies by name: every anonymous asker is shown one of the same
    # two texts (core/disclosure.py), so they are rendered once per cache lifetime.
    public_replies: LookupCache[PublicReplies]


@dataclass(frozen=True, slots=True)
class PublicReplies:
    within_quota: str
    over_quota: str
    personal_contacts: int


@dataclass(frozen=True, slots=True)
class Asker:
    """Who sent this query: the viewer it is answered for and its budget key."""

    viewer: Viewer
    client_key: str


NOTHING_ANSWERED = Answered()


@dataclass(frozen=True, slots=True)
class WhoisAnswer:
    text: str
    answered: Answered = NOTHING_ANSWERED


async def answer_query(query: WhoisQuery, context: LookupContext, asker: Asker) -> WhoisAnswer:
    """The reply to ``query``; raises ``LookupFailed`` only for failures of the backend."""
    registry = context.registry
    if query.kind is QueryKind.HELP:
        return WhoisAnswer(render.render_help(await _freshness_if_available(registry)))
    if query.kind is QueryKind.DOMAIN:
        return await _answer_domain(query, context, asker)
    if query.kind is QueryKind.NAMESERVER:
        return WhoisAnswer(await _answer_nameserver(query, registry))
    if query.kind is QueryKind.NAMESERVER_BY_ADDRESS:
        limit = context.settings.max_hosts_per_reply
        return WhoisAnswer(await _answer_address(query, registry, limit))
    return WhoisAnswer(await _answer_registrar(query, registry))


async def _freshness_if_available(registry: Registry) -> datetime | None:
    """Help must answer while the replica is down; it then omits the last-update line."""
    try:
        return await registry.fetch_freshness()
    except BackendUnavailable:
        return None


async def _answer_domain(query: WhoisQuery, context: LookupContext, asker: Asker) -> WhoisAnswer:
    assert query.name is not None
    registry = context.registry
    if not query.name.is_registrable_coop:
        freshness = await registry.fetch_freshness()
        return WhoisAnswer(render.render_not_found(query.name.ldh_name, freshness))
    if asker.viewer.tier is AccessTier.PUBLIC:
        return await _answer_domain_publicly(query.name, context, asker)
    result = await registry.fetch_domain(query.name)
    if isinstance(result, DomainAbsence):
        return WhoisAnswer(_absence_text(query.name, result))
    disclosure = await disclose_domain(
        result.value, asker.viewer, asker.client_key, context.quota, context.metrics, "whois"
    )
    text = render.render_domain(disclosure.public, result.database_updated_at)
    return WhoisAnswer(text, Answered((result.value.record.roid,), disclosure.disclosed_fields))


async def _answer_domain_publicly(
    name: DomainName, context: LookupContext, asker: Asker
) -> WhoisAnswer:
    replies = context.public_replies.get(name.ldh_name)
    if replies is None:
        result = await context.registry.fetch_domain(name)
        if isinstance(result, DomainAbsence):
            return WhoisAnswer(_absence_text(name, result))
        views = public_views(result.value)
        within = render.render_domain(views.within_quota, result.database_updated_at)
        over = (render.render_domain(views.over_quota, result.database_updated_at)
                if views.personal_contacts else within)
        replies = PublicReplies(within, over, views.personal_contacts)
        context.public_replies.put(name.ldh_name, replies)
    admitted = await admits_personal_data(
        replies.personal_contacts, asker.client_key, context.quota, context.metrics, "whois"
    )
    return WhoisAnswer(replies.within_quota if admitted else replies.over_quota)


def _absence_text(name: DomainName, absence: DomainAbsence) -> str:
    updated = absence.database_updated_at
    if absence.reserved is not None:
        return render.render_reserved(name.ldh_name, updated)
    return render.render_not_found(name.ldh_name, updated)


async def _answer_nameserver(query: WhoisQuery, registry: Registry) -> str:
    assert query.name is not None
    result = await registry.fetch_nameserver(query.name)
    if result.value is None:
        return render.render_not_found(query.name.ldh_name, result.database_updated_at)
    return render.render_nameservers((result.value,), result.database_updated_at)


async def _answer_address(query: WhoisQuery, registry: Registry, limit: int) -> str:
    assert query.address is not None
    result = await registry.fetch_nameservers_by_address(query.address, limit=limit)
    if not result.value:
        return render.render_not_found(str(query.address), result.database_updated_at)
    return render.render_nameservers(result.value, result.database_updated_at)


async def _answer_registrar(query: WhoisQuery, registry: Registry) -> str:
    if query.kind is QueryKind.REGISTRAR_BY_ID:
        assert query.registrar_id is not None
        result = await registry.fetch_registrar(query.registrar_id)
        label = str(query.registrar_id)
    else:
        assert query.registrar_name is not None
        result = await registry.fetch_registrar_by_name(query.registrar_name)
        label = query.registrar_name
    if result.value is None:
        return render.render_not_found(label, result.database_updated_at)
    return render.render_registrar(result.value, result.database_updated_at)
