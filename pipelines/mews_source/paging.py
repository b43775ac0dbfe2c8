"""Mews cursor pagination: `Limitation` in, `Cursor` out. Knows nothing of HTTP or dlt.

The API returns newest items first; the response Cursor is the Id of the oldest item
returned and null only when nothing is returned (guidelines/pagination.md).
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mews_source.errors import MalformedPageError

Post = Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Page:
    """One response: its items and the cursor that continues after them."""

    items: Any  # list of record dicts, or a StructArray from `shaping.read_page`
    cursor: str | None

    def is_last(self, page_size: int) -> bool:
        """True when no further page can hold data: empty, short, or no cursor."""
        return len(self.items) == 0 or self.cursor is None or len(self.items) < page_size


def page_request(
    filters: Mapping[str, Any], page_size: int, cursor: str | None = None
) -> dict[str, Any]:
    """The operation body for one page: the filters plus a `Limitation`."""
    limitation: dict[str, Any] = {"Count": page_size}
    if cursor is not None:
        limitation["Cursor"] = cursor
    return {**filters, "Limitation": limitation}


def parse_page(data: Mapping[str, Any], result_key: str, previous: str | None = None) -> Page:
    """Check the documented shape of a page and return it; refuse one that cannot progress."""
    items = data.get(result_key)
    if isinstance(items, pa.StructArray):
        pass  # read by `shaping.read_page` in the declared shape
    elif not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedPageError(f"response has no list of objects under {result_key!r}")
    cursor = data.get("Cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise MalformedPageError(f"response Cursor is a {type(cursor).__name__}, not a string")
    if len(items) and cursor is not None and cursor == previous:
        raise MalformedPageError("response Cursor did not move past the previous page")
    return Page(items, cursor)


def fetch_pages(
    post: Post, result_key: str, filters: Mapping[str, Any], page_size: int
) -> Iterator[Page]:
    """Follow the cursor from the newest page to the last one."""
    cursor: str | None = None
    while True:
        page = parse_page(post(page_request(filters, page_size, cursor)), result_key, cursor)
        yield page
        if page.is_last(page_size):
            return
        cursor = page.cursor
