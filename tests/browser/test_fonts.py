"""Japanese on the visitor screens comes from the bundled web font, offline: the kiosk in
Japanese draws every kana and kanji with "Noto Sans JP Wartemarke" (static/fonts, a subset of
Noto Sans CJK JP), never with a box or a font from elsewhere.

Chromium tells which fonts drew a node's glyphs (DevTools CSS.getPlatformFontsForNode): the
test asks it for the Japanese texts. Screenshot for review: test-output/kiosk-ja-fonts.png.
"""

from __future__ import annotations

from tests.browser.conftest import PORTRAIT

SITE = """
[venue]
name = "Pop-Up-Bürgerbüro Test"

[[services]]
id = 1
name = "Meldebescheinigung"
prefix = "B"
minutes = 10
names = {ja = "住民票の写し"}
descriptions = {ja = "住民票の写しを受け取る"}

[[counters]]
id = 1
name = "Schalter 1"
services = [1]
"""
READY = "#services .k-service"
WEB_FONT = "Noto Sans JP Wartemarke"  # the subset's own name, as Chromium reports it


def fonts_drawing(page, selector: str) -> dict[str, int]:
    """{font family: glyphs drawn} for the text of the first node matching selector."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"no {selector} on the page"
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts if f["glyphCount"]}


def test_kiosk_in_japanese_draws_with_the_bundled_web_font(
    kiosk_server, open_page, guard, output_dir
):
    page = open_page(f"{kiosk_server.url}/kiosk/?lang=ja", viewport=PORTRAIT, ready=READY)
    name = page.locator(".k-service-name").first
    assert name.inner_text() == "住民票の写し"
    page.evaluate("document.fonts.ready")
    page.wait_for_function(
        """() => [...document.fonts].some(f => f.family.includes("Wartemarke Sans JP")
                                              && f.status === "loaded")""",
        timeout=15000,
    )
    # Loaded from this server, by the unicode-range: the page shows Japanese.
    assert any(url.endswith("/static/fonts/NotoSansJP-Wartemarke.woff2") for url in guard.requests)
    assert page.evaluate("""document.fonts.check('20px "Wartemarke Sans JP"', '住民票の写し')""")

    # Every glyph of the service name came from the web font: no system font, no box.
    assert fonts_drawing(page, ".k-service-name") == {WEB_FONT: len("住民票の写し")}
    # A Japanese text of the catalogue too: the heading and the hint under it.
    for selector in ("#start-title", ".k-lead"):
        text = page.locator(selector).first.inner_text()
        drawn = fonts_drawing(page, selector)
        kana_kanji = sum(1 for ch in text if ord(ch) >= 0x3000)
        assert kana_kanji > 3, text
        # Latin letters and digits, if any, come from DejaVu (the first font of the stack).
        assert set(drawn) <= {WEB_FONT, "DejaVu Sans"}, drawn
        assert drawn[WEB_FONT] >= kana_kanji, (text, drawn)
    page.screenshot(path=str(output_dir / "kiosk-ja-fonts.png"))


def test_german_kiosk_offers_japanese_in_its_own_script(kiosk_server, open_page):
    page = open_page(f"{kiosk_server.url}/kiosk/", viewport=PORTRAIT, ready=READY)
    button = ".k-lang-button[data-lang=ja]"
    assert page.locator(button).inner_text().strip() == "日本語"
    page.wait_for_function(
        """() => [...document.fonts].some(f => f.family.includes("Wartemarke Sans JP")
                                              && f.status === "loaded")""",
        timeout=15000,
    )
    assert fonts_drawing(page, button) == {WEB_FONT: 3}
