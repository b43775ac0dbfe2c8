"""Reads the marts in `mews_analytics` into per-property series, over any DB-API connection.

Only plain SQL without parameters runs here (paramstyles differ between DuckDB, psycopg2 and the
rest), so the same code reads a DuckDB file or any other dbt target.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

SCHEMA = "mews_analytics"
MARTS = ("occupancy_nightly", "revenue_nightly", "pace_nightly", "cancellations_daily")

Unit = Literal["ratio", "money", "count"]
Kind = Literal["line", "bar"]


class Connection(Protocol):
    """The part of a DB-API connection the report uses."""

    def cursor(self) -> Any: ...


class MissingMartsError(Exception):
    """The schema lacks marts the report reads; `make dbt` builds them."""

    def __init__(self, schema: str, missing: Sequence[str]) -> None:
        super().__init__(f"{schema} has no {', '.join(missing)}: run make dbt first")


@dataclass(frozen=True)
class Point:
    day: date
    value: float


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: Unit
    kind: Kind
    series: tuple[Series, ...]
    empty_note: str


@dataclass(frozen=True)
class Property:
    enterprise_id: str
    charts: tuple[Chart, ...]


Rows = list[tuple[Any, ...]]
# enterprise_id -> series name -> points, in the order the query returned them
Grouped = dict[str, dict[str, list[Point]]]


def read_properties(connection: Connection, schema: str = SCHEMA) -> list[Property]:
    """Every property found in the marts, with its charts; raises MissingMartsError."""
    missing = [m for m in MARTS if m not in _tables(connection, schema)]
    if missing:
        raise MissingMartsError(schema, missing)
    occupancy = _query(connection, _OCCUPANCY.format(schema=schema))
    revenue = _query(connection, _REVENUE.format(schema=schema))
    pace = _query(connection, _PACE.format(schema=schema))
    cancellations = _query(connection, _CANCELLATIONS.format(schema=schema))
    snapshots = {eid: snapshot for eid, _, _, _, snapshot in pace}
    groups = {
        "occupancy": _group((e, "occupancy", n, _ratio(s, a)) for e, n, s, a in occupancy),
        "adr": _group((e, cur, n, adr) for e, cur, n, adr, _ in revenue),
        "revpar": _group((e, cur, n, revpar) for e, cur, n, _, revpar in revenue),
        "pickup": _group(
            [(e, "7-day pickup", n, p7) for e, n, p7, _, _ in pace]
            + [(e, "1-day pickup", n, p1) for e, n, _, p1, _ in pace]
        ),
        "cancellations": _group((e, "cancellations", d, c) for e, d, c in cancellations),
    }
    ids = sorted({eid for group in groups.values() for eid in group})
    return [Property(eid, _charts(eid, groups, snapshots.get(eid))) for eid in ids]


def _charts(
    enterprise_id: str, groups: dict[str, Grouped], snapshot: date | None
) -> tuple[Chart, ...]:
    """The property's charts in page order, each from its group of series."""
    as_of = f", as of the snapshot of {snapshot.isoformat()}" if snapshot else ""
    specs: list[tuple[str, str, Unit, Kind, str]] = [
        ("occupancy", "Occupancy (rooms sold / rooms available)", "ratio", "line", _NO_ROWS),
        ("adr", "ADR (net room revenue / rooms sold)", "money", "line", _NO_ROWS),
        ("revpar", "RevPAR (net room revenue / rooms available)", "money", "line", _NO_ROWS),
        ("pickup", f"Pickup: rooms gained per night{as_of}", "count", "bar", _NO_PICKUP),
        ("cancellations", "Cancellations per day", "count", "bar", _NO_ROWS),
    ]
    return tuple(
        Chart(key, title, unit, kind, _series(groups[key].get(enterprise_id, {})), note)
        for key, title, unit, kind, note in specs
    )


_NO_ROWS = "no rows in the mart for this property"
_NO_PICKUP = "no pickup yet: it needs pace snapshots of earlier days (make dbt takes one a run)"
_OCCUPANCY = """
select enterprise_id, night_date, sum(rooms_sold), sum(rooms_available)
from {schema}.occupancy_nightly group by enterprise_id, night_date order by 1, 2
"""
_REVENUE = """
select enterprise_id, currency, night_date, adr, revpar
from {schema}.revenue_nightly order by 1, 2, 3
"""
# Pickup as of each property's latest snapshot, for the nights still ahead of it.
_PACE = """
select p.enterprise_id, p.night_date, p.pickup_7d, p.pickup_1d, p.snapshot_date
from {schema}.pace_nightly p
join (
    select enterprise_id, max(snapshot_date) as snapshot_date
    from {schema}.pace_nightly group by enterprise_id
) latest on latest.enterprise_id = p.enterprise_id and latest.snapshot_date = p.snapshot_date
order by 1, 3
"""
_CANCELLATIONS = """
select enterprise_id, cancellation_date, cancellations
from {schema}.cancellations_daily order by 1, 2
"""


def _tables(connection: Connection, schema: str) -> set[str]:
    rows = _query(
        connection,
        "select lower(table_name) from information_schema.tables "
        f"where lower(table_schema) = '{schema.lower()}'",
    )
    return {row[0] for row in rows}


def _query(connection: Connection, sql: str) -> Rows:
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _ratio(part: Any, whole: Any) -> float | None:
    return float(part or 0) / float(whole) if whole else None


def _group(rows: Iterable[tuple[str, str, date, Any]]) -> Grouped:
    """(enterprise, series, day, value) rows into points by enterprise and series; null: a gap."""
    grouped: Grouped = defaultdict(lambda: defaultdict(list))
    for enterprise_id, series, day, value in rows:
        if value is not None:
            grouped[enterprise_id][series].append(Point(day, float(value)))
    return grouped


def _series(by_name: dict[str, list[Point]]) -> tuple[Series, ...]:
    return tuple(Series(name, tuple(points)) for name, points in by_name.items() if points)
