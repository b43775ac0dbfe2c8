"""Marts with known figures in a DuckDB file, and headless Chromium to open the report in."""

import random
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

CHROMIUM = Path("/usr/bin/chromium")
WINDOW = (1280, 4000)
START = date(2026, 3, 1)
NIGHTS = 45
SNAPSHOT = START + timedelta(days=30)
# Two properties in different currencies, two room categories each.
PROPERTIES = {"ent-west": ("USD", 180.0, (20, 12)), "ent-east": ("CZK", 3200.0, (30, 8))}


@dataclass
class Marts:
    occupancy: list[tuple[str, date, str, int, int, float]]
    revenue: list[tuple[str, date, str, float, float, int, int, float | None, float]]
    pace: list[tuple[date, str, date, int, float, int | None, int | None]]
    cancellations: list[tuple[str, date, int, int, float]]


def known_marts(seed: int = 16) -> Marts:
    """Seasonal, seeded figures; a night with no room sold (null ADR) and a null 7-day pickup."""
    rng = random.Random(seed)
    marts = Marts([], [], [], [])
    for eid, (currency, rate, categories) in PROPERTIES.items():
        for i in range(NIGHTS):
            night = START + timedelta(days=i)
            weekend = night.weekday() >= 4
            sold_total, available_total = 0, 0
            for c, rooms in enumerate(categories):
                available = rooms - (1 if i % 11 == c else 0)
                share = 0.55 + 0.3 * weekend + rng.uniform(-0.15, 0.15)
                sold = 0 if i == 9 else min(available, round(available * share))
                marts.occupancy.append(
                    (eid, night, f"{eid}-cat{c}", available, sold, sold / available)
                )
                sold_total, available_total = sold_total + sold, available_total + available
            net = round(sold_total * rate * rng.uniform(0.9, 1.2), 2)
            adr = round(net / sold_total, 2) if sold_total else None
            marts.revenue.append(
                (eid, night, currency, net, round(net * 1.1, 2), sold_total, available_total,
                 adr, round(net / available_total, 2))
            )  # fmt: skip
            if night > SNAPSHOT:
                for snapshot in (SNAPSHOT - timedelta(days=1), SNAPSHOT):
                    books = sold_total - (night - snapshot).days // 3
                    p1, p7 = rng.randint(-1, 4), rng.randint(0, 9)
                    marts.pace.append(
                        (snapshot, eid, night, books, books * rate, p1, None if i == 40 else p7)
                    )
            if i % 2 == 0:
                marts.cancellations.append(
                    (eid, night, rng.randint(0, 6), rng.randint(0, 15), 12.5)
                )
    return marts


def write_marts(path: Path, marts: Marts) -> None:
    """The four marts in schema mews_analytics, with the contract's columns."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema mews_analytics")
        con.execute(
            "create table mews_analytics.occupancy_nightly (enterprise_id varchar, "
            "night_date date, resource_category_id varchar, rooms_available integer, "
            "rooms_sold integer, occupancy double)"
        )
        con.execute(
            "create table mews_analytics.revenue_nightly (enterprise_id varchar, night_date date, "
            "currency varchar, room_revenue_net decimal(18, 2), room_revenue_gross decimal(18, 2), "
            "rooms_sold integer, rooms_available integer, adr decimal(18, 2), "
            "revpar decimal(18, 2))"
        )
        con.execute(
            "create table mews_analytics.pace_nightly (snapshot_date date, enterprise_id varchar, "
            "night_date date, rooms_on_the_books integer, room_revenue_on_the_books double, "
            "pickup_1d integer, pickup_7d integer)"
        )
        con.execute(
            "create table mews_analytics.cancellations_daily (enterprise_id varchar, "
            "cancellation_date date, cancellations integer, cancelled_room_nights integer, "
            "median_lead_time_days double)"
        )
        for table, rows in (
            ("occupancy_nightly", marts.occupancy),
            ("revenue_nightly", marts.revenue),
            ("pace_nightly", marts.pace),
            ("cancellations_daily", marts.cancellations),
        ):
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into mews_analytics.{table} values ({marks})", rows)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Headless Debian Chromium, as root on a closed network: no sandbox, no background calls."""
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture
def needs_chromium() -> None:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
