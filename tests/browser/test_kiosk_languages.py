"""The kiosk's languages, "Vorlesen" and "Mehr Zeit", in a real Chromium against real server
processes: the language tiles (flag and own name), Arabic right to left, the device's default
language (?lang= remembered, Accept-Language) against a visitor's tap (never remembered), the
screen read aloud by the server's espeak-ng voice, and time limits the visitor can extend.

Screenshots for review: test-output/kiosk-languages-<lang>-<portrait|landscape>.png,
kiosk-languages-reading.png, kiosk-languages-checkin-idle.png.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import wave
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.test_kiosk import NUMBER, READY, SITE, card, kiosk

# The check-in tests' fixture: a server whose clock the test sets, and an admin who books.
from tests.browser.test_kiosk_checkin import BUTTON, CHECKIN, START, venue  # noqa: F401
from wartemarke.i18n import KIOSK_LANGUAGES, LANGUAGES, texts
from wartemarke.kiosk.texts import TEXTS

FLAGS = Path(__file__).resolve().parents[2] / "kiosk" / "static" / "flags"
SPEECH = "/kiosk/speech.wav"
AUDIO = "#speech-audio"
READ = "#read-aloud"

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def tile(page, code: str):
    return page.locator(f".k-lang-button[data-lang='{code}']")


def t(code: str, key: str):
    return texts(TEXTS, code)[key]


def tiles_are_compact(page) -> None:
    """Ten languages: two rows of tiles ≥ 56 px high, at the bottom of the screen."""
    boxes = [b.bounding_box() for b in page.locator(".k-lang-button").all()]
    rows = sorted({round(b["y"]) for b in boxes})
    assert len(rows) == 2, rows
    height = page.viewport_size["height"]
    for box in boxes:
        assert box["height"] >= 56 and box["width"] >= 56, box
        assert box["y"] > height * 0.6, box


def wav_frames(content: bytes) -> float:
    """Seconds of sound in a RIFF/WAVE file (fails if it is not one)."""
    assert content[:4] == b"RIFF" and content[8:12] == b"WAVE", content[:16]
    with wave.open(io.BytesIO(content)) as w:
        assert w.getnframes() > 0
        return w.getnframes() / w.getframerate()


def audio(page) -> dict:
    return page.locator(AUDIO).evaluate(
        "a => ({volume: a.volume, paused: a.paused, time: a.currentTime, duration: a.duration})"
    )


# --- the language tiles --------------------------------------------------------------------------


def test_flags_are_small_plain_svg():
    """Drawn here, not downloaded: small files with a viewBox, no scripts, no links out."""
    for code in KIOSK_LANGUAGES:
        path = FLAGS / f"{code}.svg"
        text = path.read_text("utf-8")
        assert len(text) < 2000, (code, len(text))
        root = ET.fromstring(text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", code
        x, y, w, h = map(float, root.get("viewBox").split())
        assert (x, y) == (0, 0) and abs(w / h - 1.5) < 0.01, (code, w, h)  # all 3:2 tiles
        names = {el.tag.split("}")[-1] for el in root.iter()}
        assert not names & {"script", "foreignObject", "image", "use", "a", "style"}, code
        body = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"on\w+=|href|url\((?!#)|https?:", body), code


def test_every_language_tile_has_its_flag_own_name_lang_and_dir(
    kiosk_server, open_page, output_dir, guard
):
    for viewport, orientation in ((PORTRAIT, "portrait"), (LANDSCAPE, "landscape")):
        page = open_page(kiosk(kiosk_server), viewport=viewport, ready=READY)
        expect(page.locator(".k-lang-button")).to_have_count(len(KIOSK_LANGUAGES))
        for code in KIOSK_LANGUAGES:
            language = LANGUAGES[code]
            button = tile(page, code)
            expect(button).to_have_text(language.name)  # the own name is the label
            expect(button).to_have_attribute("lang", language.html_lang)
            expect(button).to_have_attribute("dir", language.dir)
            expect(page.get_by_role("button", name=language.name, exact=True)).to_have_count(1)
            flag = button.locator("img.k-flag")
            expect(flag).to_be_visible()
            expect(flag).to_have_attribute("alt", "")  # decoration: the name says it
            assert flag.get_attribute("src").endswith(f"/kiosk/static/flags/{code}.svg")
            assert flag.evaluate("img => img.complete && img.naturalWidth > 0"), code
        expect(tile(page, "de")).to_have_attribute("aria-pressed", "true")
        tiles_are_compact(page)
        for code in ("de", "ar", "ja"):
            tile(page, code).tap()
            expect(page.locator("html")).to_have_attribute("lang", LANGUAGES[code].html_lang)
            expect(page.locator("#start-title")).to_have_text(t(code, "choose"))
            page.screenshot(path=output_dir / f"kiosk-languages-{code}-{orientation}.png")
        page.context.close()


def test_smaller_screens_and_large_text(kiosk_server, open_page, output_dir):
    """Two rows of tiles at the smaller screens too; with large text each tile's whole name at
    ≥ 34 px (as every text then), below the services."""
    for viewport in ({"width": 800, "height": 1280}, {"width": 1280, "height": 800}):
        page = open_page(kiosk(kiosk_server), viewport=viewport, ready=READY)
        tiles_are_compact(page)
        page.locator("#mode-large").tap()
        expect(page.locator("html")).to_have_class("k-large")
        report = page.locator(".k-lang-button").evaluate_all(
            """tiles => tiles.map(b => {
              const name = b.querySelector(".k-lang-name");
              const r = b.getBoundingClientRect();
              return {name: name.textContent, cut: b.scrollWidth > b.clientWidth,
                      narrow: name.scrollWidth > name.clientWidth + 1, top: r.top + scrollY,
                      height: r.height, font: parseFloat(getComputedStyle(name).fontSize)};
            })"""
        )
        lowest_service = page.locator(READY).last.evaluate(
            "b => b.getBoundingClientRect().bottom + scrollY"
        )
        for tile_ in report:
            assert not tile_["cut"] and not tile_["narrow"], tile_
            assert tile_["font"] >= 34 and tile_["height"] >= 56, tile_
            assert tile_["top"] > lowest_service, (tile_, lowest_service)
        name = f"kiosk-languages-large-{viewport['width']}x{viewport['height']}.png"
        page.screenshot(path=output_dir / name, full_page=True)
        page.context.close()


def test_arabic_mirrors_the_screen_and_takes_an_arabic_ticket(
    kiosk_server, open_page, output_dir, guard
):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    html = page.locator("html")
    tile(page, "ar").tap()
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(tile(page, "ar")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#start-title")).to_have_text(t("ar", "choose"))
    # Mirrored: the letter badge right of the service's name, the first language on the right.
    service = page.locator('[data-service-id="1"]')
    badge = service.locator(".k-service-badge").bounding_box()
    name = service.locator(".k-service-name").bounding_box()
    assert badge["x"] > name["x"] + name["width"] - 1, (badge, name)
    first, second = tile(page, "de").bounding_box(), tile(page, "de-ls").bounding_box()
    assert first["x"] > second["x"], (first, second)
    nothing_sticks_out = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"
    )
    assert nothing_sticks_out
    assert_accessible(page, "kiosk-start-ar")
    page.screenshot(path=output_dir / "kiosk-languages-ar-mirrored.png")

    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        card(page, "Reisepass").tap()
    assert json.loads(sent.value.post_data) == {"service": 2, "lang": "ar"}
    expect(page.locator(NUMBER)).to_have_text("P001")
    expect(page.locator("#ticket-label")).to_have_text(t("ar", "your_number"))
    expect(html).to_have_attribute("dir", "rtl")

    # Leichte Sprache is German on the ticket.
    page.locator("#ticket-done").tap()
    expect(html).to_have_attribute("dir", "ltr")  # the next visitor: the default again
    page.wait_for_timeout(900)  # past the guard against a quick second tap on "Fertig"
    tile(page, "de-ls").tap()
    expect(page.locator("#start-title")).to_have_text(t("de-ls", "choose"))
    expect(html).to_have_attribute("lang", "de")
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        card(page, "Reisepass").tap()
    assert json.loads(sent.value.post_data) == {"service": 2, "lang": "de"}
    expect(page.locator(NUMBER)).to_have_text("P002")


# --- the device's language -------------------------------------------------------------------


@needs_espeak
def test_lang_in_the_start_url_stays_a_visitors_tap_does_not(kiosk_server, open_page, guard):
    page = open_page(kiosk(kiosk_server, lang="tr"), viewport=PORTRAIT, ready=READY)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "tr")
    expect(page.locator("#start-title")).to_have_text(t("tr", "choose"))
    expect(tile(page, "tr")).to_have_attribute("aria-pressed", "true")

    # The kiosk restarts (power cut, the browser's own reload): still Turkish, without ?lang.
    page.goto(kiosk(kiosk_server))
    page.locator(READY).first.wait_for()
    expect(html).to_have_attribute("lang", "tr")
    expect(page.locator("#start-title")).to_have_text(t("tr", "choose"))

    # A visitor taps English, has the screen read and takes a ticket: all in English …
    tile(page, "en").tap()
    expect(page.locator("#start-title")).to_have_text(t("en", "choose"))
    with page.expect_response(lambda r: SPEECH in r.url) as spoken:
        page.locator(READ).tap()
    assert spoken.value.status == 200
    assert parse_qs(urlsplit(spoken.value.url).query)["language"] == ["en"]
    page.locator(READ).tap()  # enough
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        card(page, "ID card").tap()
    assert json.loads(sent.value.post_data)["lang"] == "en"
    page.locator("#ticket-done").tap()
    # … and the next visitor gets Turkish again, now and after a reload.
    expect(html).to_have_attribute("lang", "tr")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("wartemarke_lang") == "tr", cookies
    page.reload()
    page.locator(READY).first.wait_for()
    expect(html).to_have_attribute("lang", "tr")
    expect(tile(page, "tr")).to_have_attribute("aria-pressed", "true")


def test_the_browsers_language_opens_the_kiosk_in_it(kiosk_server, open_page, guard):
    """A tablet set to Turkish (its Accept-Language) and no ?lang=: Turkish."""
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY, locale="tr-TR")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#start-title")).to_have_text(t("tr", "choose"))
    expect(tile(page, "tr")).to_have_attribute("aria-pressed", "true")


# --- Vorlesen --------------------------------------------------------------------------------


@needs_espeak
def test_read_aloud_plays_the_servers_voice_with_volume_and_resets(
    kiosk_server, open_page, output_dir, guard
):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    button = page.locator(READ)
    expect(button).to_have_text(t("de", "read_aloud"))
    expect(page.locator("#speech-volume")).to_be_hidden()
    expect(page.locator(".k-modes").get_by_role("button")).to_have_count(3)

    # By keyboard: the button is in the tab order after the modes; Enter starts reading.
    page.locator("#mode-large").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "read-aloud"
    with page.expect_response(lambda r: SPEECH in r.url) as spoken:
        page.keyboard.press("Enter")
    answer = spoken.value
    assert answer.status == 200 and answer.headers["content-type"] == "audio/wav"
    assert "set-cookie" not in answer.headers  # a visitor's language is not the device's
    query = parse_qs(urlsplit(answer.url).query)
    assert query["language"] == ["de"]
    assert query["say"][0].split(",")[:3] == ["choose", "choose_hint", "services"]
    assert query["services"] == ["1,2,3,4"]
    # The same question again: a real RIFF/WAVE with seconds of speech in it.
    again = requests.get(answer.url, timeout=30)
    assert wav_frames(again.content) > 5

    expect(button).to_have_text(t("de", "read_aloud_stop"))
    volume = page.locator("#speech-volume")
    expect(volume).to_be_visible()
    expect(volume).to_have_attribute("role", "group")
    expect(volume).to_have_attribute("aria-label", t("de", "volume"))
    page.wait_for_function(
        "() => { const a = document.querySelector('#speech-audio'); return a.currentTime > 0.3 }"
    )
    assert audio(page)["duration"] > 5  # Chromium decoded it: sound, not an error page
    assert audio(page)["volume"] == 0.75
    assert_accessible(page, "kiosk-start-reading")
    page.screenshot(path=output_dir / "kiosk-languages-reading.png")

    louder = page.get_by_role("button", name=t("de", "louder"))
    quieter = page.get_by_role("button", name=t("de", "quieter"))
    louder.tap()
    assert audio(page)["volume"] == 1.0
    expect(louder).to_have_attribute("aria-disabled", "true")
    louder.tap(force=True)  # no louder than the kiosk's own setting (it stays focusable)
    assert audio(page)["volume"] == 1.0
    for expected in (0.75, 0.5, 0.25, 0.25):
        quieter.tap(force=True)
        assert audio(page)["volume"] == expected
    expect(quieter).to_have_attribute("aria-disabled", "true")
    expect(louder).to_have_attribute("aria-disabled", "false")
    assert not audio(page)["paused"]

    button.tap()  # "Vorlesen beenden"
    expect(button).to_have_text(t("de", "read_aloud"))
    expect(volume).to_be_hidden()
    assert audio(page)["paused"]

    # The ticket is read too: the number as the wall display calls it.
    card(page, "Meldeangelegenheiten").tap()
    expect(page.locator(NUMBER)).to_have_text("M001")
    with page.expect_response(lambda r: SPEECH in r.url) as spoken:
        button.tap()
    query = parse_qs(urlsplit(spoken.value.url).query)
    assert query["say"][0].startswith("your_number,number,service,ahead_label,ahead")
    assert (query["number"], query["service"], query["n"]) == (["M001"], ["3"], ["0"])
    assert wav_frames(requests.get(spoken.value.url, timeout=30).content) > 2
    expect(page.locator("#speech-volume")).to_be_visible()
    assert audio(page)["volume"] == 0.25  # the same visitor's volume

    # The next visitor: reading stopped, the volume back to the kiosk's.
    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    expect(button).to_have_text(t("de", "read_aloud"))
    expect(volume).to_be_hidden()
    assert audio(page)["volume"] == 0.75 and audio(page)["paused"]


@needs_espeak
def test_reading_holds_the_confirmation_until_it_has_been_heard(kiosk_server, open_page, guard):
    page = open_page(kiosk(kiosk_server, confirm_seconds=2), viewport=PORTRAIT, ready=READY)
    card(page, "Reisepass").tap()
    expect(page.locator(NUMBER)).to_have_text("P001")
    page.locator(READ).tap()
    # Well past the 2 s: the reading goes on and the number stays.
    page.wait_for_function(
        "() => document.querySelector('#speech-audio').currentTime > 3", timeout=15000
    )
    expect(page.locator("#screen-ticket")).to_be_visible()
    page.locator(READ).tap()  # heard enough: the countdown starts again from 2 s
    expect(page.locator("#screen-start")).to_be_visible(timeout=8000)


def test_read_aloud_without_espeak_says_so(make_server, open_page, guard):
    server = make_server(site=SITE, env={"PATH": "/nonexistent"})  # no espeak-ng to be found
    page = open_page(kiosk(server, lang="pl"), viewport=PORTRAIT, ready=READY)
    with page.expect_response(lambda r: SPEECH in r.url) as spoken:
        page.locator(READ).tap()
    assert spoken.value.status == 503
    answer = requests.get(spoken.value.url, timeout=10)  # the page took the body as a blob
    assert answer.status_code == 503 and answer.json()["error"] == "service_unavailable"
    expect(page.locator("#speech-failed")).to_have_text(t("pl", "read_aloud_failed"))
    expect(page.locator(READ)).to_have_text(t("pl", "read_aloud"))
    expect(page.locator("#speech-volume")).to_be_hidden()


@needs_espeak
def test_speech_route_says_only_what_the_kiosk_knows(kiosk_server):
    url = kiosk_server.url + SPEECH
    good = {
        "language": "uk",
        "say": "choose,services,your_number,number,service,ahead_label,ahead,wait_time",
        "services": "1,2",
        "service": "2",
        "number": "A017",
        "n": "3",
        "min": "75",
    }
    r = requests.get(url, params=good, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "audio/wav", r.text[:200]
    assert "no-store" in r.headers["Cache-Control"] and "Set-Cookie" not in r.headers
    assert wav_frames(r.content) > 3
    for name in ("ar", "ja", "de-ls"):
        r = requests.get(url, params={"language": name, "say": "choose,languages_label"})
        assert r.status_code == 200 and wav_frames(r.content) > 1, name

    bad = [
        {"language": "de", "say": "Hallo Welt"},  # free text
        {"language": "de", "say": "choose,<script>"},
        {"language": "de", "say": "_name"},  # not a text key
        {"language": "de", "say": ""},
        {"language": "de"},
        {"language": "xx", "say": "choose"},
        {"lang": "de", "say": "choose"},  # ?lang= would set the device's language
        {"language": "de", "say": "choose", "text": "Hallo"},  # unknown parameter
        {"language": "de", "say": ",".join(["choose"] * 41)},  # too many parts
        {"language": "de", "say": "number", "number": "A017; rm -rf"},
        {"language": "de", "say": "number"},  # the number missing
        {"language": "de", "say": "ahead"},  # n missing
        {"language": "de", "say": "ahead", "n": "-1"},
        {"language": "de", "say": "wait_time", "min": "1e9"},
        {"language": "de", "say": "services", "services": "1,99"},  # no such service
        {"language": "de", "say": "service", "service": "1 OR 1=1"},
        {"language": "de", "say": "checkin_too_early", "slot": "09:20"},  # time missing
        {"language": "de", "say": "checkin_wrong_day", "day": "2027-02-30"},
        {"language": "de", "say": "closed_opens", "time": "25:00"},
        {"language": "de", "say": "checkin_code_typed", "n": "1"},  # code, total missing
    ]
    for params in bad:
        r = requests.get(url, params=params, timeout=10)
        assert r.status_code == 400, (params, r.status_code, r.text[:200])
        body = r.json()
        assert body["error"] == "bad_request" and body["message"], (params, body)
    twice = requests.get(url + "?language=de&say=choose&say=choose_hint", timeout=10)
    assert twice.status_code == 400
    junk = requests.get(url + "?language=%ff&say=%00%fe", timeout=10)
    assert junk.status_code == 400
    assert requests.get(kiosk_server.url + "/api/health", timeout=5).ok


# --- time limits that the visitor can extend (WCAG 2.2.1) ----------------------------------------


def seconds_left(page, selector: str) -> int:
    text = page.locator(selector).text_content() or ""
    match = re.search(r"\d+", text)
    assert match, text
    return int(match[0])


def test_more_time_restarts_the_confirmation_countdown(kiosk_server, open_page, guard):
    page = open_page(kiosk(kiosk_server, confirm_seconds=4), viewport=PORTRAIT, ready=READY)
    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A001")
    countdown = "#ticket-countdown"
    more = page.locator("#ticket-more-time")
    expect(more).to_have_text(t("de", "more_time"))
    assert more.bounding_box()["height"] >= 90
    shown_at = page.evaluate("Date.now()")
    for _ in range(2):  # as often as the visitor wants
        expect(page.locator(countdown)).to_have_text("Zurück zum Start in 1 s", timeout=8000)
        more.tap()
        expect(page.locator(countdown)).to_have_text("Zurück zum Start in 4 s")
    # Long past the first 4 s, the number is still up …
    page.wait_for_function("t => Date.now() > t + 5000", arg=shown_at, timeout=15000)
    expect(page.locator("#screen-ticket")).to_be_visible()
    # … and without another tap it goes.
    expect(page.locator("#screen-start")).to_be_visible(timeout=10000)


def test_check_in_idle_time_shows_and_is_extended_by_keys_and_more_time(
    venue,  # noqa: F811
    open_page,
    output_dir,
    guard,
):
    venue.book("09:20", "K7P3QX")
    page = open_page(venue.kiosk(idle_seconds=10), viewport=PORTRAIT, ready=START)
    page.locator(BUTTON).tap()
    expect(page.locator(CHECKIN)).to_be_visible()
    idle = page.locator("#checkin-idle")
    # 10 s without a key (at most 20 s): the countdown shows at once, with "Mehr Zeit".
    expect(idle).to_be_visible()
    expect(idle).to_contain_text("Zurück zum Start in")
    more = page.locator("#checkin-more-time")
    expect(more).to_have_text(t("de", "more_time"))
    assert more.bounding_box()["height"] >= 90
    page.screenshot(path=output_dir / "kiosk-languages-checkin-idle.png")

    # Any key gives the full time again (not only the code's characters) …
    for key in ("ArrowDown", "Shift"):
        page.wait_for_function(
            "() => /[1-8] s/.test(document.getElementById('checkin-idle-text').textContent)",
            timeout=10000,
        )
        page.keyboard.press(key)
        assert seconds_left(page, "#checkin-idle-text") >= 9, key
    # … and so does "Mehr Zeit".
    page.wait_for_function(
        "() => /[1-8] s/.test(document.getElementById('checkin-idle-text').textContent)",
        timeout=10000,
    )
    more.tap()
    assert seconds_left(page, "#checkin-idle-text") >= 9
    expect(page.locator(CHECKIN)).to_be_visible()
    # Nobody there any more: back to the start.
    expect(page.locator(START).first).to_be_visible(timeout=15000)
    expect(page.locator(CHECKIN)).to_be_hidden()
