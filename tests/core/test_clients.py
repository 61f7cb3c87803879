"""Accredited clients: the clients file, bearer tokens, query purposes and case references."""

from __future__ import annotations

import hmac
import ipaddress
import stat
import tempfile
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdap_coop.core.client_directory import ClientDirectory
from rdap_coop.core.clients import (
    KNOWN_PURPOSES,
    PURPOSES_BY_TIER,
    AuthenticationFailed,
    AuthFailure,
    ClientsFileError,
    InvalidCaseReference,
    PurposeNotAllowed,
    PurposeRequired,
    UnknownPurpose,
    hash_token,
    parse_case_reference,
    resolve_purpose,
)
from rdap_coop.core.clients_file import add_client, load_clients, parse_clients, toml_string
from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.redaction import AccessTier, Viewer

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TOKENS = {
    "registrar": "reg-token-Zq4xV0yq8Zt2rV1mQ9b7wE3sR6uY5iO0pA",
    "udrp": "udrp-token-Kd8fJ2hG5sL1aQ0wE9rT4yU7iO3pZ6xC",
    "police": "police-token-Mn7bV4cX1zL8kJ5hG2fD9sA0qW3eR6tY",
    "expired": "expired-token-Pl0oK9iJ8uH7yG6tF5rD4eS3wA2qZ1xC",
    "revoked": "revoked-token-Bv5nM6cX7zL8kJ9hG0fD1sA2qW3eR4tY",
}
CLIENTS_TOML = f"""
[[client]]
id = "c-000000000001"
organisation = "Example Registrar, Inc."
tier = "registrar"
registrar_id = 1234
token_sha256 = "{hash_token(TOKENS["registrar"])}"
created = 2026-01-01T00:00:00Z

[[client]]
id = "c-000000000002"
organisation = "WIPO Arbitration and Mediation Center"
tier = "udrp_provider"
token_sha256 = "{hash_token(TOKENS["udrp"])}"
networks = ["192.0.2.0/24", "2001:db8::/32"]
expires = 2027-12-31T00:00:00+01:00
rate_limit_burst = 1000
rate_limit_per_second = 50
created = 2026-11-29T12:00:00Z

[[client]]
id = "c-000000000003"
organisation = "Example Police Cyber Unit"
tier = "law_enforcement"
token_sha256 = "{hash_token(TOKENS["police"])}"
created = 2026-11-29T12:00:00Z

[[client]]
id = "c-000000000004"
organisation = "Former Provider"
tier = "udrp_provider"
token_sha256 = "{hash_token(TOKENS["expired"])}"
expires = 2026-06-30T00:00:00Z
created = 2025-11-29T12:00:00Z

[[client]]
id = "c-000000000005"
organisation = "Revoked Registrar"
tier = "registrar"
registrar_id = 99
token_sha256 = "{hash_token(TOKENS["revoked"])}"
revoked = true
created = 2025-11-29T12:00:00Z

[[whois_allow]]
network = "198.51.100.0/24"
tier = "law_enforcement"
organisation = "Example Police Cyber Unit"
purpose = "criminalInvestigationAndDNSAbuse"

[[whois_allow]]
network = "2001:db8:ffff::/48"
tier = "udrp_provider"
organisation = "WIPO Arbitration and Mediation Center"
"""
INSIDE = ipaddress.ip_address("192.0.2.10")
OUTSIDE = ipaddress.ip_address("203.0.113.5")


@pytest.fixture
def clients_file(tmp_path: Path) -> Path:
    path = tmp_path / "clients.toml"
    path.write_text(CLIENTS_TOML, encoding="utf-8")
    return path


@pytest.fixture
def directory(clients_file: Path) -> ClientDirectory:
    return ClientDirectory(clients_file)


# -- the clients file -------------------------------------------------------------------


