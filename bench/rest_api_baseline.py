"""Baseline for the benchmark: Mews reservations through dlt's generic `rest_api` source.

Configured the way a dlt user would: POST with tokens and `Client` in the JSON body, the cursor
read from `Cursor` and written to `Limitation.Cursor`, incremental on `UpdatedUtc`, merge on
`Id`, parquet files without compression. `rest_api` cannot split the 3-month `UpdatedUtc` limit
into windows or page concurrently, so it gets one window and pages serially.

    python bench/rest_api_baseline.py --url URL --client-token T --access-token T \
        --start 2026-09-01T00:00:00Z --end 2026-11-27T00:00:00Z

The DuckDB file comes from DESTINATION__DUCKDB__CREDENTIALS, dlt's working dir from
DLT_DATA_DIR. Prints one JSON line with the rows loaded per table.
"""

import argparse
import sys
from collections.abc import Sequence

import dlt
import orjson
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_source
from dlt.sources.rest_api.typing import RESTAPIConfig

RESERVATIONS_PATH = "api/connector/v1/reservations/getAll/2023-06-06"
CLIENT = "dlt-rest-api-baseline 1.0"
PAGE_SIZE = 1000  # Limitation.Count maximum


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="platform URL")
    parser.add_argument("--client-token", required=True)
    parser.add_argument("--access-token", required=True)
    parser.add_argument("--start", required=True, help="initial UpdatedUtc (ISO 8601 UTC)")
    parser.add_argument("--end", required=True, help="EndUtc, at most 3 months after --start")
    return parser.parse_args(argv)


def source_config(args: argparse.Namespace) -> RESTAPIConfig:
    """The `rest_api` configuration of the reservations endpoint."""
    return {
        "client": {
            "base_url": args.url.rstrip("/") + "/",
            "paginator": JSONResponseCursorPaginator(
                cursor_path="Cursor", cursor_body_path="Limitation.Cursor"
            ),
        },
        "resource_defaults": {"primary_key": "Id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "reservations",
                "endpoint": {
                    "path": RESERVATIONS_PATH,
                    "method": "POST",
                    "json": {
                        "ClientToken": args.client_token,
                        "AccessToken": args.access_token,
                        "Client": CLIENT,
                        # Mews refuses intervals over 3 months: one window is all rest_api can do
                        "UpdatedUtc": {"StartUtc": "{incremental.start_value}", "EndUtc": args.end},
                        "Limitation": {"Count": PAGE_SIZE},
                    },
                    "data_selector": "Reservations",
                    "incremental": {"cursor_path": "UpdatedUtc", "initial_value": args.start},
                },
            }
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pipeline = dlt.pipeline(
        pipeline_name="mews_rest_api", destination="duckdb", dataset_name="mews_raw"
    )
    info = pipeline.run(rest_api_source(source_config(args)), loader_file_format="parquet")
    info.raise_on_failed_jobs()
    trace = pipeline.last_trace
    normalize = trace.last_normalize_info if trace else None
    rows = dict(normalize.row_counts) if normalize else {}
    sys.stdout.write(orjson.dumps({"rows": rows}).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
