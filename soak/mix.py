"""The soak's queries: a weighted mix of RDAP and port-43 queries whose right answers are known.

Every query is drawn from the same sample registry the demo loaded (same size, same
seed), so each one carries the status it must get and a marker its answer must hold:
a lookup of a registered name must be a 200 naming it, a made-up name a 404, a
malformed one a 400, a WHOIS domain reply must start with its ``Domain Name:`` line.
Accredited queries use the demo clients' tokens: the registrar on its own domains,
the UDRP provider with a case reference, law enforcement with its RFC 9560 purpose
(``roidc1_qp``), also for an RFC 9536 reverse search.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from rdap_coop.sample import SHOWCASE_REGISTRAR_ID, SampleRegistry

LE_PURPOSE = "criminalInvestigationAndDNSAbuse"
# The warm-up looks each name up once, as far as the caches reach: the registry's
# object cache (RDAP_COOP_CACHE_MAX_ENTRIES, 10,000 by default) and the front ends'
# rendered-answer caches (2,000 entries each, rdap_coop/app.py, whois_coop/server.py).
WARM_UP_NAMES = 12_000
WARM_UP_WHOIS_NAMES = 2_500


@dataclass(frozen=True, slots=True)
class Query:
    """One query and what its answer must be: ``expect`` is the HTTP status for RDAP
    (``target`` a path) and unused for WHOIS (``target`` the query line), whose reply
    must start with ``marker``; an RDAP answer must contain ``marker``."""

    kind: str
    target: str
    marker: bytes
    expect: int = 0
    token: str | None = None

    @property
    def is_whois(self) -> bool:
        return self.kind.startswith("whois")


def domain_query(ldh: str, path: str) -> Query:
    return Query("domain", f"/domain/{path}", f'"ldhName":"{ldh}"'.encode(), 200)


def nameserver_query(host: str) -> Query:
    return Query("nameserver", f"/nameserver/{host}", f'"ldhName":"{host}"'.encode(), 200)


def registrar_query(iana_id: int) -> Query:
    return Query("registrar", f"/entity/{iana_id}", f'"handle":"{iana_id}"'.encode(), 200)


def whois_domain_query(ldh: str) -> Query:
    return Query("whois-domain", ldh, f"Domain Name: {ldh.upper()}\r\n".encode())


class Mix:
    """Draws queries by weight; names come from the registry the demo serves."""

    def __init__(self, registry: SampleRegistry, tokens: dict[str, str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.tokens = tokens
        self.domains = [(d.ldh_name, d.unicode_name) for d in registry.domains]
        self.own = [d.ldh_name for d in registry.domains if d.registrar_id == SHOWCASE_REGISTRAR_ID]
        self.hosts = [h.ldh_name for h in registry.hosts]
        self.registrars = [r.iana_id for r in registry.registrars]
        self.registrants = sorted({d.registrant_roid for d in registry.domains
                                   if d.registrant_roid is not None})
        self.prefixes = sorted({d.ldh_name[:2] for d in registry.domains
                                if not d.ldh_name.startswith("xn--")})
        builders: dict[str, tuple[int, Callable[[], Query]]] = {
            "domain": (33, self.domain), "domain-404": (7, self.missing_domain),
            "nameserver": (8, self.nameserver), "registrar": (5, self.registrar),
            "search": (8, self.search), "invalid": (2, self.invalid),
            "registrar-token": (4, self.registrar_token), "udrp": (3, self.udrp),
            "law-enforcement": (3, self.law_enforcement), "reverse-search": (1, self.reverse),
            "whois-domain": (15, self.whois_domain), "whois-404": (4, self.whois_missing),
            "whois-nameserver": (4, self.whois_nameserver),
            "whois-registrar": (3, self.whois_registrar),
        }
        self.kinds = list(builders)
        self.builders = [builder for _, builder in builders.values()]
        self.weights = [weight for weight, _ in builders.values()]

    def draw(self) -> Query:
        return self.rng.choices(self.builders, weights=self.weights)[0]()

    def warm_up(self) -> list[Query]:
        """Every name once (as far as the caches reach), so that the steady load starts
        with the caches at the size they keep: they drop an expired entry only when it
        is asked for again or pushed out (rdap_coop/core/cache.py), so they grow until
        full, and that growth must not be taken for a leak."""
        names = [ldh for ldh, _ in self.domains[:WARM_UP_NAMES]]
        return ([domain_query(ldh, ldh) for ldh in names]
                + [nameserver_query(host) for host in self.hosts[:WARM_UP_NAMES]]
                + [registrar_query(iana_id) for iana_id in self.registrars]
                + [whois_domain_query(ldh) for ldh in names[:WARM_UP_WHOIS_NAMES]])

    def _name(self) -> tuple[str, str]:
        """A registered name as the path carries it (a U-label for one IDN in three)."""
        ldh, unicode_name = self.rng.choice(self.domains)
        shown = unicode_name if unicode_name and self.rng.random() < 0.33 else ldh
        return ldh, quote(shown)

    def domain(self) -> Query:
        return domain_query(*self._name())

    def missing_domain(self) -> Query:
        return Query("domain-404", f"/domain/soak-absent-{self.rng.randrange(10**6)}.coop",
                     b'"errorCode":404', 404)

    def nameserver(self) -> Query:
        return nameserver_query(self.rng.choice(self.hosts))

    def registrar(self) -> Query:
        return registrar_query(self.rng.choice(self.registrars))

    def search(self) -> Query:
        draw = self.rng.random()
        if draw < 0.6:
            target = f"/domains?name={self.rng.choice(self.prefixes)}*.coop"
            return Query("search", target, b'"domainSearchResults"', 200)
        if draw < 0.9:
            target = f"/nameservers?name={self.rng.choice(self.hosts)}"
            return Query("search", target, b'"nameserverSearchResults"', 200)
        return Query("search", "/entities?fn=Coop*", b'"entitySearchResults"', 200)

    def invalid(self) -> Query:
        return Query("invalid", f"/domain/-soak-{self.rng.randrange(1000)}-.coop",
                     b'"errorCode":400', 400)

    def registrar_token(self) -> Query:
        ldh = self.rng.choice(self.own)
        return Query("registrar-token", f"/domain/{ldh}", f'"ldhName":"{ldh}"'.encode(), 200,
                     self.tokens["registrar"])

    def udrp(self) -> Query:
        ldh, path = self._name()
        case = f"D2026-{self.rng.randrange(10**4):04d}"
        return Query("udrp", f"/domain/{path}?caseReference={case}",
                     f'"ldhName":"{ldh}"'.encode(), 200, self.tokens["udrp_provider"])

    def law_enforcement(self) -> Query:
        ldh, path = self._name()
        return Query("law-enforcement", f"/domain/{path}?roidc1_qp={LE_PURPOSE}",
                     f'"ldhName":"{ldh}"'.encode(), 200, self.tokens["law_enforcement"])

    def reverse(self) -> Query:
        handle = self.rng.choice(self.registrants)
        target = f"/domains/reverse_search/entity?handle={handle}&roidc1_qp={LE_PURPOSE}"
        return Query("reverse-search", target, b'"domainSearchResults"', 200,
                     self.tokens["law_enforcement"])

    def whois_domain(self) -> Query:
        return whois_domain_query(self.rng.choice(self.domains)[0])

    def whois_missing(self) -> Query:
        name = f"soak-absent-{self.rng.randrange(10**6)}.coop"
        return Query("whois-404", name, f'No match for "{name.upper()}".'.encode())

    def whois_nameserver(self) -> Query:
        host = self.rng.choice(self.hosts)
        return Query("whois-nameserver", f"nameserver {host}",
                     f"Server Name: {host.upper()}\r\n".encode())

    def whois_registrar(self) -> Query:
        iana_id = self.rng.choice(self.registrars)
        return Query("whois-registrar", f"registrar {iana_id}", b"Registrar: ")
