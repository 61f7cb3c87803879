"""Pure parsing of RDAP search patterns (RFC 9082 §4.1); raises InvalidQuery or PatternUnsupported.

A search term is either exact (no ``*``) or a prefix: ``*`` as the last character of
the first label, optionally followed by whole labels (``exa*.coop``). Anything else
that RFC 9082 §4.1 allows but we do not serve -- a leading or inner ``*``, a ``*``
in a later label, several ``*`` -- is refused with 422 (RFC 9082 §4.1, RFC 7480 §5.4),
as is an empty prefix (the bare ``*``: a scan of the whole registry). One character is
enough: keyset paging bounds every page, however many names match. Text that cannot be part
of any name at all is a 400, like a malformed lookup.

Name canonicalisation is not repeated here: exact patterns go straight through
`names.parse_domain_name` / `names.parse_host_name`, and a prefix is judged by
probing -- it is valid when some valid label begins with it, which is tested by
parsing ``prefix + c`` for each character ``c`` of ``_PROBE_CONTINUATIONS`` (first
with nothing appended). That reuses the IDNA 2008 rules of names.py (UTS 46 case
folding only, NFC, hyphen rules, CONTEXTJ/CONTEXTO, RFC 5893 Bidi) without having to
re-implement which of them may only be judged once the label is complete: a trailing
hyphen needs an "a", an RTL label needs a digit or an Arabic letter, "l·" needs an "l",
Greek keraia needs a Greek letter.

Matching semantics, for the query layer:

- ``ldh_prefix`` is matched against the first label of ``ldh_name`` only. So
  ``coop*`` matches ``cooperative-x.coop`` but not ``coopérative.coop``, whose
  ``ldh_name`` is ``xn--cooprative-e7a.coop``; ``coopé*`` (a ``unicode_prefix``)
  matches that one through its ``unicode_name``. Punycode prefixes (``xn--*``) are
  refused (422): a prefix of an A-label says nothing useful about the name.
- Matching never crosses a dot: the rest of the first label is free, and the labels
  after it must equal ``suffix`` exactly.
- Prefixes and suffixes contain only characters valid in IDNA 2008 labels, so neither
  ``%`` nor ``_`` can occur: they are safe inside an SQL ``LIKE`` pattern unescaped.
  Text patterns may contain them and must be escaped by the caller.

Error descriptions are fixed text; the input is never echoed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rdap_coop.core.errors import InvalidQuery, LookupFailed
from rdap_coop.core.names import (
    ACE_PREFIX,
    COOP_TLD,
    LABEL_SEPARATORS,
    MAX_NAME_OCTETS,
    DomainName,
    parse_domain_name,
    parse_host_name,
    strip_query,
)

WILDCARD = "*"
# A shorter prefix would return a large share of the registry: that is a scan, which
# the checklist (§14 point 5) says to refuse rather than to serve.
MIN_PREFIX_CHARS = 1
# Names are at most 253 characters without the root dot (RFC 1035 §2.3.4).
MAX_NAME_PATTERN_CHARS = MAX_NAME_OCTETS
DEFAULT_MAX_TEXT_CHARS = 100

# Each is one character that case-folds to itself and never composes with what comes
# before it in NFC, so the folded prefix is the probe's label minus that character.
_PROBE_CONTINUATIONS = (
    "",  # the prefix is itself a whole label (the usual case)
    "a",  # a label may not end with a hyphen (RFC 5891 §4.2.3.1)
    "1",  # the same for RTL labels, which may end in a European digit (RFC 5893 §2)
    "l",  # U+00B7 MIDDLE DOT must sit between two "l" (RFC 5892 Appendix A.3)
    "\u03b1",  # U+0375 GREEK KERAIA must precede a Greek letter (A.4)
    "\u0628",  # ZWNJ between joining letters, Arabic-Indic digits (A.1, A.8)
    "\u30a2",  # U+30FB KATAKANA MIDDLE DOT needs Kana or Han in the label (A.7)
)

# Text search terms: controls, format characters (bidi overrides, invisible joiners),
# surrogates, private-use and unassigned code points, line and paragraph separators.
_REFUSED_TEXT_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

_MISPLACED_WILDCARD = "'*' is only supported once, as the last character of the first label"
_MISPLACED_TEXT_WILDCARD = "'*' is only supported once, as the last character"
_PREFIX_TOO_SHORT = f"a search prefix needs at least {MIN_PREFIX_CHARS} characters"
_A_LABEL_PREFIX = "a search prefix cannot be part of an A-label; use the U-label"
_COMBINING_BEFORE_WILDCARD = "'*' cannot follow a combining mark"
_DOMAIN_SUFFIX_NOT_COOP = "partial domain searches cover names directly under .coop only"
_HOST_SUFFIX_MISSING = "partial host name searches need at least one label after the '*'"


class PatternUnsupported(LookupFailed):
    """A well-formed search pattern we do not serve (RFC 9082 §4.1: 422)."""

    http_status = 422
    title = "Unprocessable Entity"


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A domain or host search term: exactly one of the three match fields is set."""

    exact: DomainName | None
    """No ``*``: the canonical name (A-label and U-label spellings are equal)."""
    ldh_prefix: str | None
    """Lower-case ASCII prefix of the first label of ``ldh_name``."""
    unicode_prefix: str | None
    """NFC, UTS 46 case-folded prefix of the first label of ``unicode_name``."""
    suffix: str
    """The labels after the first, in lower-case LDH form, e.g. "coop" or "example.coop"."""

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    def matches(self, name: DomainName) -> bool:
        """True when ``name`` is one the pattern asks for; the reference semantics."""
        if self.exact is not None:
            return name == self.exact
        first_label, _, suffix = name.ldh_name.partition(".")
        if suffix != self.suffix:
            return False
        if self.ldh_prefix is not None:
            return first_label.startswith(self.ldh_prefix)
        if self.unicode_prefix is not None and name.unicode_name is not None:
            return name.unicode_name.partition(".")[0].startswith(self.unicode_prefix)
        return False


