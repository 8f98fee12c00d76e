"""The lobby's wall display (and the visitor's phone next to it) in a real Chromium against real
server processes.

Screenshots for review go to test-output/display-*.png and test-output/phone-called-*.png; the
time from the clerk's "next" to the call on both screens is printed.
"""

from __future__ import annotations

import io
import json
import queue
import re
import time
import wave

import pytest
import socketio
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.conftest import SITE_TOML

PHONE = {"width": 390, "height": 844}
VENUE = "Pop-Up-Bürgerbüro im Museum Kunstpalast"
TICKER = "Heute bis 18 Uhr geöffnet. Bitte halten Sie Ihren Ausweis bereit."
SITE = (
    SITE_TOML.replace('name = "Pop-Up Bürgerbüro Test"', f'name = "{VENUE}"\nticker = "{TICKER}"')
    + """
[[counters]]
id = 1
name = "Schalter 1"
services = [1, 2, 3]

[[counters]]
id = 2
name = "Schalter 2"
services = [1, 2, 3]
"""
)
READY = "#services .d-service"
SPEECH = "/display/announce.wav"
CHIME = "/display/static/sounds/chime.wav"

# Records what the page plays, and (when window.__blockSound) refuses like an autoplay policy
# until the first click: headless Chromium runs with autoplay allowed, so it is simulated here.
MEDIA_SPY = """
window.__played = [];
window.__blockSound = %s;
document.addEventListener("click", () => { window.__blockSound = false; }, true);
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (window.__blockSound) {
    return Promise.reject(new DOMException("play() needs a user gesture", "NotAllowedError"));
  }
  window.__played.push(this.currentSrc || this.src);
  return realPlay.apply(this, arguments);
};
"""

