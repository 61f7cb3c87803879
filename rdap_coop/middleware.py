"""The HTTP edge: the one place where failures become RDAP error responses.

Every response leaves through here, so the protocol duties that apply to all of
them are enforced once: the RDAP media type (RFC 7480 §4.2), the CORS header
(RFC 7480 §5.6, TIG §1.13), GET/HEAD only (RFC 7480 §4), bounded path length and
request time, and RFC 9083 §6 error bodies whose ``errorCode`` equals the status.
Nothing a client sent and nothing from the database reaches an error body except
fixed text, and tracebacks go only to the log, tagged with a request id.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from rdap_coop.admission import (
    UNCHARGED_ROUTES,
    charge,
    identify,
    identity_of,
    query_kind,
    rate_limit_headers,
)
from rdap_coop.app_keys import (
    ACCESS,
    ANSWERED,
    CLIENT_ADDRESS,
    CLIENT_KEY,
    CONCURRENCY_CAP,
    METRICS,
    OPERATOR_ROUTES,
    REQUEST_ID,
    SETTINGS,
)
from rdap_coop.core.access import Answered, Identity
from rdap_coop.core.access_log import log_access
from rdap_coop.core.audit import AuditUnavailable
from rdap_coop.core.errors import BackendUnavailable, LookupFailed, RateLimited, Unauthorized
from rdap_coop.core.metrics import outcome_of_status
from rdap_coop.core.ratelimit import UNKNOWN_CLIENT_KEY, Decision, refusal
from rdap_coop.public_bodies import etag_of
from rdap_coop.render import render_error

log = logging.getLogger(__name__)

RDAP_CONTENT_TYPE = "application/rdap+json"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def rdap_response(
    document: dict[str, object], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(document),
        status=status,
        content_type=RDAP_CONTENT_TYPE,
        headers=headers,
    )


def rdap_body_response(body: bytes, etag: str) -> web.Response:
    """A 200 from an already serialised public RDAP document and its ETag (body cache)."""
    return web.Response(body=body, content_type=RDAP_CONTENT_TYPE, headers={"ETag": etag})


def error_response(
    status: int, title: str, description: str, headers: dict[str, str] | None = None
) -> web.Response:
    return rdap_response(render_error(status, title, [description]), status, headers)


def _failure_response(error: LookupFailed) -> web.Response:
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited | BackendUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, Unauthorized):
        # RFC 6750 §3: say which scheme is expected, never why the token failed.
        headers["WWW-Authenticate"] = 'Bearer realm="rdap.coop", error="invalid_token"'
    return error_response(error.http_status, error.title, error.description, headers)


def _http_error_response(error: web.HTTPException) -> web.Response:
    if isinstance(error, web.HTTPMethodNotAllowed):
        return error_response(
            405,
            "Method Not Allowed",
            "RDAP is served with GET and HEAD only.",
            {"Allow": ALLOWED_METHODS},
        )
    if isinstance(error, web.HTTPNotFound):
        # An unknown path is a query we cannot parse (RFC 7480 §5.4), not a missing object.
        return error_response(400, "Bad Request", "Unknown RDAP query path; see /help.")
    return error_response(error.status, error.reason, "The request could not be served.")


def _add_protocol_headers(response: web.StreamResponse, hsts: bool) -> None:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if hsts:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"


@web.middleware
async def rdap_edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.route.name in OPERATOR_ROUTES:
        return await handler(request)  # probes: never limited, counted or cached
    started = time.perf_counter()
    request_id = request[REQUEST_ID] = uuid.uuid4().hex
    settings = request.app[SETTINGS].rdap
    cap = request.app[CONCURRENCY_CAP]
    metrics = request.app[METRICS]
    if not cap.try_enter():
        metrics.count_shed("rdap", "concurrency")
        # Shed at once rather than queue without bound (overload protection).
        response: web.StreamResponse = _failure_response(
            BackendUnavailable("The service is overloaded; try again shortly.", 1)
        )
    else:
        try:
            response = await _serve(request, handler, settings.max_path_bytes,
                                    settings.request_timeout_seconds)
        finally:
            cap.leave()
    _add_protocol_headers(response, settings.base_url.startswith("https:"))
    response.headers["X-Request-Id"] = request_id
    # A CORS preflight is no query (and must not count in the monthly report).
    kind = "other" if request.method == "OPTIONS" else query_kind(request)
    outcome = outcome_of_status(response.status)
    elapsed = time.perf_counter() - started
    metrics.count_request("rdap", kind, outcome)
    metrics.observe_duration("rdap", kind, elapsed)
    identity = identity_of(request)
    log_access(
        service="rdap", request_id=request_id, kind=kind, outcome=outcome,
        duration_seconds=elapsed, status=response.status, path=request.raw_path,
        client=identity.client_id or request.get(CLIENT_KEY, UNKNOWN_CLIENT_KEY),
        tier=identity.viewer.tier.value,
    )
    await _send_within(request, response, settings.request_timeout_seconds)
    return response


async def _send_within(
    request: web.Request, response: web.StreamResponse, seconds: float
) -> None:
    """Write the answer here, within a deadline: aiohttp itself waits without end for a
    client that does not read (pipelined requests behind a zero receive window), and
    each such client would hold a connection and its buffers for ever."""
    try:
        async with asyncio.timeout(seconds):
            await response.prepare(request)
            await response.write_eof()
    except TimeoutError:
        if request.transport is not None:
            request.transport.abort()


async def _serve(
    request: web.Request, handler: Handler, max_path_bytes: int, timeout_seconds: float
) -> web.StreamResponse:
    if len(request.raw_path.encode("utf-8", "surrogateescape")) > max_path_bytes:
        return error_response(400, "Bad Request", "The request path is too long.")
    if request.method == "OPTIONS":
        return _preflight_response()
    decisions: list[Decision] = []
    response = await _answer(request, handler, timeout_seconds, decisions)
    for decision in decisions:
        response.headers.update(rate_limit_headers(decision))
    return response


async def _answer(
    request: web.Request, handler: Handler, timeout_seconds: float, decisions: list[Decision]
) -> web.StreamResponse:
    try:
        async with asyncio.timeout(timeout_seconds):
            identity = identify(request)
            decision = await charge(request, identity)
            if decision is not None:
                decisions.append(decision)
                if not decision.allowed:
                    raise refusal(decision)
            response = await handler(request)
            if not identity.is_public:
                await _account_for(request, identity, response)
                return response
            return _public_caching(request, response)
    except LookupFailed as error:
        _count_failure(request, error)
        return _failure_response(error)
    except web.HTTPException as error:
        return _http_error_response(error)
    except TimeoutError:
        return _failure_response(
            BackendUnavailable("The lookup took too long; try again shortly.")
        )
    except Exception:
        request_id = request[REQUEST_ID]
        log.exception("unhandled error serving request %s", request_id)
        return error_response(
            500, "Internal Server Error", f"Unexpected error; request id {request_id}."
        )


def _count_failure(request: web.Request, error: LookupFailed) -> None:
    metrics = request.app[METRICS]
    if isinstance(error, Unauthorized):
        metrics.count_auth_failure("rdap", error.reason)
    elif isinstance(error, AuditUnavailable):
        identity = identity_of(request)
        metrics.count_disclosure(
            "rdap", identity.viewer.tier.value, identity.purpose or "", "refused"
        )


PUBLIC_MAX_AGE_SECONDS = 60


def _public_caching(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Public 200 answers may be cached briefly and revalidated (RFC 9110 §8.8.3, §13.1.2).

    Authenticated answers never get here: they are private, no-store.
    """
    if response.status != 200 or not isinstance(response, web.Response):
        return response
    body = response.body
    if not isinstance(body, bytes):
        return response
    etag = response.headers.get("ETag") or etag_of(body)
    response.headers["ETag"] = etag
    # A handler's own public lifetime stands (the page's assets keep theirs longer).
    response.headers.setdefault("Cache-Control", f"public, max-age={PUBLIC_MAX_AGE_SECONDS}")
    wanted = request.headers.get("If-None-Match", "")
    if etag in (tag.strip() for tag in wanted.split(",")) or wanted.strip() == "*":
        not_modified = web.Response(status=304, headers={
            "ETag": etag, "Cache-Control": response.headers["Cache-Control"]})
        not_modified.content_type = response.content_type
        return not_modified
    return response


async def _account_for(
    request: web.Request, identity: Identity, response: web.StreamResponse
) -> None:
    """Audit a non-public answer before it leaves, and keep it out of shared caches.

    Raises AuditUnavailable (503) when the record cannot be written: then nothing
    non-public is sent (SPEC ACC-20). Answers other than 200 disclose nothing.
    """
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Authorization, Accept"
    if response.status != 200 or request.match_info.route.name in UNCHARGED_ROUTES:
        return  # nothing disclosed: an error, or the page, its assets, the API description
    await request.app[ACCESS].record(
        identity,
        service="rdap",
        request_id=request[REQUEST_ID],
        query=request.raw_path,
        answered=request.get(ANSWERED, Answered()),
        client_address=request.get(CLIENT_ADDRESS, ""),
    )
    request.app[METRICS].count_disclosure(
        "rdap", identity.viewer.tier.value, identity.purpose or "", "audited"
    )


def _preflight_response() -> web.Response:
    """CORS preflight (RFC 7480 §5.6): browsers may call us from any origin."""
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, HEAD",
            "Access-Control-Allow-Headers": "Authorization, Accept",
            "Access-Control-Max-Age": "86400",
        },
    )
