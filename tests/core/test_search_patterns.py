"""Table-driven and property tests for RDAP search patterns (RFC 9082 §4.1)."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rdap_coop.core.errors import InvalidQuery, LookupFailed
from rdap_coop.core.names import DomainName, parse_domain_name, parse_host_name
from rdap_coop.core.search_patterns import (
    MIN_PREFIX_CHARS,
    NamePattern,
    PatternUnsupported,
    TextPattern,
    parse_domain_pattern,
    parse_host_pattern,
    parse_text_pattern,
)

KYODO_A = "xn--3kr4pla2233b.coop"
KYODO_U = "協同組合.coop"
COOPERATIVE_A = "xn--cooprative-e7a.coop"
COOPERATIVE_U = "coopérative.coop"

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, database=None)


def ldh(prefix: str, suffix: str = "coop") -> NamePattern:
    return NamePattern(exact=None, ldh_prefix=prefix, unicode_prefix=None, suffix=suffix)


def uni(prefix: str, suffix: str = "coop") -> NamePattern:
    return NamePattern(exact=None, ldh_prefix=None, unicode_prefix=prefix, suffix=suffix)


def exact(name: str, suffix: str = "coop") -> NamePattern:
    return NamePattern(parse_domain_name(name), None, None, suffix)


# ---------------------------------------------------------------- domain patterns

VALID_DOMAIN_PATTERNS = [
    ("exa*.coop", ldh("exa")),
    ("exa*", ldh("exa")),
    ("EXA*.COOP", ldh("exa")),
    ("eXa*.CoOp.", ldh("exa")),
    ("  exa*.coop \t", ldh("exa")),
    ("exa*\u3002coop", ldh("exa")),
    ("ex*", ldh("ex")),
    ("12*", ldh("12")),
    ("ab-*", ldh("ab-")),
    ("a--*", ldh("a--")),
    ("xn-*", ldh("xn-")),
    ("coop*", ldh("coop")),
    # KELVIN SIGN folds to ASCII "k": an LDH prefix, not a Unicode one.
    ("\u212aa*", ldh("ka")),
    ("coopé*", uni("coopé")),
    ("COOPÉ*.coop", uni("coopé")),
    ("coope\u0301*", uni("coopé")),  # NFD input, NFC prefix
    ("協同*", uni("協同")),
    ("協同*.coop", uni("協同")),
    ("ß-*", uni("ß-")),
    ("col·*", uni("col·")),  # MIDDLE DOT: only valid before another "l"
    ("تع-*", uni("تع-")),  # RTL with a trailing hyphen
    ("می\u200c*", uni("می\u200c")),  # Persian ZWNJ
    ("example.coop", exact("example.coop")),
    ("EXAMPLE.COOP.", exact("example.coop")),
    (KYODO_U, exact(KYODO_A)),
    (KYODO_A, exact(KYODO_A)),
    (COOPERATIVE_U.upper(), exact(COOPERATIVE_A)),
    # Exact names outside .coop are valid; they simply match nothing.
    ("example.com", exact("example.com", "com")),
    ("www.example.coop", exact("www.example.coop", "example.coop")),
]


@pytest.mark.parametrize(("query", "expected"), VALID_DOMAIN_PATTERNS)
def test_parse_domain_pattern_accepts(query: str, expected: NamePattern) -> None:
    assert parse_domain_pattern(query) == expected


def test_exact_idn_pattern_is_the_canonical_domain_name() -> None:
    pattern = parse_domain_pattern(KYODO_U)
    assert pattern.is_exact
    assert pattern.exact is not None
    assert pattern.exact.ldh_name == KYODO_A
    assert pattern.exact.unicode_name == KYODO_U
    assert pattern.exact == parse_domain_pattern(KYODO_A).exact


UNSUPPORTED_DOMAIN_PATTERNS = [
    "*xa.coop",
    "e*a.coop",
    "exa**.coop",
    "*.coop",
    "*",
    "**",
    "exa*.co*",
    "exa.co*",
    "exa.*",
    "xn--*",
    "XN--*",
    "xn--cooprative-e7a*.coop",
    "exa*.com",  # prefix searches only directly under .coop
    "exa*.example.coop",
    "ab\u0300*",  # ends in a combining mark (RFC 9082 §4.1)
    "e\u0301\u0323*",
]


@pytest.mark.parametrize("query", UNSUPPORTED_DOMAIN_PATTERNS)
def test_parse_domain_pattern_refuses_with_422(query: str) -> None:
    with pytest.raises(PatternUnsupported) as caught:
        parse_domain_pattern(query)
    assert caught.value.http_status == 422
    assert caught.value.title == "Unprocessable Entity"


INVALID_DOMAIN_PATTERNS = [
    "",
    "   ",
    "-ab*",  # no label starts with a hyphen
    "ab--*",  # "--" in positions 3 and 4 is reserved for A-labels
    "ex!*",
    "ex_*",
    "ex%*",
    "ex a*",
    "\uff45\uff58*",  # full-width letters are not case variants
    "exa*.coop..",
    "exa*..coop",
    "exa*.",
    "exa*.-coop",
    "exa*.1",
    "a" * 64 + "*",
    "a" * 62 + "-*",  # no room left for the character a hyphen needs after it
    "a" * 250 + "*.coop",
    "example.coop..",
    "coop",
    "exa_mple.coop",
    "x" * 2000,
]


@pytest.mark.parametrize("query", INVALID_DOMAIN_PATTERNS)
def test_parse_domain_pattern_rejects_with_400(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_domain_pattern(query)
    assert caught.value.http_status == 400
    assert caught.value.description == "invalid domain name pattern"


def test_longest_label_prefix_is_accepted() -> None:
    assert parse_domain_pattern("a" * 63 + "*") == ldh("a" * 63)


@pytest.mark.parametrize(
    "query", ["<script>*.coop", "' OR 1=1 --*", "secret-name*.com", "x*y.coop", "ab\u0300*"]
)
def test_errors_never_echo_the_query(query: str) -> None:
    with pytest.raises(LookupFailed) as caught:
        parse_domain_pattern(query)
    assert query.strip("*") not in caught.value.description


def test_unsupported_is_not_an_invalid_query() -> None:
    # The two must stay apart: edges map InvalidQuery to 400 by type.
    assert not issubclass(PatternUnsupported, InvalidQuery)
    assert issubclass(PatternUnsupported, LookupFailed)


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("coop*", "cooperative-x.coop", True),
        ("coop*", COOPERATIVE_U, False),  # its ldh_name is xn--...
        ("coopé*", COOPERATIVE_U, True),
        ("COOPÉ*", COOPERATIVE_A, True),
        ("協同*", KYODO_U, True),
        ("exa*", "exa.coop", True),  # '*' matches zero characters
        ("exa*", "example.coop", True),
        ("exa*", "example.org", False),
        ("exa*", "www.example.coop", False),  # never crosses a dot
        ("exa*", "ex.coop", False),
        ("example.coop", "EXAMPLE.coop", True),
        (KYODO_U, KYODO_A, True),
    ],
)
def test_domain_pattern_matches(query: str, name: str, expected: bool) -> None:
    assert parse_domain_pattern(query).matches(parse_domain_name(name)) is expected


# ---------------------------------------------------------------- host patterns

VALID_HOST_PATTERNS = [
    ("ns*.example.coop", ldh("ns", "example.coop")),
    ("NS*.Example.COOP.", ldh("ns", "example.coop")),
    ("ns*.coop", ldh("ns", "coop")),
    ("ns*.example.org", ldh("ns", "example.org")),
    ("ns*.協同組合.coop", ldh("ns", KYODO_A)),
    ("協同*.example.coop", uni("協同", "example.coop")),
    ("ns1.example.coop", exact("ns1.example.coop", "example.coop")),
    ("NS1." + KYODO_U, exact("ns1." + KYODO_A, KYODO_A)),
]


@pytest.mark.parametrize(("query", "expected"), VALID_HOST_PATTERNS)
def test_parse_host_pattern_accepts(query: str, expected: NamePattern) -> None:
    assert parse_host_pattern(query) == expected


@pytest.mark.parametrize(
    "query",
    ["ns1.exa*.coop", "ns*", "*.example.coop", "ns**.example.coop",
     "*ns.example.coop", "ns*.*.coop", "xn--*.example.coop"],
)
def test_parse_host_pattern_refuses_with_422(query: str) -> None:
    with pytest.raises(PatternUnsupported):
        parse_host_pattern(query)


@pytest.mark.parametrize(
    "query", ["", "ns_*.example.coop", "ns*..coop", "ns*.exa_mple.coop", "ns1", "-ns*.coop"]
)
def test_parse_host_pattern_rejects_with_400(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_host_pattern(query)
    assert caught.value.description == "invalid host name pattern"


def test_host_pattern_matches_only_the_first_label() -> None:
    pattern = parse_host_pattern("ns*.example.coop")
    assert pattern.matches(parse_host_name("ns1.example.coop"))
    assert pattern.matches(parse_host_name("ns.example.coop"))
    assert not pattern.matches(parse_host_name("ns1.sub.example.coop"))
    assert not pattern.matches(parse_host_name("ns1.example.org"))


# ---------------------------------------------------------------- text patterns


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Example Registrar", TextPattern(exact="example registrar", prefix=None)),
        ("  Example Registrar, Inc. ", TextPattern(exact="example registrar, inc.", prefix=None)),
        ("Exa*", TextPattern(exact=None, prefix="exa")),
        ("Example Reg*", TextPattern(exact=None, prefix="example reg")),
        ("12*", TextPattern(exact=None, prefix="12")),
        ("1234", TextPattern(exact="1234", prefix=None)),
        ("Coopé*", TextPattern(exact=None, prefix="coopé")),
        ("Coope\u0301*", TextPattern(exact=None, prefix="coopé")),
        ("50%_off*", TextPattern(exact=None, prefix="50%_off")),
        ("x", TextPattern(exact="x", prefix=None)),
    ],
)
def test_parse_text_pattern_accepts(query: str, expected: TextPattern) -> None:
    assert parse_text_pattern(query) == expected


@pytest.mark.parametrize("query", ["*", " *", "*xa", "e*a", "exa**", "ab\u0300*"])
def test_parse_text_pattern_refuses_with_422(query: str) -> None:
    with pytest.raises(PatternUnsupported):
        parse_text_pattern(query)


@pytest.mark.parametrize(
    "query", ["", " \t", "exa\x00*", "a\nb", "evil\u202e*", "x\u2028y", "x" * 101, "x" * 5000]
)
def test_parse_text_pattern_rejects_with_400(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_text_pattern(query)
    assert caught.value.description == "invalid search pattern"


def test_text_pattern_length_is_a_setting() -> None:
    assert parse_text_pattern("x" * 20, max_chars=20).exact == "x" * 20
    with pytest.raises(InvalidQuery):
        parse_text_pattern("x" * 21, max_chars=20)


def test_text_pattern_matches_case_insensitively() -> None:
    pattern = parse_text_pattern("EXAMPLE reg*")
    assert pattern.matches("Example Registrar, Inc.")
    assert not pattern.matches("Other Registrar")
    assert parse_text_pattern("example registrar").matches("EXAMPLE REGISTRAR")


# ------------------------------------------------------------------ properties

PATTERN_CHARS = "aZ09-_.*xn \x00\u3002éÉß\u0301\u200c\u200d\ud800協同·😀"
HOSTILE_TEXT = st.one_of(
    st.text(),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Mn"])),
    st.text(st.sampled_from(PATTERN_CHARS), max_size=40),
)
NAME_ERRORS = {"invalid domain name pattern", "invalid host name pattern"}


@PROPERTY_SETTINGS
@given(HOSTILE_TEXT)
def test_parsers_raise_only_invalid_query_or_unsupported(text: str) -> None:
    for parser in (parse_domain_pattern, parse_host_pattern):
        try:
            parser(text)
        except PatternUnsupported:
            pass
        except InvalidQuery as error:
            assert error.description in NAME_ERRORS
    try:
        parse_text_pattern(text)
    except PatternUnsupported:
        pass
    except InvalidQuery as error:
        assert error.description == "invalid search pattern"


PREFIX_CHARS = string.ascii_letters + string.digits + "-éÉüßςΣжЖ協同組合ıİ\u212a\u0301·"
PREFIXES = st.text(st.sampled_from(PREFIX_CHARS), min_size=1, max_size=20)
SUFFIXES = st.sampled_from(["", ".coop", ".COOP.", ".example.coop", ".協同組合.coop", ".org"])


def continuations_matching(pattern: NamePattern, prefix: str) -> list[DomainName]:
    """Names built from the prefix the pattern claims, which it must match.

    An LDH prefix claims only names whose first label is LDH too: "00*" does not
    match "00\\u03b1.coop", whose ldh_name is an A-label.
    """
    continuations = ["", "x", "a1", "l"]
    if pattern.unicode_prefix is not None:
        continuations += ["\u03b1", "\u0628"]
    names = []
    for continuation in continuations:
        try:
            names.append(parse_host_name(f"{prefix}{continuation}.{pattern.suffix}"))
        except InvalidQuery:
            continue
    return names


@PROPERTY_SETTINGS
@given(PREFIXES, SUFFIXES)
def test_accepted_prefix_patterns_match_names_they_claim(prefix: str, suffix: str) -> None:
    query = f"{prefix}*{suffix}"
    for parser in (parse_domain_pattern, parse_host_pattern):
        try:
            pattern = parser(query)
        except (InvalidQuery, PatternUnsupported):
            continue
        assert pattern.exact is None
        assert (pattern.ldh_prefix is None) != (pattern.unicode_prefix is None)
        assert pattern.suffix == pattern.suffix.lower()
        assert pattern.suffix.isascii()
        claimed = pattern.ldh_prefix or pattern.unicode_prefix or ""
        assert len(claimed) >= MIN_PREFIX_CHARS
        if pattern.ldh_prefix is not None:
            assert claimed == claimed.lower()
            assert not claimed.startswith("xn--")
            if len(claimed) < 63:
                assert pattern.matches(parse_host_name(f"{claimed}x.{pattern.suffix}"))
        names = continuations_matching(pattern, claimed)
        assert names, query
        assert all(pattern.matches(name) for name in names)


@PROPERTY_SETTINGS
@given(PREFIXES, SUFFIXES)
def test_case_does_not_change_a_pattern(prefix: str, suffix: str) -> None:
    assume(prefix.isascii())
    query = f"{prefix}*{suffix}"
    try:
        pattern = parse_domain_pattern(query.lower())
    except (InvalidQuery, PatternUnsupported) as error:
        with pytest.raises(type(error)):
            parse_domain_pattern(query.upper())
        return
    assert parse_domain_pattern(query.upper()) == pattern


@PROPERTY_SETTINGS
@given(st.text(min_size=2, max_size=40), st.text(max_size=20))
def test_accepted_text_prefix_matches_its_extensions(prefix: str, rest: str) -> None:
    try:
        pattern = parse_text_pattern(prefix + "*")
    except (InvalidQuery, PatternUnsupported):
        return
    assert pattern.prefix is not None
    text = prefix.lstrip(" \t\n\r\f\v")
    assert pattern.matches(text)
    assume(not rest or rest[0].isascii())  # a leading mark could merge into the prefix
    assert pattern.matches(text + rest)
