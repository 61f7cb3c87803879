"""Table-driven and property tests for parsing .coop names, handles and IP addresses."""

from __future__ import annotations

import string
from ipaddress import IPv4Address, IPv6Address

import idna
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.names import (
    MAX_NAME_OCTETS,
    DomainName,
    RegistrarHandle,
    RoidHandle,
    parse_domain_name,
    parse_entity_handle,
    parse_host_name,
    parse_ip_address,
    parse_registrar_id,
)

COOPERATIVE_A = "xn--cooprative-e7a.coop"
COOPERATIVE_U = "coopérative.coop"
KYODO_A = "xn--3kr4pla2233b.coop"
KYODO_U = "協同組合.coop"

# Every description a parser may raise with: fixed text, never an echo of the input.
ERROR_DESCRIPTIONS = {
    "invalid domain name",
    "invalid host name",
    "invalid IP address",
    "invalid registrar ID",
    "invalid entity handle",
}

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def test_reference_a_labels_match_idna() -> None:
    assert idna.encode(COOPERATIVE_U).decode("ascii") == COOPERATIVE_A
    assert idna.encode(KYODO_U).decode("ascii") == KYODO_A


# ---------------------------------------------------------------- domain names

VALID_DOMAINS = [
    # (query, ldh_name, unicode_name, used_unicode)
    ("example.coop", "example.coop", None, False),
    ("EXAMPLE.COOP", "example.coop", None, False),
    ("eXaMpLe.CoOp", "example.coop", None, False),
    ("example.coop.", "example.coop", None, False),
    (" example.coop ", "example.coop", None, False),
    ("\t\r\nexample.coop.\n", "example.coop", None, False),
    ("example\u3002coop", "example.coop", None, False),
    ("example\uff0ecoop\uff61", "example.coop", None, False),
    ("a-b.coop", "a-b.coop", None, False),
    ("123.coop", "123.coop", None, False),
    ("not-a-domain.invalid", "not-a-domain.invalid", None, False),
    ("www.example.coop", "www.example.coop", None, False),
    (COOPERATIVE_U, COOPERATIVE_A, COOPERATIVE_U, True),
    (COOPERATIVE_A, COOPERATIVE_A, COOPERATIVE_U, False),
    ("COOPÉRATIVE.COOP", COOPERATIVE_A, COOPERATIVE_U, True),
    ("CoopÉrative.Coop.", COOPERATIVE_A, COOPERATIVE_U, True),
    ("xn--cooprative-e7a.COOP", COOPERATIVE_A, COOPERATIVE_U, False),
    ("XN--COOPRATIVE-E7A.COOP", COOPERATIVE_A, COOPERATIVE_U, False),
    ("coope\u0301rative.coop", COOPERATIVE_A, COOPERATIVE_U, True),  # NFD input
    ("coopérative\u3002coop", COOPERATIVE_A, COOPERATIVE_U, True),
    (KYODO_U, KYODO_A, KYODO_U, True),
    (KYODO_A, KYODO_A, KYODO_U, False),
    ("協同組合\uff0ecoop", KYODO_A, KYODO_U, True),
    # Deviation characters stay distinct under IDNA 2008 (non-transitional UTS 46).
    ("straße.coop", "xn--strae-oqa.coop", "straße.coop", True),
    ("STRASSE.COOP", "strasse.coop", None, False),
    # Capital sigma folds to the medial form: "ΑΣ" becomes alpha, medial sigma.
    ("ΑΣ.coop", "xn--mxa0b.coop", "\u03b1\u03c3.coop", True),
    # KELVIN SIGN is canonically "K", so case folding makes the label ASCII.
    ("\u212aoop.coop", "koop.coop", None, True),
    # A valid A-label: Punycode "invalid" decodes to five CJK ideographs.
    ("xn--invalid.coop", "xn--invalid.coop", "曌曓曐曒曌.coop", False),
    ("a." + "b" * 63 + ".coop", "a." + "b" * 63 + ".coop", None, False),
]


@pytest.mark.parametrize(("query", "ldh_name", "unicode_name", "used_unicode"), VALID_DOMAINS)
def test_parse_domain_name_accepts(
    query: str, ldh_name: str, unicode_name: str | None, used_unicode: bool
) -> None:
    name = parse_domain_name(query)
    assert name.ldh_name == ldh_name
    assert name.unicode_name == unicode_name
    assert name.used_unicode is used_unicode


