"""Pure: the raw bytes of one port-43 query to a WhoisQuery, or InvalidQuery; no sockets.

RFC 3912 §2 defines only the framing (one line ending in CRLF, one reply, then the
server closes) and leaves the query syntax and character set open (RFC 3912 §3, §5).
This module fixes both for .coop, following the common registry convention:

    domain <name>          a domain (any TLD; the server answers "No match" outside .coop)
    nameserver <host>      a nameserver by host name
    nameserver <address>   nameservers by IPv4 or IPv6 address
    registrar <digits>     a registrar by IANA Registrar ID
    registrar <name>       a registrar by name
    help  or  ?            the help text
    <name>                 a domain; a nameserver when under .coop with more than two labels
    <address>              nameservers by address
    <digits>               a registrar by IANA Registrar ID

Names, addresses and IDs are canonicalised by `rdap_coop.core.names`, so WHOIS and
RDAP agree on what each query means (U-label and A-label input reach the same name).

Decisions the convention leaves open:

- Framing. `raw` is what the server read: up to and including the first LF, or all
  bytes if the client closed first. The `max_query_bytes` limit counts every byte of
  `raw`, terminator included, so the server can enforce the same limit while reading.
  One trailing LF and one CR just before it are removed: CRLF and bare LF both end a
  query. Any other CR or LF, and every control character (C0 including TAB, DEL, C1),
  is refused, as are U+2028 and U+2029, which some software treats as line breaks:
  nothing that could split a log or reply line gets past this point.
- Character set: strict UTF-8 (RFC 3912 §3 names none; UTF-8 is what clients send for
  IDNs). Whitespace, including Unicode spaces such as U+3000 from CJK input methods,
  separates the keyword from its argument and is trimmed around the query.
- Keywords are matched case-insensitively, in ASCII only. Anything else in keyword
  position (`whois`, `contact`, flags such as `-B` or `-r`, `help` with an argument)
  is refused rather than guessed at: no keyword aliases or abbreviations.
- The legacy exact-match prefix (`whois -h whois.nic.coop =example.coop`) is tolerated:
  one `=` is dropped from the start of any argument, bare or after a keyword. It must be
  attached to the argument; `= example.coop` is refused.
- After `nameserver`, an argument made only of ASCII digits and dots, or containing a
  colon, is read as an address: no valid host name has that shape (its TLD would be
  numeric, or contain a colon), and "invalid IP address" is then the helpful error.
- "All digits" means any Unicode decimal digits; non-ASCII ones (e.g. full-width) then
  fail as an invalid registrar ID instead of starting a pointless name search.
- Registrar names are trimmed, internal whitespace runs become one space, the result is
  NFC-normalised (so composed and decomposed input match the same name), and it must be
  printable and at most 128 characters: format characters such as bidi overrides and
  zero-width spaces are refused.

Errors are InvalidQuery with a fixed description that never echoes the input: the
connection handler sends it to the client as the one-line reply.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.names import (
    DomainName,
    parse_domain_name,
    parse_host_name,
    parse_ip_address,
    parse_registrar_id,
)

DEFAULT_MAX_QUERY_BYTES = 256
MAX_REGISTRAR_NAME_CHARS = 128

QUERY_TOO_LONG = "invalid query: too long"
NOT_UTF8 = "invalid query: not UTF-8"
CONTROL_CHARACTERS = "invalid query: control characters"
EMPTY_QUERY = "invalid query: empty"
MISSING_ARGUMENT = "invalid query: missing argument"
UNSUPPORTED_QUERY = "invalid query: unsupported query type"
INVALID_REGISTRAR_NAME = "invalid registrar name"

# C0 (CR, LF, NUL, TAB included), DEL and C1, plus LINE and PARAGRAPH SEPARATOR.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+", re.ASCII)
_HELP_WORDS = frozenset({"help", "?"})
_LEGACY_EXACT_MATCH_PREFIX = "="


class QueryKind(enum.StrEnum):
    """What a WHOIS query asks for."""

    DOMAIN = "domain"
    NAMESERVER = "nameserver"
    NAMESERVER_BY_ADDRESS = "nameserver-address"
    REGISTRAR_BY_ID = "registrar-id"
    REGISTRAR_BY_NAME = "registrar-name"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class WhoisQuery:
    """A validated query; exactly the field its kind names is set (none for HELP)."""

    kind: QueryKind
    name: DomainName | None = None
    """DOMAIN and NAMESERVER: the canonical name."""
    address: IPv4Address | IPv6Address | None = None
    """NAMESERVER_BY_ADDRESS."""
    registrar_id: int | None = None
    """REGISTRAR_BY_ID: the IANA Registrar ID."""
    registrar_name: str | None = None
    """REGISTRAR_BY_NAME: trimmed, whitespace collapsed, NFC, at most 128 characters."""


def parse_whois_query(raw: bytes, *, max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES) -> WhoisQuery:
    """Parse one query line as read from a port-43 client; raise InvalidQuery if unusable.

    `raw` may end in CRLF or LF, or have no terminator if the client closed first.
    """
    words = _decode_line(raw, max_query_bytes).split(maxsplit=1)
    head = words[0]
    # ASCII only, so no Unicode case mapping can turn another word into a keyword.
    keyword = head.lower() if head.isascii() else ""
    if len(words) == 1:
        if keyword in _HELP_WORDS:
            return WhoisQuery(QueryKind.HELP)
        if keyword in _KEYWORD_PARSERS:
            raise InvalidQuery(MISSING_ARGUMENT)
        return _parse_bare(_strip_legacy_prefix(head))
    parse_argument = _KEYWORD_PARSERS.get(keyword)
    if parse_argument is None:
        raise InvalidQuery(UNSUPPORTED_QUERY)
    return parse_argument(_strip_legacy_prefix(words[1]))


def _decode_line(raw: bytes, max_query_bytes: int) -> str:
    """Apply the framing rules and return the trimmed, non-empty query text."""
    if len(raw) > max_query_bytes:
        raise InvalidQuery(QUERY_TOO_LONG)
    # RFC 3912 §2: the query ends with CRLF; bare LF is accepted as well.
    line = raw.removesuffix(b"\n").removesuffix(b"\r") if raw.endswith(b"\n") else raw
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery(NOT_UTF8) from None
    if _FORBIDDEN.search(text):
        raise InvalidQuery(CONTROL_CHARACTERS)
    text = text.strip()
    if not text:
        raise InvalidQuery(EMPTY_QUERY)
    return text


def _strip_legacy_prefix(argument: str) -> str:
    """Drop one attached `=` (the legacy exact-match prefix); nothing may remain bare."""
    if argument.startswith(_LEGACY_EXACT_MATCH_PREFIX):
        argument = argument[len(_LEGACY_EXACT_MATCH_PREFIX) :]
        if not argument or argument[0].isspace():
            raise InvalidQuery(MISSING_ARGUMENT)
    return argument


def _parse_bare(argument: str) -> WhoisQuery:
    if argument.isdigit():
        return _registrar_by_id(argument)
    if _looks_like_address(argument):
        return _nameserver_by_address(argument)
    name = parse_domain_name(argument)
    # Under .coop, registrations are second-level; anything deeper can only be a host.
    if name.is_coop and not name.is_registrable_coop:
        return WhoisQuery(QueryKind.NAMESERVER, name=parse_host_name(argument))
    return WhoisQuery(QueryKind.DOMAIN, name=name)


def _parse_domain(argument: str) -> WhoisQuery:
    return WhoisQuery(QueryKind.DOMAIN, name=parse_domain_name(argument))


def _parse_nameserver(argument: str) -> WhoisQuery:
    if _looks_like_address(argument):
        return _nameserver_by_address(argument)
    return WhoisQuery(QueryKind.NAMESERVER, name=parse_host_name(argument))


def _parse_registrar(argument: str) -> WhoisQuery:
    if argument.isdigit():
        return _registrar_by_id(argument)
    name = unicodedata.normalize("NFC", " ".join(argument.split()))
    if len(name) > MAX_REGISTRAR_NAME_CHARS or not name.isprintable():
        raise InvalidQuery(INVALID_REGISTRAR_NAME)
    return WhoisQuery(QueryKind.REGISTRAR_BY_NAME, registrar_name=name)


def _looks_like_address(argument: str) -> bool:
    return ":" in argument or _DIGITS_AND_DOTS.fullmatch(argument) is not None


def _nameserver_by_address(argument: str) -> WhoisQuery:
    return WhoisQuery(QueryKind.NAMESERVER_BY_ADDRESS, address=parse_ip_address(argument))


def _registrar_by_id(argument: str) -> WhoisQuery:
    return WhoisQuery(QueryKind.REGISTRAR_BY_ID, registrar_id=parse_registrar_id(argument))


_KEYWORD_PARSERS: dict[str, Callable[[str], WhoisQuery]] = {
    "domain": _parse_domain,
    "nameserver": _parse_nameserver,
    "registrar": _parse_registrar,
}
