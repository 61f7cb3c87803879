"""Serialised public domain answers, shared by every anonymous viewer of a URL.

A profile of the serving path showed rendering and serialising the RFC 9083 document
anew for every request to be most of a lookup's cost. Every public viewer of a domain
is shown one of at most two documents -- consent to publish honoured, or not once the
viewer's personal-data quota is spent -- so both are rendered once, with their ETags,
and the quota picks one per request (core/disclosure.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from rdap_coop.core.disclosure import PublicViews
from rdap_coop.render import RenderContext, render_domain

Body = tuple[bytes, str]  # the serialised document and its ETag


def etag_of(body: bytes) -> str:
    """A strong entity tag for a public body (RFC 9110 §8.8.3)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _body(document: dict[str, object]) -> Body:
    serialised = orjson.dumps(document)
    return serialised, etag_of(serialised)


@dataclass(frozen=True, slots=True)
class PublicBodies:
    within_quota: Body
    over_quota: Body
    personal_contacts: int

    @classmethod
    def render(cls, views: PublicViews, ctx: RenderContext) -> PublicBodies:
        within = _body(render_domain(views.within_quota, ctx))
        if not views.personal_contacts:
            return cls(within, within, 0)
        return cls(within, _body(render_domain(views.over_quota, ctx)), views.personal_contacts)
