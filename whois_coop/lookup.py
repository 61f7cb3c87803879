"""Answer one parsed WHOIS query: fetch, apply the disclosure policy, render text.

The same five steps as the RDAP handlers, over the same core: the query layer,
the redaction policy and the name canonicalisation are ``rdap_coop.core``'s, so
WHOIS and RDAP cannot disagree on a datum or a redaction (SPEC WHO-20). WHOIS is
anonymous, so every answer is rendered for the public viewer.
"""

from __future__ import annotations

from datetime import datetime

from rdap_coop.core.config import WhoisSettings
from rdap_coop.core.disclosure import disclose_domain
from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.models import DomainAbsence
from rdap_coop.core.queries import Registry
from rdap_coop.core.quota import PersonalDataQuota
from rdap_coop.core.redaction import PUBLIC_VIEWER
from whois_coop import render
from whois_coop.protocol import QueryKind, WhoisQuery


async def answer_query(
    query: WhoisQuery,
    registry: Registry,
    settings: WhoisSettings,
    *,
    quota: PersonalDataQuota,
    client_key: str,
    metrics: Metrics,
) -> str:
    """The text reply to ``query``; raises ``LookupFailed`` only for failures of the backend."""
    if query.kind is QueryKind.HELP:
        return render.render_help(await _freshness_if_available(registry))
    if query.kind is QueryKind.DOMAIN:
        return await _answer_domain(query, registry, quota, client_key, metrics)
    if query.kind is QueryKind.NAMESERVER:
        return await _answer_nameserver(query, registry)
    if query.kind is QueryKind.NAMESERVER_BY_ADDRESS:
        return await _answer_address(query, registry, settings.max_hosts_per_reply)
    return await _answer_registrar(query, registry)


async def _freshness_if_available(registry: Registry) -> datetime | None:
    """Help must answer while the replica is down; it then omits the last-update line."""
    try:
        return await registry.fetch_freshness()
    except BackendUnavailable:
        return None


async def _answer_domain(
    query: WhoisQuery,
    registry: Registry,
    quota: PersonalDataQuota,
    client_key: str,
    metrics: Metrics,
) -> str:
    assert query.name is not None
    if not query.name.is_registrable_coop:
        freshness = await registry.fetch_freshness()
        return render.render_not_found(query.name.ldh_name, freshness)
    result = await registry.fetch_domain(query.name)
    if isinstance(result, DomainAbsence):
        if result.reserved is not None:
            return render.render_reserved(query.name.ldh_name, result.database_updated_at)
        return render.render_not_found(query.name.ldh_name, result.database_updated_at)
    public = await disclose_domain(
        result.value, PUBLIC_VIEWER, client_key, quota, metrics, "whois"
    )
    return render.render_domain(public, result.database_updated_at)


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
