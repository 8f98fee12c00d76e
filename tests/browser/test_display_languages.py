"""The wall display in the venue's languages, in a real Chromium against real server processes:
the first language big, a second line under each fixed text rotating through the others, counts
with the first language's plural forms, the spoken call in every ?announce language.

Expected texts come from the catalogues (wartemarke.i18n), as the server embeds them; screenshots
of a rotation showing Arabic go to test-output/display-languages-*.png.
"""

from __future__ import annotations

import io
import re
import wave

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.test_display import (
    MEDIA_SPY,
    READY,
    SITE,
    SPEECH,
    display_url,
    fake_voices,
    quick_sounds,
    requested,
)
from tests.integration.test_speech import needs_espeak
from wartemarke import i18n
from wartemarke.display.texts import TEXTS
from wartemarke.speech import phrase

# Every .d-alt-text that the current slot shows (sections hidden as a whole included), with the
# key and text of each part.
SHOWN = """() => Array.from(document.querySelectorAll(".d-alt-text"))
  .filter(n => getComputedStyle(n).visibility === "visible")
  .map(n => ({
    lang: n.getAttribute("lang"),
    dir: n.getAttribute("dir"),
    parts: Array.from(n.querySelectorAll(".d-alt-part")).map(p => [p.dataset.key, p.textContent]),
  }))"""
# Where things are on the screen (to prove that a rotation moves nothing).
BOXES = """() => Array.from(document.querySelectorAll(
    ".d-alt, .d-title, .d-subtitle, .d-service, .d-call, .d-recent-item, #join, #calls-empty"))
  .map(n => { const r = n.getBoundingClientRect();
              return [n.className, Math.round(r.x), Math.round(r.y),
                      Math.round(r.width), Math.round(r.height)]; })"""


def texts(code: str) -> dict:
    return i18n.texts(TEXTS, code)


def wait_for_alt(page, code: str, timeout: float = 15000) -> None:
    page.wait_for_function(
        "code => document.getElementById('app').dataset.altLang === code", arg=code, timeout=timeout
    )


def assert_second_line(page, code: str) -> int:
    """Every rotating line shows `code`, with its lang and dir, in the catalogue's words."""
    shown = page.evaluate(SHOWN)
    assert shown, "no rotating line shown"
    t = texts(code)
    for line in shown:
        assert (line["lang"], line["dir"]) == (t["_lang"], t["_dir"]), line
        for key, text in line["parts"]:
            assert text == t[key], (code, key, text)
    return len(shown)


