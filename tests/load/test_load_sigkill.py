"""The day of tests/load/day.py with the server killed (SIGKILL) at midday, while requests are
in flight, and started again on the same port and data dir. No ticket a visitor got is lost, no
number repeats, no clerk action is lost or done twice (a clerk whose request died asks the
counter whether it happened), the clerks' sessions survive (no new login, no 401, the counters
taken once all day), every display and phone is back in sync by itself within seconds, and
the day then ends with all the end-of-day checks of test_load_day.py. Prints the time from the
restart until every client was in sync again."""

from __future__ import annotations

import time

from tests.load.day import LoadDay, start_server

RESYNC_LIMIT = 20  # seconds: a generous deadline for a loaded machine; the figure is printed


def test_sigkill_at_midday(make_server):
    server = start_server(make_server)
    day = LoadDay(server, walk_ins=200)  # the full day runs in test_load_day; this one is a fault
    times = {}

    def crash(day: LoadDay) -> None:
        busy = time.monotonic() + 5
        while day.counts["in flight"] < 3 and time.monotonic() < busy:
            time.sleep(0.001)  # kill it busy: some requests die half done
        server.kill()
        killed = time.monotonic()
        day.pause()  # the actors hold before their next request; those in flight fail
        clients = day.live.displays + [p for p in day.live.phones.values() if p.connects]
        deadline = time.monotonic() + 10
        while any(c.connected for c in clients):  # every client noticed
            assert time.monotonic() < deadline
            time.sleep(0.01)
        day.restart()
        restarted = time.monotonic()
        times["restart"] = restarted - killed
        times["resync"] = day.wait_in_sync(restarted, timeout=RESYNC_LIMIT)
        day.resume()

    try:
        day.run(midday=crash)
        figures = day.check(crashed=True)
        assert times, "the server was never killed"
        # Every client lost the server once and came back by itself.
        assert all(d.log.count(("disconnect", None, None)) == 1 for d in day.live.displays)
        assert all(c.connected for c in day.live.clients())
        assert sum(p.connects == 2 for p in day.live.phones.values()) >= 10
    finally:
        day.close()
    assert figures["failed requests"] >= 1  # some requests met the dead server
    restart, resync = times["restart"], times["resync"]
    print(f"sigkill day: {figures}, restart {restart:.2f} s, all clients in sync {resync:.2f} s")
