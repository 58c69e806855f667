"""The HTML reports open in a real headless Chromium, self-contained, with every chart laid out."""
import re

import pytest

from tests import chromium
from tests.analytics_books import books_snapshot
from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(chromium.binary() is None,
                                reason="Chromium is not installed (Debian package `chromium`; .ci/run installs it)")

COMMANDS = [("kpis", "--snapshot", 3), ("insured", "--snapshot", 1), ("forecast", "--snapshot", 1),
            ("backtest", "--history", 2)]


@pytest.mark.parametrize("command, option, charts", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_report_renders_in_chromium_with_its_charts(write_json, tmp_path, command, option, charts):
    snapshot = write_json(books_snapshot(trade_payables="1000", inventory_value="500"))
    page = tmp_path / f"{command}.html"
    run_cli(command, option, snapshot, "--html", page, check=0)
    text = page.read_text()
    # self-contained: nothing to fetch (the only URLs are the SVG and XLink namespace names)
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)", text)   # url(#clip) is in-page
    assert set(re.findall(r"https?://[^\"'\s<>]+", text)) <= {"http://www.w3.org/2000/svg",
                                                              "http://www.w3.org/1999/xlink"}
    dom = chromium.dump_dom(page)
    assert f'data-charts="{charts}"' in dom
    assert f'data-charts-rendered="{charts}"' in dom, "a chart did not lay out"
    png = tmp_path / f"{command}.png"
    chromium.screenshot(page, png, 900, 700)
    from PIL import Image
    colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50          # not a blank page: text and coloured charts


def test_every_page_says_what_it_is(write_json, tmp_path):
    snapshot = write_json(books_snapshot())
    page = tmp_path / "insured.html"
    run_cli("insured", "--snapshot", snapshot, "--html", page, check=0)
    dom = chromium.dump_dom(page)
    assert "<title>Insured receivables — 2026-11-26</title>" in dom
    assert "insured book (collateral a bank may take)" in dom and "1,900.00" in dom