LONGEST_NAME = ".".join(["a" * 63] * 3 + ["b" * 56, "coop"])  # exactly 253 octets
# 18 widely spaced ideographs: a 62-octet A-label ("xn--" + 58 octets of Punycode).
LONG_U_LABEL = "一泯诞岭箜骋歚詉嬘稇飶槅袴妃硲靡栰蜟"

INVALID_NAMES = [
    "",
    "   ",
    ".",
    "..",
    "a..coop",
    ".example.coop",
    "example.coop..",
    "coop",
    "coop.",
    "COOP",
    "a" * 64 + ".coop",
    "a" + LONGEST_NAME,
    "-abc.coop",
    "abc-.coop",
    "ab--cd.coop",
    "xn--.coop",
    "xn--a.coop",
    "xn---bbk.coop",  # fake A-label: non-canonical Punycode (RFC 5891 §5.3)
    "xn--cooprative-e7b.coop",
    "xn--ls8h.coop",  # Punycode for an emoji, DISALLOWED in IDNA 2008
    "exa_mple.coop",
    "_dmarc.example.coop",
    "exam ple.coop",
    "example.coop\x00",
    "exa\x00mple.coop",
    "example.co\x7fop",
    "../etc/passwd",
    "' OR 1=1 --",
    "<script>.coop",
    "example.coop/extra",
    "😀.coop",
    "exa😀mple.coop",
    "\uff45\uff58ample.coop",  # full-width letters: a width mapping, not a case mapping
    "ﬁsh.coop",  # ligature: a compatibility mapping
    "\u00adexample.coop",  # soft hyphen: UTS 46 "ignored", not case
    "a\u200db.coop",  # ZWJ outside its CONTEXTJ rule
    "\u0301abc.coop",  # leading combining mark
    "ab\ud800.coop",  # lone surrogate
    "example.coop\u2028",
    "192.0.2.1",  # all-numeric TLD
    "example.123",
    "a" * 1025,
    "a." * 600 + "coop",
]


