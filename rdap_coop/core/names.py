"""Pure parsing and normalising of .coop names, handles and IP addresses; raises InvalidQuery.

Both front ends accept names, handles and addresses typed by strangers, and both must
agree on what each means: `EXAMPLE.COOP`, `example.coop.` and `eXaMpLe.CoOp` are one
name, and a U-label query must reach the same record as its A-label (RFC 9082 §3.1.3,
RFC 9083 §3). Doing that canonicalisation once, here, means the query layer only ever
sees validated values, and anything unparsable becomes a 400 / "invalid query" line
instead of a confusing "not found" (RFC 7480 §5.4).

Error descriptions are fixed text: the input is never echoed, so nothing a client sends
(control characters, markup, personal data) can reach a response body or a log line
through an error message.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TypeAlias

import idna

from rdap_coop.core.errors import InvalidQuery

# Anything longer cannot be a valid name, address or handle; refusing it before the
# per-character IDNA work bounds the cost of hostile input.
MAX_INPUT_CHARS = 1024
# RFC 1035 §2.3.4: 255 octets on the wire, i.e. 253 in text form without the root dot.
MAX_NAME_OCTETS = 253
# RFC 1035 §2.3.4.
MAX_LABEL_OCTETS = 63
# RFC 5890 §2.3.2.1: the ACE prefix that marks an A-label.
ACE_PREFIX = "xn--"
COOP_TLD = "coop"

MAX_REGISTRAR_ID_DIGITS = 10
# IANA Registrar IDs are positive and fit a signed 32-bit integer column.
MAX_REGISTRAR_ID = 2**31 - 1

ASCII_WHITESPACE = " \t\n\r\f\v"
# UTS 46 §2.3: these full stops separate labels exactly like U+002E.
LABEL_SEPARATORS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# RFC 952 / RFC 1123 §2.1 LDH rule, applied after lower-casing.
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)
# RFC 5730 §4.2 roidType, `(\w|_){1,80}-\w{1,8}`, restricted to ASCII.
_ROID = re.compile(r"[0-9A-Za-z_]{1,80}-[0-9A-Za-z]{1,8}", re.ASCII)

# Everything the idna package raises for bad input, including the codec errors that
# Punycode decoding can surface.
_IDNA_ERRORS = (idna.IDNAError, UnicodeError, ValueError)


@dataclass(frozen=True, slots=True)
class DomainName:
    """A validated, canonical DNS name.

    Equality and hashing use only the two name fields, so A-label, U-label and mixed
    queries for one name compare equal; how the query was spelt is kept aside.
    """

    ldh_name: str
    """A-label/LDH form, lower-case, no trailing dot, e.g. "xn--cooprative-e7a.coop"."""
    unicode_name: str | None = None
    """NFC U-label form when any label is an IDN (RFC 5890 §2.3.2.1), else None."""
    _used_unicode: bool = field(default=False, compare=False, repr=False)

    @property
    def is_coop(self) -> bool:
        """True when the top-level label is "coop"."""
        return self.ldh_name.rpartition(".")[2] == COOP_TLD

    @property
    def is_registrable_coop(self) -> bool:
        """True for a second-level name under .coop: exactly two labels, the last "coop"."""
        return self.is_coop and self.ldh_name.count(".") == 1

    @property
    def used_unicode(self) -> bool:
        """True when a label of the query was typed in non-ASCII (U-label) form.

        RDAP then shows unicodeName. It can be True while unicode_name is None, when
        case folding turned every non-ASCII character into ASCII (e.g. KELVIN SIGN to "k").
        """
        return self._used_unicode


@dataclass(frozen=True, slots=True)
class RegistrarHandle:
    """An entity handle naming a registrar by its IANA Registrar ID."""

    iana_id: int


@dataclass(frozen=True, slots=True)
class RoidHandle:
    """An entity handle naming a contact or other object by its upper-case ROID."""

    roid: str


EntityHandle: TypeAlias = RegistrarHandle | RoidHandle


def parse_domain_name(raw: str) -> DomainName:
    """Canonicalise a domain query (RFC 9082 §3.1.3) or raise InvalidQuery.

    Any TLD is accepted: a well-formed name outside .coop is a 404, not a 400
    (use `is_registrable_coop` to decide), so only syntax is judged here.
    """
    return _parse_name(raw, "invalid domain name")


def parse_host_name(raw: str) -> DomainName:
    """Canonicalise a nameserver host name (RFC 9082 §3.1.4) or raise InvalidQuery.

    Same rules as domain names; hosts may be deeper and in any TLD.
    """
    return _parse_name(raw, "invalid host name")


def parse_ip_address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parse an IPv4 dotted quad or any valid IPv6 text form, or raise InvalidQuery.

    IPv4 octets with leading zeros ("01.2.3.4") are refused, since some parsers read
    them as octal. IPv6 zone identifiers ("fe80::1%eth0", RFC 4007 §11) are refused:
    they mean nothing outside the client's own host.
    """
    text = strip_query(raw, "invalid IP address")
    if not text.isascii() or "%" in text:
        raise InvalidQuery("invalid IP address")
    try:
        if ":" in text:
            return ipaddress.IPv6Address(text)
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise InvalidQuery("invalid IP address") from None


def parse_registrar_id(raw: str) -> int:
    """Parse an IANA Registrar ID handle (RFC 9082 §3.1.5), or raise InvalidQuery.

    Only 1 to 10 ASCII digits with a value from 1 to 2**31 - 1 are accepted. Leading
    zeros are normalised away ("01234" is registrar 1234), so the lookup and the
    returned handle are the same for either spelling; the digit limit counts them too.
    """
    text = strip_query(raw, "invalid registrar ID")
    if not (_is_ascii_digits(text) and len(text) <= MAX_REGISTRAR_ID_DIGITS):
        raise InvalidQuery("invalid registrar ID")
    value = int(text)
    if not 1 <= value <= MAX_REGISTRAR_ID:
        raise InvalidQuery("invalid registrar ID")
    return value