@dataclass(frozen=True, slots=True)
class TextPattern:
    """An ``fn`` or ``handle`` search term; exactly one field is set.

    Both are NFC and lower-cased with `str.lower`, so the caller must compare them with
    values folded the same way. There are no labels: a prefix may span spaces and dots.
    """

    exact: str | None
    prefix: str | None

    def matches(self, text: str) -> bool:
        folded = _fold_text(text)
        if self.exact is not None:
            return folded == self.exact
        return self.prefix is not None and folded.startswith(self.prefix)


@dataclass(frozen=True, slots=True)
class _NameRules:
    parse: Callable[[str], DomainName]
    error: str
    default_suffix: str | None
    required_suffix: str | None


_DOMAIN_RULES = _NameRules(parse_domain_name, "invalid domain name pattern", COOP_TLD, COOP_TLD)
_HOST_RULES = _NameRules(parse_host_name, "invalid host name pattern", None, None)


def parse_domain_pattern(raw: str) -> NamePattern:
    """Parse a ``domains?name=`` term; raise InvalidQuery (400) or PatternUnsupported (422).

    ``exa*`` means ``exa*.coop``; any other suffix on a prefix pattern is a 422. An
    exact name outside .coop is accepted (it simply matches nothing), as lookups do.
    """
    return _parse_name_pattern(raw, _DOMAIN_RULES)


def parse_host_pattern(raw: str) -> NamePattern:
    """Parse a ``nameservers?name=`` or ``domains?nsLdhName=`` term; raise as above.

    A prefix pattern needs at least one label after the first (``ns*.example.coop``,
    ``ns*.coop``): a bare ``ns*`` would match hosts in every zone, so it is a 422.
    """
    return _parse_name_pattern(raw, _HOST_RULES)


