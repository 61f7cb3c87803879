"""Opaque, tamper-evident paging cursors for keyset pagination (RFC 8977 §2.2, §3).

A cursor records where the previous page ended -- the sort value(s) and the unique
tie-breaker of its last row -- so the next page is read with a keyset condition
instead of OFFSET. The token is URL-safe base64 (no padding) of::

    HMAC-SHA256(secret, viewer, payload)[:16] || payload

where the payload is compact JSON: format version, query fingerprint, last key, next
page number and issue time. The MAC makes a cursor tamper-evident and binds it to
the viewer it was issued to and, through the fingerprint, to the search it belongs to
(SPEC EXT-03): a cursor cannot be edited, replayed by another client or tier, or
reused for another search, sort or field set, and it expires after
``max_age_seconds``. Any such failure is a 400 (``CursorInvalid``).

The payload is signed, not encrypted: anyone holding the token can read it. Callers
must therefore put only sort keys of public fields in ``last_key`` (SPEC EXT-04: the
domain name, public dates), never redacted data. The viewer is bound by the MAC but
not written into the token, so it does not travel in URLs.

All instances serving one base URL must share the secret, or a page served by one
cannot be continued on another; a new secret invalidates every cursor issued before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from rdap_coop.core.errors import InvalidQuery

KeyPart: TypeAlias = str | int | None

MAX_CURSOR_CHARS = 1024
DEFAULT_MAX_AGE_SECONDS = 3600
MIN_SECRET_BYTES = 32
# Instances' clocks may differ a little; a cursor from slightly in the future is fine.
CLOCK_SKEW_SECONDS = 60

_FORMAT_VERSION = 1
_MAC_BYTES = 16
_MAC_CONTEXT = b"rdap-coop paging cursor\x00"
_PAYLOAD_KEYS = frozenset({"v", "q", "k", "p", "t"})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)

_INVALID = "invalid paging cursor"
_OTHER_QUERY = "the paging cursor belongs to a different search"
_EXPIRED = "the paging cursor has expired; repeat the search"


class CursorInvalid(InvalidQuery):
    """A cursor that is malformed, altered, foreign, expired or too long (400)."""


@dataclass(frozen=True, slots=True)
class CursorState:
    """Everything a cursor carries; built by the search handler, never by clients."""

    query_fingerprint: str
    """`fingerprint` of what the search was: kind, normalised pattern, sort, fieldSet."""
    viewer: str
    """The tier or client id the cursor was issued to."""
    last_key: tuple[KeyPart, ...]
    """Keyset position of the last row returned: sort value(s), then the tie-breaker.

    Only public values; dates as RFC 3339 text, so order and equality survive JSON.
    """
    page_number: int
    """The number of the page this cursor leads to (RFC 8977 ``pageNumber``)."""


class CursorCodec:
    """Encodes and checks cursors with one secret; pure apart from the injected clock."""

    def __init__(
        self,
        secret: bytes,
        *,
        max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"cursor secret must be at least {MIN_SECRET_BYTES} bytes")
        if max_age_seconds <= 0:
            raise ValueError("max_age_seconds must be positive")
        self._secret = secret
        self._max_age_seconds = max_age_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return f"CursorCodec(max_age_seconds={self._max_age_seconds})"

    def encode(self, state: CursorState) -> str:
        """Return the token for ``state``.

        Raises ValueError for states no token may carry (a key part that is not str,
        int or None, text with surrogates, a page number below 1) or whose token would exceed
        ``MAX_CURSOR_CHARS``: both are bugs in the caller, not client errors.
        """
        if not all(_is_key_part(part) for part in state.last_key):
            raise ValueError("last_key parts must be str, int or None")
        texts = [state.query_fingerprint, *(p for p in state.last_key if isinstance(p, str))]
        if any(_SURROGATE.search(text) for text in texts):
            # JSON would give a surrogate pair back as one character: not the same state.
            # Our keys come from the database and our fingerprints are digests, so such a
            # state is a caller's bug, like the others here.
            raise ValueError("cursor state text must be valid Unicode (no surrogates)")
        if not _is_page_number(state.page_number):
            raise ValueError("page_number must be a positive int")
        document = {
            "v": _FORMAT_VERSION,
            "q": state.query_fingerprint,
            "k": list(state.last_key),
            "p": state.page_number,
            "t": int(self._clock()),
        }
        # ensure_ascii keeps any str (even a lone surrogate) encodable and exact.
        payload = json.dumps(document, separators=(",", ":"), ensure_ascii=True).encode()
        token = _b64encode(self._mac(state.viewer, payload) + payload)
        if len(token) > MAX_CURSOR_CHARS:
            raise ValueError("cursor state too large for a cursor")
        return token

    def decode(self, token: str, *, query_fingerprint: str, viewer: str) -> CursorState:
        """Check ``token`` against this search and viewer; raise CursorInvalid if it fails."""
        raw = _b64decode(token)
        mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        # A wrong viewer fails here too: the viewer is only part of the MAC.
        if not hmac.compare_digest(mac, self._mac(viewer, payload)):
            raise CursorInvalid(_INVALID)
        state, issued_at = _parse_payload(payload, viewer)
        if state.query_fingerprint != query_fingerprint:
            raise CursorInvalid(_OTHER_QUERY)
        self._check_age(issued_at)
        return state

    def _mac(self, viewer: str, payload: bytes) -> bytes:
        # Length-prefix the viewer so (viewer, payload) pairs cannot be re-split.
        viewer_bytes = viewer.encode("utf-8", "surrogatepass")
        message = _MAC_CONTEXT + len(viewer_bytes).to_bytes(4, "big") + viewer_bytes + payload
        return hmac.digest(self._secret, message, "sha256")[:_MAC_BYTES]

    def _check_age(self, issued_at: int) -> None:
        now = self._clock()
        if issued_at > now + CLOCK_SKEW_SECONDS:
            raise CursorInvalid(_INVALID)
        if now - issued_at > self._max_age_seconds:
            raise CursorInvalid(_EXPIRED)


def fingerprint(*parts: str) -> str:
    """A stable 128-bit hex digest of a search's identity.

    JSON framing keeps ("ab", "c") and ("a", "bc") apart. Pass every parameter that
    changes which rows come back or in what order or shape: kind, normalised pattern,
    sort, fieldSet, count.
    """
    framed = json.dumps(list(parts), separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(b"rdap-coop search\x00" + framed.encode()).hexdigest()[:32]


def new_secret() -> bytes:
    """A fresh random key for `CursorCodec` (cursors then last one process lifetime)."""
    return secrets.token_bytes(MIN_SECRET_BYTES)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(token: str) -> bytes:
    if len(token) > MAX_CURSOR_CHARS or _BASE64URL.fullmatch(token) is None:
        raise CursorInvalid(_INVALID)
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise CursorInvalid(_INVALID) from None
    # Unpadded base64 has spare bits in its last character; requiring the canonical
    # spelling means no two tokens decode to the same bytes, so every edit is caught.
    if _b64encode(raw) != token or len(raw) <= _MAC_BYTES:
        raise CursorInvalid(_INVALID)
    return raw


def _parse_payload(payload: bytes, viewer: str) -> tuple[CursorState, int]:
    """Read an authenticated payload; only our own encoder can have produced it."""
    try:
        document = json.loads(payload)
    except ValueError:
        raise CursorInvalid(_INVALID) from None
    if not (isinstance(document, dict) and document.keys() == _PAYLOAD_KEYS):
        raise CursorInvalid(_INVALID)
    version, query, key, page, issued_at = (document[k] for k in ("v", "q", "k", "p", "t"))
    if not (
        version == _FORMAT_VERSION
        and isinstance(query, str)
        and isinstance(key, list)
        and all(_is_key_part(part) for part in key)
        and _is_page_number(page)
        and type(issued_at) is int
    ):
        raise CursorInvalid(_INVALID)
    return CursorState(query, viewer, tuple(key), page), issued_at


_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_key_part(value: object) -> bool:
    # bool is an int subclass, but JSON would give it back as a different type.
    return value is None or isinstance(value, str) or type(value) is int


def _is_page_number(value: object) -> bool:
    return type(value) is int and value >= 1
