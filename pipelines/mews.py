"""Load Mews reservations and product service orders into DuckDB or any dlt destination.

Run from the repository root:  python pipelines/mews.py [--demo] [--destination NAME] ...
Exit code 0 on success; otherwise one line on stderr says why (never with a token).
"""

import argparse
import ctypes
import gc
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

import pyarrow

from mews_source import connection_names
from mews_source.errors import ConfigError
from mews_source.report import describe_error, format_summary
from mews_source.runner import DATASET_NAME, RunResult, check_resources, make_pipeline, run
from mews_source.stopping import Stopped, stopping_on_signals

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SIGNALLED = 128  # plus the signal's number, as a shell reports it: 143 SIGTERM, 130 SIGINT
M_ARENA_MAX = -8  # glibc's mallopt parameter
CONNECTION_KEYS = ("access_token", "enterprise_ids", "connections")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mews.py", description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="run offline against the simulator")
    parser.add_argument("--destination", default="duckdb", help="any dlt destination")
    parser.add_argument("--dataset", default=DATASET_NAME, help="dataset (schema) name")
    parser.add_argument("--start-date", help="first run starts here (ISO 8601 UTC)")
    parser.add_argument("--resources", help="comma-separated subset of resources")
    parser.add_argument("--refresh", action="store_true", help="drop tables and state, reload")
    parser.add_argument("--connection", help="load only this configured connection")
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="load connections one after another instead of together",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="if another run of this pipeline is loading, wait up to this long (default: fail)",
    )
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ConfigError(f"unknown log level {level!r}")
    logging.basicConfig(
        level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def load(args: argparse.Namespace, source_args: dict[str, Any]) -> RunResult:
    """Build the pipeline and run every chosen connection."""
    resources = check_resources(args.resources.split(",") if args.resources else None)
    if args.start_date:
        source_args["start_date"] = args.start_date
    names = [args.connection] if args.connection else _connection_names(source_args)
    pipeline = make_pipeline(args.destination, args.dataset)
    return run(
        pipeline,
        names,
        resources,
        args.refresh,
        wait_s=args.wait,
        sequential=args.sequential,
        **source_args,
    )


def _connection_names(source_args: dict[str, Any]) -> list[str]:
    """Connections from dlt config, unless the caller (the demo) passed them explicitly."""
    explicit = {k: source_args[k] for k in CONNECTION_KEYS if k in source_args}
    return connection_names(**explicit)


def main(argv: Sequence[str] | None = None) -> int:
    # Arrow's default pool keeps freed pages for reuse; the system allocator hands them
    # back, which kept peak RSS of a 200k backfill ~90 MB lower in bench/ measurements.
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    args = parse_args(argv)
    try:
        configure_logging(args.log_level)
        with stopping_on_signals():
            if args.demo:
                from mews_source.demo import run_demo

                return run_demo(args, load)
            result = load(args, {})
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        print(f"mews: stopped by {name}: the next run resumes from the last completed load",
              file=sys.stderr)  # fmt: skip
        return EXIT_SIGNALLED + stop.signum
    except Exception as exc:  # every failure becomes one line and an exit code
        message, bad_input = describe_error(exc)
        print(f"mews: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT if bad_input else EXIT_FAILED
    print(format_summary(result))
    if result.failed:
        for failed in result.failed:
            print(f"mews: error: connection {failed.name}: {failed.error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Fewer glibc heaps: each fetch thread otherwise gets its own and keeps freed pages.

    A rate-limited 1M backfill (bench regime b) peaked at ~530 MB with a heap per thread and
    ~470 MB with two; unthrottled runs were as fast. Must run before any thread starts.
    True where the allocator took the setting.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # not glibc: its allocator has no such setting
        return False


if __name__ == "__main__":
    limit_malloc_arenas()
    # Imports leave ~100k long-lived objects (dlt's most of them). Frozen, the cyclic
    # collector skips them during the run, and at exit it skips the interpreter's final
    # passes over everything: those took 0.6-0.7 s after a 200k backfill was loaded.
    gc.freeze()
    exit_code = main()
    gc.freeze()
    sys.exit(exit_code)