def test_a_valid_file_loads_every_field(clients_file: Path) -> None:
    config = load_clients(clients_file)
    registrar, udrp, police, _, revoked = config.clients
    assert registrar.tier is AccessTier.REGISTRAR and registrar.registrar_id == 1234
    assert registrar.viewer == Viewer(AccessTier.REGISTRAR, 1234)
    assert registrar.networks == () and registrar.expires_at is None and not registrar.revoked
    assert udrp.organisation == "WIPO Arbitration and Mediation Center"
    assert udrp.networks == (ipaddress.ip_network("192.0.2.0/24"),
                             ipaddress.ip_network("2001:db8::/32"))
    assert udrp.expires_at == datetime(2027, 12, 30, 23, 0, tzinfo=UTC)
    assert udrp.rate_limit_burst == 1000 and udrp.rate_limit_per_second == 50.0
    assert udrp.created_at == NOW
    assert police.tier is AccessTier.LAW_ENFORCEMENT and police.registrar_id is None
    assert revoked.revoked
    police_range, wipo_range = config.whois_allowances
    assert police_range.network == ipaddress.ip_network("198.51.100.0/24")
    assert police_range.viewer == Viewer(AccessTier.LAW_ENFORCEMENT)
    assert police_range.purpose == "criminalInvestigationAndDNSAbuse"
    assert police_range.client_id == "whois-allow:198.51.100.0/24"
    assert wipo_range.purpose == "domainNameControl"


def client_entry(**fields: str | None) -> str:
    """One [[client]] table of raw TOML values; a None value leaves the key out."""
    values: dict[str, str | None] = {
        "id": '"c-0123456789ab"',
        "organisation": '"Cooperative Dispute Forum"',
        "tier": '"udrp_provider"',
        "token_sha256": f'"{"a" * 64}"',
        "created": "2026-11-29T12:00:00Z",
    }
    values.update(fields)
    body = "".join(f"{key} = {value}\n" for key, value in values.items() if value is not None)
    return "[[client]]\n" + body


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"id": None}, "id"),
        ({"id": '"c 1"'}, "id"),
        ({"organisation": '"   "'}, "organisation"),
        ({"organisation": "42"}, "organisation"),
        ({"tier": '"public"'}, "tier"),
        ({"tier": '"Registrar"'}, "tier"),
        ({"tier": '"registrar"'}, "registrar_id"),
        ({"registrar_id": "1234"}, "registrar_id"),
        ({"tier": '"registrar"', "registrar_id": "0"}, "registrar_id"),
        ({"tier": '"registrar"', "registrar_id": "true"}, "registrar_id"),
        ({"tier": '"registrar"', "registrar_id": '"1234"'}, "registrar_id"),
        ({"token_sha256": f'"{"A" * 64}"'}, "token_sha256"),
        ({"token_sha256": f'"{"a" * 63}"'}, "token_sha256"),
        ({"token_sha256": None}, "token_sha256"),
        ({"networks": '"192.0.2.0/24"'}, "networks"),
        ({"networks": '["192.0.2.1/24"]'}, "networks"),
        ({"networks": '["not-a-network"]'}, "networks"),
        ({"expires": "2027-12-31T00:00:00"}, "expires"),
        ({"expires": "2027-12-31"}, "expires"),
        ({"created": None}, "created"),
        ({"revoked": '"yes"'}, "revoked"),
        ({"rate_limit_burst": "0"}, "rate_limit_burst"),
        ({"rate_limit_burst": "1.5"}, "rate_limit_burst"),
        ({"rate_limit_per_second": "-1.0"}, "rate_limit_per_second"),
        ({"rate_limit_per_second": "false"}, "rate_limit_per_second"),
        ({"revokd": "true"}, "revokd"),
    ],
)
def test_each_invalid_field_is_named(fields: dict[str, str | None], named: str) -> None:
    text = client_entry(id='"c-000000000000"', token_sha256=f'"{"b" * 64}"') + client_entry(
        **fields
    )
    with pytest.raises(ClientsFileError) as failure:
        parse_clients(text, "clients.toml")
    assert f"clients.toml: [[client]] entry 2: {named} " in str(failure.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (client_entry() + client_entry(token_sha256=f'"{"b" * 64}"'), "entry 2: id is taken"),
        (client_entry() + client_entry(id='"c-1"'), "entry 2: token_sha256 is taken"),
        ('[[whois_allow]]\nnetwork = "198.51.100.0/24"\ntier = "udrp_provider"\n'
         'organisation = "A"\n[[whois_allow]]\nnetwork = "198.51.100.128/25"\n'
         'tier = "udrp_provider"\norganisation = "B"\n', "[[whois_allow]] entry 2: network"),
        ('[[whois_allow]]\nnetwork = "198.51.100.0/24"\ntier = "public"\norganisation = "A"\n',
         "[[whois_allow]] entry 1: tier"),
        ('[[whois_allow]]\ntier = "law_enforcement"\norganisation = "A"\n',
         "[[whois_allow]] entry 1: network"),
        ('[[whois_allow]]\nnetwork = "198.51.100.0/24"\ntier = "registrar"\n'
         'organisation = "A"\n', "[[whois_allow]] entry 1: registrar_id"),
        *(
            (f'[[whois_allow]]\nnetwork = "198.51.100.0/24"\ntier = "{tier}"\n'
             f'organisation = "A"\n{purpose}\n', "[[whois_allow]] entry 1: purpose must be")
            for tier, purpose in [
                ("law_enforcement", ""),
                ("law_enforcement", 'purpose = "domainNameControl"'),
                ("law_enforcement", 'purpose = "curiosity"'),
                ("law_enforcement", "purpose = 1"),
                ("udrp_provider", 'purpose = "legalActions"'),
            ]
        ),
        ('[[whois_allow]]\nnetwork = "198.51.100.0/24"\ntier = "law_enforcement"\n'
         'organisation = "A"\npurpose = "legalActions"\nid = "x"\n',
         "[[whois_allow]] entry 1: id is not a known field"),
        ("[client]\nid = 1\n", "client must be an array of tables"),
        ("[[clients]]\nid = 1\n", "unknown table 'clients'"),
        ("[[client]\n", "not valid TOML"),
    ],
)
def test_file_level_errors_are_explained(text: str, message: str) -> None:
    with pytest.raises(ClientsFileError) as failure:
        parse_clients(text)
    assert message in str(failure.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ClientsFileError, match="does not exist"):
        load_clients(tmp_path / "absent.toml")


