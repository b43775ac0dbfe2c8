"""`mews.py --demo`: backfill the bundled simulator, change some bookings, load again, show it.

The data set is sized so that the demo takes well under a minute on 2 cores, and so that
occupancy looks like a real hotel's (about 55 %).

Works offline on a fresh machine: the simulator serves the documented API on loopback.
"""

import argparse
from collections.abc import Callable
from typing import Any

from mews_simulator import SimulatorConfig, running_simulator
from mews_source.report import format_summary
from mews_source.runner import RunResult, make_pipeline

DEMO_DATA = SimulatorConfig(
    seed=2026,
    enterprise_count=3,
    reservation_count=10_000,
    product_service_order_count=2_000,
    history_days=365,
    variation_fraction=0.02,
)
DEMO_START = "2024-01-01T00:00:00Z"

Loader = Callable[[argparse.Namespace, dict[str, Any]], RunResult]


def run_demo(args: argparse.Namespace, load: Loader) -> int:
    """Two runs against a fresh simulator: a backfill, then an incremental after changes."""
    with running_simulator(DEMO_DATA) as sim:
        source_args: dict[str, Any] = {
            "platform_url": sim.url,
            "client_token": sim.client_token,
            "access_token": sim.portfolio_token,
            "start_date": args.start_date or DEMO_START,
        }
        args.refresh, args.start_date = True, None
        print(f"mews demo: simulator at {sim.url} with {len(sim.enterprise_ids)} enterprises")
        first = load(args, dict(source_args))
        print("\nRun 1: backfill\n" + format_summary(first))
        if first.failed:
            return 1
        change = sim.data.mutate(fraction=0.03, create=200, seed=7)
        args.refresh = False
        second = load(args, dict(source_args))
        print(
            f"\nRun 2: incremental after {len(change.updated_reservation_ids)} reservations "
            f"changed and {len(change.created_reservation_ids)} were created\n"
            + format_summary(second)
        )
        expected = {r["Id"] for r in sim.data.reservations()}
    print(_hotel_view(args, expected))
    print("\nReport: run make dbt && make report, then open reports/mews.html")
    return 1 if second.failed else 0


def _hotel_view(args: argparse.Namespace, expected_ids: set[str]) -> str:
    """Reservations by state and guests by age category, read back from the destination."""
    pipeline = make_pipeline(args.destination, args.dataset)
    with pipeline.sql_client() as client:
        loaded = {row[0] for row in client.execute_sql("SELECT id FROM reservations") or []}
        states = client.execute_sql(
            "SELECT state, COUNT(*) FROM reservations GROUP BY state ORDER BY 2 DESC"
        )
        guests = client.execute_sql(
            "SELECT COALESCE(a.classification, 'unknown'), SUM(p.count) "
            "FROM reservations__person_counts p "
            "JOIN reservations r ON r.id = p.reservation_id "
            "LEFT JOIN age_categories a ON a.id = p.age_category_id "
            "WHERE r.state <> 'Canceled' GROUP BY 1 ORDER BY 2 DESC"
        )
    states, guests = states or [], guests or []
    match = "yes" if loaded == expected_ids else "NO"
    lines = [f"\nDataset {args.dataset} equals the simulator's reservations: {match}"]
    lines.append("Reservations by state:")
    lines.extend(f"  {state:<12}{count:>8,}" for state, count in states)
    lines.append("Guests by age category (not canceled):")
    lines.extend(f"  {category:<12}{int(count or 0):>8,}" for category, count in guests)
    return "\n".join(lines)
