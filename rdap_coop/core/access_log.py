"""One access-log line per answered query, the same fields for RDAP and WHOIS.

What an operator needs to run the service and handle abuse, and nothing more: the
request id (also sent to RDAP clients as ``X-Request-Id``, so a user's complaint can be
matched), the query kind and outcome, the time taken, and the client as the rate
limiter keys it (an IPv4 address, an IPv6 /64, or an accredited client's id -- never
a token). Query strings and WHOIS query text are never logged: a reverse search or a
search by name may carry a person's name. Lines go to the ``rdap_coop.access`` logger,
so operators can route or silence them apart from the service's own log.
"""

from __future__ import annotations

import logging

ACCESS_LOG = logging.getLogger("rdap_coop.access")
MAX_LOGGED_PATH = 200


def log_access(
    *,
    service: str,
    request_id: str,
    kind: str,
    outcome: str,
    duration_seconds: float,
    client: str,
    tier: str,
    status: int | None = None,
    path: str | None = None,
) -> None:
    if not ACCESS_LOG.isEnabledFor(logging.INFO):
        return  # checked first: this runs for every query
    fields: dict[str, object] = {
        "service": service,
        "request_id": request_id,
        "kind": kind,
        "outcome": outcome,
        "duration_ms": round(duration_seconds * 1000, 2),
        "client": client,
        "tier": tier,
    }
    if status is not None:
        fields["status"] = status
    if path is not None:
        fields["path"] = path.split("?", 1)[0][:MAX_LOGGED_PATH]
    ACCESS_LOG.info("%s %s %s", service, kind, outcome, extra=fields)
