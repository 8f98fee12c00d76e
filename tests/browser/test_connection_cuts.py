"""The network between the screens and the server fails during a pop-up day, and comes back.

The wall display and a clerk's counter page are loaded through a TCP proxy (tests/tcp_proxy.py)
that is cut: every connection closed, new ones closed at once. While cut, another clerk calls
over the HTTP API straight to the server, the clerk at the cut page calls from another window,
and tickets are issued. After the proxy is restored the pages must catch up without a reload.

Rule for the display (display.js, onSnapshot): a call the display already showed is never
announced again when the snapshot after a reconnect replays it; a call made while the display
was offline (not shown before, at most 20 s old) is announced once after the reconnect, oldest
first, so the visitor who was called meanwhile still hears the number. So every call is
announced exactly once, whether it reached the display live or only after a cut.

Screenshots: test-output/fault-cut-display.png and fault-cut-counter.png after the recovery.
"""

from __future__ import annotations

from collections import Counter

import requests
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE
from tests.browser.test_counter import chips, counter_page, expect_current, log_in, pick
from tests.browser.test_display import READY, SPEECH, display_url, quick_sounds, requested
from tests.conftest import site_with_counters
from tests.tcp_proxy import TcpProxy

# The spotlight's numbers in the order shown (a call is announced while it is in the spotlight).
SPOT_RECORDER = """() => {
  window.__spots = [];
  new MutationObserver(() => {
    const n = document.getElementById("spot-number").textContent;
    if (n && window.__spots[window.__spots.length - 1] !== n) window.__spots.push(n);
  }).observe(document.getElementById("spot-number"), {childList: true, subtree: true});
}"""
ONLINE_WITHIN_MS = 15000  # reconnect back-off (0.5-2 s) plus a loaded machine


