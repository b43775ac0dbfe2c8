"""Property-based: record shapes the docs allow (or drafts show) load through the real pipeline.

A fake API (MockTransport via the source's `transport=`) serves generated reservations: Count
as integer or string, unknown scalar and object fields, unknown enum values, optional fields
absent or null, EnterpriseId on some records only. Every page must load and round-trip.
"""

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import httpx
import orjson
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mews_source import operations as api
from mews_source.runner import make_pipeline, run
from tests.reliability.figures import record
from tests.reliability.harness import DATASET
from tests.support import utc

SERVICE_ENTERPRISE = {"svc-stay-a": "ent-a", "svc-stay-b": "ent-b", "svc-extra-a": "ent-a"}
BOOKABLE = ("svc-stay-a", "svc-stay-b")
AGE_CATEGORIES = ("age-adult", "age-child", "age-infant")
STATES = ("Confirmed", "Started", "Processed", "Canceled", "Optional", "Waitlisted", "Teleported")
OPTIONAL_FIELDS = ("CancelledUtc", "GroupId", "Purpose", "ChannelNumber")
UNKNOWN_FIELDS = ("LoyaltyTier", "Extras", "CommanderNote")
NOW = datetime.now(UTC).replace(microsecond=0)
START_DATE = (NOW - timedelta(days=3)).isoformat()
ABSENT = object()

scalars = st.one_of(
    st.integers(-(2**40), 2**40), st.text(max_size=6), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)  # fmt: skip
objects = st.dictionaries(st.sampled_from(["Code", "Level"]), st.none() | scalars, max_size=2)
counts = st.integers(0, 9).flatmap(lambda n: st.sampled_from([n, str(n)]))


def updated_utc() -> st.SearchStrategy[str]:
    """UpdatedUtc within the last two days, with 0, 3 or 7 fraction digits as Mews sends them."""

    def text(offset: int, fraction: str) -> str:
        moment = NOW - timedelta(days=2) + timedelta(seconds=offset)
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"

    fractions = st.sampled_from(["", ".500", ".1234567", ".000"])
    return st.builds(text, st.integers(0, 86_400), fractions)


@st.composite
def reservation(draw: st.DrawFn, record_id: str, unknown: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Id": record_id,
        "ServiceId": draw(st.sampled_from(BOOKABLE)),
        "UpdatedUtc": draw(updated_utc()),
        "State": draw(st.sampled_from(STATES)),
        "Number": draw(st.integers(1, 99_999).map(str)),
    }
    for name in OPTIONAL_FIELDS:
        value = draw(st.sampled_from([ABSENT, None, "2024-05-01T10:00:00Z" if "Utc" in name
                                      else "x-" + name]))  # fmt: skip
        if value is not ABSENT:
            doc[name] = value
    categories = draw(st.lists(st.sampled_from(AGE_CATEGORIES), unique=True, max_size=3))
    doc["PersonCounts"] = [{"AgeCategoryId": a, "Count": draw(counts)} for a in categories]
    if draw(st.booleans()):
        doc["EnterpriseId"] = draw(st.sampled_from(["ent-a", "ent-b", "ent-z"]))
    if draw(st.booleans()):
        doc["Options"] = {
            "OwnerCheckedIn": draw(st.booleans()),
            "FutureOption": draw(st.booleans()),
        }
    for name, kind in unknown.items():
        value = draw(st.sampled_from([ABSENT, None]) | (objects if kind == "object" else scalars))
        if value is not ABSENT:
            doc[name] = value
    return doc


@st.composite
def pages(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.uuids().map(str), min_size=1, max_size=30, unique=True))
    unknown = {n: draw(st.sampled_from(["scalar", "object"])) for n in UNKNOWN_FIELDS}
    return [draw(reservation(record_id, unknown)) for record_id in ids]


