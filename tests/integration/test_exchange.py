"""Data exchange against real servers: what a laptop exports, a central installation imports
with the same figures; twice is once; two laptops with colliding numbers add up. And the
statistics as CSV/xlsx for admins."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from tests.conftest import site_with_counters, wartemarke
from tests.integration.test_stats import act, serve
from wartemarke.clock import write_clock_file
from wartemarke.stats import collect
from wartemarke.store import open_store
from wartemarke.store.schema import metadata

FIGURES = ("issued", "served", "no_show", "cancelled", "waiting_left", "without_ticket",
           "persons", "cases", "wait_min", "service_min", "satisfaction", "districts",
           "turned_away", "refused")  # fmt: skip


def store_of(data_dir):
    return open_store(f"sqlite:///{data_dir}/wartemarke.sqlite3")


def figures(data_dir, day: str) -> dict:
    store = store_of(data_dir)
    try:
        s = collect(store, day, day)
    finally:
        store.dispose()
    out = {k: s[k] for k in FIGURES}
    out["by_service"] = {r["name"]: {k: v for k, v in r.items() if k != "id"}
                         for r in s["by_service"] if r["issued"] or r["served"]}  # fmt: skip
    out["by_counter"] = {r["name"]: r["served"] for r in s["by_counter"]}
    out["by_hour"] = [(h["issued"], h["called"], h["served"]) for h in s["by_hour"]]
    return out


def dump(data_dir) -> dict:
    """Every row of every table, to see that nothing changed."""
    store = store_of(data_dir)
    try:
        with store.engine.connect() as conn:
            return {
                t.name: sorted(map(repr, conn.execute(select(t)).all()))
                for t in metadata.sorted_tables
            }
    finally:
        store.dispose()


def popups_of(data_dir) -> dict:
    """{key: (name, tickets, events)} of every pop-up in the data dir's database."""
    store = store_of(data_dir)
    try:
        with store.read() as tx:
            out = {}
            for popup in tx.popups():
                counts = [
                    tx.conn.execute(
                        select(func.count()).where(table.c.popup_id == popup["id"])
                    ).scalar_one()
                    for table in (metadata.tables["tickets"], metadata.tables["events"])
                ]
                out[popup["key"]] = (popup["name"], *counts)
            return out
    finally:
        store.dispose()


def current_popup(data_dir) -> str | None:
    store = store_of(data_dir)
    try:
        with store.read() as tx:
            current = tx.current_popup_id()
            return None if current is None else tx.popup(current)["key"]
    finally:
        store.dispose()


def busy_day(server, cancel: bool = True) -> dict:
    """Tickets issued, served, a no-show, a cancellation, cases and answers."""
    tickets = {}
    for service, n in ((1, 5), (2, 3), (3, 2)):
        for _ in range(n):
            t = server.issue(service)
            tickets[t["number"]] = t
    if cancel:
        r = requests.post(f"{server.url}/api/tickets/{tickets['A005']['token']}/cancel")
        assert r.status_code == 200
    one = server.login("clerk1", "secret-1")
    serve(one, server, 1, "A001", start=True)
    serve(one, server, 1, "A002", cases=[{"service": 1, "count": 2}, {"service": 3}])
    act(one, server, 1, "call", number="A003")
    act(one, server, 1, "no-show")
    serve(one, server, 1, "P001")
    act(one, server, 1, "call", number="A004")
    act(one, server, 1, "transfer", service=3)
    serve(one, server, 1, "A004")
    for number, answer in {
        "A001": {"rating": 5, "district": "Bilk"},
        "P001": {"rating": 3},
    }.items():
        r = requests.post(
            f"{server.url}/api/tickets/{tickets[number]['token']}/feedback", json=answer
        )
        assert r.status_code == 200, r.text
    return tickets


