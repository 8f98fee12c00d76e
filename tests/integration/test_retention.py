"""Data retention against a real server and database: old days lose their rows, never a figure.

Past days are written through the operations with a clock standing at chosen moments (into
the database the running server uses), today through the server's API. The statistics and
the evaluation report of the whole range must be exactly the same before and after the old
days are archived.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import site_with_counters, wartemarke
from tests.integration.test_stats import act, serve
from wartemarke.clock import Clock
from wartemarke.operations import Actor, Operations
from wartemarke.retention import apply_retention
from wartemarke.store import open_store
from wartemarke.store import schema as s

BERLIN = ZoneInfo("Europe/Berlin")
KEEP = 5  # days kept raw: the three old days (10, 9 and 8 days ago) are archived


class StandingClock(Clock):
    """The venue's clock, standing at the moment the test sets."""

    def __init__(self) -> None:
        super().__init__("Europe/Berlin")
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at


class PastDays:
    """Writes a few past days into the store through the operations, as clerks would."""

    def __init__(self, store) -> None:
        self.store = store
        self.clock = StandingClock()
        self.ops = Operations(store, self.clock)
        with store.read() as tx:
            self.anna = Actor(tx.user_by_name("clerk1").id, "clerk1")
            self.ben = Actor(tx.user_by_name("clerk2").id, "clerk2")
        self.tokens: dict[tuple[str, str], str] = {}
        self.day = ""

    def at(self, day: date, hh: int, mm: int, ss: float = 0.0) -> None:
        local = datetime.combine(day, time(hh, mm), tzinfo=BERLIN) + timedelta(seconds=ss)
        self.clock.at = local.astimezone(ZoneInfo("UTC"))
        self.day = day.isoformat()

    def issue(self, service: int) -> str:
        t = self.ops.issue_ticket(service)
        self.tokens[(self.day, t["number"])] = t["token"]
        return t["number"]

    def token(self, number: str) -> str:
        return self.tokens[(self.day, number)]

    def popup(self, popup_id: int | None, **values) -> int:
        with self.store.write(publish=False) as tx:
            saved = tx.save_popup(popup_id, values, self.clock.now())
            tx.set_current_popup(saved)
        return saved

    def set_opening(self, opening: dict) -> None:
        with self.store.write(publish=False) as tx:
            tx.set_setting("opening", opening)

    def print_job(self, number: str) -> None:
        """A ticket that was printed (the server's spooler never sees it pending)."""
        with self.store.write(publish=False) as tx:
            ticket = tx.ticket_by_token(self.token(number))
            job = tx.add_print_job(ticket, {"number": number}, self.clock.now())
            tx.move_print_job(job, "pending", "printed", printed_at=self.clock.now())