def parse_entity_handle(raw: str) -> EntityHandle:
    """Parse an entity handle: a registrar IANA ID or a ROID, else raise InvalidQuery.

    All-digit handles are registrar IDs (see `parse_registrar_id`). Anything else must
    be an RFC 5730 §4.2 ROID in ASCII. ROIDs are stored upper-case, so ROID lookups are
    case-insensitive: the handle is upper-cased here.
    """
    text = strip_query(raw, "invalid entity handle")
    if _is_ascii_digits(text):
        return RegistrarHandle(parse_registrar_id(text))
    if _ROID.fullmatch(text) is None:
        raise InvalidQuery("invalid entity handle")
    return RoidHandle(text.upper())


def strip_query(raw: str, error: str) -> str:
    """Bound the input, then remove surrounding ASCII whitespace; empty is invalid."""
    if len(raw) > MAX_INPUT_CHARS:
        raise InvalidQuery(error)
    text = raw.strip(ASCII_WHITESPACE)
    if not text:
        raise InvalidQuery(error)
    return text


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit alone would admit other scripts' digits and superscripts.
    return text.isascii() and text.isdigit()


# Names are parsed on every lookup and the same names recur (IDNA mapping showed up in
# the serving path's profile); the parse is pure, so a bounded memo is safe. Invalid
# names raise and are never memoised.
@functools.lru_cache(maxsize=8192)
def _parse_name(raw: str, error: str) -> DomainName:
    text = strip_query(raw, error).translate(LABEL_SEPARATORS)
    # RFC 1034 §3.1: one trailing dot names the root (absolute form); drop it.
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    # A bare TLD is not a domain or host name; "" and ".." leave empty labels.
    if len(labels) < 2 or "" in labels:
        raise InvalidQuery(error)
    a_labels = [_to_a_label(label, error) for label in labels]
    # RFC 3696 §2: an all-numeric TLD would make the name look like an IPv4 address.
    if a_labels[-1].isdigit():
        raise InvalidQuery(error)
    ldh_name = ".".join(a_labels)
    if len(ldh_name) > MAX_NAME_OCTETS:
        raise InvalidQuery(error)
    return DomainName(
        ldh_name=ldh_name,
        unicode_name=_to_unicode_name(a_labels, error),
        _used_unicode=not text.isascii(),
    )


def _to_a_label(label: str, error: str) -> str:
    """Return the lower-case A-label or LDH label for one query label."""
    if not label.isascii():
        label = _fold_case(label, error)
    if label.isascii():
        return _check_ascii_label(label.lower(), error)
    try:
        # IDNA 2008 validation (RFC 5891 §4.2: NFC, hyphens, CONTEXTJ/CONTEXTO,
        # RFC 5893 Bidi) and Punycode (RFC 3492).
        a_label = idna.alabel(label).decode("ascii")
        # RFC 5891 §5.3 round trip: the A-label must decode to exactly this U-label.
        if idna.ulabel(a_label) != label:
            raise InvalidQuery(error)
    except _IDNA_ERRORS:
        raise InvalidQuery(error) from None
    return a_label


def _fold_case(label: str, error: str) -> str:
    """Apply the UTS 46 mapping to a U-label, but only where it is a case mapping.

    A mapping counts as case only when it equals the character's lower-case form
    (RFC 5895 §2 step 1). Width, compatibility, "ignored" and full case-folding
    mappings (full-width letters, the "fi" ligature, soft hyphen) are refused: IDNA 2008
    disallows those characters (RFC 5892 §2.3), and silently rewriting them would let
    look-alike queries reach a registered name.
    """
    folded: list[str] = []
    for char in label:
        try:
            # UTS 46 §4 step 1, non-transitional: keeps ß, ς, ZWJ and ZWNJ (RFC 5892).
            mapped = idna.uts46_remap(char, std3_rules=True, transitional=False)
        except _IDNA_ERRORS:
            raise InvalidQuery(error) from None
        if mapped != char and mapped != unicodedata.normalize("NFC", char.lower()):
            raise InvalidQuery(error)
        folded.append(mapped)
    # UTS 46 §4 step 2 and RFC 5891 §5.2: labels are compared in NFC.
    return unicodedata.normalize("NFC", "".join(folded))


def _check_ascii_label(label: str, error: str) -> str:
    """Check one lower-case ASCII label: LDH, and a genuine A-label when "??--"."""
    if len(label) > MAX_LABEL_OCTETS or _LDH_LABEL.fullmatch(label) is None:
        raise InvalidQuery(error)
    # RFC 5891 §4.2.3.1: "--" in positions 3 and 4 is reserved; only the ACE prefix
    # is in use, and then the label must be a valid A-label (RFC 5890 §2.3.2.1).
    if label[2:4] == "--":
        if not label.startswith(ACE_PREFIX):
            raise InvalidQuery(error)
        try:
            u_label = idna.ulabel(label)
            if idna.alabel(u_label).decode("ascii") != label:
                raise InvalidQuery(error)
        except _IDNA_ERRORS:
            raise InvalidQuery(error) from None
    return label


def _to_unicode_name(a_labels: list[str], error: str) -> str | None:
    """Derive unicodeName from the A-labels, so every spelling of a name agrees on it."""
    if not any(label.startswith(ACE_PREFIX) for label in a_labels):
        return None
    try:
        u_labels = [idna.ulabel(label) for label in a_labels]
    except _IDNA_ERRORS:
        raise InvalidQuery(error) from None
    return unicodedata.normalize("NFC", ".".join(u_labels))