def export(server, out, *extra) -> dict:
    done = wartemarke("export", "--out", str(out), *extra, data_dir=server.data_dir)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def import_(central, path) -> str:
    done = wartemarke("import", str(path), data_dir=central)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_export_import_keeps_figures_and_twice_is_once(make_server, tmp_path):
    laptop = make_server(site=site_with_counters(2), clerks=1)
    tickets = busy_day(laptop)
    path = tmp_path / "laptop.json"
    data = export(laptop, path)
    assert data["format"] == "wartemarke-export" and data["version"] == 2
    (popup,) = data["popups"]  # the laptop's pop-up, named after its venue
    assert popup["name"] == "Pop-Up Bürgerbüro Test" and "id" not in popup
    assert (
        {t["popup"] for t in data["tickets"]}
        == {e["popup"] for e in data["events"]}
        == {popup["key"]}
    )
    day = data["tickets"][0]["day"]
    assert len(data["tickets"]) == 10 and {t["number"] for t in data["tickets"]} == set(tickets)
    text = path.read_text(encoding="utf-8")
    assert all(t["token"] not in text for t in tickets.values())  # secrets stay on the laptop
    assert "password" not in text and "clerk1" not in text
    assert data["events"] and all("user_id" not in ev for ev in data["events"])
    assert {"Personalausweis", "Reisepass"} <= {s["name"] for s in data["services"]}
    # The same id next time: it is the installation's.
    assert export(laptop, tmp_path / "again.json")["installation_id"] == data["installation_id"]

    central = tmp_path / "central"
    out = import_(central, path)
    assert "10 new tickets" in out
    assert figures(central, day) == figures(laptop.data_dir, day)
    assert popups_of(central) == {popup["key"]: (popup["name"], 10, len(data["events"]))}

    before = dump(central)
    out = import_(central, path)
    assert "0 new tickets, 0 updated, 0 new events" in out
    assert dump(central) == before

    # The laptop goes on; a longer export adds only what is new, and the figures follow.
    one = laptop.login("clerk1", "secret-1")
    serve(one, laptop, 1, "M001")
    later = export(laptop, tmp_path / "later.json")
    out = import_(central, tmp_path / "later.json")
    assert "0 new tickets, 1 updated" in out and "2 new events" in out, out
    assert figures(central, day) == figures(laptop.data_dir, day)
    assert len(later["events"]) == len(data["events"]) + 2  # called, finished

    # Its own file is refused.
    done = wartemarke("import", str(path), data_dir=laptop.data_dir)
    assert done.returncode == 2 and "this installation itself" in done.stderr


def test_two_laptops_with_the_same_numbers_add_up(make_server, tmp_path):
    a = make_server(site=site_with_counters(2), clerks=1)
    b = make_server(site=site_with_counters(2), clerks=1)
    busy_day(a)
    busy_day(b, cancel=False)
    fa, fb = export(a, tmp_path / "a.json"), export(b, tmp_path / "b.json")
    assert fa["installation_id"] != fb["installation_id"]
    assert {t["number"] for t in fa["tickets"]} == {t["number"] for t in fb["tickets"]}
    day = fa["tickets"][0]["day"]

    central = tmp_path / "central"
    import_(central, tmp_path / "a.json")
    import_(central, tmp_path / "b.json")
    import_(central, tmp_path / "a.json")  # again: nothing new
    got, one, two = figures(central, day), figures(a.data_dir, day), figures(b.data_dir, day)
    for key in ("issued", "served", "no_show", "cancelled", "waiting_left", "persons", "cases"):
        assert got[key] == one[key] + two[key], key
    assert got["wait_min"]["n"] == one["wait_min"]["n"] + two["wait_min"]["n"]
    assert got["satisfaction"]["answers"] == 4
    assert got["by_counter"] == {"Schalter 1": 2 * one["by_counter"]["Schalter 1"]}
    store = store_of(central)
    try:
        with store.read() as tx:
            tickets, events = metadata.tables["tickets"], metadata.tables["events"]
            numbers = tx.conn.execute(select(tickets.c.number)).scalars().all()
            assert len(set(numbers)) == 20 and all(n.startswith("#") for n in numbers)
            issued = tx.conn.execute(
                select(events.c.number).where(events.c.kind == "issued")
            ).scalars()
            assert list(issued).count("A001") == 2  # the original numbers, in the event log
    finally:
        store.dispose()


def test_stats_as_csv_and_xlsx(make_server):
    from openpyxl import load_workbook

    server = make_server(site=site_with_counters(2), clerks=1)
    server.add_users([("boss", "secret-boss", "admin")])
    busy_day(server)

    assert requests.get(server.url + "/api/stats.csv").status_code == 401
    assert requests.get(server.url + "/api/stats.xlsx").status_code == 401
    clerk = server.login("clerk1", "secret-1")
    assert clerk.get(server.url + "/api/stats.csv").status_code == 403
    assert clerk.get(server.url + "/api/stats.xlsx").status_code == 403

    boss = server.login("boss", "secret-boss")
    s = boss.get(server.url + "/api/stats").json()
    r = boss.get(server.url + "/api/stats.csv?table=events")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["id", "at_local", "day", "kind"] and "user_id" not in rows[0]
    kinds = [row[3] for row in rows[1:]]
    assert kinds.count("issued") == s["issued"] == 10
    assert kinds.count("finished") == s["served"]
    expected = {"by_service": len(s["by_service"]), "by_hour": 24, "by_event": 1, "by_day": 1}
    for table, n in expected.items():
        r = boss.get(f"{server.url}/api/stats.csv?table={table}&from={s['from']}&to={s['to']}")
        assert r.status_code == 200, r.text
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) == n + 1, table
    by_day = dict(zip(rows[0], rows[1], strict=True))
    assert by_day["issued"] == "10" and "." not in by_day["wait_min_mean"]  # decimal comma
    assert boss.get(server.url + "/api/stats.csv?table=users").status_code == 400
    assert boss.get(server.url + "/api/stats.csv?from=yesterday").status_code == 400

    r = boss.get(server.url + "/api/stats.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["Content-Type"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[:5] == ["events", "by_service", "by_hour", "by_day", "by_event"]
    assert book.sheetnames[5:] == ["appointments"]
    assert book["events"].max_row == len(kinds) + 1
    assert book["by_hour"].max_row == 25 and book["by_day"]["B2"].value == 10
    assert book["by_service"].max_row == len(s["by_service"]) + 1

    # One pop-up event alone: a second one from now on, with one visitor.
    r = boss.post(server.url + "/api/admin/events", json={"name": "Pop-Up Garath", "id": "garath"})
    assert r.status_code == 201
    server.issue(2)
    r = boss.get(server.url + "/api/stats.csv?table=by_event")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == ["Pop-Up Bürgerbüro Test", "Pop-Up Garath"]
    assert "from_10" in rows[0] and "from_unknown" in rows[0]
    r = boss.get(server.url + "/api/stats.csv?table=events&event=garath")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[3] for row in rows[1:]] == ["issued"]
    assert boss.get(server.url + "/api/stats.csv?event=nope").status_code == 404
    book = load_workbook(io.BytesIO(boss.get(server.url + "/api/stats.xlsx?event=garath").content))
    assert book["by_event"].max_row == 2 and book["by_day"]["B2"].value == 1

    # The same from the command line.
    out = server.data_dir / "stats.xlsx"
    done = wartemarke("export", "--format", "xlsx", "--out", str(out), data_dir=server.data_dir)
    assert done.returncode == 0, done.stderr
    assert load_workbook(out)["by_day"]["B2"].value == 11


