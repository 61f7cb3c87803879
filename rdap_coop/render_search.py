"""Search results (RFC 9083 §8): a top-level array of full objects.

Each result is rendered as its lookup would be and then stripped of the members that
may only appear at the top level (``rdapConformance``, ``notices``, ``redacted``);
redactions of every result are listed once, at the top, with JSONPaths rooted at
that result (``$.domainSearchResults[i]``), so each path evaluates on the document
actually returned (RFC 9537 §5; SPEC SRCH-01).
"""

from __future__ import annotations

from collections.abc import Sequence

from rdap_coop.core.models import PublicDomain
from rdap_coop.render import (
    PROFILE_CONFORMANCE,
    REDACTED_CONFORMANCE,
    RenderContext,
    render_domain,
    search_notices,
    shown_contacts,
)
from rdap_coop.render_redacted import redacted_entries

REVERSE_SEARCH_CONFORMANCE = "reverse_search"
TOP_LEVEL_ONLY = ("rdapConformance", "notices", "redacted")


def render_domain_search(
    domains: Sequence[PublicDomain],
    ctx: RenderContext,
    *,
    truncated: bool,
    extensions: Sequence[str] = (REVERSE_SEARCH_CONFORMANCE,),
) -> dict[str, object]:
    results: list[dict[str, object]] = []
    redacted: list[dict[str, object]] = []
    for index, domain in enumerate(domains):
        document = render_domain(domain, ctx)
        for member in TOP_LEVEL_ONLY:
            document.pop(member, None)
        results.append(document)
        prefix = f"$.domainSearchResults[{index}]"
        redacted += redacted_entries(shown_contacts(domain.contacts), path_prefix=prefix)
    conformance = [*PROFILE_CONFORMANCE, *extensions]
    if redacted:
        conformance.append(REDACTED_CONFORMANCE)
    top: dict[str, object] = {
        "rdapConformance": conformance,
        "domainSearchResults": results,
        "notices": search_notices(ctx, truncated=truncated),
    }
    if redacted:
        top["redacted"] = redacted
    return top