def test_an_empty_file_has_no_clients(tmp_path: Path) -> None:
    (tmp_path / "clients.toml").write_text("# nobody yet\n")
    assert load_clients(tmp_path / "clients.toml").clients == ()


# -- authentication ---------------------------------------------------------------------


def test_no_authorization_header_is_a_public_request(directory: ClientDirectory) -> None:
    assert directory.authenticate(None, OUTSIDE, NOW) is None


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_a_good_token_names_its_client(directory: ClientDirectory, scheme: str) -> None:
    client = directory.authenticate(f"{scheme} {TOKENS['registrar']}", OUTSIDE, NOW)
    assert client is not None and client.client_id == "c-000000000001"


def test_a_client_with_networks_is_admitted_from_inside_them(directory: ClientDirectory) -> None:
    header = f"Bearer {TOKENS['udrp']}"
    for address in ("192.0.2.10", "::ffff:192.0.2.10", "2001:db8::7"):
        client = directory.authenticate(header, ipaddress.ip_address(address), NOW)
        assert client is not None and client.tier is AccessTier.UDRP_PROVIDER


def failure_reason(directory: ClientDirectory, header: str, address: object = INSIDE,
                   now: datetime = NOW) -> AuthFailure:
    assert isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address | None)
    with pytest.raises(AuthenticationFailed) as failure:
        directory.authenticate(header, address, now)
    return failure.value.reason


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        f"Basic {TOKENS['registrar']}",
        f"Bearer {TOKENS['registrar']} {TOKENS['udrp']}",
        f"Bearer {TOKENS['registrar']},x",
        f"Bearer\t{TOKENS['registrar']}",
        f"Token {TOKENS['registrar']}",
        f"Bearer {TOKENS['registrar']}" + "A" * 2000,
        "Bearer tökén",
    ],
)
def test_a_malformed_header_fails(directory: ClientDirectory, header: str) -> None:
    assert failure_reason(directory, header) is AuthFailure.MALFORMED


def test_an_unknown_token_fails(directory: ClientDirectory) -> None:
    assert failure_reason(directory, "Bearer not-a-real-token") is AuthFailure.UNKNOWN
    near_miss = TOKENS["registrar"][:-1] + "B"
    assert failure_reason(directory, f"Bearer {near_miss}") is AuthFailure.UNKNOWN