def test_open_tickets_of_today_do_not_join_a_serving_central(make_server, tmp_path):
    laptop = make_server(site=site_with_counters(2), clerks=1)
    laptop.issue(1)  # still waiting on the laptop
    path = tmp_path / "open.json"
    export(laptop, path)
    central = make_server(site=site_with_counters(2))
    central.issue(2)  # the central serves visitors today
    central.stop()
    done = wartemarke("import", str(path), data_dir=central.data_dir)
    assert done.returncode == 2 and "still open today" in done.stderr


EVENT = """
[event]
id = "{key}"
name = "{name}"
place = "{name}"
first_day = "2026-03-30"
last_day = "2026-04-02"
"""


def test_popups_travel_by_key_and_the_central_keeps_its_own(make_server, tmp_path):
    zoo = EVENT.format(key="aquazoo-2026", name="Pop-Up im Aquazoo")
    a = make_server(site=site_with_counters(2) + zoo, clerks=1)
    b = make_server(site=site_with_counters(2) + zoo, clerks=1)  # a second laptop there
    busy_day(a)
    busy_day(b, cancel=False)
    own = EVENT.format(key="rathaus-2026", name="Pop-Up im Rathaus")
    clock = tmp_path / "central-clock"  # the central serves on a day of its own
    write_clock_file(clock, datetime(2026, 4, 1, 10, 0, tzinfo=UTC))
    central = make_server(
        site=site_with_counters(2) + own, env={"WARTEMARKE_CLOCK_FILE": str(clock)}
    )
    central.issue(1)  # the central serves visitors of its own pop-up
    central.stop()
    fa, fb = export(a, tmp_path / "a.json"), export(b, tmp_path / "b.json")
    assert [p["key"] for p in fa["popups"]] == [p["key"] for p in fb["popups"]] == ["aquazoo-2026"]
    assert fa["popups"][0]["place"] == "Pop-Up im Aquazoo"

    # Version 1 of laptop b's file, as an older Wartemarke wrote it: no pop-ups.
    old = {k: v for k, v in fb.items() if k != "popups"} | {"version": 1}
    for row in old["tickets"] + old["events"]:
        del row["popup"]
    (tmp_path / "b1.json").write_text(json.dumps(old), encoding="utf-8")

    import_(central.data_dir, tmp_path / "a.json")
    import_(central.data_dir, tmp_path / "b1.json")
    assert current_popup(central.data_dir) == "rathaus-2026"
    found = popups_of(central.data_dir)
    assert found["rathaus-2026"] == ("Pop-Up im Rathaus", 1, 1)
    assert found["aquazoo-2026"] == ("Pop-Up im Aquazoo", 10, len(fa["events"]))
    (fallback,) = set(found) - {"rathaus-2026", "aquazoo-2026"}
    assert fallback.startswith(f"import:{fb['installation_id']}:")
    assert found[fallback] == ("Pop-Up Bürgerbüro Test", 10, len(fb["events"]))

    # Laptop b's version 2 file later: its tickets join their pop-up, nothing is counted twice.
    out = import_(central.data_dir, tmp_path / "b.json")
    assert "0 new tickets, 10 updated, 0 new events" in out, out
    found = popups_of(central.data_dir)
    assert found["aquazoo-2026"] == ("Pop-Up im Aquazoo", 20, len(fa["events"]) * 2 - 1)
    assert found[fallback][1:] == (0, 0)

    # Started again, the central's new tickets still go to its own pop-up.
    central.start()
    central.issue(2)
    assert popups_of(central.data_dir)["rathaus-2026"][1] == 2
    assert current_popup(central.data_dir) == "rathaus-2026"
