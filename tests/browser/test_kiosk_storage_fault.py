"""The kiosk in a real Chromium while the server's disk is full: the visitor reads, in plain
words, that no number can be issued and whom to ask; once there is room again, a tap gives the
next number."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.test_kiosk import NUMBER, READY, card, kiosk
from tests.conftest import site_with_counters
from tests.integration.test_storage_faults import disk_full


def test_a_full_disk_is_explained_on_the_kiosk(make_server, open_page, output_dir):
    server = make_server(site=site_with_counters(1), extra=["--printer", "none"])
    page = open_page(kiosk(server), ready=READY)
    message = page.locator("#start-message")
    logs: list[str] = []
    with disk_full(server, logs):
        card(page, "Personalausweis").tap()
        expect(message).to_contain_text(
            "Zurzeit können keine Wartenummern erstellt werden: Der Speicher des Servers ist "
            "voll. Bitte fragen Sie unser Personal."
        )
        expect(message).to_be_in_viewport()
        expect(message).to_have_attribute("data-kind", "error")
        size = message.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 16, f"the message is set in {size}px"
        colours_meet_wcag_aa(page)
        expect(page.locator(NUMBER)).to_be_hidden()
        page.screenshot(path=output_dir / "kiosk-storage-full.png")

    card(page, "Personalausweis").tap()  # room again: the next tap gives the number
    expect(page.locator(NUMBER)).to_have_text("A001")
    expect(message).to_be_hidden()
    assert "storage error on POST /api/tickets: full" in server.log()
