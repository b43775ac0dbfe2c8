"""One self-contained HTML page of the dbt marts: occupancy, ADR, RevPAR and pickup per property.

`figures` reads the marts over any DB-API connection, `svg` draws each chart as inline SVG (no
JavaScript, nothing fetched), `page` puts them on one page.
"""
