"""Table-driven and property tests for parsing port-43 WHOIS query lines."""

from __future__ import annotations

import ast
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import whois_coop.protocol
from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.names import DomainName
from whois_coop.protocol import (
    CONTROL_CHARACTERS,
    DEFAULT_MAX_QUERY_BYTES,
    EMPTY_QUERY,
    INVALID_REGISTRAR_NAME,
    MAX_REGISTRAR_NAME_CHARS,
    MISSING_ARGUMENT,
    NOT_UTF8,
    QUERY_TOO_LONG,
    UNSUPPORTED_QUERY,
    QueryKind,
    WhoisQuery,
    parse_whois_query,
)

COOPERATIVE = DomainName("xn--cooprative-e7a.coop", "coopérative.coop")
KYODO = DomainName("xn--3kr4pla2233b.coop", "協同組合.coop")
EXAMPLE = DomainName("example.coop")
NS1 = DomainName("ns1.example.coop")

# Every description the parser may raise with: fixed text, never an echo of the input.
ERROR_DESCRIPTIONS = {
    QUERY_TOO_LONG,
    NOT_UTF8,
    CONTROL_CHARACTERS,
    EMPTY_QUERY,
    MISSING_ARGUMENT,
    UNSUPPORTED_QUERY,
    INVALID_REGISTRAR_NAME,
    "invalid domain name",
    "invalid host name",
    "invalid IP address",
    "invalid registrar ID",
}

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None)


def domain(name: DomainName) -> WhoisQuery:
    return WhoisQuery(QueryKind.DOMAIN, name=name)


def nameserver(name: DomainName) -> WhoisQuery:
    return WhoisQuery(QueryKind.NAMESERVER, name=name)


def by_address(text: str) -> WhoisQuery:
    return WhoisQuery(QueryKind.NAMESERVER_BY_ADDRESS, address=ip_address(text))


def by_registrar_id(iana_id: int) -> WhoisQuery:
    return WhoisQuery(QueryKind.REGISTRAR_BY_ID, registrar_id=iana_id)


def by_registrar_name(name: str) -> WhoisQuery:
    return WhoisQuery(QueryKind.REGISTRAR_BY_NAME, registrar_name=name)


HELP = WhoisQuery(QueryKind.HELP)

VALID_QUERIES = [
    # Framing: CRLF, bare LF, or none (client closed); surrounding whitespace.
    (b"example.coop\r\n", domain(EXAMPLE)),
    (b"example.coop\n", domain(EXAMPLE)),
    (b"example.coop", domain(EXAMPLE)),
    (b"  example.coop  \r\n", domain(EXAMPLE)),
    ("\u3000example.coop\u3000\r\n".encode(), domain(EXAMPLE)),
    # Case, trailing dot, keyword.
    (b"EXAMPLE.COOP\r\n", domain(EXAMPLE)),
    (b"example.coop.\r\n", domain(EXAMPLE)),
    (b"domain example.coop\r\n", domain(EXAMPLE)),
    (b"DOMAIN Example.Coop\r\n", domain(EXAMPLE)),
    (b"Domain   example.coop\r\n", domain(EXAMPLE)),
    ("domain\u00a0example.coop".encode(), domain(EXAMPLE)),
    # Legacy exact-match prefix.
    (b"=example.coop\r\n", domain(EXAMPLE)),
    (b"domain =example.coop\r\n", domain(EXAMPLE)),
    (b"=ns1.example.coop\r\n", nameserver(NS1)),
    (b"nameserver =192.0.2.53\r\n", by_address("192.0.2.53")),
    (b"registrar =1234\r\n", by_registrar_id(1234)),
    (b"=1234\r\n", by_registrar_id(1234)),
    # IDN: U-label (UTF-8) and A-label reach the same name.
    ("coopérative.coop\r\n".encode(), domain(COOPERATIVE)),
    ("coope\u0301rative.coop\r\n".encode(), domain(COOPERATIVE)),
    (b"xn--cooprative-e7a.coop\r\n", domain(COOPERATIVE)),
    ("domain COOPÉRATIVE.COOP\r\n".encode(), domain(COOPERATIVE)),
    ("協同組合.coop\r\n".encode(), domain(KYODO)),
    ("協同組合\u3002coop\r\n".encode(), domain(KYODO)),
    # Other TLDs are still domain queries; the server answers "No match".
    (b"example.com\r\n", domain(DomainName("example.com"))),
    (b"ns1.example.com\r\n", domain(DomainName("ns1.example.com"))),
    # Deeper than second level under .coop: a host.
    (b"ns1.example.coop\r\n", nameserver(NS1)),
    (b"NS1.EXAMPLE.COOP.\r\n", nameserver(NS1)),
    (b"nameserver ns1.example.coop\r\n", nameserver(NS1)),
    (b"NameServer ns1.example.coop\r\n", nameserver(NS1)),
    (b"nameserver example.coop\r\n", nameserver(EXAMPLE)),
    (b"domain ns1.example.coop\r\n", domain(NS1)),
    # Addresses.
    (b"nameserver 192.0.2.53\r\n", by_address("192.0.2.53")),
    (b"nameserver 2001:db8::53\r\n", by_address("2001:db8::53")),
    (b"nameserver 2001:DB8:0:0:0:0:0:53\r\n", by_address("2001:db8::53")),
    (b"192.0.2.53\r\n", by_address("192.0.2.53")),
    (b"2001:db8::53\r\n", by_address("2001:db8::53")),
    # Registrars.
    (b"registrar 1234\r\n", by_registrar_id(1234)),
    (b"REGISTRAR 01234\r\n", by_registrar_id(1234)),
    (b"1234\r\n", by_registrar_id(1234)),
    (
        b"registrar Cooperative Names Registrar Ltd\r\n",
        by_registrar_name("Cooperative Names Registrar Ltd"),
    ),
    (
        b"registrar   Cooperative   Names  Registrar Ltd  \r\n",
        by_registrar_name("Cooperative Names Registrar Ltd"),
    ),
    ("registrar Coope\u0301rative\u3000Noms".encode(), by_registrar_name("Coopérative Noms")),
    (b"registrar example.coop\r\n", by_registrar_name("example.coop")),
    # Help.
    (b"help\r\n", HELP),
    (b"HELP\r\n", HELP),
    (b"Help\n", HELP),
    (b"?\r\n", HELP),
    (b" ? ", HELP),
]


