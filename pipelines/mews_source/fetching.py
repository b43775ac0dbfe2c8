"""One request of a window: post it, shape its page, and say what it leaves to read.

`prefetch` runs these on worker threads; `windows` decides what to request next.
"""

import logging
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mews_source.errors import RequestTooHeavyError
from mews_source.paging import Post, parse_page
from mews_source.shaping import updated_utc
from mews_source.windows import Outcome, WindowTask, lighter_tasks

logger = logging.getLogger(__name__)

Shape = Callable[[pa.StructArray], list[Any]]  # a page's records -> the items to load


def fetch_task(
    post: Post,
    result_key: str,
    task: WindowTask,
    shape: Shape,
) -> Outcome:
    """Request one page of a window and shape it; turn a 408 into smaller retries."""
    try:
        data = post(task.request())
    except RequestTooHeavyError:
        smaller = lighter_tasks(task)
        if not smaller:
            raise
        logger.info(
            "408 for %s..%s: retrying as %d lighter requests", task.start, task.end, len(smaller)
        )
        return Outcome([], None, retry_as=smaller)
    page = parse_page(data, result_key, task.cursor)
    if len(page.items) == 0:
        return Outcome([], page)
    items = shape(page.items)
    updated = updated_utc(page.items)
    bounds = pc.min_max(updated)
    return Outcome(
        items,
        page,
        newest=bounds["max"].as_py(),
        oldest=bounds["min"].as_py(),
        newest_first=_is_descending(updated),
    )


def _is_descending(values: pa.Array) -> bool:
    if len(values) < 2 or values.null_count:
        return len(values) < 2
    return bool(pc.all(pc.greater_equal(values[:-1], values[1:])).as_py())
