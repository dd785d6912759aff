"""The HTML report (issue 18): ``timeline --format html``, opened in a real headless Chromium.

The browser tests use Debian's ``chromium`` and ``chromium-driver`` through selenium, one browser
for the module. Where Chromium is missing they skip with the reason; CI (``.ci/run``) sets
NEWSDEDUP_REQUIRE_BROWSER=1 (and installs both packages), so there they fail instead."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, SAMPLES, run_cli
from .test_cli import _golden
from .test_hostile import ANSI, MARKUP, STORY
from .test_timeline import QUOTE, SAMPLES_ARGS

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots (ignored by git)
WIDE, PHONE = 1280, 390  # a laptop window and a common phone width, in CSS pixels
SENTINEL = "window.__pwned"
XSS = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
    '</script><!-- <b>not bold</b> <svg onload="window.__pwned=3">'
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of samples/, written with -o as a user would."""
    path = tmp_path_factory.mktemp("report") / "samples-report.html"
    r = run_cli("timeline", "-f", "html", "-o", str(path), *SAMPLES_ARGS)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # the report went to the file, nothing to stdout
    return path


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A report of hostile inputs: markup and script in a headline, an outlet, a passage and
    a file name; terminal escapes and rich markup (the hostile corpus's); a skipped file."""
    root = tmp_path_factory.mktemp("hostile-html")
    record = {"title": f"Yard fire {XSS}", "text": f"{STORY} A witness wrote {XSS} on a wall.",
              "source": "Out</script><script>window.__pwned=4</script><!--"}  # fmt: skip
    (root / "export.jsonl").write_text(json.dumps(record) + "\n")
    (root / "ansi.txt").write_text(f"{ANSI} {MARKUP} Officials said the bridge opened today.\n")
    (root / f"{XSS[:40].replace('/', '')}.txt").write_text("")  # skipped: empty, shown by name
    path = root.parent / "hostile.html"
    r = run_cli("timeline", "-f", "html", "-o", str(path), str(root))
    assert r.returncode == 1, r.stderr  # one input skipped
    return path, path.read_text(encoding="utf-8")


def _chromium() -> str | None:
    return next((c for c in CHROMIUM if os.access(c, os.X_OK)), None) or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, with the console log kept."""
    exe = _chromium()
    missing = None
    if exe is None or not os.access(CHROMEDRIVER, os.X_OK):
        missing = "chromium or chromedriver is not installed (Debian: chromium chromium-driver)"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            missing = "selenium is not installed (test extras)"
    if missing:
        if os.environ.get("NEWSDEDUP_REQUIRE_BROWSER"):
            pytest.fail(f"{missing} (NEWSDEDUP_REQUIRE_BROWSER is set)")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = exe  # type: ignore[assignment]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-GB"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(WIDE, 900)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, path: Path, width: int = WIDE) -> list[dict[str, Any]]:
    """Load the report; returns the console messages of the load."""
    driver.set_window_size(width, 900)
    driver.get_log("browser")  # drop what came before
    driver.get(path.as_uri())
    return driver.get_log("browser")


def _shown(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('article.story'))"
        ".filter(e => e.offsetParent !== null).map(e => e.id)"
    )


def _settled(driver: Any, count: int) -> list[str]:
    """The stories shown once ``count`` of them are (a form's reset applies after its event:
    on a loaded machine the page may not have redrawn when the click returns); after 5 s, as
    they are."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 5).until(lambda d: len(_shown(d)) == count)
    return _shown(driver)


# ---------------------------------------------------------------------------------------------
# the file itself (no browser)


def test_html_golden(report: Path) -> None:
    _golden("timeline.html", report.read_text(encoding="utf-8"))


def test_html_is_self_contained_and_its_policy_names_its_own_script(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    urls = set(re.findall(r"""(?:https?:|//)[^\s"'<>)]+""", page)) - {"//www.w3.org/2000/svg"}
    assert {u for u in urls if not u.startswith("http://www.w3.org/2000/svg")} == set()
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b|\bsrc=|@import|url\(", page)
    (csp,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    blocks = re.findall(r"<(script|style)>(.*?)</\1>", page, re.S)
    assert sorted(kind for kind, _ in blocks) == ["script", "style"]
    for kind, body in blocks:  # each inline block is allowed by its hash, and only by it
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp


def test_html_is_offered_by_timeline_only() -> None:
    for command in ("clusters", "pairs", "inspect"):
        r = run_cli(command, "-f", "html", "samples/reuters-00001.txt")
        assert r.returncode == 2 and "html" in r.stderr, (command, r.stderr)
    r = run_cli("timeline", "--brief", "-f", "html", "samples/reuters-00001.txt")
    assert r.returncode == 2 and "--brief" in r.stderr


def test_html_escapes_every_input_text(hostile_report: tuple[Path, str]) -> None:
    _, page = hostile_report
    assert page.count("<script") == 2  # the data block and the report's own script
    for bad in ("<img", "<svg onload", "<b>", "<!-- <b>", "\x1b", "\x07"):
        assert bad not in page, bad
    data = page.split('<script type="application/json" id="report-data">')[1]
    data = data.split("</script>")[0]
    assert "<" not in data and ">" not in data  # nothing in the data can end its element
    names = {n for s in json.loads(data)["stories"] for n in s["names"]}
    assert "Out</script><script>window.__pwned=4</script><!--" in names  # round-trips intact


# ---------------------------------------------------------------------------------------------
# in the browser


def test_browser_loads_without_errors_and_shows_every_story(browser: Any, report: Path) -> None:
    log = _open(browser, report)
    assert [m for m in log if m["level"] in ("SEVERE", "WARNING")] == []
    assert len(_shown(browser)) == 8
    text = browser.find_element("id", "n-stories").text
    assert text == "8"
    assert browser.find_element("id", "shown").text == "8 of 8 stories shown"  # the script ran
    assert browser.find_element("id", "filters").is_displayed()


def test_browser_seed_quote_is_one_passage_shared_by_both(browser: Any, report: Path) -> None:
    _open(browser, report)
    passages = browser.execute_script(
        "return Array.from(document.querySelectorAll('.passage'))"
        ".filter(p => p.querySelector('p').textContent.includes(arguments[0]))"
        ".map(p => [p.closest('article').id, p.querySelector('.who').textContent.trim()])",
        QUOTE,
    )
    assert len(passages) == 1
    story, who = passages[0]
    assert who == "shared by A B"  # said in words, not only by colour
    sources = browser.find_elements("css selector", f"#{story} .source .name")
    assert [s.text for s in sources] == ["AFP", "The Moscow Times"]


def test_browser_chart_mark_jumps_to_its_story(browser: Any, report: Path) -> None:
    _open(browser, report)
    marks = browser.find_elements("css selector", ".chart a.mark")
    assert len(marks) == 8
    mark = browser.find_element("css selector", '.chart a.mark[data-story="sd9e5001e28"]')
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", mark
    )
    assert browser.execute_script("return location.hash") == "#sd9e5001e28"
    top = browser.execute_script(
        "return document.getElementById('sd9e5001e28').getBoundingClientRect().top"
    )
    assert 0 <= top < 100  # scrolled to it


def test_browser_filters_hide_what_they_should(browser: Any, report: Path) -> None:
    _open(browser, report)
    form = browser.find_element("id", "filters")
    form.find_element("name", "multi").click()
    shown = _shown(browser)
    assert len(shown) == 5 and "s664939f5cc" not in shown  # BAHIA COCOA REVIEW: one source
    assert browser.find_element("id", "shown").text == "5 of 8 stories shown"
    faded = browser.find_elements("css selector", ".chart a.mark.out")
    assert len(faded) == 3
    form.find_element("css selector", "button[type=reset]").click()
    assert len(_settled(browser, 8)) == 8
    form.find_element("name", "q").send_keys("temporao")  # only in the Bahia cocoa review
    assert _settled(browser, 1) == ["s664939f5cc"]
    form.find_element("css selector", "button[type=reset]").click()
    form.find_element("name", "source").send_keys("The Moscow Times")
    assert _settled(browser, 1) == ["sd9e5001e28"]
    form.find_element("css selector", "button[type=reset]").click()
    browser.execute_script(
        "const f = arguments[0].elements.namedItem('from'); f.value = '1999-01-01';"
        "f.dispatchEvent(new Event('input', {bubbles: true}));",
        form,
    )
    assert len(_shown(browser)) == 3  # as --since 1999-01-01
    assert not browser.find_element("id", "none").is_displayed()
    form.find_element("name", "q").send_keys("no such words anywhere")
    assert _shown(browser) == [] and browser.find_element("id", "none").is_displayed()


def test_browser_hostile_input_runs_no_script(
    browser: Any, hostile_report: tuple[Path, str]
) -> None:
    path, _ = hostile_report
    log = _open(browser, path)
    assert [m for m in log if m["level"] in ("SEVERE", "WARNING")] == []
    assert browser.execute_script(f"return typeof {SENTINEL}") == "undefined"
    body = browser.find_element("tag name", "body").text
    assert "<script>window.__pwned=1</script>" in body  # shown literally, not run
    assert "Out</script><script>window.__pwned=4</script><!--" in body
    assert "[bold red]not markup[/bold red]" in body
    assert browser.find_elements("css selector", "main img, main b, main svg [onload]") == []
    assert "empty file" in browser.find_element("id", "skipped").get_attribute("textContent")
    assert browser.find_element("id", "n-skipped").text == "1"


def test_browser_layout_fits_a_laptop_and_a_phone(browser: Any, report: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (WIDE, PHONE):
        _open(browser, report, width)
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]"
        )
        assert scroll <= inner, (width, scroll)  # no sideways scrolling of the page
        browser.save_screenshot(str(ARTIFACTS / f"report-{width}.png"))
        assert (ARTIFACTS / f"report-{width}.png").stat().st_size > 10_000
    if os.environ.get("NEWSDEDUP_UPDATE_SCREENSHOT"):  # the README's picture: docs/report.png
        _open(browser, report)
        browser.set_window_size(WIDE, 1500)
        browser.find_element("name", "q").send_keys("Beijing")
        browser.save_screenshot(str(ROOT / "docs" / "report.png"))


# ---------------------------------------------------------------------------------------------
# issue 27, item 8: the chart on real corpora, the order, the view in the URL, 500 sources


def _chart_geometry(driver: Any) -> dict[str, Any]:
    """Where the chart's marks and labels are drawn, in CSS pixels."""
    return driver.execute_script(
        "const svg = document.querySelector('.chart svg').getBoundingClientRect();"
        "const marks = Array.from(document.querySelectorAll('.chart a.mark circle'))"
        "  .map(c => c.getBoundingClientRect());"
        "const inAxis = Array.from(document.querySelectorAll('.chart a.mark'))"
        "  .filter(a => !a.getAttribute('aria-label').startsWith('19870'))"
        "  .map(a => a.querySelector('circle').getBoundingClientRect());"
        "const labels = Array.from(document.querySelectorAll('.chart text:not(.n)'))"
        "  .map(t => t.getBoundingClientRect().height);"
        "return {width: svg.width, height: svg.height,"
        "  left: Math.min(...marks.map(r => r.left)) - svg.left,"
        "  right: Math.max(...marks.map(r => r.right)) - svg.left,"
        "  axisLeft: Math.min(...inAxis.map(r => r.left)) - svg.left,"
        "  axisRight: Math.max(...inAxis.map(r => r.right)) - svg.left,"
        "  label: Math.min(...labels),"
        "  columns: Array.from(document.querySelectorAll('.chart text.column')).map(t => t.textContent)};"
    )


def test_html_report_chart_fills_the_width_with_legible_labels(
    browser: Any, data: Path, tmp_path: Path
) -> None:
    meter = tmp_path / "meter.html"
    r = run_cli("timeline", "-q", "-f", "html", "-o", str(meter), str(data / "meter-dev"))
    assert r.returncode == 0, r.stderr
    log = _open(browser, meter)
    assert [m for m in log if m["level"] in ("SEVERE", "WARNING")] == []
    g = _chart_geometry(browser)
    assert g["width"] > 800  # the chart takes the panel's width (a quarter of it before)
    assert g["height"] < g["width"] / 2  # a band, not a tower of stacked lanes
    assert g["right"] - g["left"] > 0.85 * g["width"], g  # the marks spread over the axis
    assert g["label"] >= 12, g  # axis labels of a legible size (about 4 px before)
    # a few pages dated 1987 among 1999-2000 news: a column of their own, not a blank axis
    mixed = tmp_path / "mixed"
    for outlet in ("pa", "sun", "times"):
        shutil.copytree(data / "meter-dev" / outlet, mixed / outlet)
    for name in ("reuters-00001.txt", "reuters-00032.txt", "reuters-00888.txt"):
        shutil.copy(SAMPLES / name, mixed / name)
    report = tmp_path / "mixed.html"
    assert run_cli("timeline", "-q", "-f", "html", "-o", str(report), str(mixed)).returncode == 0
    _open(browser, report)
    g = _chart_geometry(browser)
    assert g["columns"] == ["1987"], g
    assert g["axisRight"] - g["axisLeft"] > 0.7 * g["width"], g  # 1999-2000 spread out
    assert g["label"] >= 12
    if os.environ.get("NEWSDEDUP_UPDATE_SCREENSHOT"):  # the README's chart: docs/report-chart.png
        browser.set_window_size(WIDE, 700)
        browser.save_screenshot(str(ROOT / "docs" / "report-chart.png"))


def test_html_report_orders_biggest_first_and_shares_the_view_in_its_url(
    browser: Any, report: Path
) -> None:
    from selenium.webdriver.support.ui import Select

    _open(browser, report)
    sizes = browser.execute_script(
        "const d = JSON.parse(document.getElementById('report-data').textContent);"
        "return Object.fromEntries(d.stories.map(s => [s.id, s.size]));"
    )
    by_date = _shown(browser)
    form = browser.find_element("id", "filters")
    Select(form.find_element("name", "order")).select_by_value("size")
    biggest = _shown(browser)
    assert sorted(biggest) == sorted(by_date)
    assert [sizes[s] for s in biggest] == sorted(sizes.values(), reverse=True)
    form.find_element("name", "q").send_keys("Reuters")
    view = browser.execute_script("return location.hash")
    assert view.startswith("#view?") and "order=size" in view and "q=Reuters" in view
    shared = _shown(browser)
    assert 0 < len(shared) < len(by_date)
    # the link opened afresh (as by whoever it was sent to) shows the same view
    browser.get("about:blank")
    browser.get(report.as_uri() + view)
    assert _settled(browser, len(shared)) == shared
    assert browser.find_element("name", "q").get_attribute("value") == "Reuters"
    # a story's own anchor still works, and clearing the filters clears the URL's view
    form = browser.find_element("id", "filters")
    form.find_element("css selector", "button[type=reset]").click()
    assert len(_settled(browser, len(by_date))) == len(by_date)
    assert "#view?" not in browser.execute_script("return location.href")


def test_html_report_outlet_filter_fits_the_page_with_500_sources(
    browser: Any, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    rng = random.Random(500)
    words = ("council", "harbour", "rail", "budget", "school", "storm", "court", "market")
    for i in range(500):
        outlet = corpus / f"the-very-long-named-regional-daily-gazette-and-courier-{i:03d}"
        outlet.mkdir(parents=True)
        text = " ".join(rng.choice(words) + str(rng.randrange(10_000)) for _ in range(40))
        (outlet / "story.txt").write_text(f"Story {i}\n\n{text}.\n", encoding="utf-8")
    path = tmp_path / "many.html"
    r = run_cli("timeline", "-q", "-f", "html", "-o", str(path), str(corpus))
    assert r.returncode == 0, r.stderr
    for width in (WIDE, PHONE):
        _open(browser, path, width)
        inner, scroll, box, form = browser.execute_script(
            "const f = document.getElementById('filters');"
            "return [window.innerWidth, document.documentElement.scrollWidth,"
            " f.elements.namedItem('source').getBoundingClientRect().right,"
            " f.getBoundingClientRect().right]"
        )
        assert scroll <= inner and box <= form, (width, scroll, box, form)
    source = browser.find_element("name", "source")
    source.send_keys("courier-042")  # typing narrows 500 names to one
    assert len(_settled(browser, 1)) == 1
