"""The kiosk's modes for every visitor, in a real Chromium against real server processes:
high contrast, large text (both for the current visitor only) and Leichte Sprache.

Screenshots for review: test-output/kiosk-contrast.png, kiosk-large.png,
kiosk-large-landscape.png, kiosk-leichte-sprache.png.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.test_kiosk import NUMBER, READY, SITE, card, kiosk  # noqa: F401 - SITE: kiosk_server's
from wartemarke.i18n import KIOSK_LANGUAGES, LANGUAGES, texts
from wartemarke.kiosk.texts import TEXTS

HTML = "html"
CONTRAST = "#mode-contrast"
LARGE = "#mode-large"
LEICHT = ".k-lang-button[data-lang=de-ls]"


def meets_aaa(page) -> None:
    # Colours are measured once the colour transitions have ended (not the countdown bar's).
    page.wait_for_function(
        "() => !document.getAnimations().some(a => a instanceof CSSTransition"
        " && /color/.test(a.transitionProperty) && a.playState === 'running')"
    )
    colours_meet_wcag_aa(page, ratio=7)


def name_size(page) -> float:
    return float(
        card(page, "Personalausweis")
        .locator(".k-service-name")
        .evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    )


def nothing_overflows(page, buttons: int) -> None:
    """No horizontal scrolling; no button's text cut off or outside the screen."""
    report = page.evaluate(
        """() => {
          const width = window.innerWidth;
          const buttons = [...document.querySelectorAll("button")].filter(b => b.checkVisibility());
          return {
            width, page: document.documentElement.scrollWidth,
            main: document.querySelector(".k-main").scrollWidth,
            mainClient: document.querySelector(".k-main").clientWidth,
            count: buttons.length,
            bad: buttons.filter(b => {
              const r = b.getBoundingClientRect();
              return b.scrollWidth > b.clientWidth || r.left < -1 || r.right > width + 1;
            }).map(b => [b.textContent.trim().slice(0, 30), b.scrollWidth, b.clientWidth]),
          };
        }"""
    )
    assert report["count"] >= buttons, report
    assert report["page"] <= report["width"], report
    assert report["main"] <= report["mainClient"], report
    assert not report["bad"], report


def test_toggles_switch_the_class_and_aria_pressed(kiosk_server, open_page, guard):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    html = page.locator(HTML)
    contrast_button, large_button = page.locator(CONTRAST), page.locator(LARGE)
    expect(contrast_button).to_have_text("Kontrast")
    expect(large_button).to_have_text("Große Schrift")
    expect(page.locator(".k-modes")).to_have_attribute("role", "group")
    for button in (contrast_button, large_button):
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(button.locator("svg")).to_have_count(1)  # an icon besides the word
        box = button.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 48, box
        assert box["y"] > PORTRAIT["height"] / 2  # near the language switch, within reach
    assert "k-contrast" not in (html.get_attribute("class") or "")

    contrast_button.tap()
    expect(html).to_have_class("k-contrast")
    expect(contrast_button).to_have_attribute("aria-pressed", "true")
    expect(large_button).to_have_attribute("aria-pressed", "false")
    large_button.tap()
    expect(html).to_have_class("k-contrast k-large")
    expect(large_button).to_have_attribute("aria-pressed", "true")

    # By keyboard: both are buttons in the tab order; Enter and Space switch them off again.
    contrast_button.focus()
    page.keyboard.press("Enter")
    expect(contrast_button).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "mode-large"
    page.keyboard.press("Space")
    expect(large_button).to_have_attribute("aria-pressed", "false")
    assert not (html.get_attribute("class") or "").strip()

    # English labels with the language switch.
    page.locator(".k-lang-button[data-lang=en]").tap()
    expect(contrast_button).to_have_text("Contrast")
    expect(large_button).to_have_text("Large text")


def test_high_contrast_reaches_aaa_and_resets_for_the_next_visitor(
    kiosk_server, open_page, output_dir, guard
):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    page.locator(CONTRAST).tap()
    expect(page.locator(HTML)).to_have_class("k-contrast")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    meets_aaa(page)
    page.screenshot(path=output_dir / "kiosk-contrast.png")

    card(page, "Reisepass").tap()
    expect(page.locator(NUMBER)).to_have_text("P001")
    expect(page.locator(HTML)).to_have_class("k-contrast")  # the ticket in the visitor's mode
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    meets_aaa(page)
    page.screenshot(path=output_dir / "kiosk-contrast-ticket.png")

    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    expect(page.locator(HTML)).not_to_have_class("k-contrast")
    expect(page.locator(CONTRAST)).to_have_attribute("aria-pressed", "false")
    colours_meet_wcag_aa(page)  # the normal colours are back


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_large_text_is_half_again_as_big_and_fits(
    kiosk_server, open_page, output_dir, guard, viewport
):
    page = open_page(kiosk(kiosk_server, confirm_seconds=3), viewport=viewport, ready=READY)
    normal = name_size(page)
    page.locator(LARGE).tap()
    expect(page.locator(HTML)).to_have_class("k-large")
    page.wait_for_function(
        "n => parseFloat(getComputedStyle(document.querySelector('.k-service-name')).fontSize)"
        " >= n * 1.5 - 0.5",
        arg=normal,
    )
    assert name_size(page) >= normal * 1.5 - 0.5, (name_size(page), normal)
    nothing_overflows(page, buttons=4 + 10 + 3)  # services, languages, modes and Vorlesen
    suffix = "" if viewport is PORTRAIT else "-landscape"
    page.screenshot(path=output_dir / f"kiosk-large{suffix}.png")

    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A001")
    expect(page.locator("#ticket-service")).to_have_text("Personalausweis")
    nothing_overflows(page, buttons=1)  # "Fertig"
    done = page.locator("#ticket-done").bounding_box()  # in view, even if the rest scrolls
    assert done["y"] >= 0 and done["y"] + done["height"] <= viewport["height"], done
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / f"kiosk-large{suffix}-ticket.png")

    # The confirmation goes by itself (3 s): the next visitor gets the normal size.
    expect(page.locator("#screen-start")).to_be_visible(timeout=10000)
    expect(page.locator(HTML)).not_to_have_class("k-large")
    expect(page.locator(LARGE)).to_have_attribute("aria-pressed", "false")
    page.wait_for_function(
        "n => Math.abs(parseFloat(getComputedStyle("
        "document.querySelector('.k-service-name')).fontSize) - n) < 0.5",
        arg=normal,
    )