@pytest.mark.parametrize("query", INVALID_NAMES)
def test_parse_domain_name_rejects(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_domain_name(query)
    assert caught.value.description == "invalid domain name"
    assert caught.value.http_status == 400


@pytest.mark.parametrize("query", ["exa_mple.coop", "' OR 1=1 --", "<script>.coop"])
def test_error_never_echoes_the_query(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_domain_name(query)
    assert query not in str(caught.value)
    assert caught.value.__cause__ is None


def test_longest_name_is_accepted() -> None:
    assert len(LONGEST_NAME) == MAX_NAME_OCTETS
    assert parse_domain_name(LONGEST_NAME + ".").ldh_name == LONGEST_NAME


def test_lengths_are_counted_in_a_label_form() -> None:
    assert len(parse_domain_name(LONG_U_LABEL + ".coop").ldh_name.split(".")[0]) == 62
    too_long_name = ".".join([LONG_U_LABEL] * 4 + ["coop"])  # 256 octets as A-labels
    too_long_label = LONG_U_LABEL + "永"  # 65 octets as an A-label
    for query in (too_long_name, too_long_label + ".coop"):
        assert len(query) < MAX_NAME_OCTETS
        with pytest.raises(InvalidQuery):
            parse_domain_name(query)


SAME_NAME_SPELLINGS = [
    COOPERATIVE_U,
    COOPERATIVE_A,
    "COOPÉRATIVE.COOP",
    "xn--cooprative-e7a.COOP",
    "coopérative.coop.",
    " Coopérative\u3002Coop ",
]


def test_every_spelling_yields_the_same_domain_name() -> None:
    parsed = {parse_domain_name(spelling) for spelling in SAME_NAME_SPELLINGS}
    assert parsed == {DomainName(COOPERATIVE_A, COOPERATIVE_U)}


def test_equality_ignores_how_the_query_was_spelt() -> None:
    from_u_label = parse_domain_name(COOPERATIVE_U)
    from_a_label = parse_domain_name(COOPERATIVE_A)
    assert from_u_label.used_unicode and not from_a_label.used_unicode
    assert from_u_label == from_a_label
    assert hash(from_u_label) == hash(from_a_label)


@pytest.mark.parametrize(
    ("query", "is_coop", "is_registrable_coop"),
    [
        ("example.coop", True, True),
        (COOPERATIVE_U, True, True),
        ("www.example.coop", True, False),
        ("example.org", False, False),
        ("coop.example", False, False),
        ("example.coop.invalid", False, False),
    ],
)
def test_coop_predicates(query: str, is_coop: bool, is_registrable_coop: bool) -> None:
    name = parse_domain_name(query)
    assert name.is_coop is is_coop
    assert name.is_registrable_coop is is_registrable_coop


# ------------------------------------------------------------------ host names


@pytest.mark.parametrize(
    ("query", "ldh_name", "unicode_name"),
    [
        ("ns1.example.coop", "ns1.example.coop", None),
        ("NS1.Example.COOP.", "ns1.example.coop", None),
        ("a.b.c.ns.example.org", "a.b.c.ns.example.org", None),
        ("ns.coopérative.coop", "ns.xn--cooprative-e7a.coop", "ns.coopérative.coop"),
        ("ns.example.xn--p1ai", "ns.example.xn--p1ai", "ns.example.рф"),
    ],
)
def test_parse_host_name_accepts(query: str, ldh_name: str, unicode_name: str | None) -> None:
    assert parse_host_name(query) == DomainName(ldh_name, unicode_name)


@pytest.mark.parametrize("query", ["", "coop", "ns1..example.coop", "ns_1.example.coop", "::1"])
def test_parse_host_name_rejects(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_host_name(query)
    assert caught.value.description == "invalid host name"


# ---------------------------------------------------------------- IP addresses


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("192.0.2.1", IPv4Address("192.0.2.1")),
        (" 192.0.2.1\n", IPv4Address("192.0.2.1")),
        ("0.0.0.0", IPv4Address("0.0.0.0")),
        ("255.255.255.255", IPv4Address("255.255.255.255")),
        ("2001:db8::1", IPv6Address("2001:db8::1")),
        ("2001:DB8:0:0:0:0:0:1", IPv6Address("2001:db8::1")),
        ("::", IPv6Address("::")),
        ("::ffff:192.0.2.1", IPv6Address("::ffff:c000:201")),
        ("\t2001:db8::1 ", IPv6Address("2001:db8::1")),
    ],
)
def test_parse_ip_address_accepts(query: str, expected: IPv4Address | IPv6Address) -> None:
    assert parse_ip_address(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "01.2.3.4",
        "1.2.3.04",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4/24",
        "1.2.3.4 5",
        "0x7f.0.0.1",
        "2130706433",
        "\u0661\u0669\u0662.\u0660.\u0662.\u0661",  # Arabic-Indic digits
        "\uff11\uff19\uff12.\uff10.\uff12.\uff11",  # full-width digits
        "fe80::1%eth0",
        "fe80::1%1",
        "[2001:db8::1]",
        "2001:db8::1::1",
        "::ffff:01.2.3.4",
        "2001:db8:::1",
        "gggg::1",
        "1.2.3.4\x00",
        "example.coop",
        "1" * 2000,
    ],
)
def test_parse_ip_address_rejects(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_ip_address(query)
    assert caught.value.description == "invalid IP address"


# ------------------------------------------------------- registrar IDs, handles


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1", 1),
        ("1234", 1234),
        ("01234", 1234),
        (" 9999 ", 9999),
        ("0000000001", 1),
        ("2147483647", 2**31 - 1),
    ],
)
def test_parse_registrar_id_accepts(query: str, expected: int) -> None:
    assert parse_registrar_id(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "0",
        "0000",
        "-1",
        "+1",
        "1_000",
        "1 000",
        "12a",
        "0x10",
        "1.0",
        "2147483648",
        "12345678901",
        "00000000001",
        "\u0661\u0662\u0663",  # Arabic-Indic digits
        "\uff11\uff12\uff13",  # full-width digits
        "²",
        "1" * 2000,
    ],
)
def test_parse_registrar_id_rejects(query: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_registrar_id(query)
    assert caught.value.description == "invalid registrar ID"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1234", RegistrarHandle(1234)),
        ("01234", RegistrarHandle(1234)),
        ("C123-COOP", RoidHandle("C123-COOP")),
        ("c123-coop", RoidHandle("C123-COOP")),
        (" c123-Coop\n", RoidHandle("C123-COOP")),
        ("ABC_1-COOP", RoidHandle("ABC_1-COOP")),
        ("123-COOP", RoidHandle("123-COOP")),
        ("_-x", RoidHandle("_-X")),
        ("A" * 80 + "-" + "B" * 8, RoidHandle("A" * 80 + "-" + "B" * 8)),
    ],
)
def test_parse_entity_handle_accepts(query: str, expected: RegistrarHandle | RoidHandle) -> None:
    assert parse_entity_handle(query) == expected


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("", "invalid entity handle"),
        ("C123", "invalid entity handle"),
        ("-COOP", "invalid entity handle"),
        ("C123-", "invalid entity handle"),
        ("C1-COOP-X", "invalid entity handle"),
        ("C1-ABCDEFGHI", "invalid entity handle"),
        ("C1-CO_OP", "invalid entity handle"),
        ("A" * 81 + "-COOP", "invalid entity handle"),
        ("C1 -COOP", "invalid entity handle"),
        ("é1-COOP", "invalid entity handle"),
        ("C1-COOP\x00", "invalid entity handle"),
        ("../etc/passwd", "invalid entity handle"),
        ("' OR 1=1 --", "invalid entity handle"),
        ("0", "invalid registrar ID"),
        ("12345678901", "invalid registrar ID"),
    ],
)
def test_parse_entity_handle_rejects(query: str, description: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_entity_handle(query)
    assert caught.value.description == description


# ------------------------------------------------------------------ properties

# Characters that reach the deeper branches: separators, hyphens, the ACE prefix,
# case-folded letters, joiners, combining marks, NUL and a lone surrogate.
NAME_LIKE_CHARS = "aZ09-_.xn \x00\u3002\uff0e\uff61éÉß\u0301\u200d\ud800😀"
HOSTILE_TEXT = st.one_of(
    st.text(),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp"])),
    st.text(st.sampled_from(NAME_LIKE_CHARS), max_size=40),
)


@PROPERTY_SETTINGS
@given(HOSTILE_TEXT)
def test_parsers_raise_only_invalid_query(text: str) -> None:
    parsers = [
        parse_domain_name,
        parse_host_name,
        parse_ip_address,
        parse_registrar_id,
        parse_entity_handle,
    ]
    for parser in parsers:
        try:
            parser(text)
        except InvalidQuery as error:
            assert error.description in ERROR_DESCRIPTIONS


def assert_canonical(name: DomainName) -> None:
    ldh = name.ldh_name
    assert ldh.isascii()
    assert ldh == ldh.lower()
    assert len(ldh) <= MAX_NAME_OCTETS
    labels = ldh.split(".")
    assert len(labels) >= 2
    assert all(1 <= len(label) <= 63 for label in labels)
    is_idn = any(label.startswith("xn--") for label in labels)
    assert (name.unicode_name is not None) is is_idn
    if name.unicode_name is not None:
        assert idna.decode(ldh) == name.unicode_name
        assert idna.encode(name.unicode_name).decode("ascii") == ldh


@PROPERTY_SETTINGS
@given(HOSTILE_TEXT)
def test_any_accepted_text_is_canonical(text: str) -> None:
    try:
        name = parse_domain_name(text)
    except InvalidQuery:
        return
    assert_canonical(name)


LABEL_CHARS = string.ascii_letters + string.digits + "éÉüÜßςΣσжЖ協同組合ıİ\u212a"
LABELS = st.text(st.sampled_from(LABEL_CHARS), min_size=1, max_size=12)
TLDS = st.sampled_from(["coop", "COOP", "org", "xn--p1ai", "рф", "РФ"])
NAMES = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(LABELS, min_size=1, max_size=3),
    TLDS,
)


