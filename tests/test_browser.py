"""The visitor page in a real browser (Debian's Chromium driven by Playwright), as a visitor and their phone use it.

Chromium is installed by ``make test`` (``apt-get install chromium``); without it these tests are skipped, unless
``WORKSHOP_KIT_REQUIRE_BROWSER=1`` (as in ``make test`` and CI), where a missing browser is a failure.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import urllib.parse

import pytest

pytest.importorskip("gradio")
playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LANG_BUTTONS = {"fr": "Français", "en": "English", "ar": "العربية"}
CITY_WORDS = {"fr": "Fès", "en": "Fès", "ar": "فاس"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("WORKSHOP_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (required here: WORKSHOP_KIT_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def booth(tmp_path_factory):
    from workshop_kit.booth import serve_booth

    root = tmp_path_factory.mktemp("browser-booth")
    running = serve_booth(port=_free_port(), root=root, background=True, idle_seconds=8,
                          log_folder=root.parent / "browser-logs")
    yield running
    running.close()


class Watch:
    """Console errors and requests that leave 127.0.0.1, for one page."""

    def __init__(self, page):
        self.errors, self.outside = [], []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)

    def _request(self, request):
        url = urllib.parse.urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in ("127.0.0.1", "localhost"):
            self.outside.append(request.url)


def _open(browser, booth, viewport, lang):
    context = browser.new_context(viewport=viewport, locale={"fr": "fr-FR", "en": "en-GB", "ar": "ar-MA"}[lang])
    page = context.new_page()
    watch = Watch(page)
    page.goto(booth.url + "/", wait_until="load")
    page.wait_for_selector("#wk-city-fes", timeout=60_000)
    for selector in (".wk-top h1", "#wk-take p", "#wk-again"):  # rendered after the tiles on a busy machine
        page.wait_for_selector(selector, timeout=30_000)
    if lang != "fr":
        page.get_by_text(LANG_BUTTONS[lang], exact=True).click()
        page.wait_for_function(f"document.documentElement.lang === '{lang}'", timeout=10_000)
    return context, page, watch


def _decode_qr(page) -> str:
    import zxingcpp
    from PIL import Image

    shot = Image.open(io.BytesIO(page.locator("#wk-take img").screenshot()))
    codes = zxingcpp.read_barcodes(shot)
    assert codes, "no QR code could be read from the page"
    return codes[0].text


def _make_trio(page) -> None:
    page.locator("#wk-city-fes").click()
    page.wait_for_selector("#wk-take img[alt=QR]", timeout=300_000)
    page.wait_for_selector("#wk-object iframe", timeout=30_000)


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_a_visitor_makes_a_trio_and_takes_it_home(browser, booth, lang, validator):
    import soundfile
    import trimesh
    from PIL import Image

    from workshop_kit.mesh.gltf_check import validate_glb

    context, page, watch = _open(browser, booth, LAPTOP, lang)
    assert page.evaluate("document.documentElement.scrollHeight") <= LAPTOP["height"]  # nothing to scroll
    _make_trio(page)
    assert page.evaluate("document.documentElement.scrollHeight") <= LAPTOP["height"]
    assert page.locator("#wk-picture img").count() == 1 and page.locator("#wk-audio audio, #wk-audio").count() >= 1
    url = _decode_qr(page)
    assert url.startswith(booth.public_url + "/take/") and f"lang={lang}" in url

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # the visitor's phone
    mobile = phone.new_page()
    mobile_watch = Watch(mobile)
    mobile.goto(url, wait_until="load")
    assert CITY_WORDS[lang] in mobile.content()
    assert mobile.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # readable: no sideways scroll
    links = mobile.eval_on_selector_all("a.file", "links => links.map(a => a.href)")
    assert len(links) == 5
    got = {}
    for link in links:
        response = phone.request.get(link)
        assert response.ok, link
        got[link.rsplit(".", 1)[-1]] = response.body()
    audio, rate = soundfile.read(io.BytesIO(got["wav"]))
    assert rate == 44100 and len(audio) > rate
    assert got["mid"][:4] == b"MThd"
    assert Image.open(io.BytesIO(got["png"])).size[0] >= 256
    assert trimesh.load(io.BytesIO(got["stl"]), file_type="stl").is_watertight
    glb = booth.root / f"phone-{lang}.glb"
    glb.write_bytes(got["glb"])
    assert validate_glb(glb)["valid"]
    assert watch.outside == [] and mobile_watch.outside == []
    assert watch.errors == [] and mobile_watch.errors == [], (watch.errors, mobile_watch.errors)
    phone.close()
    context.close()


def test_arabic_is_right_to_left_throughout(browser, booth):
    context, page, watch = _open(browser, booth, LAPTOP, "ar")
    blocks = page.evaluate("""() => ['.wk-top h1', '.wk-card h2', '#wk-take p', '#wk-status']
        .map(s => { const e = document.querySelector(s); if (!e) return [s, null, null];
                    const st = getComputedStyle(e); return [s, st.direction, st.textAlign]; })""")
    for selector, direction, align in blocks:
        assert direction == "rtl", (selector, direction)
        assert align in ("right", "start"), (selector, align)
    first, last = page.evaluate("""() => { const t = [...document.querySelectorAll('.wk-tile')];
        return [t[0].getBoundingClientRect().left, t[t.length - 1].getBoundingClientRect().left]; }""")
    assert first > last  # the first city stands on the right
    # the kit's own fonts render Arabic and Tifinagh, with no system font for them on this machine
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("Noto Sans Arabic" in family for family in loaded), loaded
    assert any("Noto Sans Tifinagh" in family for family in loaded), loaded
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_every_glyph_of_the_title_and_the_tiles_comes_from_the_kits_own_fonts(browser, booth):
    """Gradio's bundled Source Sans Pro holds a few dozen glyphs: a title set in it took its "A" from there and
    the rest from whatever the system had. The kit's fonts set every glyph, on any machine, with no network."""
    context, page, watch = _open(browser, booth, LAPTOP, "fr")
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for selector in (".wk-top h1", ".wk-tile"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts and all(f["isCustomFont"] and f["familyName"].startswith("Noto Sans") for f in fonts), fonts
    _make_trio(page)  # the 3D view is the kit's own page in a frame: its words in the kit's fonts too
    view = next(frame for frame in page.frames if "/view/" in frame.url)
    view.evaluate("document.fonts.ready")
    families = view.evaluate("""() => [...document.querySelectorAll('body, body *')]
        .filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => getComputedStyle(e).fontFamily)""")
    assert families and all(f.startswith('"Noto Sans"') for f in families), families  # "Faites-le tourner …"
    loaded = view.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any(family.strip('"') == "Noto Sans" for family in loaded), loaded
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_the_phone_shows_the_tiles_two_by_two_and_the_trio_one_block_under_another(browser, booth):
    context, page, watch = _open(browser, booth, PHONE, "fr")
    widths = page.eval_on_selector_all(".wk-tile", "t => t.map(e => e.getBoundingClientRect().width)")
    assert len(widths) == 6 and min(widths) > 120
    size = page.eval_on_selector(".wk-tile", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 16
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = lambda selector: page.locator(selector).first.bounding_box()  # noqa: E731
    assert box(".wk-top h1")["width"] > 0.8 * PHONE["width"]  # the title across the phone, not in a narrow column
    _make_trio(page)
    blocks = [box(s) for s in ("#wk-take", "#wk-again", "#wk-gallery")]
    for upper, lower in zip(blocks, blocks[1:]):  # the take-home box, the button, the gallery choice: one under another
        assert upper["y"] + upper["height"] <= lower["y"] + 1 and lower["width"] > 0.8 * PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert watch.errors == []
    context.close()


def test_the_page_starts_over_after_idle_and_plays_the_gallery(browser, booth):
    context, page, watch = _open(browser, booth, LAPTOP, "en")
    page.locator("#wk-gallery input").check()
    _make_trio(page)
    page.wait_for_function("document.documentElement.lang === 'fr'", timeout=30_000)  # back to the default language
    page.wait_for_function("getComputedStyle(document.getElementById('wk-attract')).display === 'flex'",
                           timeout=30_000)
    page.wait_for_function("document.querySelector('#wk-attract img').src.includes('/take/')", timeout=30_000)
    assert page.locator("#wk-take img[alt=QR]").count() == 0  # the previous visitor's trio is gone
    assert page.evaluate("window.scrollY") == 0
    page.mouse.click(20, 20)
    page.wait_for_function("getComputedStyle(document.getElementById('wk-attract')).display === 'none'")
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_colours_meet_wcag_aa(browser, booth):
    """Text against its background: at least 4.5:1 (WCAG AA) for the tiles, the button, the titles and hints."""
    context, page, _ = _open(browser, booth, LAPTOP, "fr")
    for selector in ('.wk-tile', '#wk-again', '.wk-top h1', '.wk-top p', '#wk-take p'):
        page.wait_for_selector(selector, timeout=30_000)
    pairs = page.evaluate("""() => ['.wk-tile', '#wk-again', '.wk-top h1', '.wk-top p', '#wk-take p']
        .map(s => { const e = document.querySelector(s); const st = getComputedStyle(e);
            let b = e, bg = 'rgba(0, 0, 0, 0)';
            while (b && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(b).backgroundColor; b = b.parentElement; }
            return [s, st.color, bg === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : bg]; })""")  # noqa: E501

    def luminance(css: str) -> float:
        r, g, b = [int(float(x)) / 255 for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for selector, fg, bg in pairs:
        high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
        assert (high + 0.05) / (low + 0.05) >= 4.5, (selector, fg, bg)
    context.close()