@pytest.mark.parametrize(("raw", "expected"), VALID_QUERIES)
def test_parse_whois_query(raw: bytes, expected: WhoisQuery) -> None:
    assert parse_whois_query(raw) == expected


def test_idn_spellings_keep_how_the_query_was_typed() -> None:
    u_label = parse_whois_query("coopérative.coop\r\n".encode()).name
    a_label = parse_whois_query(b"xn--cooprative-e7a.coop\r\n").name
    assert u_label == a_label == COOPERATIVE
    assert u_label is not None and u_label.used_unicode
    assert a_label is not None and not a_label.used_unicode


INVALID_QUERIES = [
    # Framing and encoding.
    (b"", EMPTY_QUERY),
    (b"\r\n", EMPTY_QUERY),
    (b"\n", EMPTY_QUERY),
    (b"   \r\n", EMPTY_QUERY),
    ("\u3000\r\n".encode(), EMPTY_QUERY),
    (b"\x00", CONTROL_CHARACTERS),
    (b"example.coop\x00\r\n", CONTROL_CHARACTERS),
    (b"example.coop\r\nsecond line", CONTROL_CHARACTERS),
    (b"example.coop\r\n\r\n", CONTROL_CHARACTERS),
    (b"example.coop\n\n", CONTROL_CHARACTERS),
    (b"example.coop\r\r\n", CONTROL_CHARACTERS),
    (b"example.coop\r", CONTROL_CHARACTERS),
    (b"exa\rmple.coop\r\n", CONTROL_CHARACTERS),
    (b"domain\texample.coop\r\n", CONTROL_CHARACTERS),
    (b"example.coop\x7f\r\n", CONTROL_CHARACTERS),
    (b"example.coop\x1b[2J\r\n", CONTROL_CHARACTERS),
    ("example.coop\u0085\r\n".encode(), CONTROL_CHARACTERS),
    ("registrar Evil\u2028Registrar: forged\r\n".encode(), CONTROL_CHARACTERS),
    (b"\xff\xfe", NOT_UTF8),
    (b"example.coop\x85\r\n", NOT_UTF8),
    (b"\xc3\r\n", NOT_UTF8),
    (b"\xed\xa0\x80.coop\r\n", NOT_UTF8),  # an encoded surrogate
    (b"a" * 300, QUERY_TOO_LONG),
    (b"a" * 300 + b"\r\n", QUERY_TOO_LONG),
    # Keywords without an argument.
    (b"domain\r\n", MISSING_ARGUMENT),
    (b"DOMAIN  \r\n", MISSING_ARGUMENT),
    (b"registrar\r\n", MISSING_ARGUMENT),
    (b"nameserver\r\n", MISSING_ARGUMENT),
    (b"domain =\r\n", MISSING_ARGUMENT),
    (b"domain = example.coop\r\n", MISSING_ARGUMENT),
    (b"=\r\n", MISSING_ARGUMENT),
    # Unsupported query types and flags: refused, never guessed at.
    (b"contact C1-COOP\r\n", UNSUPPORTED_QUERY),
    (b"whois example.coop\r\n", UNSUPPORTED_QUERY),
    (b"-B example.coop\r\n", UNSUPPORTED_QUERY),
    (b"-r foo\r\n", UNSUPPORTED_QUERY),
    (b"help me\r\n", UNSUPPORTED_QUERY),
    (b"? example.coop\r\n", UNSUPPORTED_QUERY),
    (b"= example.coop\r\n", UNSUPPORTED_QUERY),
    (b"example.coop example.org\r\n", UNSUPPORTED_QUERY),
    ("d\u043emain example.coop\r\n".encode(), UNSUPPORTED_QUERY),  # Cyrillic o
    # Bad arguments.
    (b"a..coop\r\n", "invalid domain name"),
    (b"domain a..coop\r\n", "invalid domain name"),
    (b"coop\r\n", "invalid domain name"),
    (b"-B\r\n", "invalid domain name"),
    (b"==example.coop\r\n", "invalid domain name"),
    (b"nameserver ns1..example.coop\r\n", "invalid host name"),
    (b"nameserver 999.1.1.1\r\n", "invalid IP address"),
    (b"nameserver 2001:db8::zz\r\n", "invalid IP address"),
    (b"nameserver fe80::1%eth0\r\n", "invalid IP address"),
    (b"nameserver 1234\r\n", "invalid IP address"),
    (b"999.1.1.1\r\n", "invalid IP address"),
    (b"01.2.3.4\r\n", "invalid IP address"),
    (b"0\r\n", "invalid registrar ID"),
    (b"12345678901\r\n", "invalid registrar ID"),
    ("registrar \uff11\uff12\r\n".encode(), "invalid registrar ID"),  # full-width digits
    ("registrar Evil\u202eCorp\r\n".encode(), INVALID_REGISTRAR_NAME),
    ("registrar Zero\u200bWidth\r\n".encode(), INVALID_REGISTRAR_NAME),
    (b"registrar " + b"x" * (MAX_REGISTRAR_NAME_CHARS + 1), INVALID_REGISTRAR_NAME),
]


