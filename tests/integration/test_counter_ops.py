"""A clerk's day beyond "next": cases per visit, visitors without a ticket, services for the day."""

from __future__ import annotations

import requests


def test_cases_visitor_without_ticket_and_clerk_stats(server):
    clerk = server.login("clerk1", "secret-1")
    base = server.url + "/api/counters/1/"
    family = server.issue(2)
    assert clerk.post(base + "next").json()["ticket"]["number"] == family["number"]
    r = clerk.post(base + "cases", json={"cases": [{"service": 2, "count": 2}, {"service": 3}]})
    assert r.status_code == 200
    status = clerk.get(server.url + "/api/counters/1").json()
    assert status["cases"] == {"2": 2, "3": 1}
    assert status["counter"]["held_by"] == "clerk1"
    done = clerk.post(base + "finish").json()
    assert done["ticket"]["status"] == "done" and done["me"]["served_today"] == 1

    walk_in = clerk.post(base + "serve", json={"service": 3}).json()
    assert walk_in["ticket"]["number"] == "#001" and walk_in["ticket"]["status"] == "serving"
    # The display is not rung for someone already at the counter.
    assert all(
        c["number"] != "#001" for c in requests.get(server.url + "/api/state").json()["calls"]
    )
    after = clerk.post(base + "next", json={"cases": [{"service": 3, "count": 1}]}).json()
    assert after["ticket"] is None and after["me"]["served_today"] == 2
    assert clerk.post(base + "cases", json={"cases": [{"service": 3}]}).status_code == 409


def test_services_changed_for_the_day(server):
    clerk = server.login("clerk1", "secret-1")
    base = server.url + "/api/counters/1/"
    passport = server.issue(2)
    ident = server.issue(1)
    r = clerk.post(base + "services", json={"services": [2]})
    assert r.status_code == 200 and r.json()["counter"]["services"] == [2]
    counters = requests.get(server.url + "/api/counters").json()
    assert counters[0]["services"] == [2] and counters[1]["services"] == [1, 2, 3]
    # Only passports at counter 1 now, although the ID card ticket waited longer.
    assert clerk.post(base + "next").json()["ticket"]["number"] == passport["number"]
    assert clerk.post(base + "next").json()["ticket"] is None
    assert clerk.post(base + "services", json={"services": [1, 2, 3]}).status_code == 200
    assert clerk.post(base + "next").json()["ticket"]["number"] == ident["number"]
    assert clerk.post(base + "services", json={"services": []}).status_code == 400
    assert clerk.post(base + "services", json={"services": [42]}).status_code == 404
    other = server.login("clerk2", "secret-2")
    assert other.post(base + "services", json={"services": [1]}).status_code == 409


def test_release_needs_the_counter(server):
    clerk = server.login("clerk1", "secret-1")
    assert clerk.post(server.url + "/api/counters/2/release").status_code == 409
    assert requests.get(server.url + "/api/counters").json()[1]["staffed"] is False


def test_feedback_after_the_visit(server):
    ticket = server.issue(1)
    url = f"{server.url}/api/tickets/{ticket['token']}/feedback"
    assert requests.post(url, json={"rating": 5}).status_code == 409  # not yet served
    clerk = server.login("clerk1", "secret-1")
    clerk.post(server.url + "/api/counters/1/next")
    clerk.post(server.url + "/api/counters/1/finish")
    assert requests.post(url, json={"rating": 4}).json() == {"rating": 4, "district": None}
    both = requests.post(url, json={"district": "Bilk", "rating": 5}).json()
    assert both == {"rating": 5, "district": "Bilk"}
    assert requests.post(url, json={"district": "3"}).json()["district"] == "3"
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"district": "Köln"}, {}):
        assert requests.post(url, json=bad).status_code == 400, bad
    unknown = f"{server.url}/api/tickets/{'y' * 24}/feedback"
    assert requests.post(unknown, json={"rating": 3}).status_code == 404
    districts = requests.get(server.url + "/api/districts").json()
    assert len(districts) == 11 and sum(len(d.get("quarters", [])) for d in districts) == 50


def test_district_right_after_the_ticket(server):
    """The kiosk's optional question: only the district, before the visit, answered again
    overwrites; bad input 400, unknown ticket 404; a later rating keeps the district."""
    ticket = server.issue(1)
    url = f"{server.url}/api/tickets/{ticket['token']}/district"
    assert requests.post(url, json={"district": "3"}).json() == {"district": "3"}
    assert requests.post(url, json={"district": "outside"}).json() == {"district": "outside"}
    assert requests.post(url, json={"district": "Oberkassel"}).json() == {"district": "Oberkassel"}
    assert requests.post(url, json={"district": "03"}).json() == {"district": "3"}
    for bad in ({"district": "Köln"}, {"district": "11"}, {"district": 3}, {"rating": 5}, {}):
        assert requests.post(url, json=bad).status_code == 400, bad
    assert (
        requests.post(url, data="[1]", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    for unknown in ("y" * 24, "short", "bad%20token%20with%20spaces"):
        r = requests.post(f"{server.url}/api/tickets/{unknown}/district", json={"district": "3"})
        assert r.status_code == 404, unknown
    clerk = server.login("clerk1", "secret-1")
    clerk.post(server.url + "/api/counters/1/next")
    clerk.post(server.url + "/api/counters/1/finish")
    feedback = f"{server.url}/api/tickets/{ticket['token']}/feedback"
    assert requests.post(feedback, json={"rating": 4}).json() == {"rating": 4, "district": "3"}
