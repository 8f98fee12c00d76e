"""The admin tab "Geräte einrichten" in a real Chromium: one QR code per screen (kiosk, counter,
display, the visitors' /join) for the address devices reach the server by, the URL beneath,
and a print layout of one sheet per screen.

No QR decoder is installed here (zbar, OpenCV), so each QR image is compared byte for byte with
what wartemarke/qr.py renders for the expected URL. The servers run with mDNS off (the harness
sets WARTEMARKE_MDNS=0); tests/integration/test_mdns.py covers the announced name.

Screenshots for review: test-output/admin-devices*.png, the printout test-output/admin-devices.pdf.
"""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.conftest import LANDSCAPE
from tests.browser.test_admin import log_in
from tests.conftest import site_with_counters
from wartemarke.mdns import lan_addresses_for
from wartemarke.qr import qr_svg

SITE = site_with_counters(2)
PATHS = {"kiosk": "/kiosk/", "counter": "/counter/", "display": "/display/", "join": "/join"}
TITLES = {"kiosk": "Kiosk", "counter": "Schalter", "display": "Anzeige", "join": "Besucher-Handy"}


def start(make_server, *extra: str):
    server = make_server(site=SITE, extra=list(extra))
    server.add_users([("boss", "secret-boss", "admin")])
    return server


def open_devices_tab(open_page, server):
    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    log_in(page)
    page.get_by_role("tab", name="Geräte einrichten").click()
    expect(page.locator("#panel-devices")).to_be_visible()
    return page


def expect_cards(page, base: str) -> None:
    """A card per screen: its title, a big QR code of exactly its URL, the URL beneath."""
    cards = page.locator(".a-dv-card")
    expect(cards).to_have_count(4)
    for index, (role, path) in enumerate(PATHS.items()):
        card = cards.nth(index)
        url = base + path
        expect(card).to_have_attribute("data-role", role)
        expect(card.locator(".a-dv-role")).to_have_text(TITLES[role])
        expect(card.locator(".a-dv-url")).to_have_text(url)
        qr = card.locator("img.a-dv-qr")
        expect(qr).to_have_attribute("alt", f"QR-Code für {TITLES[role]}: {url}")
        src = qr.get_attribute("src")
        assert src.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == qr_svg(url), f"QR of {role} is not {url}"
        box = qr.bounding_box()
        assert box["width"] >= 280 and box["height"] >= 280, box  # a camera at arm's length
        # The URL is written beneath the code.
        assert card.locator(".a-dv-url").bounding_box()["y"] >= box["y"] + box["height"]


def test_one_qr_code_per_screen_for_each_lan_address_and_a_sheet_each_printed(
    make_server, open_page, output_dir
):
    server = start(make_server, "--host", "0.0.0.0")
    page = open_devices_tab(open_page, server)
    addresses = lan_addresses_for("0.0.0.0")  # what `wartemarke doctor` lists, too
    if not addresses:  # a machine without a network: said so, nothing to scan
        expect(page.locator("#dv-problem")).to_contain_text("Keine Netzwerkverbindung")
        expect(page.locator(".a-dv-card")).to_have_count(0)
        expect(page.locator("#dv-print")).to_be_disabled()
        return
    bases = [f"http://{a}:{server.port}" for a in addresses]
    expect(page.locator("#dv-problem")).to_be_hidden()
    expect(page.locator("#dv-mdns")).to_contain_text("wartemarke.local (mDNS) ist ausgeschaltet")
    options = page.locator("#dv-base option")
    expect(options).to_have_count(len(bases))
    expect(page.locator("#dv-base-field")).to_be_visible(visible=len(bases) > 1)
    for option, base in zip(options.all(), bases, strict=True):
        assert option.get_attribute("value") == base
        assert option.text_content() == f"{base} (IP-Adresse im LAN)"
    expect_cards(page, bases[0])  # the default route's address first
    colours_meet_wcag_aa(page)
    page.screenshot(path=str(output_dir / "admin-devices.png"), full_page=True)
    if len(bases) > 1:
        page.locator("#dv-base").select_option(bases[-1])
        expect_cards(page, bases[-1])

    # Printed: no header, tabs or controls; one sheet per screen.
    page.emulate_media(media="print")
    expect(page.locator(".a-header")).to_be_hidden()
    expect(page.locator(".a-tabs")).to_be_hidden()
    expect(page.locator("#dv-print")).to_be_hidden()
    expect(page.locator(".a-dv-card").first).to_be_visible()
    page.screenshot(path=str(output_dir / "admin-devices-print.png"))
    pdf = page.pdf(format="A4")
    (output_dir / "admin-devices.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 4
    page.emulate_media(media="screen")
    page.locator("#dv-print").click()  # window.print(): a no-op headless, but no error


def test_the_configured_public_url_is_the_one_to_scan(make_server, open_page, output_dir):
    public = "https://wartemarke.stadt.example"
    server = start(make_server, "--public-url", public + "/")
    page = open_devices_tab(open_page, server)
    expect(page.locator("#dv-base option")).to_have_count(1)
    expect(page.locator("#dv-base-field")).to_be_hidden()
    expect(page.locator("#dv-problem")).to_be_hidden()
    expect_cards(page, public)
    page.screenshot(path=str(output_dir / "admin-devices-public.png"), full_page=True)


def test_a_server_on_loopback_only_says_what_to_do(make_server, open_page):
    server = start(make_server)  # the harness binds 127.0.0.1
    page = open_devices_tab(open_page, server)
    expect(page.locator("#dv-problem")).to_contain_text("--host 0.0.0.0")
    expect(page.locator(".a-dv-card")).to_have_count(0)
    expect(page.locator("#dv-print")).to_be_disabled()
    expect(page.locator("#dv-mdns")).to_be_hidden()
