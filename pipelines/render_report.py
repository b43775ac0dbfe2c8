"""`make report`: one self-contained HTML page of the dbt marts, written without a server.

python pipelines/render_report.py [--duckdb mews.duckdb] [--out reports/mews.html]
"""

import argparse
import sys
from pathlib import Path

import duckdb

from mews_report.figures import MissingMartsError, read_properties
from mews_report.page import render_page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", type=Path, default=Path("mews.duckdb"), help="the dbt target")
    parser.add_argument("--out", type=Path, default=Path("reports/mews.html"))
    args = parser.parse_args(argv)
    if not args.duckdb.is_file():
        print(f"report: no {args.duckdb}: run make demo and make dbt first", file=sys.stderr)
        return 1
    try:
        with duckdb.connect(str(args.duckdb), read_only=True) as connection:
            properties = read_properties(connection)
    except (MissingMartsError, duckdb.Error) as error:
        print(f"report: {args.duckdb}: {error}".splitlines()[0], file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_page(properties, str(args.duckdb)), encoding="utf-8")
    print(f"report: {args.out} ({len(properties)} properties)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