def write_past_days(store, today: date) -> dict:
    """Three days 10, 9 and 8 days ago at two pop-up events: every kind of ticket history,
    cases, answers, a refusal, print jobs. Returns the days and the pop-up ids."""
    p = PastDays(store)
    a, b, c = (today - timedelta(days=n) for n in (10, 9, 8))
    ops, anna, ben = p.ops, p.anna, p.ben

    # Day A at the museum (the pop-up the server created at its first start).
    p.at(a, 8, 30)
    with store.read() as tx:
        museum = tx.current_popup_id()
    p.popup(museum, key="museum", place="Museum Kunstpalast", address="Ehrenhof 4-5",
            district="Pempelfort", first_day=a.isoformat(), last_day=b.isoformat())  # fmt: skip
    p.at(a, 9, 0, 0.4)
    p.issue(1)  # A001
    p.at(a, 9, 1, 13.7)
    p.issue(1)  # A002
    p.at(a, 9, 2, 2.5)
    p.issue(2)  # P001
    p.at(a, 9, 3, 0.2)
    p.issue(3)  # M001
    p.at(a, 9, 4, 44.1)
    p.issue(1)  # A003
    p.at(a, 9, 5, 7.2)
    ops.call_number(1, anna, "A001")
    p.at(a, 9, 6, 0.0)
    ops.start(1, anna)
    p.at(a, 9, 6, 40.3)
    ops.call_number(2, ben, "P001")
    p.at(a, 9, 10, 0.0)
    ops.cancel_by_visitor(p.token("M001"))
    p.at(a, 9, 17, 31.6)
    ops.finish(1, anna, cases={1: 2, 3: 1})  # a family: two ID cards and a registration
    p.at(a, 9, 18, 0.0)
    ops.call_number(1, anna, "A002")
    p.at(a, 9, 20, 5.5)
    ops.finish(2, ben)
    p.at(a, 9, 21, 0.0)
    ops.recall(1, anna)
    p.at(a, 9, 23, 0.0)
    ops.no_show(1, anna)
    p.at(a, 9, 24, 0.0)
    ops.call_number(1, anna, "A003")
    p.at(a, 9, 25, 9.9)
    ops.transfer(1, anna, 3)
    p.at(a, 9, 26, 30.0)
    ops.call_number(2, ben, "A003")
    p.at(a, 9, 31, 12.5)
    ops.finish(2, ben)
    p.at(a, 9, 40, 0.0)
    ops.serve_without_ticket(2, ben, 2)
    p.at(a, 9, 44, 59.5)
    ops.finish(2, ben)
    ops.give_feedback(p.token("A001"), 5, "Derendorf")  # the venue's own Stadtbezirk 1
    ops.give_feedback(p.token("P001"), 3, "outside")
    ops.give_feedback(p.token("A003"), None, "7")
    p.print_job("A001")
    p.print_job("A002")
    # A refusal: the office closed at that hour.
    p.set_opening({"dates": ["2001-01-01"], "hours": "09:00-16:00"})
    p.at(a, 17, 0)
    with pytest.raises(Exception, match="closed"):
        ops.issue_ticket(1)
    p.set_opening({})

    # Day B: the museum in the morning, the library from noon (the setting switched).
    p.at(b, 9, 0, 1.1)
    p.issue(1)  # A001
    p.at(b, 9, 2, 3.3)
    p.issue(2)  # P001
    p.at(b, 9, 3, 0.0)
    p.issue(2)  # P002, left waiting at the end of the day
    p.at(b, 9, 12, 30.5)
    ops.call_number(1, anna, "A001")
    p.at(b, 9, 13, 0.5)
    ops.call_number(2, ben, "P001")
    p.at(b, 9, 22, 0.0)
    ops.finish(1, anna)
    p.at(b, 9, 29, 45.25)
    ops.finish(2, ben)
    ops.give_feedback(p.token("A001"), 4, "Pempelfort")
    p.at(b, 12, 0)
    library = p.popup(None, key="bib-garath", name="Pop-Up in der Stadtteilbücherei Garath",
                      place="Stadtteilbücherei Garath", address="Fritz-Erler-Str. 21",
                      district="10", first_day=b.isoformat(), last_day=c.isoformat())  # fmt: skip
    p.at(b, 12, 5, 0.3)
    p.issue(1)  # A002
    p.at(b, 12, 5, 30.9)
    p.issue(3)  # M001
    p.at(b, 12, 6, 0.0)
    p.issue(3)  # M002, left waiting
    p.at(b, 12, 9, 59.5)
    ops.call_number(1, anna, "A002")
    p.at(b, 12, 10, 0.0)
    ops.call_number(2, ben, "M001")
    p.at(b, 12, 11, 0.0)
    ops.start(2, ben)
    p.at(b, 12, 19, 0.7)
    ops.finish(1, anna, cases={1: 1, 2: 1})
    p.at(b, 12, 24, 13.0)
    ops.finish(2, ben)
    ops.give_feedback(p.token("A002"), 5, "Garath")  # the library's own Stadtbezirk 10
    ops.give_feedback(p.token("M001"), 2, None)

    # Day C at the library: a return to the queue and a busy hour.
    for i in range(6):
        p.at(c, 10, 2 * i, 0.37 * i)
        p.issue(1 + i % 3)
    p.at(c, 10, 15, 0.0)
    ops.call_number(1, anna, "A001")
    p.at(c, 10, 16, 0.0)
    ops.requeue(1, anna)  # back into the queue
    p.at(c, 10, 17, 0.8)
    ops.call_number(1, anna, "P001")
    p.at(c, 10, 18, 0.0)
    ops.call_number(2, ben, "A001")
    p.at(c, 10, 27, 0.0)
    ops.finish(1, anna)
    p.at(c, 10, 31, 31.5)
    ops.finish(2, ben)
    p.at(c, 10, 33, 0.0)
    ops.call_number(1, anna, "M001")
    p.at(c, 10, 40, 0.0)
    ops.finish(1, anna)
    ops.give_feedback(p.token("A001"), 1, "Hellerhof")
    ops.give_feedback(p.token("P001"), 4, "3")
    p.at(c, 16, 0)
    ops.release(1, anna)
    ops.release(2, ben)
    return {"days": [a.isoformat(), b.isoformat(), c.isoformat()], "museum": museum,
            "library": library}  # fmt: skip


def today_over_http(server) -> None:
    """Today at the library, through the server (tickets of the current pop-up)."""
    for service in (1, 2, 1, 3):
        server.issue(service)
    clerk = server.login("clerk1", "secret-1")
    serve(clerk, server, 1, "A001", start=True)
    serve(clerk, server, 1, "P001")
    act(clerk, server, 1, "call", number="A002")


