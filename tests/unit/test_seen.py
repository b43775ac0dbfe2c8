"""SeenIds: every Id of a run handed out once, newer versions flagged, checked against a dict."""

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mews_source import seen as seen_module
from mews_source.seen import BloomFilter, SeenIds, id_keys

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STAMP = pa.timestamp("us", tz="UTC")
POOL = [str(uuid.UUID(int=(7 << 120) + n * 0x9E3779B97F4A7C15)) for n in range(40)] + [
    "ABCDEF01-2345-6789-abcd-ef0123456789",  # upper case: not the same Id as its lower case
    "abcdef01-2345-6789-abcd-ef0123456789",
    "not-a-uuid",
    "röntgen-ümlaut-0000-0000-000000000000",  # 36 characters, more than 36 bytes
    "",
]


def stamps(seconds: list[int]) -> pa.Array:
    return pa.array([T0 + timedelta(seconds=s) for s in seconds], STAMP)


def page_strategy() -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(
        st.tuples(st.integers(0, len(POOL) - 1), st.integers(0, 5)), min_size=1, max_size=30
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(page_strategy(), min_size=1, max_size=12))
def test_verdicts_match_a_dictionary_of_newest_versions(pages: list[list[tuple[int, int]]]) -> None:
    seen, newest = SeenIds(), {}
    for page in pages:
        ids = [POOL[i] for i, _ in page]
        verdict = seen.admit(pa.array(ids, pa.string()), stamps([s for _, s in page]))
        first, newer = verdict.first.to_pylist(), verdict.newer.to_pylist()
        page_newest: dict[str, int] = {}
        for record_id, second in zip(ids, [s for _, s in page], strict=True):
            page_newest[record_id] = max(second, page_newest.get(record_id, -1))
        for record_id, second in page_newest.items():
            rows = [n for n, i in enumerate(ids) if i == record_id]
            flagged = [n for n in rows if first[n] or newer[n]]
            known = newest.get(record_id)
            if known is None or second > known:
                # exactly one copy goes on, and it is a newest one of the page
                assert len(flagged) == 1 and page[flagged[0]][1] == second
                assert first[flagged[0]] == (known is None)
                newest[record_id] = second
            else:
                assert flagged == []
    assert len(seen) >= len(newest)


def test_a_hundred_thousand_ids_are_each_handed_out_once() -> None:
    rng = np.random.default_rng(5)
    ids = [str(uuid.UUID(int=int(n))) for n in rng.integers(0, 2**63, 100_000)]
    seen, handed_out = SeenIds(), 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        handed_out += seen.admit(pa.array(chunk), stamps([0] * len(chunk))).first.true_count
    again = seen.admit(pa.array(ids[:5000]), stamps([0] * 5000))
    assert handed_out == len(set(ids)) and again.first.true_count == 0
    assert again.newer.true_count == 0 and len(seen._levels) <= 8


def test_runs_stop_merging_at_the_cap_and_every_id_is_still_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(seen_module, "MAX_LEVEL_KEYS", 4096)
    ids = [str(uuid.UUID(int=n * 7919 + 11)) for n in range(30_000)]
    seen = SeenIds()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        assert seen.admit(pa.array(chunk), stamps([1] * len(chunk))).first.true_count == 1000
    assert max(len(level.high) for level in seen._levels) <= 4096 and len(seen) == 30_000
    again = seen.admit(pa.array(ids[::7]), stamps([2] * len(ids[::7])))
    assert again.first.true_count == 0 and again.newer.true_count == len(ids[::7])


def test_the_filter_never_forgets_and_rarely_suspects() -> None:
    rng = np.random.default_rng(9)
    high, low = (rng.integers(0, 2**63, 200_000, dtype=np.uint64) for _ in range(2))
    bloom = BloomFilter(100_000)
    bloom.add(high[:100_000], low[:100_000])
    assert bloom.may_contain(high[:100_000], low[:100_000]).all()
    assert bloom.may_contain(high[100_000:], low[100_000:]).mean() < 0.02


def test_a_uuid_is_keyed_by_its_own_bytes_and_other_ids_by_a_digest() -> None:
    text = "c5bed8b2-54b7-4b72-a522-9e433cc76299"
    high, low = id_keys(pa.array([text, text.upper(), "x"]))
    value = uuid.UUID(text).int
    assert (int(high[0]), int(low[0])) == (value >> 64, value & (2**64 - 1))
    assert (high[1], low[1]) != (high[0], low[0]) and (high[2], low[2]) != (high[0], low[0])


def test_sliced_arrays_are_read_from_their_own_offset() -> None:
    ids = pa.array(POOL[:10])
    high, low = id_keys(ids.slice(3, 4))
    want_high, want_low = id_keys(pa.array(POOL[3:7]))
    assert list(high) == list(want_high) and list(low) == list(want_low)
