"""Keyset paging over the real sample registry: every row exactly once, in order."""

from __future__ import annotations

import asyncpg
import pytest

from rdap_coop.core.queries import Registry
from rdap_coop.core.search_queries import Position, Searcher, SearchKind, SortKey
from tests.conftest import SampleDatabase


async def expected(test_database: SampleDatabase, sql: str, *args: object) -> list[str]:
    connection = await asyncpg.connect(test_database.admin_dsn)
    try:
        return [row[0] for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


async def page_through(
    searcher: Searcher, kind: SearchKind, match: str, sort: SortKey, descending: bool, size: int
) -> tuple[list[str], int | None]:
    names: list[str] = []
    after: Position | None = None
    total = None
    for _ in range(1000):
        page = await searcher.page(kind, match, sort=sort, descending=descending, after=after,
                                   size=size, count=after is None)
        if after is None:
            total = page.total
        names += [item.record.ldh_name for item in page.items]
        if len(page.items) < size:
            break
        after = page.positions[-1]
    return names, total


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", list(SortKey))
async def test_paging_returns_each_match_once_in_order(
    registry: Registry, test_database: SampleDatabase, sort: SortKey, descending: bool
) -> None:
    column = {
        SortKey.NAME: "ldh_name",
        SortKey.REGISTRATION_DATE: "created_at",
        SortKey.EXPIRATION_DATE: "expires_at",
        SortKey.LAST_CHANGED_DATE: "coalesce(updated_at, created_at)",
    }[sort]
    direction = "DESC" if descending else "ASC"
    order = f'{column} {direction}, ldh_name COLLATE "C" {direction}'
    if sort is SortKey.NAME:
        order = f'ldh_name COLLATE "C" {direction}'
    want = await expected(
        test_database,
        f"SELECT ldh_name FROM domain WHERE ldh_name COLLATE \"C\" LIKE $1 ORDER BY {order}",
        "c%.coop",
    )
    assert len(want) > 10
    got, total = await page_through(
        Searcher(registry), SearchKind.DOMAINS_BY_NAME, "c%.coop", sort, descending, 7
    )
    assert got == want
    assert total == len(want)


async def test_nameserver_and_address_searches(registry: Registry) -> None:
    searcher = Searcher(registry)
    page = await searcher.page(SearchKind.NAMESERVERS_BY_IP, "192.0.2.53", sort=SortKey.NAME,
                               descending=False, after=None, size=10, count=True)
    assert [ns.ldh_name for ns in page.items] == ["ns1.example.coop"]
    page = await searcher.page(SearchKind.DOMAINS_BY_NS_NAME, "ns1.example.coop",
                               sort=SortKey.NAME, descending=False, after=None, size=10,
                               count=False)
    assert [d.record.ldh_name for d in page.items] == ["example.coop"]
    assert page.total is None


async def test_a_wildcard_never_crosses_a_dot(registry: Registry) -> None:
    searcher = Searcher(registry)
    page = await searcher.page(SearchKind.NAMESERVERS_BY_NAME, "ns%.coop", sort=SortKey.NAME,
                               descending=False, after=None, size=50, count=False)
    assert page.items == ()  # ns1.example.coop is not "ns<anything without dots>.coop"
    page = await searcher.page(SearchKind.NAMESERVERS_BY_NAME, "ns%.example.coop",
                               sort=SortKey.NAME, descending=False, after=None, size=50,
                               count=False)
    assert [ns.ldh_name for ns in page.items] == ["ns1.example.coop", "ns2.example.coop"]
