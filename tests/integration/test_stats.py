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
