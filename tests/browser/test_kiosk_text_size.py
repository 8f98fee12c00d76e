"""EN 301 549 5.1.4 on the kiosk: in large-text mode every text a visitor needs is large enough
that a capital H subtends 0.7° at the viewing distance we name (50 cm): 6.1 mm, which is
34 CSS px of DejaVu Sans on a 21.5" Full-HD screen (docs/KIOSK-ACCESSIBILITY.md).

Measured in Chromium at 1080×1920 (a portrait Full-HD kiosk), in German, Leichte Sprache,
English, Arabic and Japanese, on the start screen and on the confirmation.
"""

from __future__ import annotations

import math

from playwright.sync_api import expect

from tests.browser.conftest import PORTRAIT
from tests.browser.test_kiosk import NUMBER, READY, SITE, kiosk

VIEWING_DISTANCE_MM = 500
CAP_HEIGHT_MM = math.tan(math.radians(0.7)) * VIEWING_DISTANCE_MM  # 6.1 mm
PIXEL_PITCH_MM = 0.248  # 21.5" Full HD, the smallest screen the documentation allows
DEJAVU_CAP_HEIGHT = 0.729  # of the em
MIN_FONT_PX = 34

# Every element with its own visible text: its font size and a sample of the text.
TEXT_SIZES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) {
      continue;
    }
    if (el.closest(".wm-visually-hidden, script, style, template, [aria-hidden=true]")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    out.push([parseFloat(getComputedStyle(el).fontSize), text.slice(0, 40)]);
  }
  return out;
}"""


def test_the_arithmetic_of_the_documentation():
    assert round(CAP_HEIGHT_MM, 1) == 6.1
    assert DEJAVU_CAP_HEIGHT * MIN_FONT_PX * PIXEL_PITCH_MM >= CAP_HEIGHT_MM


def small_texts(page) -> list:
    return [(size, text) for size, text in page.evaluate(TEXT_SIZES) if size < MIN_FONT_PX]


def test_large_text_mode_makes_every_text_large_enough(server_pool, open_page):
    """One visitor turns large text on, goes through the languages, then takes a ticket."""
    server = server_pool.take(SITE)
    page = open_page(kiosk(server), viewport=PORTRAIT, ready=READY)
    page.locator("#mode-large").click()
    expect(page.locator("html")).to_have_class("k-large")
    for lang in ("de", "de-ls", "en", "ar", "ja"):
        page.locator(f".k-lang-button[data-lang={lang}]").click()
        expect(page.locator("html")).to_have_attribute("lang", lang.split("-")[0])
        assert not small_texts(page), (lang, small_texts(page))
    page.locator(READY).first.click()
    expect(page.locator(NUMBER)).not_to_be_empty()
    assert not small_texts(page), small_texts(page)
    server.stop()
