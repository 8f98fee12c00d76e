"""Statistics against a real server: what the test did over the API is what /api/stats counts,
and ``wartemarke report`` writes the same numbers into the evaluation report."""

from __future__ import annotations

import requests

from tests.conftest import SITE_TOML, site_with_counters, wartemarke


def act(session: requests.Session, server, counter: int, action: str, **body) -> dict:
    r = session.post(f"{server.url}/api/counters/{counter}/{action}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def serve(session, server, counter: int, number: str, start=False, **finish) -> None:
    assert act(session, server, counter, "call", number=number)["ticket"]["number"] == number
    if start:
        act(session, server, counter, "start")
    assert act(session, server, counter, "finish", **finish)["ticket"]["status"] == "done"


def test_stats_count_what_happened(make_server, tmp_path):
    server = make_server(site=site_with_counters(2), clerks=2)
    server.add_users([("boss", "secret-boss", "admin")])
    tickets: dict[str, dict] = {}
    for service, n in ((1, 12), (2, 10), (3, 8)):
        for _ in range(n):
            t = server.issue(service)
            tickets[t["number"]] = t
    assert len(tickets) == 30
    for number in ("A012", "P010", "M008"):  # the visitor gives up the place
        r = requests.post(f"{server.url}/api/tickets/{tickets[number]['token']}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"

    one, two = server.login("clerk1", "secret-1"), server.login("clerk2", "secret-2")
    for i in range(1, 7):
        if i == 3:  # a family: two ID cards and a change of address
            cases = [{"service": 1, "count": 2}, {"service": 3}]
            serve(one, server, 1, "A003", cases=cases)
        else:
            serve(one, server, 1, f"A00{i}", start=i % 2 == 0)
    for number in ("A007", "A008"):
        act(one, server, 1, "call", number=number)
        assert act(one, server, 1, "no-show")["ticket"]["status"] == "no_show"
    act(one, server, 1, "call", number="A009")
    act(one, server, 1, "transfer", service=3)  # to Meldeangelegenheiten, at counter 2
    for i in range(1, 5):
        serve(one, server, 1, f"M00{i}")
    for i in range(1, 6):
        serve(two, server, 2, f"P00{i}", start=i <= 2)
    act(two, server, 2, "call", number="P006")
    act(two, server, 2, "no-show")
    serve(two, server, 2, "A009")
    for service in (2, 3):  # two visitors served without a ticket
        assert act(two, server, 2, "serve", service=service)["ticket"]["status"] == "serving"
        act(two, server, 2, "finish")
    # Left waiting: A010, A011, P007-P009, M005-M007.

    for number, answer in {
        "A001": {"rating": 5, "district": "3"},
        "A002": {"rating": 4, "district": "Bilk"},
        "P001": {"rating": 2, "district": "outside"},
        "M001": {"rating": 5},
        "P002": {"district": "7"},
    }.items():
        r = requests.post(f"{server.url}/api/tickets/{tickets[number]['token']}/feedback",
                          json=answer)  # fmt: skip
        assert r.status_code == 200, r.text

    # Who may see it.
    assert requests.get(server.url + "/api/stats").status_code == 401
    assert one.get(server.url + "/api/stats").status_code == 403
    boss = server.login("boss", "secret-boss")
    r = boss.get(server.url + "/api/stats")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["from"] == s["to"] == s["days"][0]

    assert s["issued"] == 32 and s["without_ticket"] == 2
    assert (s["served"], s["no_show"], s["cancelled"], s["waiting_left"]) == (18, 3, 3, 8)
    assert s["persons"] == 18 and s["cases"] == 20  # A003 counts 3 cases
    assert s["turned_away"] == 0 and s["peak_queue"] == 30
    assert abs(s["left_unserved_share"] - 14 / 32) < 0.001
    for key in ("wait_min", "service_min"):
        assert s[key]["n"] > 0 and s[key]["median"] >= 0 and s[key]["p90"] >= s[key]["median"]
    assert s["wait_min"]["n"] == 30 - 3 - 8  # every ticket that was called

    rows = {row["id"]: row for row in s["by_service"]}
    assert [rows[i]["issued"] for i in (1, 2, 3)] == [12, 11, 9]
    assert [rows[i]["served"] for i in (1, 2, 3)] == [6, 6, 6]
    assert [rows[i]["no_show"] for i in (1, 2, 3)] == [2, 1, 0]
    assert [rows[i]["cancelled"] for i in (1, 2, 3)] == [1, 1, 1]
    assert [rows[i]["cases"] for i in (1, 2, 3)] == [7, 6, 7]
    assert rows[1]["name"] == "Personalausweis"
    counters = {c["name"]: c["served"] for c in s["by_counter"]}
    assert counters == {"Schalter 1": 10, "Schalter 2": 8}
    assert sum(h["issued"] for h in s["by_hour"]) == 32
    assert sum(h["served"] for h in s["by_hour"]) == 18
    (day,) = s["by_day"]
    assert (day["issued"], day["served"], day["peak_queue"]) == (32, 18, 30)

    assert s["satisfaction"]["answers"] == 4 and s["satisfaction"]["mean"] == 4.0
    assert s["satisfaction"]["counts"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}
    d = s["districts"]
    assert (d["3"], d["7"], d["outside"], d["unknown"]) == (2, 1, 1, 14)

    # Bad ranges are 400 with a JSON error.
    for query in ("from=2026-13-01", "from=yesterday", "from=2026-03-02&to=2026-03-01",
                  "from=2024-01-01&to=2026-01-01"):  # fmt: skip
        r = boss.get(f"{server.url}/api/stats?{query}")
        assert r.status_code == 400 and r.json()["error"] == "bad_request", query
    assert boss.get(f"{server.url}/api/stats?from={s['from']}&to={s['to']}").json() == s

    # The evaluation report from the same database, while the server runs.
    out = tmp_path / "bericht.html"
    done = wartemarke(
        "report", "--from", s["from"], "--to", s["to"], "--out", str(out),
        data_dir=server.data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "32 tickets issued, 18 served, 20 cases" in done.stdout
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert "src=" not in html and "<link" not in html  # self-contained
    assert "<td>Wartemarken ausgegeben</td><td>32</td>" in html
    assert "<td>bedient (abgeschlossen)</td><td>18</td>" in html
    assert "<td>nicht erschienen</td><td>3</td>" in html
    assert "<td>Anliegen (Fälle) insgesamt</td><td>20</td>" in html
    assert "<td>höchste Zahl gleichzeitig Wartender</td><td>30</td>" in html
    assert "43,8 %" in html  # 14 of 32 left unserved
    assert "Mittelwert 4,00 von 5" in html and html.count("<svg") >= 5
    assert "Methode" in html and "Pop-Up Bürgerbüro Test" in html


def test_refused_tickets_are_counted_as_turned_away(make_server):
    closed_site = SITE_TOML + '\n[opening]\ndates = ["2001-01-01"]\nhours = "09:00-16:00"\n'
    server = make_server(site=closed_site)
    server.add_users([("boss", "secret-boss", "admin")])
    for service in (1, 1, 2):
        r = requests.post(server.url + "/api/tickets", json={"service": service})
        assert r.status_code == 409 and r.json()["availability"] == "outside_hours"
    s = server.login("boss", "secret-boss").get(server.url + "/api/stats").json()
    assert s["issued"] == 0 and s["turned_away"] == 3
    assert s["refused"] == {"outside_hours": 3}
    assert [r["turned_away"] for r in s["by_service"]] == [2, 1, 0]
    assert s["left_unserved_share"] is None


def test_figures_per_pop_up_event_and_the_event_filter(make_server, tmp_path):
    from datetime import UTC, datetime

    from wartemarke.store import open_store

    server = make_server(site=site_with_counters(2), clerks=1)
    server.add_users([("boss", "secret-boss", "admin")])
    store = open_store(f"sqlite:///{server.data_dir}/wartemarke.sqlite3")
    try:
        with store.write(publish=False) as tx:  # the venue's own district: Stadtbezirk 3
            museum = tx.current_popup_id()
            tx.save_popup(museum, {"key": "museum", "place": "Museum", "district": "Bilk"},
                          datetime.now(UTC))  # fmt: skip
        first = {service: server.issue(service) for service in (1, 2, 3)}  # A001 P001 M001
        with store.write(publish=False) as tx:  # the office moves on: a second pop-up
            values = {
                "key": "bib-garath",
                "name": "Bücherei Garath",
                "place": "Stadtteilbücherei",
                "address": "Fritz-Erler-Str. 21",
                "district": "10",
            }
            library = tx.save_popup(None, values, datetime.now(UTC))
            tx.set_current_popup(library)
        second = [server.issue(1), server.issue(1)]  # A002 A003
    finally:
        store.dispose()
    clerk = server.login("clerk1", "secret-1")
    serve(clerk, server, 1, "A001", cases=[{"service": 1, "count": 2}])
    serve(clerk, server, 1, "A002")  # a library ticket, served after the switch as well
    serve(clerk, server, 1, "P001")
    act(clerk, server, 1, "call", number="A003")
    act(clerk, server, 1, "no-show")
    for ticket, district in ((first[1], "Flehe"), (first[2], "10"), (second[0], "Garath")):
        r = requests.post(f"{server.url}/api/tickets/{ticket['token']}/feedback",
                          json={"rating": 4, "district": district})  # fmt: skip
        assert r.status_code == 200, r.text

    boss = server.login("boss", "secret-boss")
    s = boss.get(server.url + "/api/stats").json()
    assert s["event"] is None and s["issued"] == 5
    one, two = s["by_event"]
    assert (one["id"], one["key"], one["place"], one["district"], one["bezirk"]) == (
        museum, "museum", "Museum", "Bilk", "3")  # fmt: skip
    assert (two["id"], two["name"], two["address"], two["bezirk"]) == (
        library, "Bücherei Garath", "Fritz-Erler-Str. 21", "10")  # fmt: skip
    assert one["days"] == two["days"] == s["days"]
    assert (one["issued"], one["served"], one["waiting_left"], one["cases"]) == (3, 2, 1, 3)
    assert (two["issued"], two["served"], two["no_show"], two["cases"]) == (2, 1, 1, 1)
    assert one["districts"]["3"] == 1 and one["districts"]["10"] == 1
    assert two["districts"]["10"] == 1 and two["districts"]["unknown"] == 0
    assert one["wait_min"]["n"] == 2 and one["service_min"]["n"] == 2
    assert one["peak_queue"] == 3 and two["peak_queue"] == 2 and s["peak_queue"] == 5
    assert set(one) >= {"first_day", "last_day", "persons", "no_show", "cancelled", "turned_away"}

    # The filter, by id or by key: every figure is that pop-up's.
    for ref in (str(library), "bib-garath"):
        only = boss.get(f"{server.url}/api/stats?event={ref}").json()
        assert only["event"]["id"] == library and only["by_event"] == [two]
        assert (only["issued"], only["served"], only["no_show"], only["cases"]) == (2, 1, 1, 1)
        assert [r["issued"] for r in only["by_service"]] == [2, 0, 0]
        assert only["peak_queue"] == 2 and only["satisfaction"]["answers"] == 1
        assert only["districts"] == two["districts"]
    museum_only = boss.get(f"{server.url}/api/stats?event=museum").json()
    assert museum_only["by_event"] == [one] and museum_only["satisfaction"]["answers"] == 2
    for bad, status, code in (("nope", 404, "not_found"), ("99999", 404, "not_found"),
                              ("", 400, "bad_request"), ("a b", 400, "bad_request"),
                              ("x" * 65, 400, "bad_request")):  # fmt: skip
        r = boss.get(f"{server.url}/api/stats", params={"event": bad})
        assert r.status_code == status and r.json()["error"] == code, (bad, r.text)
        assert r.json()["message"]

    # The report: a table per event with the venue's district marked; --event for one.
    out = tmp_path / "events.html"
    done = wartemarke("report", "--out", str(out), data_dir=server.data_dir)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert "Nach Pop-Up-Einsatz" in html and "Bücherei Garath" in html
    assert '<tr class="own"><td>Stadtbezirk 3 ◆ Standort</td>' in html
    assert '<tr class="own"><td>Stadtbezirk 10 ◆ Standort</td>' in html
    assert "Pop-Up-Einsätze" in html and "volle Sekunden" in html  # the method
    done = wartemarke("report", "--event", "bib-garath", "--out", str(out),
                      data_dir=server.data_dir)  # fmt: skip
    assert done.returncode == 0 and "2 tickets issued, 1 served" in done.stdout, done.stderr
    assert "Auswertung Pop-Up-Bürgerbüro: Bücherei Garath" in out.read_text(encoding="utf-8")
    unknown = wartemarke("report", "--event", "nope", "--out", str(out), data_dir=server.data_dir)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