def parse_or_none(text: str) -> DomainName | None:
    try:
        return parse_domain_name(text)
    except InvalidQuery:
        return None


def upper_case_is_reversible(text: str) -> bool:
    # "ß".upper() is "SS" and "ς".upper() is "Σ": distinct names under IDNA 2008.
    return all(char.upper().lower() == char for char in text)


@PROPERTY_SETTINGS
@given(NAMES)
def test_every_form_of_an_accepted_name_parses_the_same(text: str) -> None:
    name = parse_or_none(text)
    assume(name is not None)
    assert name is not None
    assert_canonical(name)
    assert parse_domain_name(name.ldh_name) == name
    assert parse_domain_name(name.unicode_name or name.ldh_name) == name
    assert parse_domain_name(text + ".") == name
    ascii_upper = "".join(char.upper() if char.isascii() else char for char in text)
    assert parse_domain_name(ascii_upper) == name
    if upper_case_is_reversible(text):
        assert parse_domain_name(text.upper()) == name


@PROPERTY_SETTINGS
@given(NAMES, st.data())
def test_mixed_a_and_u_labels_parse_the_same(text: str, data: st.DataObject) -> None:
    name = parse_or_none(text)
    assume(name is not None and name.unicode_name is not None)
    assert name is not None and name.unicode_name is not None
    pairs = zip(name.ldh_name.split("."), name.unicode_name.split("."), strict=True)
    mixed = ".".join(data.draw(st.sampled_from(pair)) for pair in pairs)
    assert parse_domain_name(mixed) == name
    assert parse_domain_name(name.ldh_name).used_unicode is False
    assert parse_domain_name(name.unicode_name).used_unicode is True