@pytest.mark.parametrize(("raw", "description"), INVALID_QUERIES)
def test_parse_whois_query_rejects(raw: bytes, description: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_whois_query(raw)
    assert caught.value.description == description


def test_length_limit_counts_every_byte_read() -> None:
    name = b"a" * (DEFAULT_MAX_QUERY_BYTES - len(b".coop\r\n")) + b".coop"
    assert len(name + b"\r\n") == DEFAULT_MAX_QUERY_BYTES
    with pytest.raises(InvalidQuery, match="invalid domain name"):
        parse_whois_query(name + b"\r\n")  # long label: the framing accepted it
    with pytest.raises(InvalidQuery, match=QUERY_TOO_LONG):
        parse_whois_query(name + b" \r\n")


def test_length_limit_is_a_setting() -> None:
    assert parse_whois_query(b"example.coop\r\n", max_query_bytes=14) == domain(EXAMPLE)
    with pytest.raises(InvalidQuery, match=QUERY_TOO_LONG):
        parse_whois_query(b"example.coop\r\n", max_query_bytes=13)
    query = b"registrar " + b"x" * MAX_REGISTRAR_NAME_CHARS
    expected = by_registrar_name("x" * MAX_REGISTRAR_NAME_CHARS)
    assert parse_whois_query(query, max_query_bytes=len(query)) == expected


def test_protocol_is_pure() -> None:
    """No sockets, no event loop, no web framework: stdlib and rdap_coop.core only."""
    tree = ast.parse(Path(whois_coop.protocol.__file__).read_text(encoding="utf-8"))
    imported = {
        module
        for node in ast.walk(tree)
        for module in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    allowed_stdlib = {"__future__", "collections.abc", "dataclasses", "enum", "ipaddress"}
    allowed_stdlib |= {"re", "unicodedata"}
    outside = {m for m in imported - allowed_stdlib if not m.startswith("rdap_coop.core")}
    assert not outside


# ------------------------------------------------------------------ properties


def assert_consistent(query: WhoisQuery) -> None:
    """Exactly the field named by the kind is set, and it is canonical."""
    fields = {
        "name": query.name,
        "address": query.address,
        "registrar_id": query.registrar_id,
        "registrar_name": query.registrar_name,
    }
    expected_field = {
        QueryKind.DOMAIN: "name",
        QueryKind.NAMESERVER: "name",
        QueryKind.NAMESERVER_BY_ADDRESS: "address",
        QueryKind.REGISTRAR_BY_ID: "registrar_id",
        QueryKind.REGISTRAR_BY_NAME: "registrar_name",
        QueryKind.HELP: None,
    }[query.kind]
    assert {key for key, value in fields.items() if value is not None} == (
        {expected_field} if expected_field else set()
    )
    if query.name is not None:
        assert query.name.ldh_name.isascii()
        assert query.name.ldh_name == query.name.ldh_name.lower()
    if query.address is not None:
        assert isinstance(query.address, IPv4Address | IPv6Address)
    if query.registrar_id is not None:
        assert 1 <= query.registrar_id < 2**31
    if query.registrar_name is not None:
        name = query.registrar_name
        assert name == " ".join(name.split())
        assert name.isprintable()
        assert 1 <= len(name) <= MAX_REGISTRAR_NAME_CHARS


KEYWORD_OF_KIND = {
    QueryKind.DOMAIN: "domain",
    QueryKind.NAMESERVER: "nameserver",
    QueryKind.NAMESERVER_BY_ADDRESS: "nameserver",
    QueryKind.REGISTRAR_BY_ID: "registrar",
    QueryKind.REGISTRAR_BY_NAME: "registrar",
}


def canonical_line(query: WhoisQuery) -> bytes:
    """The explicit, keyword-led spelling of an accepted query."""
    if query.kind is QueryKind.HELP:
        return b"help\r\n"
    values = (query.name and query.name.ldh_name, query.address, query.registrar_id)
    value = next((v for v in values if v is not None), query.registrar_name)
    return f"{KEYWORD_OF_KIND[query.kind]} ={value}\r\n".encode()


def check(raw: bytes) -> None:
    try:
        query = parse_whois_query(raw, max_query_bytes=4096)
    except InvalidQuery as error:
        assert error.description in ERROR_DESCRIPTIONS
        return
    assert_consistent(query)
    assert parse_whois_query(canonical_line(query), max_query_bytes=4096) == query


# Characters that reach the deeper branches: separators, the legacy prefix, digits,
# address punctuation, case-folded letters, combining marks; then controls and breaks.
PLAIN_CHARS = "aZ09-.=:? \u00a0\u3000\u3002éÉ\u0301協"
HOSTILE_CHARS = PLAIN_CHARS + "%\t\r\n\x00\x7f\x85\u200d\u2028"
LABELS = st.text(st.sampled_from("abcXYZ019-éÉ協"), min_size=1, max_size=10)
NAMES = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(LABELS, min_size=1, max_size=3),
    st.sampled_from(["coop", "COOP", "com", "рф", "coop."]),
)
ARGUMENTS = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from(HOSTILE_CHARS), max_size=40),
    st.text(st.sampled_from(PLAIN_CHARS), max_size=40),
    NAMES,
    st.ip_addresses().map(str),
    st.integers(min_value=0, max_value=2**32).map(str),
)
KEYWORDS = st.sampled_from(["", "=", "domain ", "NAMESERVER ", "registrar =", "help", "-B "])
TERMINATORS = st.sampled_from(["", "\n", "\r\n", "\r"])
QUERY_LINES = st.builds(
    lambda keyword, argument, end: f"{keyword}{argument}{end}".encode(),
    KEYWORDS,
    ARGUMENTS,
    TERMINATORS,
)


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_invalid_query(raw: bytes) -> None:
    check(raw)


@PROPERTY_SETTINGS
@given(QUERY_LINES)
def test_query_like_lines_parse_consistently(raw: bytes) -> None:
    check(raw)


REGISTRAR_NAMES = st.text(
    st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40
)


@PROPERTY_SETTINGS
@given(REGISTRAR_NAMES)
def test_registrar_names_are_normalised_once(text: str) -> None:
    check(f"registrar {text}\r\n".encode())
