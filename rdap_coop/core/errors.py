"""The small error tree both front ends translate at their edges.

Each subclass carries what both RDAP (status, title, description) and WHOIS (one
fixed line) need to report it, so neither edge has to inspect the other's types.
Messages must never contain personal data: they are built only from the query the
client sent and from fixed text.
"""

from __future__ import annotations


class LookupFailed(Exception):
    """Base class: a lookup that cannot return an object."""

    http_status = 500
    title = "Internal Server Error"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidQuery(LookupFailed):
    """The query cannot be parsed (RFC 7480 §5.4: 400)."""

    http_status = 400
    title = "Bad Request"


class Unauthorized(LookupFailed):
    """Credentials were presented and are not valid (RFC 7235: 401 + WWW-Authenticate).

    Never a fall-back to the public view: a client that meant to authenticate must
    learn that it did not (SPEC ACC-11). ``reason`` is for logs and metrics only.
    """

    http_status = 401
    title = "Unauthorized"

    def __init__(self, description: str, reason: str = "unknown") -> None:
        super().__init__(description)
        self.reason = reason


class Forbidden(LookupFailed):
    """Authenticated, but not entitled to this query or purpose (403)."""

    http_status = 403
    title = "Forbidden"


class NotFound(LookupFailed):
    """Valid query, no such object in .coop (RFC 7480 §5.3: 404)."""

    http_status = 404
    title = "Not Found"


class RateLimited(LookupFailed):
    """The client spent its budget (RFC 7480 §5.5: 429 with Retry-After)."""

    http_status = 429
    title = "Too Many Requests"

    def __init__(self, description: str, retry_after_seconds: int) -> None:
        super().__init__(description)
        self.retry_after_seconds = retry_after_seconds


class BackendUnavailable(LookupFailed):
    """The replica is down, slow or overloaded (503 with Retry-After)."""

    http_status = 503
    title = "Service Unavailable"

    def __init__(self, description: str, retry_after_seconds: int = 5) -> None:
        super().__init__(description)
        self.retry_after_seconds = retry_after_seconds
