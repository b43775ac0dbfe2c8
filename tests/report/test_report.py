"""`make report` on marts with known figures, opened in headless Chromium: the charts show them."""

import json
from collections import defaultdict
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import render_report
from PIL import Image

from mews_report.svg import COLOURS
from tests.report.conftest import PROPERTIES, SNAPSHOT, Marts, chromium, known_marts, write_marts

# chart -> enterprise -> series -> {night: value}
Figures = dict[str, dict[str, dict[str, dict[str, float]]]]


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, Marts]:
    marts = known_marts()
    write_marts(tmp_path / "marts.duckdb", marts)
    out = tmp_path / "reports" / "mews.html"
    assert render_report.main(["--duckdb", str(tmp_path / "marts.duckdb"), "--out", str(out)]) == 0
    return out, marts


def expected_figures(marts: Marts) -> Figures:
    """The figures each chart should carry, recomputed from the mart rows in Python."""
    figures: Figures = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    sold: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for eid, night, _, available, rooms_sold, _ in marts.occupancy:
        sold[eid, night][0] += rooms_sold
        sold[eid, night][1] += available
    for (eid, night), (rooms_sold, available) in sold.items():
        figures["occupancy"][eid]["occupancy"][night.isoformat()] = rooms_sold / available
    for eid, night, currency, *_, adr, revpar in marts.revenue:
        if adr is not None:
            figures["adr"][eid][currency][night.isoformat()] = adr
        figures["revpar"][eid][currency][night.isoformat()] = revpar
    for snapshot, eid, night, _, _, p1, p7 in marts.pace:
        if snapshot == SNAPSHOT:
            if p7 is not None:
                figures["pickup"][eid]["7-day pickup"][night.isoformat()] = p7
            figures["pickup"][eid]["1-day pickup"][night.isoformat()] = p1
    for eid, day, cancellations, _, _ in marts.cancellations:
        figures["cancellations"][eid]["cancellations"][day.isoformat()] = cancellations
    return figures


class _Points(HTMLParser):
    """The `point` elements of a dumped DOM, under their figure."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: Figures = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
        self.charts: list[tuple[str, str]] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure":
            self.charts.append((a["data-enterprise"] or "", a["data-chart"] or ""))
        elif tag == "svg":
            self.svgs += 1
        elif "point" in (a.get("class") or "").split():
            eid, chart = self.charts[-1]
            series = self.figures[chart][eid][a["data-series"] or ""]
            series[a["data-night"] or ""] = float(a["data-value"] or "nan")


def test_every_chart_is_drawn_with_the_marts_figures(
    report: tuple[Path, Marts], tmp_path: Path, needs_chromium: None
) -> None:
    out, marts = report
    dom = chromium("--dump-dom", out.as_uri(), profile=tmp_path / "profile").stdout
    drawn = _Points()
    drawn.feed(dom)
    charts = ["occupancy", "adr", "revpar", "pickup", "cancellations"]
    assert drawn.charts == [(eid, chart) for eid in sorted(PROPERTIES) for chart in charts]
    assert drawn.svgs == len(drawn.charts)
    expected = expected_figures(marts)
    for chart in charts:
        for eid in PROPERTIES:
            assert drawn.figures[chart][eid].keys() == expected[chart][eid].keys(), (chart, eid)
            for series, points in expected[chart][eid].items():
                assert len(drawn.figures[chart][eid][series]) == len(points), (chart, eid, series)
                assert drawn.figures[chart][eid][series] == pytest.approx(points, rel=1e-12)
    assert set(drawn.figures["adr"]["ent-west"]) == {"USD"}
    assert set(drawn.figures["adr"]["ent-east"]) == {"CZK"}


def test_each_chart_area_shows_its_lines_or_bars_in_a_screenshot(
    report: tuple[Path, Marts], tmp_path: Path, needs_chromium: None
) -> None:
    out, _ = report
    # A copy that writes each chart's plot area (the legend left out) into the DOM; the screenshot
    # is of the same layout.
    boxes_page = tmp_path / "boxes.html"
    boxes_page.write_text(
        out.read_text().replace("</body>", f"<script>{_BOXES}</script></body>"), encoding="utf-8"
    )
    dom = chromium("--dump-dom", boxes_page.as_uri(), profile=tmp_path / "profile").stdout
    boxes = json.loads(dom.split('<pre id="boxes">')[1].split("</pre>")[0])
    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", out.as_uri(), profile=tmp_path / "profile")
    image = Image.open(shot).convert("RGB")
    assert len(boxes) == 2 * 5
    colours = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in COLOURS]
    for box in boxes:
        assert box["bottom"] <= image.height, f"{box['chart']} below the screenshot"
        area = image.crop((box["left"], box["top"], box["right"], box["bottom"]))
        inked = sum(
            n for n, pixel in area.getcolors(1 << 20) or [] if _near(pixel, colours)
        )  # fmt: skip
        assert inked > 200, f"{box['enterprise']} {box['chart']}: only {inked} pixels drawn"


_BOXES = """
const boxes = [...document.querySelectorAll('figure.chart')].map(f => {
  const r = f.querySelector('rect.plot-area').getBoundingClientRect();
  return {enterprise: f.dataset.enterprise, chart: f.dataset.chart,
          left: Math.ceil(r.left), top: Math.ceil(r.top),
          right: Math.floor(r.right), bottom: Math.floor(r.bottom)};
});
const pre = document.createElement('pre'); pre.id = 'boxes';
pre.textContent = JSON.stringify(boxes); document.body.appendChild(pre);
"""


def _near(pixel: tuple[int, int, int], colours: list[tuple[int, ...]]) -> bool:
    return any(sum(abs(a - b) for a, b in zip(pixel, c, strict=True)) < 60 for c in colours)


def test_the_page_loads_nothing_from_outside(report: tuple[Path, Marts]) -> None:
    html = report[0].read_text()
    assert "<script" not in html
    assert "http" not in html and "src=" not in html and "href=" not in html


@pytest.mark.parametrize("tables", [False, True], ids=["no-marts", "some-marts"])
def test_missing_marts_give_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tables: bool
) -> None:
    db = tmp_path / "raw.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema mews_analytics")
        if tables:
            con.execute("create table mews_analytics.occupancy_nightly (enterprise_id varchar)")
    assert render_report.main(["--duckdb", str(db), "--out", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.strip().endswith("run make dbt first"), err
    assert "revenue_nightly" in err and not (tmp_path / "r.html").exists()


def test_a_missing_database_file_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert render_report.main(["--duckdb", str(tmp_path / "none.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err == f"report: no {tmp_path / 'none.duckdb'}: run make demo and make dbt first\n"
