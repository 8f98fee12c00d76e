"""A whole pop-up day under load against a real server process (see tests/load/day.py): about
400 tickets at three kiosks, six clerks, two displays and 100 phones live all day; then every
ticket, the event log, what each client saw and the statistics are checked against the script."""

from __future__ import annotations

from collections import Counter

from tests.load.day import WALK_INS, LoadDay, start_server


def test_a_pop_up_day_under_load(make_server):
    server = start_server(make_server)
    day = LoadDay(server)
    try:
        day.run()
        figures = day.check()
    finally:
        day.close()
    # The script went down each of its paths, at scale, and nothing failed on the way.
    done = Counter(kind for _, kind, _ in day.records)
    assert figures["tickets"] >= WALK_INS and figures["failed requests"] == 0
    assert min(done["recalled"], done["serving"], done["transferred"], done["no_show"]) >= 10
    assert done["requeued"] >= 3 and len(day.extra_cases) >= 10 and day.cancelled
    print(f"load day: {figures}")