def call_next(session: requests.Session, server, counter: int) -> str:
    answer = session.post(f"{server.url}/api/counters/{counter}/next", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["ticket"]["number"]


def announced_numbers(guard) -> Counter:
    """How often each number was fetched as a spoken announcement (one language: de)."""
    counts: Counter = Counter()
    for url in requested(guard, SPEECH):
        counts[url.split("number=")[1].split("&")[0]] += 1
    return counts


def expect_offline(display, counter) -> None:
    expect(display.locator("#connection")).to_be_visible(timeout=10000)
    expect(counter.locator("#connection")).to_be_visible(timeout=10000)
    expect(counter.locator("#connection")).to_contain_text("Verbindung unterbrochen")
    # The clerk cannot act blind: every action is locked while the page is offline.
    expect(counter.locator("#next-btn")).to_have_attribute("aria-disabled", "true")


def expect_caught_up(server, clerk, display, counter, guard, calls: list[str]) -> None:
    """Both pages online again and showing what the server has, without a reload."""
    expect(display.locator("#connection")).to_be_hidden(timeout=ONLINE_WITHIN_MS)
    expect(counter.locator("#connection")).to_be_hidden(timeout=ONLINE_WITHIN_MS)

    # Display: every call announced once, the missed ones after the reconnect, in call order;
    # the latest one is the last in the spotlight.
    display.wait_for_function(
        f"() => WartemarkeDisplay.state.announced.length >= {len(calls)}", timeout=15000
    )
    assert display.evaluate("WartemarkeDisplay.state.announced") == calls
    display.wait_for_function(f"() => window.__spots.length >= {len(calls)}")
    assert display.evaluate("window.__spots") == calls
    state = requests.get(server.url + "/api/state", timeout=5).json()
    newest_first = [c["number"] for c in state["calls"]]
    assert newest_first[: len(calls)] == calls[::-1]
    # Three big rows (the newest marked latest), three below: the server's six latest calls.
    current = display.locator("#current .d-call-number")
    expect(current).to_have_text(newest_first[:3])
    expect(display.locator("#current .d-call.is-latest .d-call-number")).to_have_text(
        newest_first[0]
    )
    expect(display.locator("#recent .d-recent-number")).to_have_text(newest_first[3:6])
    shown = current.all_inner_texts() + display.locator(".d-recent-number").all_inner_texts()
    assert len(shown) == len(set(shown)), shown  # each call exactly once
    for service in state["services"]:
        card = display.locator(f'.d-service[data-service-id="{service["id"]}"]')
        waiting = service["waiting"]
        text = "niemand wartet" if waiting == 0 else f"{waiting} warte"
        expect(card.locator(".d-service-waiting-text")).to_contain_text(text)

    # Counter: the queue and the clerk's own visitor as the server has them.
    mine = clerk.get(server.url + "/api/counters/1", timeout=5).json()
    queue = clerk.get(server.url + "/api/queue", timeout=5).json()
    services = mine["counter"]["services"]
    waiting = [t["number"] for sid in services for t in queue.get(str(sid), [])]
    expect(counter.locator(".c-chip-number")).to_have_text(waiting)
    total = sum(s["waiting"] for s in state["services"] if s["id"] in services)
    assert total == len(waiting)
    expect(counter.locator("#queue-total")).to_have_text(f"{total} warten")
    if mine["ticket"]:
        expect_current(counter, mine["ticket"]["number"])
    else:
        expect(counter.locator("#current-ticket")).to_be_hidden()
        expect(counter.locator("#empty-title")).to_have_text("Niemand am Schalter")
    expect(counter.locator("#next-btn")).to_have_attribute("aria-disabled", "false")

    # No call was fetched for announcing twice, none was left out.
    display.wait_for_timeout(300)  # a stray second announcement would be requested by now
    assert announced_numbers(guard) == Counter(calls)


def test_screens_catch_up_after_network_cuts(make_server, open_page, output_dir, guard):
    server = make_server(site=site_with_counters(2), clerks=2)
    for _ in range(4):
        for service in (1, 2, 3):
            server.issue(service)  # A001 P001 M001 A002 ... M004
    proxy = TcpProxy(server.port).start()
    try:
        display = open_page(display_url(proxy, spot_seconds=1), viewport=LANDSCAPE, ready=READY)
        quick_sounds(display)
        display.evaluate(SPOT_RECORDER)
        counter = counter_page(open_page, proxy, viewport=LANDSCAPE)
        log_in(counter, "clerk1", "secret-1")
        pick(counter, "Schalter 1")
        assert len(chips(counter)) == 12

        other = server.login("clerk2", "secret-2")  # another counter, straight to the server
        me_elsewhere = server.login("clerk1", "secret-1")  # the same clerk at another window
        calls = []
        counter.locator("#current-title").focus()
        counter.keyboard.press(" ")
        expect_current(counter, "A001")
        calls.append("A001")
        calls.append(call_next(other, server, 2))
        expect_caught_up(server, me_elsewhere, display, counter, guard, calls)
        assert proxy.accepted > 0

        # First cut: two calls at counter 2, one at counter 1 from the other window, two new
        # tickets.
        proxy.cut()
        expect_offline(display, counter)
        calls.append(call_next(other, server, 2))
        server.issue(1)
        calls.append(call_next(me_elsewhere, server, 1))
        calls.append(call_next(other, server, 2))
        server.issue(3)
        proxy.restore()
        expect_caught_up(server, me_elsewhere, display, counter, guard, calls)
        assert proxy.refused > 0  # the pages did try to come back while cut

        # Right away a second cut: counter 1's visitor is finished from the other window (the
        # page must drop it), counter 2 calls again.
        proxy.cut()
        expect_offline(display, counter)
        finish = me_elsewhere.post(server.url + "/api/counters/1/finish", timeout=10)
        assert finish.status_code == 200, finish.text
        calls.append(call_next(other, server, 2))
        proxy.restore()
        expect_caught_up(server, me_elsewhere, display, counter, guard, calls)

        expect(display.locator("#spotlight")).to_be_hidden(timeout=10000)
        display.screenshot(path=output_dir / "fault-cut-display.png")
        counter.screenshot(path=output_dir / "fault-cut-counter.png")
    finally:
        proxy.close()