def fake_api(records: list[dict[str, Any]]) -> httpx.MockTransport:
    """Services, age categories and one page of `records` per UpdatedUtc window asked for."""
    services = [
        {"Id": s, "EnterpriseId": e, "Data": {"Discriminator": "Bookable" if s in BOOKABLE
                                               else "Additional"}}
        for s, e in SERVICE_ENTERPRISE.items()
    ]  # fmt: skip
    ages = [{"Id": a, "ServiceId": "svc-stay-a", "IsActive": True} for a in AGE_CATEGORIES]

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        path = request.url.path
        if path == api.SERVICES.path:
            return httpx.Response(200, json={"Services": services, "Cursor": None})
        if path == api.AGE_CATEGORIES.path:
            return httpx.Response(200, json={"AgeCategories": ages, "Cursor": None})
        if path == api.PRODUCT_SERVICE_ORDERS.path:
            return httpx.Response(200, json={"ProductServiceOrders": [], "Cursor": None})
        assert path == api.RESERVATIONS.path, path
        low, high = (utc(body["UpdatedUtc"][k]) for k in ("StartUtc", "EndUtc"))
        page = [r for r in records if low <= utc(r["UpdatedUtc"]) <= high]
        page.sort(key=lambda r: utc(r["UpdatedUtc"]), reverse=True)
        return httpx.Response(200, json={"Reservations": page,
                                         "Cursor": page[-1]["Id"] if page else None})  # fmt: skip

    return httpx.MockTransport(handler)


def load_page(records: list[dict[str, Any]], workdir: Path) -> duckdb.DuckDBPyConnection:
    db = workdir / "mews.duckdb"
    pipeline = make_pipeline(dlt.destinations.duckdb(str(db)), DATASET, str(workdir / "dlt"))
    result = run(
        pipeline, ["default"], ["reservations", "services"], False,
        platform_url="http://mews.invalid", client_token="client", access_token="access",
        start_date=START_DATE, transport=fake_api(records),
    )  # fmt: skip
    assert not result.failed, result.failed
    return duckdb.connect(str(db), read_only=True)


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else orjson.dumps(value).decode()


# No shrinking: each example is a whole pipeline run; a failure shows its unshrunk page.
@settings(
    max_examples=10, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(records=pages())
def test_every_generated_page_loads_and_round_trips(records: list[dict[str, Any]]):
    with tempfile.TemporaryDirectory() as workdir, load_page(records, Path(workdir)) as con:
        rows = con.execute(
            f"SELECT id, state, updated_utc, enterprise_id FROM {DATASET}.reservations"
        ).fetchall()
        counts = con.execute(
            f"SELECT reservation_id, age_category_id, count "
            f"FROM {DATASET}.reservations__person_counts"
        ).fetchall()
        columns = {c[0] for c in con.execute(f"SELECT * FROM {DATASET}.reservations").description}
        scalar_columns = {
            name: con.execute(f"SELECT id, {column} FROM {DATASET}.reservations").fetchall()
            for name, column in (("LoyaltyTier", "loyalty_tier"), ("CommanderNote",
                                                                   "commander_note"))
            if column in columns
        }  # fmt: skip

    want = {
        r["Id"]: (r["State"], utc(r["UpdatedUtc"]),
                  r.get("EnterpriseId") or SERVICE_ENTERPRISE[r["ServiceId"]])
        for r in records
    }  # fmt: skip
    assert len(rows) == len(want)
    assert {r[0]: (r[1], r[2].astimezone(UTC), r[3]) for r in rows} == want
    want_counts = {
        (r["Id"], p["AgeCategoryId"], int(p["Count"])) for r in records for p in r["PersonCounts"]
    }
    assert len(counts) == len(want_counts)
    assert set(counts) == want_counts
    by_id = {r["Id"]: r for r in records}
    for name, values in scalar_columns.items():
        if any(isinstance(r.get(name), dict) for r in records):
            continue
        assert {i: v for i, v in values} == {i: _text(by_id[i].get(name)) for i in by_id}, name
    record(
        "payload shapes (hypothesis, one run per example)",
        "Count int/str, unknown scalar/object fields, unknown States, absent/null optionals,"
        " EnterpriseId on some records",
        runs=1, lost=len(want) - len(rows), duplicated=len(rows) - len({r[0] for r in rows}),
        outcome=f"{len(records)} reservations",
    )  # fmt: skip