def parse_text_pattern(raw: str, *, max_chars: int = DEFAULT_MAX_TEXT_CHARS) -> TextPattern:
    """Parse an ``entities?fn=`` or ``handle=`` term: exact, or a prefix ending in ``*``.

    Raises InvalidQuery for empty or over-long terms (more than ``max_chars`` characters
    once surrounding whitespace is removed) and for control or format characters, and
    PatternUnsupported for any other ``*`` placement, a prefix shorter than
    ``MIN_PREFIX_CHARS``, or one ending in a combining mark (RFC 9082 §4.1).
    """
    error = "invalid search pattern"
    text = strip_query(raw, error)
    if len(text) > max_chars:
        raise InvalidQuery(error)
    if any(unicodedata.category(char) in _REFUSED_TEXT_CATEGORIES for char in text):
        raise InvalidQuery(error)
    if WILDCARD not in text:
        return TextPattern(exact=_fold_text(text), prefix=None)
    if text.count(WILDCARD) > 1 or not text.endswith(WILDCARD):
        raise PatternUnsupported(_MISPLACED_TEXT_WILDCARD)
    prefix = _fold_text(text[:-1])
    _check_prefix_end(prefix)
    return TextPattern(exact=None, prefix=prefix)


def _parse_name_pattern(raw: str, rules: _NameRules) -> NamePattern:
    text = strip_query(raw, rules.error).translate(LABEL_SEPARATORS)
    if len(text.removesuffix(".")) > MAX_NAME_PATTERN_CHARS:
        raise InvalidQuery(rules.error)
    if WILDCARD not in text:
        return _exact_pattern(text, rules)
    first_label, dot, rest = text.partition(".")
    if text.count(WILDCARD) > 1 or not first_label.endswith(WILDCARD):
        raise PatternUnsupported(_MISPLACED_WILDCARD)
    prefix = first_label[:-1]
    if not prefix:
        raise PatternUnsupported(_PREFIX_TOO_SHORT)
    if prefix[: len(ACE_PREFIX)].lower() == ACE_PREFIX:
        raise PatternUnsupported(_A_LABEL_PREFIX)
    if not dot:
        if rules.default_suffix is None:
            raise PatternUnsupported(_HOST_SUFFIX_MISSING)
        rest = rules.default_suffix
    folded, suffix = _probe(prefix, rest, rules)
    _check_prefix_end(folded)
    if rules.required_suffix is not None and suffix != rules.required_suffix:
        raise PatternUnsupported(_DOMAIN_SUFFIX_NOT_COOP)
    if folded.isascii():
        return NamePattern(None, folded, None, suffix)
    return NamePattern(None, None, folded, suffix)


def _exact_pattern(text: str, rules: _NameRules) -> NamePattern:
    try:
        # names.py applies its own trailing-dot rule, so "x.coop.." stays invalid.
        exact = rules.parse(text)
    except InvalidQuery:
        raise InvalidQuery(rules.error) from None
    return NamePattern(exact, None, None, exact.ldh_name.partition(".")[2])


def _probe(prefix: str, rest: str, rules: _NameRules) -> tuple[str, str]:
    """Return the folded prefix and the LDH suffix, or raise InvalidQuery.

    The prefix is valid when ``prefix + c + "." + rest`` is a valid name for some
    continuation ``c``; see the module docstring.
    """
    for continuation in _PROBE_CONTINUATIONS:
        try:
            name = rules.parse(f"{prefix}{continuation}.{rest}")
        except InvalidQuery:
            continue
        # unicode_name's first label is the ldh one when only a later label is an IDN.
        label = (name.unicode_name or name.ldh_name).partition(".")[0]
        if label.endswith(continuation):
            return label[: len(label) - len(continuation)], name.ldh_name.partition(".")[2]
    raise InvalidQuery(rules.error)


def _check_prefix_end(prefix: str) -> None:
    # Trailing spaces ("E *" in an fn search) would not make the scan any narrower.
    if len(prefix.rstrip()) < MIN_PREFIX_CHARS:
        raise PatternUnsupported(_PREFIX_TOO_SHORT)
    # RFC 9082 §4.1: a trailing combining mark could merge with the characters
    # the '*' stands for, so under NFC the stored names need not start with the prefix.
    if unicodedata.category(prefix[-1]).startswith("M"):
        raise PatternUnsupported(_COMBINING_BEFORE_WILDCARD)


def _fold_text(text: str) -> str:
    # Lower-casing can leave a string that is not NFC (e.g. U+0130), so normalise after.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())
