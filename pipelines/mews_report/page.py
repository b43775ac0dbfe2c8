"""Puts every property's charts on one HTML page: styles inline, no script, no outside file."""

from html import escape

from mews_report.figures import Chart, Property
from mews_report.svg import render_chart

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.source { color: #666; margin: 0 0 8px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure.chart { margin: 0; padding: 8px 12px; border: 1px solid #ddd; border-radius: 6px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { display: block; width: 100%; height: auto; }
.grid { stroke: #e6e6e6; } .axis { stroke: #999; }
.tick, .legend { font-size: 11px; fill: #555; }
.empty { color: #888; font-style: italic; margin: 40px 0; text-align: center; }
"""


def render_page(properties: list[Property], source: str) -> str:
    """The whole report: a section per property, a figure per chart."""
    sections = "".join(_section(p) for p in properties) or '<p class="empty">no properties</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Mews: occupancy, ADR, RevPAR and pickup</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Occupancy, ADR, RevPAR and pickup by property</h1>"
        f'<p class="source">From the dbt marts in {escape(source)}; nights are each '
        "property's local dates; hover a point for its figure.</p>"
        f"{sections}</body></html>\n"
    )


def _section(prop: Property) -> str:
    eid = escape(prop.enterprise_id)
    figures = "".join(_figure(prop.enterprise_id, chart) for chart in prop.charts)
    return (
        f'<section class="property" data-enterprise="{eid}"><h2>Property {eid}</h2>'
        f'<div class="charts">{figures}</div></section>'
    )


def _figure(enterprise_id: str, chart: Chart) -> str:
    return (
        f'<figure class="chart" data-chart="{chart.key}" data-enterprise="{escape(enterprise_id)}">'
        f"<figcaption>{escape(chart.title)}</figcaption>{render_chart(chart)}</figure>"
    )