def test_an_expired_token_fails_from_its_expiry_on(directory: ClientDirectory) -> None:
    header = f"Bearer {TOKENS['expired']}"
    expiry = datetime(2026, 6, 30, tzinfo=UTC)
    assert failure_reason(directory, header, now=expiry) is AuthFailure.EXPIRED
    client = directory.authenticate(header, INSIDE, expiry - timedelta(seconds=1))
    assert client is not None


def test_a_revoked_token_fails(directory: ClientDirectory) -> None:
    assert failure_reason(directory, f"Bearer {TOKENS['revoked']}") is AuthFailure.REVOKED


def test_a_token_from_the_wrong_address_fails(directory: ClientDirectory) -> None:
    header = f"Bearer {TOKENS['udrp']}"
    assert failure_reason(directory, header, OUTSIDE) is AuthFailure.WRONG_ADDRESS
    assert failure_reason(directory, header, None) is AuthFailure.WRONG_ADDRESS
    v6_outside = ipaddress.ip_address("2001:db9::1")
    assert failure_reason(directory, header, v6_outside) is AuthFailure.WRONG_ADDRESS


def test_every_entry_is_compared_whatever_matches(
    directory: ClientDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_compare = hmac.compare_digest

    def counting_compare(a: str, b: str) -> bool:
        calls.append(1)
        return real_compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting_compare)
    directory.authenticate(f"Bearer {TOKENS['registrar']}", INSIDE, NOW)
    assert len(calls) == len(directory.config.clients)


def test_tokens_never_appear_in_reprs_or_messages(directory: ClientDirectory) -> None:
    seen: list[str] = [repr(directory), repr(directory.config)]
    for name, token in TOKENS.items():
        try:
            client = directory.authenticate(f"Bearer {token}", OUTSIDE, NOW)
            seen.append(repr(client))
        except AuthenticationFailed as refusal:
            seen += [str(refusal), repr(refusal), repr(refusal.args)]
            assert name in ("udrp", "expired", "revoked")
    for header in (f"Basic {TOKENS['udrp']}", f"Bearer {TOKENS['udrp']}x"):
        with pytest.raises(AuthenticationFailed) as failure:
            directory.authenticate(header, OUTSIDE, NOW)
        seen += [str(failure.value), repr(failure.value)]
    for token in TOKENS.values():
        assert not any(token in text or hash_token(token) in text for text in seen)


# -- WHOIS allow-list -------------------------------------------------------------------


def test_whois_allowances_match_their_range_only(directory: ClientDirectory) -> None:
    allowance = directory.whois_viewer_for(ipaddress.ip_address("198.51.100.77"))
    assert allowance is not None and allowance.tier is AccessTier.LAW_ENFORCEMENT
    mapped = ipaddress.ip_address("::ffff:198.51.100.77")
    assert directory.whois_viewer_for(mapped) == allowance
    assert directory.whois_viewer_for(OUTSIDE) is None
    assert directory.whois_viewer_for(ipaddress.ip_address("2001:db8::1")) is None
    assert directory.whois_viewer_for(None) is None


# -- reload -----------------------------------------------------------------------------


def test_reload_picks_up_a_new_client(clients_file: Path, directory: ClientDirectory) -> None:
    header = "Bearer brand-new-token"
    with pytest.raises(AuthenticationFailed):
        directory.authenticate(header, INSIDE, NOW)
    with clients_file.open("a") as file:
        file.write(client_entry(token_sha256=f'"{hash_token("brand-new-token")}"'))
    directory.reload()
    assert directory.version == 2
    client = directory.authenticate(header, INSIDE, NOW)
    assert client is not None and client.client_id == "c-0123456789ab"


@pytest.mark.parametrize("breakage", ["[[client]\n", "[[client]]\ntier = 'public'\n", None])
def test_a_failed_reload_keeps_the_old_clients(
    clients_file: Path, directory: ClientDirectory, breakage: str | None
) -> None:
    before = directory.config
    if breakage is None:
        clients_file.unlink()
    else:
        clients_file.write_text(breakage)
    with pytest.raises(ClientsFileError):
        directory.reload()
    assert directory.config is before and directory.version == 1
    assert directory.authenticate(f"Bearer {TOKENS['registrar']}", INSIDE, NOW) is not None


# -- adding clients ---------------------------------------------------------------------


