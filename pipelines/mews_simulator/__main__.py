"""`python -m mews_simulator`: print one JSON line of connection info, serve until SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

import orjson

from mews_simulator.admin import info
from mews_simulator.config import SimulatorConfig
from mews_simulator.server import SimulatorServer
from mews_simulator.state import build_state


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mews_simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--enterprises", type=int, default=3)
    parser.add_argument("--reservations", type=int, default=5_000)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--history-days", type=int, default=730)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--latency-per-item", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=200, help="requests per window")
    parser.add_argument("--rate-window", type=float, default=30.0)
    parser.add_argument("--variation-fraction", type=float, default=0.0)
    parser.add_argument(
        "--clock-offset", type=float, default=0.0, help="seconds the server's clock runs ahead"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    config = SimulatorConfig(
        seed=args.seed, enterprise_count=args.enterprises, reservation_count=args.reservations,
        product_service_order_count=args.orders, history_days=args.history_days,
        rate_limit_requests=args.rate_limit, rate_limit_window_s=args.rate_window,
        latency_s=args.latency, latency_per_item_s=args.latency_per_item,
        variation_fraction=args.variation_fraction, clock_offset_s=args.clock_offset,
    )  # fmt: skip
    server = SimulatorServer(build_state(config), args.port)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    line = {"url": server.url, **info(server.state)}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()
    stop.wait()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