def waiting_texts(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll(".d-service"))
          .map(n => [n.querySelector(".d-service-name").textContent,
                     n.querySelector(".d-service-waiting-text").textContent]))"""
    )


def polish_wait(minutes: float) -> str:
    t = texts("pl")
    minutes = round(minutes)
    if minutes <= 2:
        return t["wait_none"]
    if minutes < 60:
        return i18n.fill(t["wait"], min=minutes)
    h, m = divmod(round(minutes / 5) * 5, 60)
    return i18n.fill(t["wait_hours"] if m else t["wait_hours_only"], h=h, min=m)


def no_alt_animation(page) -> None:
    page.wait_for_function(
        """() => !document.getAnimations().some(
              a => a.animationName === "d-alt-in" && a.playState === "running")"""
    )


@pytest.fixture
def calling_server(make_server):
    """Two visitors called (the newest one recalled), one waiting for each service."""
    server = make_server(site=SITE, clerks=1)
    for service in (1, 2, 1, 1, 2, 3):
        server.issue(service)
    clerk = server.login("clerk1", "secret-1")
    for _ in range(2):
        clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    server.clerk = clerk
    return server


# --- languages and the rotating line ------------------------------------------------------


def test_second_line_rotates_through_the_url_languages(calling_server, open_page, output_dir):
    server = calling_server
    url = display_url(server, languages="de,tr,ar", rotate_seconds=1, spot_seconds=1)
    pages = {}
    for name, viewport in (("landscape", LANDSCAPE), ("portrait", PORTRAIT)):
        pages[name] = page = open_page(url, viewport=viewport, ready=READY)
        quick_sounds(page)
    page = pages["landscape"]

    # German first, big; the page stays left-to-right.
    de = texts("de")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "de",
        "ltr",
    ]
    expect(page.locator("#calls-title .d-main-text")).to_have_text(de["now_calling"])
    expect(page.locator("#queue-title .d-main-text")).to_have_text(de["waiting_title"])
    expect(page.locator(".d-join-main")).to_have_text(de["join_main"])
    assert page.evaluate("WartemarkeDisplay.config.languages") == ["de", "tr", "ar"]
    # Every rotating line carries both other languages, Arabic right to left.
    for box in page.locator(".d-alt").all():
        langs = box.locator(".d-alt-text").evaluate_all("ns => ns.map(n => n.lang + '/' + n.dir)")
        assert langs == ["tr/ltr", "ar/rtl"]

    # A recall brings the "again" tab and its rotating line into a call row.
    server.clerk.post(server.url + "/api/counters/1/recall").raise_for_status()
    for p in pages.values():
        expect(p.locator("#current .d-call.is-recall .d-call-again")).to_be_visible()
        expect(p.locator("#spotlight")).to_be_hidden(timeout=15000)

    # Turkish, then Arabic, then Turkish again; every line switches at once; nothing moves.
    wait_for_alt(page, "tr")
    no_alt_animation(page)
    lines = assert_second_line(page, "tr")
    turkish_boxes = page.evaluate(BOXES)
    wait_for_alt(page, "ar")
    no_alt_animation(page)
    assert assert_second_line(page, "ar") == lines
    assert page.evaluate(BOXES) == turkish_boxes
    for name, p in pages.items():
        wait_for_alt(p, "ar")
        no_alt_animation(p)
        p.screenshot(path=output_dir / f"display-languages-{name}-ar.png")
    wait_for_alt(page, "tr")
    assert_second_line(page, "tr")
    assert page.evaluate(BOXES) == turkish_boxes

    # An unknown or repeated language in the URL is left out.
    checked = open_page(display_url(server, languages="de,xx,ar,ar,de-ls"), viewport=LANDSCAPE)
    expect(checked.locator("body")).to_have_attribute("data-languages", "de,ar")


def test_default_languages_are_the_site_files(make_server, open_page):
    # Leichte Sprache is the kiosk's own: the wall leaves it out.
    site = SITE + '\n[kiosk]\nlanguages = ["de", "de-ls", "en", "uk"]\n'
    server = make_server(site=site)
    page = open_page(display_url(server, rotate_seconds=1), viewport=LANDSCAPE, ready=READY)
    expect(page.locator("body")).to_have_attribute("data-languages", "de,en,uk")
    assert page.locator("#calls-title .d-alt-text").evaluate_all("ns => ns.map(n => n.lang)") == [
        "en",
        "uk",
    ]
    wait_for_alt(page, "en")
    assert_second_line(page, "en")
    wait_for_alt(page, "uk")
    assert_second_line(page, "uk")
    # The spoken call follows the first language unless ?announce says otherwise.
    assert page.evaluate("WartemarkeDisplay.config.speechLangs") == ["de"]

    # One language: no second line at all, and nothing rotates.
    alone = open_page(
        display_url(server, languages="uk", rotate_seconds=999), viewport=LANDSCAPE, ready=READY
    )
    expect(alone.locator("#calls-title")).to_have_text(texts("uk")["now_calling"])
    expect(alone.locator(".d-alt")).to_have_count(0)
    assert alone.evaluate("WartemarkeDisplay.config.speechLangs") == ["uk"]
    assert alone.evaluate("WartemarkeDisplay.config.rotateMs") == 60000  # clamped
    assert page.evaluate("WartemarkeDisplay.config.rotateMs") == 1000


def test_counts_use_the_first_languages_plural_forms(make_server, open_page, output_dir):
    server = make_server(site=SITE)
    for service in (1, 1, 1, 1, 1, 2, 2):  # 5, 2, 0 waiting
        server.issue(service)
    names = {"Personalausweis": 5, "Reisepass": 2, "Meldeangelegenheiten": 0}

    polish = open_page(display_url(server, languages="pl,de"), viewport=LANDSCAPE, ready=READY)
    expect(polish.locator("html")).to_have_attribute("lang", "pl")
    forms = texts("pl")["waiting_count"]
    expected = {name: i18n.plural(forms, n, "pl") for name, n in names.items()}
    # Polish has a "few" form: 2 and 5 differ (Intl.PluralRules in the page, Babel here).
    assert expected == {
        "Personalausweis": "5 czeka",
        "Reisepass": "2 czekają",
        "Meldeangelegenheiten": "nikt nie czeka",
    }
    expect(polish.locator(".d-service-waiting-text")).to_have_count(3)
    polish.wait_for_function(
        "want => Object.values(want).every(t => document.body.textContent.includes(t))",
        arg=expected,
    )
    assert waiting_texts(polish) == expected
    # The wait in Polish words too (display.js's rounding: whole minutes, then 5-minute steps).
    minutes = polish.evaluate(
        """() => WartemarkeDisplay.state.services.find(s => s.name === "Personalausweis")
                   .estimated_wait_min"""
    )
    wait = polish.locator(".d-service", has_text="Personalausweis").locator(".d-service-wait-text")
    expect(wait).to_have_text(polish_wait(minutes))
    expect(polish.locator("#calls-title .d-main-text")).to_have_text(texts("pl")["now_calling"])

    # Arabic first: its texts right to left inside the left-to-right page, Latin digits.
    arabic = open_page(display_url(server, languages="ar,de"), viewport=LANDSCAPE, ready=READY)
    assert arabic.evaluate("document.documentElement.dir") == "ltr"
    expect(arabic.locator("#calls-title .d-main-text")).to_have_attribute("dir", "rtl")
    forms = texts("ar")["waiting_count"]
    expected = {name: i18n.plural(forms, n, "ar") for name, n in names.items()}
    arabic.wait_for_function(
        "want => Object.values(want).every(t => document.body.textContent.includes(t))",
        arg=expected,
    )
    assert waiting_texts(arabic) == expected
    assert "5" in expected["Personalausweis"]
    expect(arabic.locator(".d-service-waiting-text").first).to_have_attribute("dir", "rtl")
    expect(arabic.locator("#clock-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))  # 24 h
    arabic.screenshot(path=output_dir / "display-languages-arabic-first.png")


def test_closed_venue_speaks_the_first_language(make_server, open_page, output_dir):
    # Ten minutes before opening on the pop-up's day (the server's clock starts there).
    site = SITE.replace('prefix = "A"', 'prefix = "A"\nnames = { en = "ID card" }')
    site += '\n[opening]\ndates = ["2026-03-30"]\nhours = "09:00-16:00"\n'
    server = make_server(site=site, env={"WARTEMARKE_CLOCK_START": "2026-03-30T08:50:00+02:00"})
    page = open_page(
        display_url(server, languages="en,de,ar", rotate_seconds=60),
        viewport=LANDSCAPE,
        ready=READY,
    )
    en = texts("en")
    closed = page.locator("#closed")
    expect(closed).to_be_visible()
    expect(closed.locator(".d-closed-main")).to_have_text(en["closed_main"])
    expect(page.locator("#closed-opens")).to_have_text(i18n.fill(en["closed_opens"], time="09:00"))
    expect(page.locator("#calls-empty")).to_be_hidden()
    expect(page.locator(".d-service-state")).to_have_text([en["service_closed"]] * 3)
    # A service's own English name where the venue gave one; else its German name, said so.
    names = page.locator(".d-service-name")
    expect(names).to_have_text(["ID card", "Reisepass", "Meldeangelegenheiten"])
    assert names.evaluate_all("ns => ns.map(n => n.getAttribute('lang'))") == [None, "de", "de"]
    no_alt_animation(page)
    assert_second_line(page, "de")
    page.screenshot(path=output_dir / "display-languages-closed-en.png")


def test_display_with_languages_is_accessible(calling_server, open_page):
    page = open_page(
        display_url(calling_server, languages="de,ar,tr", spot_seconds=1),
        viewport=LANDSCAPE,
        ready=READY,
    )
    expect(page.locator("#current .d-call")).to_have_count(2)
    no_alt_animation(page)
    assert_accessible(page, "display-languages")


# --- the call: spoken in each language, shown without relying on sound or colour ----------


@needs_espeak
def test_call_is_spoken_in_each_announce_language_in_order(calling_server, open_page, guard):
    server = calling_server
    page = open_page(
        display_url(server, languages="de,en", announce="de,ar,de,xx", spot_seconds=1),
        viewport=LANDSCAPE,
    )
    page.add_init_script(MEDIA_SPY % "false")
    page.reload()
    page.locator(READY).first.wait_for()
    assert page.evaluate("WartemarkeDisplay.config.speechLangs") == ["de", "ar"]
    page.wait_for_function("() => WartemarkeDisplay.state.sound === 'ok'")

    number = server.clerk.post(server.url + "/api/counters/1/next").json()["ticket"]["number"]
    page.wait_for_function(
        "n => WartemarkeDisplay.state.announced.includes(n)", arg=number, timeout=15000
    )
    # The server's voices, as WAV files, one language after the other after the chime.
    page.wait_for_function(
        """() => {
          const chime = window.__played.findIndex(u => u.endsWith("/chime.wav"));
          return chime >= 0 && window.__played.slice(chime).filter(u => u.startsWith("blob:"))
            .length === 2;
        }""",
        timeout=20000,
    )
    asked = [u for u in requested(guard, SPEECH) if f"number={number}" in u]
    assert [re.search(r"lang=(\w+)", u)[1] for u in asked] == ["de", "ar"], asked
    assert page.evaluate("WartemarkeDisplay.state.speech") == "server"

    # The server speaks every language in its catalogue's words, also Arabic, Japanese and
    # Ukrainian.
    for lang in ("ar", "ja", "uk"):
        voice = requests.get(
            server.url + SPEECH, params={"number": "A017", "counter": 1, "lang": lang}, timeout=20
        )
        assert voice.status_code == 200, voice.text
        assert voice.headers["Content-Type"] == "audio/wav"
        with wave.open(io.BytesIO(voice.content)) as w:
            assert w.getnframes() / w.getframerate() > 1.0, lang  # a spoken sentence


def test_browser_voice_says_the_catalogues_words(calling_server, open_page):
    server = calling_server
    page = open_page(display_url(server, announce="tr,ar,ja", spot_seconds=1), viewport=LANDSCAPE)
    page.route(
        "**/display/announce.wav*",
        lambda route: route.fulfill(status=503, body="espeak-ng is not installed"),
    )
    page.add_init_script(fake_voices("de-DE", "tr-TR", "ar-SA", "ja-JP"))
    page.reload()
    page.locator(READY).first.wait_for()

    number = server.clerk.post(server.url + "/api/counters/1/next").json()["ticket"]["number"]
    page.wait_for_function("() => window.__spoken.length === 3", timeout=15000)
    # The same sentence the server would speak (wartemarke.speech.phrase), "Schalter" in the
    # language's own word.
    assert page.evaluate("window.__spoken") == [
        f"{tag}: {phrase(number, 'Schalter 1', lang)}"
        for tag, lang in (("tr-TR", "tr"), ("ar-SA", "ar"), ("ja-JP", "ja"))
    ]
    assert texts("tr")["counter_word"] in page.evaluate("window.__spoken")[0]
    assert page.evaluate("WartemarkeDisplay.state.speech") == "browser"


def test_a_new_call_shows_without_sound_colour_or_motion(calling_server, open_page, output_dir):
    server = calling_server
    page = open_page(
        display_url(server, languages="de,ar", sound="off", spot_seconds=2),
        viewport=LANDSCAPE,
        ready=READY,
        reduced_motion="reduce",
    )
    expect(page.locator("#current .d-call")).to_have_count(2)
    number = server.clerk.post(server.url + "/api/counters/1/next").json()["ticket"]["number"]

    # The whole main area shows the call, still and without sound.
    spot = page.locator("#spotlight")
    expect(spot).to_be_visible()
    expect(page.locator("#spot-number")).to_have_text(number)
    assert spot.evaluate("n => getComputedStyle(n).animationName") == "none"
    expect(spot).to_be_hidden(timeout=15000)

    # Then its row: light on the dark list and framed in ink (not the yellow alone); still.
    rows = page.locator("#current .d-call")
    row = rows.first
    expect(row).to_have_class(re.compile(r"\bis-fresh\b"))
    expect(row.locator(".d-call-number")).to_have_text(number)
    style = "n => { const s = getComputedStyle(n); return [s.boxShadow, s.animationName]; }"
    frame, animation = row.evaluate(style)
    assert re.search(r"0px 0px 0px 8px inset", frame), frame
    assert animation == "none"
    assert page.locator(".d-alt-text").first.evaluate("n => getComputedStyle(n).animationName") == (
        "none"
    )
    # The earlier calls: neither, and all as big as before (base.css's reduced-motion
    # transitions must not fool the fitting).
    expect(page.locator("#current .d-call.is-fresh")).to_have_count(1)
    assert rows.nth(1).evaluate(style) == ["none", "none"]
    size = float(row.evaluate("n => getComputedStyle(n).fontSize").removesuffix("px"))
    assert size >= 140, size
    page.screenshot(path=output_dir / "display-languages-new-call-reduced-motion.png")