def raw_rows(store, before: str) -> dict:
    """Rows of the days before ``before``, counted by SQL."""
    t = s.tickets
    old = select(t.c.id).where(t.c.day < before)
    with store.read() as tx:
        count = lambda table, where: tx.conn.execute(  # noqa: E731
            select(func.count()).select_from(table).where(where)
        ).scalar_one()
        return {
            "tickets": count(t, t.c.day < before),
            "events": count(s.events, s.events.c.day < before),
            "feedback": count(s.feedback, s.feedback.c.day < before),
            "visit_cases": count(s.visit_cases, s.visit_cases.c.ticket_id.in_(old)),
            "print_jobs": count(s.print_jobs, s.print_jobs.c.ticket_id.in_(old)),
            "day_aggregates": count(s.day_aggregates, s.day_aggregates.c.day < before),
        }


def report_html(server, first: str, last: str, tmp_path, *extra: str, env=None) -> str:
    out = tmp_path / "report.html"
    done = wartemarke("report", "--from", first, "--to", last, "--out", str(out), *extra,
                      data_dir=server.data_dir, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    # What may differ: the moment it was made, and the note that some days are archived.
    html = re.sub(r"erstellt am [0-9.: ]+", "", html)
    return re.sub(r" In diesem Zeitraum liegen für \d+ Tage? nur noch Tagessummen vor\.", "", html)


def figures(boss, server, query: str) -> dict:
    r = boss.get(f"{server.url}/api/stats?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    body.pop("archived_days")
    return body


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_retention_keeps_every_figure(backend, make_server, tmp_path, request):
    env = {}
    if backend == "postgres":
        env = {"WARTEMARKE_DATABASE": request.getfixturevalue("postgres_url")}
    server = make_server(site=site_with_counters(2), clerks=2, env=env)
    server.add_users([("boss", "secret-boss", "admin")])
    url = env.get("WARTEMARKE_DATABASE") or f"sqlite:///{server.data_dir}/wartemarke.sqlite3"
    store = open_store(url)
    try:
        clock = Clock("Europe/Berlin")
        today = date.fromisoformat(clock.day())
        past = write_past_days(store, today)
        today_over_http(server)
        first, last = past["days"][0], today.isoformat()
        boss = server.login("boss", "secret-boss")
        queries = [
            f"from={first}&to={last}",
            f"from={first}&to={last}&event={past['museum']}",
            f"from={first}&to={last}&event=bib-garath",
            *(f"from={day}&to={day}" for day in past["days"]),
        ]
        before = {q: figures(boss, server, q) for q in queries}
        reports = {
            extra: report_html(server, first, last, tmp_path, *extra, env=env)
            for extra in ((), ("--event", "bib-garath"))
        }

        whole = before[queries[0]]
        assert whole["days"] == [*past["days"], last]
        assert whole["issued"] == 6 + 6 + 6 + 4 and whole["without_ticket"] == 1
        assert (whole["served"], whole["no_show"], whole["cancelled"]) == (4 + 4 + 3 + 2, 1, 1)
        assert whole["waiting_left"] == 0 + 2 + 3 + 2 and whole["turned_away"] == 1
        assert whole["refused"] == {"outside_hours": 1} and whole["cases"] == 6 + 5 + 3 + 2
        assert whole["peak_queue"] == 6 and whole["satisfaction"]["answers"] == 7
        museum, library = whole["by_event"]
        assert (museum["id"], library["id"]) == (past["museum"], past["library"])
        assert museum["days"] == past["days"][:2] and library["days"] == [*past["days"][1:], last]
        assert (museum["issued"], museum["served"], museum["cases"]) == (9, 6, 8)
        assert (museum["district"], museum["bezirk"], library["bezirk"]) == ("Pempelfort", "1",
                                                                              "10")  # fmt: skip
        assert museum["districts"]["1"] == 2 and library["districts"]["10"] == 2
        assert before[queries[2]]["issued"] == library["issued"] == 13
        assert before[queries[1]]["by_event"] == [museum]
        assert "Stadtteilbücherei Garath" in reports[()] and "◆ Standort" in reports[()]

        cutoff = (today - timedelta(KEEP)).isoformat()
        old = raw_rows(store, cutoff)
        assert old.pop("events") > 18 * 2
        assert old == {"tickets": 18, "feedback": 8, "visit_cases": 4, "print_jobs": 2,
                       "day_aggregates": 0}  # fmt: skip

        if backend == "sqlite":  # by hand, while the server runs
            done = wartemarke("retention", "--days", str(KEEP), data_dir=server.data_dir)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith(f"archived 3 day(s) before {today - timedelta(KEEP)}")
            assert "deleted 18 tickets" in done.stdout
        else:
            result = apply_retention(store, clock, KEEP)
            assert result["days"] == past["days"] and result["tickets"] == 18
            assert result["aggregates"] == 4  # A: museum; B: both; C: library

        gone = raw_rows(store, cutoff)
        assert gone == {"tickets": 0, "events": 0, "feedback": 0, "visit_cases": 0,
                        "print_jobs": 0, "day_aggregates": 4}  # fmt: skip
        with store.read() as tx:  # today is untouched
            assert tx.conn.execute(select(func.count()).select_from(s.tickets)).scalar_one() == 4

        after = {q: figures(boss, server, q) for q in queries}
        for q in queries:
            assert after[q] == before[q], q
        r = boss.get(f"{server.url}/api/stats?{queries[0]}").json()
        assert r["archived_days"] == past["days"]
        for extra, html in reports.items():
            assert report_html(server, first, last, tmp_path, *extra, env=env) == html
        assert apply_retention(store, clock, KEEP)["days"] == []  # nothing left to archive
    finally:
        store.dispose()


def test_retention_at_start_from_the_site_file(make_server):
    site = site_with_counters(2)
    server = make_server(site=site, clerks=2)
    server.add_users([("boss", "secret-boss", "admin")])
    store = open_store(f"sqlite:///{server.data_dir}/wartemarke.sqlite3")
    try:
        today = date.fromisoformat(Clock("Europe/Berlin").day())
        past = write_past_days(store, today)
        # A restart closes the past days nobody closed (housekeeping): their open tickets end.
        server.stop()
        server.start()
        query = f"from={past['days'][0]}&to={today}"
        boss = server.login("boss", "secret-boss")
        before = figures(boss, server, query)
        assert before["waiting_left"] == 0 and before["cancelled"] == 6
        assert raw_rows(store, today.isoformat())["tickets"] == 18

        server.stop()
        (server.data_dir / "site.toml").write_text(site + "\n[data]\nretention_days = 9\n")
        server.start()
        with store.read() as tx:
            assert tx.setting("retention_days") == 9
        # 10 days ago is archived; 9 and 8 days ago are kept.
        assert raw_rows(store, past["days"][1]) == {"tickets": 0, "events": 0, "feedback": 0,
                                                    "visit_cases": 0, "print_jobs": 0,
                                                    "day_aggregates": 1}  # fmt: skip
        assert raw_rows(store, today.isoformat())["tickets"] == 12
        boss = server.login("boss", "secret-boss")
        assert figures(boss, server, query) == before
        # By hand with fewer days, then with the setting (9 days: nothing more to do).
        done = wartemarke("retention", "--days", "7", data_dir=server.data_dir)
        assert done.returncode == 0 and "archived 2 day(s)" in done.stdout, done.stderr
        again = wartemarke("retention", data_dir=server.data_dir)
        assert again.returncode == 0 and again.stdout.startswith("nothing to archive"), again
        assert figures(boss, server, query) == before
        assert requests.get(f"{server.url}/api/health").ok
    finally:
        store.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_importing_days_the_central_has_archived(backend, make_server, tmp_path, request):
    """A laptop's file imported again after the central archived those days: nothing is added
    twice, no answer or case is attached to a deleted ticket, and the figures stay."""
    from wartemarke.exchange import export_data, import_data
    from wartemarke.stats import collect

    def database(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite3"
        import psycopg

        base = request.getfixturevalue("postgres")
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "wm_archived_{name}"')
            conn.execute(f'CREATE DATABASE "wm_archived_{name}"')
        return f"{base}/wm_archived_{name}"

    laptop_url = database("laptop")
    make_server(site=site_with_counters(2), clerks=2, env={"WARTEMARKE_DATABASE": laptop_url})
    laptop, central = open_store(laptop_url), open_store(database("central"))
    try:
        today = date.fromisoformat(Clock("Europe/Berlin").day())
        past = write_past_days(laptop, today)
        data = export_data(laptop)
        first, last = past["days"][0], past["days"][-1]
        import_data(central, data, today=today.isoformat())
        before = collect(central, first, last, BERLIN)
        assert before["issued"] == 18 and before["satisfaction"]["answers"] == 7

        result = apply_retention(central, Clock("Europe/Berlin"), KEEP)
        assert result["days"] == past["days"] and result["tickets"] == 18

        again = import_data(central, data, today=today.isoformat())
        assert (again["tickets_new"], again["events_new"]) == (0, 0)
        assert raw_rows(central, today.isoformat())["tickets"] == 0
        after = collect(central, first, last, BERLIN)
        assert after.pop("archived_days") == past["days"] and before.pop("archived_days") == []
        assert after == before
    finally:
        laptop.dispose()
        central.dispose()