def test_modes_and_language_reset_when_the_visitor_walks_away(kiosk_server, open_page, guard):
    page = open_page(kiosk(kiosk_server, idle_seconds=10), viewport=PORTRAIT, ready=READY)
    page.locator(LEICHT).tap()
    page.locator(CONTRAST).tap()
    page.locator(LARGE).tap()
    expect(page.locator(HTML)).to_have_class("k-contrast k-large")
    expect(page.locator("#start-title")).to_have_text("Warum sind Sie hier?")
    # Nobody touches the kiosk: after 10 s (checked every 5 s) it starts over.
    expect(page.locator(HTML)).not_to_have_class("k-contrast k-large", timeout=25000)
    expect(page.locator(HTML)).to_have_attribute("class", "")
    expect(page.locator(CONTRAST)).to_have_attribute("aria-pressed", "false")
    expect(page.locator(LARGE)).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#start-title")).to_have_text("Bitte wählen Sie Ihr Anliegen")
    expect(page.locator(".k-lang-button[data-lang=de]")).to_have_attribute("aria-pressed", "true")


def test_leichte_sprache_takes_a_ticket(kiosk_server, open_page, output_dir, guard):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    easy = page.locator(LEICHT)
    names = [LANGUAGES[code].name for code in KIOSK_LANGUAGES]
    expect(page.locator(".k-lang-button")).to_have_text(names)
    assert names[:3] == ["Deutsch", "Leichte Sprache", "English"]
    expect(easy).to_have_attribute("lang", "de")

    # Its texts are embedded in the page like the others' (no request needed for them).
    embedded = json.loads(page.locator("#kiosk-texts").text_content())
    assert embedded["de-ls"] == texts(TEXTS, "de-ls")

    easy.tap()
    expect(easy).to_have_attribute("aria-pressed", "true")
    expect(page.locator(HTML)).to_have_attribute("lang", "de")  # it is German
    expect(page.locator("#start-title")).to_have_text("Warum sind Sie hier?")
    expect(page.locator(".k-lead").first).to_contain_text("Mit der Wartenummer rufen wir Sie auf.")
    expect(card(page, "Reisepass")).to_contain_text("Niemand wartet.")
    # Service names from the server: the German ones (service 1 has only an English name).
    expect(page.locator('[data-service-id="1"]')).to_contain_text("Personalausweis")
    expect(page.locator('[data-service-id="1"]')).not_to_contain_text("ID card")
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-leichte-sprache.png")

    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        card(page, "Reisepass").tap()
    assert json.loads(sent.value.post_data) == {"service": 2, "lang": "de"}  # German ticket
    expect(page.locator(NUMBER)).to_have_text("P001")
    expect(page.locator("#ticket-label")).to_have_text("Das ist Ihre Wartenummer")
    expect(page.locator("#ticket-ahead")).to_have_text("Sie sind als Nächstes dran.")
    expect(page.locator("#ticket-done")).to_contain_text("Fertig")
    page.screenshot(path=output_dir / "kiosk-leichte-sprache-ticket.png")

    page.locator("#ticket-done").tap()
    expect(page.locator("#start-title")).to_have_text("Bitte wählen Sie Ihr Anliegen")


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_leichte_sprache_catalogue_has_every_key():
    german, easy = texts(TEXTS, "de"), texts(TEXTS, "de-ls")
    assert easy["_name"] == "Leichte Sprache" and easy["_lang"] == "de"
    missing = sorted(set(german) - set(easy))
    assert not missing, f"Leichte Sprache lacks {missing}"
    for key, text in german.items():
        if key.startswith("_"):
            continue
        if isinstance(text, dict):
            assert set(easy[key]) >= set(text), key  # every plural form
            for form, words in text.items():
                assert placeholders(easy[key][form]) == placeholders(words), (key, form)
        else:
            assert isinstance(easy[key], str) and easy[key].strip(), key
            assert placeholders(easy[key]) == placeholders(text), key
    # The same words would not be Leichte Sprache: most texts are rewritten (short words such
    # as "Vorlesen" or "Mehr Zeit" are easy already).
    same = [k for k in german if not k.startswith("_") and easy[k] == german[k]]
    assert len(same) < len(TEXTS) / 5, same