# A browser with voices for these languages (BCP 47 tags) that records what it is told to say.
FAKE_VOICES = """
window.__spoken = [];
const fakeSynth = {
  getVoices: () => VOICES.map(lang => ({lang, name: "Test " + lang})),
  speak(u) {
    window.__spoken.push(u.lang + ": " + u.text);
    setTimeout(() => u.onend && u.onend(), 30);
  },
  cancel() {},
  addEventListener() {},
};
Object.defineProperty(window, "speechSynthesis", {value: fakeSynth, configurable: true});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def fake_voices(*tags: str) -> str:
    return FAKE_VOICES.replace("VOICES", json.dumps(list(tags)))


FAKE_VOICE = fake_voices("de-DE", "en-GB")

NO_VOICE = """
Object.defineProperty(window, "speechSynthesis", {value: undefined, configurable: true});
"""


def short_wav(seconds: float = 0.15) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


def quick_sounds(page) -> None:
    """Chime and voice as 0.15 s of silence: the queue logic runs in a second, not in 10."""
    wav = short_wav()
    for pattern in ("**/sounds/chime.wav", "**/display/announce.wav*"):
        page.route(pattern, lambda route: route.fulfill(body=wav, content_type="audio/wav"))


def display_url(server, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{server.url}/display/" + (f"?{query}" if query else "")


def requested(guard, part: str) -> list[str]:
    return [u for u in guard.requests if part in u]


def numbers_shown(page) -> list[str]:
    return page.locator("#current .d-call-number").all_inner_texts()


class StaffDevices:
    """A staff screen's view of the devices (the backend relays display_status to /staff)."""

    def __init__(self, server, clerk):
        self.events: queue.Queue = queue.Queue()
        cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
        self.client = socketio.Client(reconnection=False)
        self.client.on("devices", lambda d: self.events.put(d["devices"]), namespace="/staff")
        self.client.connect(
            server.url,
            namespaces=["/staff"],
            transports=["websocket"],
            headers={"Cookie": cookie},
            wait_timeout=10,
        )

    def wait_for(self, device: str, sound: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            try:
                devices = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen = next((d for d in devices if d["id"] == device), seen)
            if seen and seen.get("sound") == sound:
                return seen
        raise AssertionError(f"staff never saw {device} with sound={sound}; last: {seen}")

    def close(self):
        self.client.disconnect()


@pytest.fixture
def display_server(make_server):
    return make_server(site=SITE, clerks=2)


@pytest.fixture
def one_clerk_server(make_server):
    return make_server(site=SITE, clerks=1)


# --- the main path ------------------------------------------------------------------------


def test_call_reaches_display_and_phone_at_once(one_clerk_server, open_page, output_dir, guard):
    server = one_clerk_server
    ticket = server.issue(1)
    server.issue(2)
    server.issue(3)
    display = open_page(display_url(server, spot_seconds=1), viewport=LANDSCAPE, ready=READY)
    display.add_init_script(MEDIA_SPY % "false")
    display.reload()
    phone = open_page(f"{server.url}/t/{ticket['token']}", viewport=PHONE, ready="#headline")

    expect(display.locator("#venue-name")).to_have_text(VENUE)
    expect(display.locator("#ticker")).to_have_text(TICKER)  # venue.ticker from the snapshot
    expect(display.locator("#clock-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(display.locator("#calls-empty")).to_be_visible()
    personal = display.locator(".d-service", has_text="Personalausweis")
    expect(personal).to_contain_text("1 wartet")
    expect(display.locator("#join")).to_be_visible()  # the QR code from /display/join.svg
    expect(phone.locator("#headline")).to_have_text("Sie sind als Nächstes dran")
    expect(phone.locator("#updated")).to_have_attribute("data-connection", "online")
    display.wait_for_function("() => WartemarkeDisplay.state.sound === 'ok'")

    clerk = server.login("clerk1", "secret-1")
    started = time.perf_counter()
    answer = clerk.post(server.url + "/api/counters/1/next")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ticket"]["number"] == "A001"
    row = display.locator("#current .d-call").first
    expect(row).to_contain_text("A001")
    expect(row).to_contain_text("Schalter 1")
    display_ms = (time.perf_counter() - started) * 1000
    expect(phone.locator("#called")).to_be_visible()
    expect(phone.locator("#called-counter")).to_have_text("Schalter\u00a01")
    both_ms = (time.perf_counter() - started) * 1000
    print(f"\nclerk 'next' → display {display_ms:.0f} ms, → display and phone {both_ms:.0f} ms")
    assert both_ms < 3000

    # The spotlight, then chime and voice; the services' counts follow.
    expect(display.locator("#spotlight")).to_be_visible()
    expect(display.locator("#spot-number")).to_have_text("A001")
    expect(display.locator("#spot-counter")).to_have_text("Schalter 1")
    display.wait_for_timeout(400)  # past the entry animations
    display.screenshot(path=output_dir / "display-spotlight.png")
    phone.screenshot(path=output_dir / "phone-called-390.png")
    expect(personal).to_contain_text("niemand wartet")

    display.wait_for_function(
        """() => {
          const chime = window.__played.findIndex(u => u.endsWith("/chime.wav"));
          return chime >= 0 && window.__played.slice(chime).some(u => u.startsWith("blob:"));
        }""",
        timeout=15000,
    )
    played = display.evaluate("window.__played")
    # The silent probe at start (is sound allowed?), then the chime, then the server's voice.
    assert played[-2].endswith(CHIME) and played[-1].startswith("blob:"), played
    assert requested(guard, CHIME)
    speech = requested(guard, SPEECH)
    assert len(speech) == 1 and "number=A001" in speech[0] and "counter=1" in speech[0]
    assert "lang=de" in speech[0]

    expect(display.locator("#spotlight")).to_be_hidden(timeout=20000)
    expect(row).to_have_class(re.compile(r"\bis-fresh\b"))  # still highlighted
    # Readable from across the room: the call as tall as a sixth of the screen.
    size = float(row.evaluate("n => getComputedStyle(n).fontSize").removesuffix("px"))
    assert size >= 140, size
    expect(display.locator("#sound-note")).to_be_hidden()
    display.screenshot(path=output_dir / "display-landscape.png")
    assert display.evaluate("WartemarkeDisplay.state.announced") == ["A001"]
    # Live over the websocket only: the state was never fetched by HTTP.
    assert not requested(guard, "/api/state") and not requested(guard, "/api/services")


def test_filters_and_portrait(display_server, open_page, output_dir, guard):
    server = display_server
    server.issue(1)  # A001
    server.issue(2)  # P001
    server.issue(1)  # A002
    passports = open_page(
        display_url(server, services=2, spot_seconds=1), viewport=PORTRAIT, ready=READY
    )
    counter2 = open_page(
        display_url(server, counters=2, layout="portrait", spot_seconds=1),
        viewport=LANDSCAPE,
        ready=READY,
    )
    quick_sounds(passports)
    quick_sounds(counter2)
    expect(passports.locator("#app")).to_have_attribute("data-layout", "portrait")  # by shape
    expect(counter2.locator("#app")).to_have_attribute("data-layout", "portrait")  # by URL
    expect(passports.locator(".d-service-name")).to_have_text(["Reisepass"])
    expect(counter2.locator(".d-service-name")).to_have_count(3)

    one = server.login("clerk1", "secret-1")
    two = server.login("clerk2", "secret-2")
    assert one.post(server.url + "/api/counters/1/next").json()["ticket"]["number"] == "A001"
    assert two.post(server.url + "/api/counters/2/next").json()["ticket"]["number"] == "P001"
    expect(passports.locator("#current .d-call-number")).to_have_text(["P001"])
    expect(counter2.locator("#current .d-call-number")).to_have_text(["P001"])
    assert one.post(server.url + "/api/counters/1/next").json()["ticket"]["number"] == "A002"
    expect(passports.locator(".d-service", has_text="Reisepass")).to_contain_text("niemand wartet")
    passports.wait_for_timeout(300)  # A002 reached both screens by now and must stay away
    assert numbers_shown(passports) == ["P001"]
    assert numbers_shown(counter2) == ["P001"]
    for page in (passports, counter2):
        page.wait_for_function("() => WartemarkeDisplay.state.announced.length === 1")
        assert page.evaluate("WartemarkeDisplay.state.announced") == ["P001"]
    assert not [u for u in requested(guard, SPEECH) if "number=A" in u]
    expect(passports.locator("#spotlight")).to_be_hidden(timeout=10000)
    passports.screenshot(path=output_dir / "display-portrait.png")

    # A display opened later takes the calls from the snapshot (the service from the prefix)
    # and announces none of them.
    before = len(requested(guard, SPEECH))
    ids = open_page(display_url(server, services=1), viewport=LANDSCAPE, ready=READY)
    expect(ids.locator("#current .d-call-number")).to_have_text(["A002", "A001"])
    ids.wait_for_timeout(500)
    assert ids.evaluate("WartemarkeDisplay.state.announced") == []
    assert len(requested(guard, SPEECH)) == before


def test_calls_together_queue_up_and_a_reconnect_replays_nothing(display_server, open_page, guard):
    server = display_server
    for service in (1, 2, 3):
        server.issue(service)
    page = open_page(display_url(server, spot_seconds=1), viewport=LANDSCAPE, ready=READY)
    quick_sounds(page)
    page.evaluate(
        """() => {
          window.__spots = [];
          new MutationObserver(() => {
            const n = document.getElementById("spot-number").textContent;
            if (n && window.__spots[window.__spots.length - 1] !== n) window.__spots.push(n);
          }).observe(document.getElementById("spot-number"), {childList: true, subtree: true});
        }"""
    )
    one = server.login("clerk1", "secret-1")
    two = server.login("clerk2", "secret-2")
    # Two clerks call within a few milliseconds: both are announced, one after the other.
    one.post(server.url + "/api/counters/1/next").raise_for_status()
    two.post(server.url + "/api/counters/2/next").raise_for_status()
    expect(page.locator("#current .d-call-number")).to_have_text(["P001", "A001"])
    page.wait_for_function("() => WartemarkeDisplay.state.announced.length === 2")
    assert page.evaluate("WartemarkeDisplay.state.announced") == ["A001", "P001"]
    page.wait_for_function("() => window.__spots.length === 2")
    assert page.evaluate("window.__spots") == ["A001", "P001"]
    assert len(requested(guard, SPEECH)) == 2
    expect(page.locator("#spotlight")).to_be_hidden(timeout=10000)

    # The server goes away: a discreet notice; back again: the snapshot replays the calls,
    # which are shown but not announced again.
    server.kill()
    expect(page.locator("#connection")).to_be_visible(timeout=10000)
    expect(page.locator("#current .d-call-number")).to_have_text(["P001", "A001"])
    server.start()
    expect(page.locator("#connection")).to_be_hidden(timeout=15000)
    page.wait_for_timeout(500)
    assert page.evaluate("WartemarkeDisplay.state.announced") == ["A001", "P001"]
    assert len(requested(guard, SPEECH)) == 2
    # And live again: the next call rings.
    one.post(server.url + "/api/counters/1/next").raise_for_status()
    expect(page.locator("#current .d-call-number").first).to_have_text("M001")
    page.wait_for_function("() => WartemarkeDisplay.state.announced.length === 3")
    assert len(requested(guard, SPEECH)) == 3


def test_blocked_sound_shows_a_button_and_staff_are_told(
    one_clerk_server, open_page, output_dir, guard
):
    server = one_clerk_server
    server.issue(1)
    clerk = server.login("clerk1", "secret-1")
    staff = StaffDevices(server, clerk)
    try:
        page = open_page(display_url(server, id="foyer-wall", spot_seconds=1), viewport=LANDSCAPE)
        page.add_init_script(MEDIA_SPY % "true")
        page.reload()
        unlock = page.locator("#unlock")
        expect(unlock).to_be_visible()
        expect(unlock).to_contain_text("Ton aktivieren")
        assert staff.wait_for("foyer-wall", "blocked")["connected"] is True

        # A call still shows (and is not lost) while the sound is blocked.
        clerk.post(server.url + "/api/counters/1/next").raise_for_status()
        expect(page.locator("#spot-number")).to_have_text("A001")
        expect(page.locator("#spotlight")).to_be_hidden(timeout=10000)
        expect(page.locator("#current .d-call-number")).to_have_text(["A001"])
        page.screenshot(path=output_dir / "display-sound-blocked.png")
        box = unlock.bounding_box()
        assert box["height"] >= 110 and box["width"] >= 1900  # across the screen, over the header

        unlock.click()
        expect(unlock).to_be_hidden()
        staff.wait_for("foyer-wall", "ok")
    finally:
        staff.close()


def test_no_server_voice_falls_back_to_the_browser_then_to_the_chime(
    one_clerk_server, open_page, guard
):
    server = one_clerk_server
    server.issue(1)
    pages = {}
    for name, script, params in (
        ("browser", FAKE_VOICE, {"announce": "de,en"}),
        ("none", NO_VOICE, {}),
    ):
        page = open_page(display_url(server, spot_seconds=1, **params), viewport=LANDSCAPE)
        page.route(
            "**/display/announce.wav*",
            lambda route: route.fulfill(status=503, body="espeak-ng is not installed"),
        )
        page.add_init_script(script)
        page.reload()
        page.locator(READY).first.wait_for()
        pages[name] = page

    server.login("clerk1", "secret-1").post(server.url + "/api/counters/1/next")
    browser, none = pages["browser"], pages["none"]
    browser.wait_for_function("() => window.__spoken.length === 2")
    assert browser.evaluate("window.__spoken") == [
        "de-DE: Nummer A 1, bitte zu Schalter 1.",
        "en-GB: Number A 1, please go to counter 1.",
    ]
    assert browser.evaluate("WartemarkeDisplay.state.speech") == "browser"
    expect(browser.locator("#sound-note")).to_be_hidden()

    # Neither voice: the chime alone, and the screen says why.
    expect(none.locator("#sound-note")).to_have_text(re.compile("Nur Gong"))
    assert none.evaluate("WartemarkeDisplay.state.sound") == "speech_unavailable"
    assert len(requested(guard, SPEECH)) == 3  # de + en, and de
