"""Pages are gathered into larger tables without losing or reshaping a row."""

import pyarrow as pa

from mews_source.batching import PageBatcher, concatenated


def page(ids: list[str], **extra: list[object]) -> pa.Table:
    return pa.table({"id": ids, **extra})


def test_holds_pages_until_enough_rows_then_yields_one_concatenated_batch() -> None:
    batcher = PageBatcher(rows_per_batch=4)

    first = list(batcher.add(page(["a", "b"]), page(["a"])))
    second = list(batcher.add(page(["c", "d"]), None))

    assert first == []
    assert len(second) == 1
    assert second[0].parents[0].column("id").to_pylist() == ["a", "b", "c", "d"]
    assert second[0].children[0].column("id").to_pylist() == ["a"]
    assert list(batcher.flush()) == []


def test_flush_yields_what_is_left() -> None:
    batcher = PageBatcher(rows_per_batch=100)
    list(batcher.add(page(["a"]), None))

    (batch,) = batcher.flush()

    assert batch.parents[0].num_rows == 1 and batch.children == []


def test_pages_with_different_unknown_columns_concatenate_with_nulls() -> None:
    (table,) = concatenated([page(["a"], loyalty_tier=["Gold"]), page(["b"])])
    assert table.to_pylist() == [
        {"id": "a", "loyalty_tier": "Gold"},
        {"id": "b", "loyalty_tier": None},
    ]


def test_pages_whose_types_disagree_stay_separate() -> None:
    tables = [page(["a"], extra=["text"]), page(["b"], extra=[1])]
    assert concatenated(tables) == tables