def test_add_client_creates_a_private_file_and_its_token_works(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    client, token = add_client(path, tier=AccessTier.REGISTRAR, organisation="Coop Names Ltd",
                               registrar_id=4321, now=NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("# ") and token not in text and hash_token(token) in text
    assert len(token) >= 43 and client.client_id.startswith("c-")
    assert client.registrar_id == 4321 and client.created_at == NOW
    found = ClientDirectory(path).authenticate(f"Bearer {token}", OUTSIDE, NOW)
    assert found == client


def test_add_client_appends_and_keeps_existing_entries(clients_file: Path) -> None:
    before = clients_file.read_text()
    network = ipaddress.ip_network("2001:db8:1::/48")
    expires = datetime(2028, 1, 1, 9, 30, 15, 250, tzinfo=UTC)
    client, token = add_client(
        clients_file, tier=AccessTier.LAW_ENFORCEMENT, organisation="Europol EC3",
        registrar_id=None, networks=[network], expires_at=expires, now=NOW,
    )
    assert clients_file.read_text().startswith(before)
    config = load_clients(clients_file)
    assert len(config.clients) == 6 and config.clients[-1] == client
    assert client.networks == (network,) and client.expires_at == expires
    directory = ClientDirectory(clients_file)
    inside = ipaddress.ip_address("2001:db8:1::5")
    assert directory.authenticate(f"Bearer {token}", inside, NOW) == client


def test_two_added_clients_get_distinct_ids_and_tokens(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    first = add_client(path, tier=AccessTier.UDRP_PROVIDER, organisation="A", registrar_id=None,
                       now=NOW)
    second = add_client(path, tier=AccessTier.UDRP_PROVIDER, organisation="A", registrar_id=None,
                        now=NOW)
    assert first[0].client_id != second[0].client_id and first[1] != second[1]


@pytest.mark.parametrize(
    ("tier", "organisation", "registrar_id", "expires", "named"),
    [
        (AccessTier.PUBLIC, "A", None, None, "tier"),
        (AccessTier.REGISTRAR, "A", None, None, "registrar_id"),
        (AccessTier.UDRP_PROVIDER, "A", 12, None, "registrar_id"),
        (AccessTier.UDRP_PROVIDER, " \t", None, None, "organisation"),
        (AccessTier.UDRP_PROVIDER, "A" * 300, None, None, "organisation"),
        (AccessTier.UDRP_PROVIDER, "bad \ud800", None, None, "organisation"),
        (AccessTier.UDRP_PROVIDER, "A", None, datetime(2030, 1, 1), "expires"),
    ],
)
def test_add_client_refuses_bad_arguments_and_leaves_the_file_alone(
    clients_file: Path, tier: AccessTier, organisation: str, registrar_id: int | None,
    expires: datetime | None, named: str,
) -> None:
    before = clients_file.read_bytes()
    with pytest.raises(ClientsFileError, match=named):
        add_client(clients_file, tier=tier, organisation=organisation,
                   registrar_id=registrar_id, expires_at=expires, now=NOW)
    assert clients_file.read_bytes() == before
    assert [p.name for p in clients_file.parent.iterdir()] == ["clients.toml"]


def test_add_client_refuses_to_extend_a_broken_file(clients_file: Path) -> None:
    clients_file.write_text("[[client]]\nid = 1\n")
    with pytest.raises(ClientsFileError, match="entry 1"):
        add_client(clients_file, tier=AccessTier.UDRP_PROVIDER, organisation="A",
                   registrar_id=None, now=NOW)
    assert clients_file.read_text() == "[[client]]\nid = 1\n"


NO_SURROGATES = st.characters(exclude_categories=["Cs"])


@given(st.text(NO_SURROGATES))
def test_any_string_round_trips_through_toml(value: str) -> None:
    assert tomllib.loads(f"value = {toml_string(value)}\n")["value"] == value


@settings(max_examples=60, deadline=None)
@given(st.text(NO_SURROGATES, min_size=1, max_size=120).filter(str.strip))
def test_any_organisation_round_trips_through_the_file(organisation: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        path = Path(temporary) / "clients.toml"
        client, _ = add_client(path, tier=AccessTier.UDRP_PROVIDER, organisation=organisation,
                               registrar_id=None, now=NOW)
        assert client.organisation == organisation
        (loaded,) = load_clients(path).clients
        assert loaded.organisation == organisation


def test_awkward_organisations_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    names = ['Say "hi" \\ back', "Línea\nnueva\r\tx", "\x00\x1f\x7f", "'''", '"""', "#x = 1",
             "\u2028\ufeff🙂", "]]\n[[client]]"]
    for name in names:
        add_client(path, tier=AccessTier.UDRP_PROVIDER, organisation=name, registrar_id=None,
                   now=NOW)
    assert [client.organisation for client in load_clients(path).clients] == names


# -- purposes and case references -------------------------------------------------------


def test_every_entitled_purpose_is_registered() -> None:
    assert all(purposes <= KNOWN_PURPOSES for purposes in PURPOSES_BY_TIER.values())
    assert AccessTier.PUBLIC not in PURPOSES_BY_TIER
    assert len(KNOWN_PURPOSES) == 11


@pytest.mark.parametrize(
    ("tier", "requested", "resolved"),
    [
        (AccessTier.UDRP_PROVIDER, None, "domainNameControl"),
        (AccessTier.UDRP_PROVIDER, "", "domainNameControl"),
        (AccessTier.REGISTRAR, None, "domainNameControl"),
        (AccessTier.UDRP_PROVIDER, "domainNameControl", "domainNameControl"),
        (AccessTier.LAW_ENFORCEMENT, "legalActions", "legalActions"),
        (AccessTier.LAW_ENFORCEMENT, "criminalInvestigationAndDNSAbuse",
         "criminalInvestigationAndDNSAbuse"),
    ],
)
def test_purposes_resolve(tier: AccessTier, requested: str | None, resolved: str) -> None:
    assert resolve_purpose(tier, requested) == resolved


def test_a_tier_with_several_purposes_must_state_one() -> None:
    with pytest.raises(PurposeRequired) as failure:
        resolve_purpose(AccessTier.LAW_ENFORCEMENT, None)
    assert isinstance(failure.value, InvalidQuery) and failure.value.http_status == 400


@pytest.mark.parametrize(
    ("tier", "requested"),
    [
        (AccessTier.UDRP_PROVIDER, "legalActions"),
        (AccessTier.REGISTRAR, "criminalInvestigationAndDNSAbuse"),
        (AccessTier.LAW_ENFORCEMENT, "domainNameControl"),
        (AccessTier.PUBLIC, "domainNameControl"),
    ],
)
def test_a_registered_purpose_beyond_the_tier_is_not_allowed(
    tier: AccessTier, requested: str
) -> None:
    with pytest.raises(PurposeNotAllowed):
        resolve_purpose(tier, requested)


@pytest.mark.parametrize("requested", ["curiosity", "domainnamecontrol", "domainNameControl "])
def test_an_unregistered_purpose_is_a_bad_request(requested: str) -> None:
    with pytest.raises(UnknownPurpose) as failure:
        resolve_purpose(AccessTier.UDRP_PROVIDER, requested)
    assert failure.value.http_status == 400 and requested not in str(failure.value)


@pytest.mark.parametrize("raw", ["D2026-0123", "FA2511001234567", "case/2026:12_a.b", "x" * 64])
def test_valid_case_references_pass_unchanged(raw: str) -> None:
    assert parse_case_reference(raw) == raw


@pytest.mark.parametrize("raw", [None, ""])
def test_no_case_reference_is_none(raw: str | None) -> None:
    assert parse_case_reference(raw) is None


@pytest.mark.parametrize("raw", ["a b", "D2026-0123\n", "dossier-é", "x" * 65, "<script>", "a;b"])
def test_invalid_case_references_are_bad_requests(raw: str) -> None:
    with pytest.raises(InvalidCaseReference) as failure:
        parse_case_reference(raw)
    assert failure.value.http_status == 400


@given(st.text(max_size=80))
def test_an_accepted_case_reference_is_short_printable_ascii(raw: str) -> None:
    try:
        parsed = parse_case_reference(raw)
    except InvalidCaseReference:
        return
    assert parsed is None or (len(parsed) <= 64 and parsed.isascii() and parsed.isprintable()
                              and " " not in parsed)
