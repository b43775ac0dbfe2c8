"""Limitation cursors: request shape, page validation, and following a cursor to the last page."""

from collections.abc import Mapping
from typing import Any

import pytest

from mews_source.errors import MalformedPageError
from mews_source.paging import Page, fetch_pages, page_request, parse_page

FILTERS = {"ServiceIds": ["s1"], "UpdatedUtc": {"StartUtc": "a", "EndUtc": "b"}}


def items(*ids: str) -> list[dict[str, Any]]:
    return [{"Id": item_id} for item_id in ids]


@pytest.mark.parametrize(
    ("cursor", "limitation"),
    [
        pytest.param(None, {"Count": 100}, id="first-page-has-no-cursor"),
        pytest.param("c-1", {"Count": 100, "Cursor": "c-1"}, id="next-page-has-cursor"),
    ],
)
def test_page_request_adds_limitation_to_filters(
    cursor: str | None, limitation: dict[str, Any]
) -> None:
    assert page_request(FILTERS, 100, cursor) == {**FILTERS, "Limitation": limitation}


def test_page_request_leaves_the_filters_untouched() -> None:
    filters = {"ServiceIds": ["s1"]}
    page_request(filters, 10, "c")
    assert filters == {"ServiceIds": ["s1"]}


def test_parse_page_returns_items_and_cursor() -> None:
    data = {"Reservations": items("a", "b"), "Cursor": "b"}
    assert parse_page(data, "Reservations") == Page(items("a", "b"), "b")


def test_parse_page_accepts_an_empty_page_with_null_cursor_after_a_cursor() -> None:
    assert parse_page({"Reservations": [], "Cursor": None}, "Reservations", "b") == Page([], None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"Cursor": None}, "no list", id="missing-list"),
        pytest.param({"Data": [], "Cursor": None}, "no list", id="list-under-other-key"),
        pytest.param({"Reservations": None, "Cursor": None}, "no list", id="null-list"),
        pytest.param({"Reservations": {"Id": "a"}, "Cursor": "a"}, "no list", id="object-not-list"),
        pytest.param({"Reservations": ["a"], "Cursor": "a"}, "no list", id="list-of-strings"),
        pytest.param({"Reservations": items("a"), "Cursor": 7}, "is a int", id="cursor-int"),
        pytest.param({"Reservations": items("a"), "Cursor": {"Id": "a"}}, "dict", id="cursor-obj"),
    ],
)
def test_parse_page_refuses_undocumented_shape(data: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedPageError, match=message):
        parse_page(data, "Reservations")


def test_parse_page_refuses_a_cursor_that_does_not_move() -> None:
    with pytest.raises(MalformedPageError, match="did not move"):
        parse_page({"Reservations": items("x", "c"), "Cursor": "c"}, "Reservations", "c")


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        pytest.param(Page(items("a", "b", "c"), "c"), False, id="full-page-with-cursor"),
        pytest.param(Page(items("a", "b"), "b"), True, id="short-page"),
        pytest.param(Page(items("a", "b", "c"), None), True, id="null-cursor"),
        pytest.param(Page([], None), True, id="empty-page"),
        pytest.param(Page([], "z"), True, id="empty-page-with-cursor"),
        pytest.param(Page(items("a", "b", "c", "d"), "d"), False, id="more-than-asked"),
    ],
)
def test_page_is_last_when_empty_short_or_without_cursor(page: Page, expected: bool) -> None:
    assert page.is_last(3) is expected


class FakeEndpoint:
    """Serves `ids` newest first in pages, remembering every request body it received."""

    def __init__(self, ids: list[str], *, null_cursor_on_last: bool = False) -> None:
        self.ids = ids
        self.null_cursor_on_last = null_cursor_on_last
        self.requests: list[dict[str, Any]] = []

    def __call__(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self.requests.append(dict(body))
        limitation = body["Limitation"]
        after = self.ids.index(limitation["Cursor"]) + 1 if "Cursor" in limitation else 0
        chunk = self.ids[after : after + limitation["Count"]]
        cursor = chunk[-1] if chunk else None
        if after + len(chunk) >= len(self.ids) and self.null_cursor_on_last:
            cursor = None
        return {"Things": items(*chunk), "Cursor": cursor}

    @property
    def cursors(self) -> list[str | None]:
        return [request["Limitation"].get("Cursor") for request in self.requests]


@pytest.mark.parametrize(
    ("ids", "null_cursor_on_last", "cursors"),
    [
        pytest.param(list("abcdefg"), False, [None, "b", "d", "f"], id="stops-on-short-page"),
        pytest.param(list("abcdef"), False, [None, "b", "d", "f"], id="stops-on-empty-page"),
        pytest.param(list("abcdef"), True, [None, "b", "d"], id="stops-on-null-cursor"),
        pytest.param([], False, [None], id="stops-on-empty-first-page"),
        pytest.param(list("a"), False, [None], id="stops-on-short-first-page"),
    ],
)
def test_fetch_pages_follows_cursor_until_last_page(
    ids: list[str], null_cursor_on_last: bool, cursors: list[str | None]
) -> None:
    endpoint = FakeEndpoint(ids, null_cursor_on_last=null_cursor_on_last)
    pages = list(fetch_pages(endpoint, "Things", FILTERS, 2))
    assert [item["Id"] for page in pages for item in page.items] == ids
    assert endpoint.cursors == cursors
    assert all(request["Limitation"]["Count"] == 2 for request in endpoint.requests)
    assert all(request["ServiceIds"] == ["s1"] for request in endpoint.requests)
    assert all(request["UpdatedUtc"] == FILTERS["UpdatedUtc"] for request in endpoint.requests)


def test_fetch_pages_refuses_a_server_that_repeats_its_cursor() -> None:
    def stuck(body: Mapping[str, Any]) -> dict[str, Any]:
        return {"Things": items("a", "b"), "Cursor": "b"}

    pages = fetch_pages(stuck, "Things", {}, 2)
    assert next(pages).cursor == "b"
    with pytest.raises(MalformedPageError, match="did not move"):
        next(pages)


def test_fetch_pages_is_lazy() -> None:
    endpoint = FakeEndpoint(list("abcdef"))
    pages = fetch_pages(endpoint, "Things", {}, 2)
    next(pages)
    assert endpoint.cursors == [None]
