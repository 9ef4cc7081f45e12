"""A real browser against the real server: `python -m vn_search serve` on a
free loopback port, driven by Selenium with Debian's Chromium.

Skipped when Chromium or its driver is missing, unless $CI is set: a CI
machine that lost its browser should fail, not quietly skip.

Set $VN_SEARCH_SCREENSHOTS to a folder to keep the screenshots taken along
the way (home, results at desktop and phone width, article, empty state).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import web_fixtures as fx

from bench.common import free_port
from vn_search.dates import VIETNAM

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("VN_SEARCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("VN_SEARCH_CHROMEDRIVER", "/usr/bin/chromedriver")
QUERY = "luan chuyen can bo"
WAIT_SECONDS = 20  # generous: CI shares 2 cores with the server and Chromium


def _browser_or_skip() -> None:
    problems = [f"{path} not found" for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        problems.append("selenium is not installed")
    if problems:
        message = "browser test needs Chromium, chromedriver and selenium: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _wait_until_up(base_url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer on {base_url}:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    _browser_or_skip()
    work = tmp_path_factory.mktemp("browser")
    yield from _serve(fx.build_news_index(work), work)


@pytest.fixture(scope="module")
def reader_server_url(tmp_path_factory):
    """A server over ``fx.build_reader_index``: keystrokes, abbreviations."""
    _browser_or_skip()
    work = tmp_path_factory.mktemp("browser-reader")
    yield from _serve(fx.build_reader_index(work), work)


@pytest.fixture(scope="module")
def dated_server_url(tmp_path_factory):
    """A server over ``fx.build_dated_index``: storm stories dated relative to now."""
    _browser_or_skip()
    work = tmp_path_factory.mktemp("browser-dated")
    yield from _serve(fx.build_dated_index(work), work)


def _serve(index_dir: Path, work: Path):
    """`python -m vn_search serve` over ``index_dir`` on a free loopback
    port; yields the base URL and stops the server afterwards."""
    port = free_port()
    log_path = work / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "vn_search", "serve", "--index", str(index_dir),
             "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, server, log_path)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory, server_url):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,900", "--lang=vi",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager must never try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("VN_SEARCH_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _wait(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS)


def _console_errors(driver) -> list[str]:
    """Errors the page logged (a CSP violation shows up here), except the
    favicon request that every browser makes on its own."""
    return [
        entry["message"] for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


def _hit_titles(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [link.text for link in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")]


def _set_viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def test_search_read_and_page_with_the_keyboard(browser, server_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready

    _set_viewport(browser, 1280, 900)
    browser.get(server_url + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    box = browser.switch_to.active_element  # autofocus put us in the box
    assert box.get_attribute("name") == "q"
    browser.save_screenshot(str(shots / "home.png"))

    box.send_keys(QUERY, Keys.ENTER)
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".hit-title a")))
    count = browser.find_element(By.CSS_SELECTOR, ".result-count").text
    assert re.match(r"1\d kết quả \(", count), count  # exact: no "Khoảng"
    assert browser.find_element(By.ID, "q").get_attribute("value") == QUERY
    headline = next(
        link for link in browser.find_elements(By.CSS_SELECTOR, ".hit-title a")
        if link.text == fx.SAMPLE_HEADLINE
    )
    marks = [mark.text for mark in headline.find_elements(By.TAG_NAME, "mark")]
    assert " ".join(marks) == "luân chuyển cán bộ"
    first_page = _hit_titles(browser)
    browser.save_screenshot(str(shots / "results-desktop.png"))

    headline.click()
    title = _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, "h1.document-title")))
    assert title.text == fx.SAMPLE_HEADLINE
    assert len(browser.find_elements(By.CSS_SELECTOR, "[aria-labelledby=related-heading] .related-list a")) == 5

    browser.back()
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".pagination")))
    browser.find_element(By.CSS_SELECTOR, ".pagination a[rel=next]").click()
    _wait(browser).until(ready.url_contains("page=2"))
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".hit-title a")))
    second_page = _hit_titles(browser)
    assert second_page and not set(second_page) & set(first_page)
    assert "trang 2/2" in browser.find_element(By.CSS_SELECTOR, ".result-count").text
    current = browser.find_element(By.CSS_SELECTOR, ".pagination [aria-current=page]")
    assert current.text.strip().endswith("2")
    assert browser.find_element(By.CSS_SELECTOR, ".pagination a[rel=prev]").is_displayed()
    assert _console_errors(browser) == []


def test_skip_link_comes_first_and_moves_focus(browser, server_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server_url + "/search?q=can+bo")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link" and skip.is_displayed()
    outline = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", skip)
    assert outline != "none"
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"


def test_filters_and_sort_from_the_form(browser, server_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select

    browser.get(server_url + "/search?q=can+bo")
    Select(browser.find_element(By.ID, "f-kind")).select_by_value("article")
    Select(browser.find_element(By.ID, "f-source")).select_by_value("Báo Lào Cai")
    Select(browser.find_element(By.ID, "f-sort")).select_by_value("date")
    browser.find_element(By.CSS_SELECTOR, ".filter-apply").click()
    _wait(browser).until(ready.url_contains("sort=date"))
    sources = [item.text for item in browser.find_elements(By.CSS_SELECTOR, ".hit .meta-item:first-child")]
    assert sources and set(sources) == {"Báo Lào Cai"}
    assert not browser.find_elements(By.CSS_SELECTOR, ".hit--related")
    dates = [t.get_attribute("datetime") for t in browser.find_elements(By.CSS_SELECTOR, ".hit time")]
    assert dates == sorted(dates, reverse=True)


def test_screenshots_and_phone_layout(browser, server_url, shots):
    from selenium.webdriver.common.by import By

    _set_viewport(browser, 1280, 1400)
    browser.get(server_url + f"/doc/{fx.SAMPLE_ARTICLE_ID}")
    browser.save_screenshot(str(shots / "document.png"))
    browser.get(server_url + f"/doc/{fx.DATED_ID}")
    browser.save_screenshot(str(shots / "document-dated.png"))
    browser.get(server_url + "/search?q=xyzzy+qwertz")
    assert "Không tìm thấy kết quả" in browser.find_element(By.TAG_NAME, "h1").text
    browser.save_screenshot(str(shots / "empty.png"))

    _set_viewport(browser, 390, 844, mobile=True)
    for name, path in [
        ("results-phone", "/search?q=luan+chuyen+can+bo"),
        ("home-phone", "/"),
        ("document-phone", f"/doc/{fx.DATED_ID}"),
    ]:
        browser.get(server_url + path)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        browser.save_screenshot(str(shots / f"{name}.png"))
    assert _console_errors(browser) == []
    _set_viewport(browser, 1280, 900)


def _shown_dates(driver) -> list:
    """The publication day each hit shows (dd/mm/yyyy, Vietnam time)."""
    from selenium.webdriver.common.by import By

    return [
        datetime.strptime(element.text, "%d/%m/%Y").date()
        for element in driver.find_elements(By.CSS_SELECTOR, ".hit .meta time")
    ]


def test_last_week_newest_first(browser, dated_server_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select

    _set_viewport(browser, 1280, 900)
    browser.get(dated_server_url + "/")
    browser.find_element(By.ID, "q").send_keys("bao so 3 quang ninh", Keys.ENTER)
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".hit-title a")))
    everything = _hit_titles(browser)
    assert len(everything) >= 6
    newest = browser.find_element(By.CSS_SELECTOR, ".date-status time.newest").text
    today = datetime.now(VIETNAM).date()
    assert datetime.strptime(newest, "%d/%m/%Y").date() >= today - timedelta(days=1)

    browser.find_element(By.LINK_TEXT, "Tuần qua").click()
    _wait(browser).until(ready.url_contains("within=week"))
    current = browser.find_element(By.CSS_SELECTOR, ".date-choice[aria-current]")
    assert current.text == "Tuần qua"
    assert browser.find_element(By.CSS_SELECTOR, ".date-status-range").text.endswith("đến nay")

    Select(browser.find_element(By.ID, "f-sort")).select_by_visible_text("Mới nhất")
    browser.find_element(By.CSS_SELECTOR, ".filter-apply").click()
    _wait(browser).until(ready.url_contains("sort=date"))
    assert "within=week" in browser.current_url
    assert browser.find_element(By.CSS_SELECTOR, ".date-choice[aria-current]").text == "Tuần qua"
    titles = _hit_titles(browser)
    assert titles == [
        "Bão số 3 đổ bộ Quảng Ninh, gió giật cấp 12",
        "Quảng Ninh sơ tán hơn 10.000 dân trước khi bão số 3 đổ bộ",
    ]
    shown = _shown_dates(browser)
    assert len(shown) == len(titles)
    assert shown == sorted(shown, reverse=True)
    assert all(today - timedelta(days=7) <= day <= today for day in shown)
    browser.save_screenshot(str(shots / "last-week-desktop.png"))

    _set_viewport(browser, 390, 844, mobile=True)
    browser.refresh()
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the date filter scrolls sideways on a phone by {overflow}px"
    browser.save_screenshot(str(shots / "last-week-phone.png"))
    browser.find_element(By.CSS_SELECTOR, ".date-custom summary").click()
    from_field = browser.find_element(By.ID, "f-from")
    assert from_field.is_displayed() and from_field.get_attribute("type") == "date"
    browser.save_screenshot(str(shots / "custom-range-phone.png"))
    assert _console_errors(browser) == []
    _set_viewport(browser, 1280, 900)


def test_telex_and_abbreviations_typed_in_the_box(browser, reader_server_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready

    _set_viewport(browser, 390, 844, mobile=True)
    browser.get(reader_server_url + "/")
    browser.find_element(By.ID, "q").send_keys("vieejt nam", Keys.ENTER)
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".hit-title a")))
    notices = [n.text for n in browser.find_elements(By.CSS_SELECTOR, ".notice")]
    assert "Đang hiển thị kết quả cho «việt nam»." in notices
    titles = _hit_titles(browser)
    assert "Đội tuyển Việt Nam thắng đậm Campuchia" in titles and "Kinh tế Việt Nam tăng trưởng 6,8%" in titles
    browser.save_screenshot(str(shots / "telex-phone.png"))
    literal = browser.find_element(By.LINK_TEXT, "vieejt nam")
    literal.click()
    _wait(browser).until(ready.url_contains("as_typed=1"))
    assert "Đang hiển thị kết quả cho «việt nam»." not in browser.page_source

    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys("TPHCM", Keys.ENTER)
    _wait(browser).until(ready.url_contains("q=TPHCM"))
    titles = _hit_titles(browser)
    for title in ("TPHCM khánh thành cầu vượt thép", "TP.HCM cấm xe tải vào nội đô giờ cao điểm",
                  "Thành phố Hồ Chí Minh chống ngập ở quận 7"):
        assert title in titles
    assert titles[0] == "TPHCM khánh thành cầu vượt thép"  # the reader's own spelling first
    browser.save_screenshot(str(shots / "tphcm-phone.png"))


@pytest.fixture(scope="module")
def stories_server_url(tmp_path_factory):
    """A server over tests/data/same_story.jsonl: one storm reported by three
    outlets and republished, a follow-up a month later, other news."""
    _browser_or_skip()
    from vn_search import SearchEngine

    work = tmp_path_factory.mktemp("browser-stories")
    SearchEngine(work / "index").index([Path(__file__).parent / "data" / "same_story.jsonl"], progress=False)
    yield from _serve(work / "index", work)


def test_expand_a_story_and_come_back_from_its_article(browser, stories_server_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready

    _set_viewport(browser, 390, 844, mobile=True)
    browser.get(stories_server_url + "/")
    browser.find_element(By.ID, "q").send_keys("bão Yagi Quảng Ninh", Keys.ENTER)
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".same-story summary")))
    assert len(_hit_titles(browser)) == 2  # five articles, two stories
    summary = browser.find_element(By.CSS_SELECTOR, ".same-story summary")
    assert summary.text == "3 bài cùng sự kiện"
    listed = browser.find_elements(By.CSS_SELECTOR, ".same-story li a")
    assert listed and not any(link.is_displayed() for link in listed)  # closed until asked
    summary.click()
    assert all(link.is_displayed() for link in listed)
    assert [link.text for link in listed][0] == "Siêu bão Yagi vào đất liền Quảng Ninh - Hải Phòng, gió giật cấp 15"
    browser.save_screenshot(str(shots / "story-expanded-phone.png"))
    listed[0].click()
    _wait(browser).until(ready.url_contains("/doc/vov-yagi-2"))
    browser.find_element(By.CSS_SELECTOR, ".back-to-results a").click()
    _wait(browser).until(ready.url_contains("/search"))
    assert browser.find_element(By.ID, "q").get_attribute("value") == "bão Yagi Quảng Ninh"
    assert not _console_errors(browser)


def test_autocomplete_with_the_keyboard(browser, server_url, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready

    _set_viewport(browser, 1280, 900)
    browser.get(server_url + "/")
    box = browser.find_element(By.ID, "q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    listbox = browser.find_element(By.ID, box.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox" and not listbox.is_displayed()

    box.send_keys("luan ch")
    _wait(browser).until(lambda driver: box.get_attribute("aria-expanded") == "true")
    options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
    texts = [option.text for option in options]
    assert texts[0] == "luân chuyển", texts
    browser.save_screenshot(str(shots / "autocomplete-desktop.png"))

    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == options[0].get_attribute("id")
    assert options[0].get_attribute("aria-selected") == "true"
    assert box.get_attribute("value") == texts[0]
    box.send_keys(Keys.ARROW_DOWN)
    assert box.get_attribute("aria-activedescendant") == options[1].get_attribute("id")
    assert options[0].get_attribute("aria-selected") == "false"
    box.send_keys(Keys.ARROW_UP, Keys.ESCAPE)  # Escape: the list closes, the typed text comes back
    assert box.get_attribute("aria-expanded") == "false" and not listbox.is_displayed()
    assert box.get_attribute("value") == "luan ch"
    assert box.get_attribute("aria-activedescendant") is None

    box.send_keys(Keys.ARROW_DOWN)  # opens the list again
    _wait(browser).until(lambda driver: box.get_attribute("aria-expanded") == "true")
    options = listbox.find_elements(By.CSS_SELECTOR, "[role=option]")
    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    chosen = options[1].text
    box.send_keys(Keys.ENTER)
    _wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".hit-title a")))
    assert browser.find_element(By.ID, "q").get_attribute("value") == chosen
    assert chosen.startswith("luân chuyển")
    assert _console_errors(browser) == []


def test_a_timeline_bar_narrows_the_search_to_its_period(browser, dated_server_url, shots):
    from urllib.parse import parse_qs, urlsplit

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready

    _set_viewport(browser, 1280, 900)
    browser.get(dated_server_url + "/search?q=bao+so+3+quang+ninh")
    bars = browser.find_elements(By.CSS_SELECTOR, ".timeline .timeline-link")
    assert len(bars) >= 2
    browser.save_screenshot(str(shots / "timeline-desktop.png"))
    # The bar with the most articles, as its label reads ("năm 2026: 4 bài").
    labels = [bar.get_attribute("aria-label") for bar in bars]
    counts = [int(re.search(r": (\d+) bài$", label).group(1)) for label in labels]
    busiest = counts.index(max(counts))
    bars[busiest].click()
    _wait(browser).until(ready.url_contains("from="))
    query = parse_qs(urlsplit(browser.current_url).query)
    first, last = (datetime.strptime(query[name][0], "%Y-%m-%d").date() for name in ("from", "to"))
    assert query["q"] == ["bao so 3 quang ninh"]
    assert browser.find_element(By.CSS_SELECTOR, ".date-status-range").text
    shown = _shown_dates(browser)
    assert shown and all(first <= day <= last for day in shown)
    # The bar counted the articles the narrowed search finds.
    with urllib.request.urlopen(dated_server_url + "/api/search?" + urlsplit(browser.current_url).query) as answer:
        assert json.load(answer)["total"] == counts[busiest]
    assert browser.find_element(By.ID, "f-from").get_attribute("value") == query["from"][0]

    _set_viewport(browser, 390, 844, mobile=True)
    browser.get(dated_server_url + "/search?q=bao+so+3+quang+ninh")
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the timeline scrolls sideways on a phone by {overflow}px"
    browser.save_screenshot(str(shots / "timeline-phone.png"))
    assert _console_errors(browser) == []
    _set_viewport(browser, 1280, 900)
