"""The statistics' computation on hand-made event rows: known times give exact figures."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wartemarke.stats import bezirk_key, compute, parse_range, quantile, round_half_up, summary

DAY = "2026-03-30"
T0 = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 in Düsseldorf (summer time)
BERLIN = ZoneInfo("Europe/Berlin")


class Log:
    """Builds event rows as ``store.reports.events`` returns them, in log order."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, minute, kind, ticket, frm=None, to=None, service=1, counter=None, data=None,
            day=DAY):  # fmt: skip
        self.rows.append(
            {
                "id": len(self.rows) + 1,
                "at": T0 + timedelta(minutes=minute) + timedelta(days=(day != DAY)),
                "day": day,
                "kind": kind,
                "ticket_id": ticket,
                "from_status": frm,
                "to_status": to,
                "service_id": service,
                "counter_id": counter,
                "data": data,
            }
        )

    def issued(self, minute, ticket, service=1, **kw):
        self.add(minute, "issued", ticket, None, "waiting", service, **kw)

    def called(self, minute, ticket, counter, service=1, **kw):
        self.add(minute, "called", ticket, "waiting", "called", service, counter, **kw)


def one_day() -> Log:
    log = Log()
    log.issued(0, 1)
    log.issued(1, 2)
    log.issued(2, 3, service=2)
    log.issued(3, 4, service=2)
    log.add(4, "cancelled", 4, "waiting", "cancelled", 2, data={"reason": "visitor"})
    log.issued(4, 5)
    log.called(5, 3, counter=2, service=2)
    log.issued(6, 6)
    log.add(8, "no_show", 3, "called", "no_show", 2, 2)
    log.called(10, 1, counter=1)
    log.add(11, "recalled", 1, "called", "called", 1, 1, data={"recalls": 1})
    log.add(12, "serving", 1, "called", "serving", 1, 1)
    log.add(20, "finished", 1, "serving", "done", 1, 1)
    log.called(21, 2, counter=1)
    log.add(31, "finished", 2, "called", "done", 1, 1)
    log.called(32, 5, counter=1)
    log.add(33, "transferred", 5, "called", "waiting", 2, 1, {"from_service": 1, "to_service": 2})
    log.called(40, 5, counter=2, service=2)
    log.add(41, "serving", 5, "called", "serving", 2, 2)
    log.add(47, "finished", 5, "serving", "done", 2, 2)
    # Served without a ticket: no call, straight into service.
    log.add(50, "issued", 7, None, "waiting", 2, data={"without_ticket": True})
    log.add(50, "serving", 7, "called", "serving", 2, 2)
    log.add(55, "finished", 7, "serving", "done", 2, 2)
    log.add(60, "refused", None, service=1, data={"availability": "full"})
    log.add(61, "refused", None, service=2, data={"availability": "outside_hours"})
    log.add(62, "refused", None, service=1, data={"availability": "closed"})
    return log


CASES = [
    {"ticket_id": 1, "service_id": 1, "count": 2},
    {"ticket_id": 1, "service_id": 3, "count": 1},
    {"ticket_id": 3, "service_id": 1, "count": 5},  # a no-show: its cases do not count
]
FEEDBACK = [
    {"ticket_id": 1, "day": DAY, "service_id": 1, "rating": 5, "district": "Bilk"},
    {"ticket_id": 2, "day": DAY, "service_id": 1, "rating": 4, "district": "3"},
    {"ticket_id": 5, "day": DAY, "service_id": 2, "rating": 1, "district": "outside"},
]
SERVICES = {1: "Personalausweis", 2: "Reisepass", 3: "Meldeangelegenheiten"}


@pytest.fixture
def stats() -> dict:
    return compute(DAY, DAY, one_day().rows, CASES, FEEDBACK, SERVICES, {1: "S1", 2: "S2"}, BERLIN)


def test_counts(stats):
    assert (stats["issued"], stats["served"], stats["no_show"], stats["cancelled"]) == (7, 4, 1, 1)
    assert stats["without_ticket"] == 1
    assert stats["waiting_left"] == 1  # ticket 6 was never called
    assert stats["turned_away"] == 2
    assert stats["refused"] == {"closed": 1, "full": 1, "outside_hours": 1}
    assert stats["left_unserved_share"] == 0.429  # (1 + 1 + 1) / 7
    assert stats["persons"] == 4
    assert stats["days"] == [DAY]


def test_wait_and_service_times(stats):
    # Waits (issue → first call): 10, 20, 3, 28 (ticket 5's first call, before its transfer).
    assert stats["wait_min"] == {"mean": 15.3, "median": 15.0, "p90": 25.6, "n": 4}
    # Service: 8 (serving → finish), 10 (call → finish), 6 (after the transfer), 5 (no ticket).
    assert stats["service_min"] == {"mean": 7.3, "median": 7.0, "p90": 9.4, "n": 4}


def test_cases_default_to_one_of_the_final_service(stats):
    assert stats["cases"] == 6  # 2 + 1 recorded for ticket 1, one each for tickets 2, 5, 7
    cases = {row["id"]: row["cases"] for row in stats["by_service"]}
    assert cases == {1: 3, 2: 2, 3: 1}


def test_by_service(stats):
    rows = {row["id"]: row for row in stats["by_service"]}
    one, two = rows[1], rows[2]
    assert one["name"] == "Personalausweis"
    assert (one["issued"], one["served"], one["waiting_left"], one["turned_away"]) == (4, 2, 1, 1)
    assert one["wait_min"] == {"mean": 19.3, "median": 20.0, "p90": 26.4, "n": 3}
    assert one["service_min"]["mean"] == 9.0
    assert (two["issued"], two["served"], two["no_show"], two["cancelled"]) == (3, 2, 1, 1)
    assert two["service_min"] == {"mean": 5.5, "median": 5.5, "p90": 5.9, "n": 2}
    assert rows[3]["issued"] == 0 and rows[3]["wait_min"]["mean"] is None


def test_by_counter(stats):
    assert [(c["id"], c["name"], c["served"]) for c in stats["by_counter"]] == [
        (1, "S1", 2),
        (2, "S2", 2),
    ]
    assert stats["by_counter"][0]["service_min"]["mean"] == 9.0
    assert stats["by_counter"][1]["service_min"]["mean"] == 5.5


def test_by_hour_in_local_time(stats):
    hours = stats["by_hour"]
    assert len(hours) == 24
    ten = hours[10]
    assert (ten["issued"], ten["called"], ten["served"], ten["wait_mean"]) == (7, 5, 4, 15.3)
    assert sum(h["issued"] for h in hours) == 7
    assert hours[8]["issued"] == 0 and hours[8]["wait_mean"] is None


def test_peak_queue_replays_the_queue(stats):
    # 4 waiting at minute 3; the cancel and the next issue keep it at 4; calls bring it down.
    assert stats["peak_queue"] == 4
    (day,) = stats["by_day"]
    assert (day["issued"], day["served"], day["peak_queue"], day["waiting_left"]) == (7, 4, 4, 1)


def test_peak_queue_counts_returns_to_the_queue_and_not_transfers_while_waiting():
    log = Log()
    log.issued(0, 1)
    log.called(1, 1, counter=1)
    log.issued(2, 2)
    log.add(3, "transferred", 2, "waiting", "waiting", 2, None)  # still one waiting
    log.add(4, "requeued", 1, "called", "waiting", 1, 1)  # back in line: two waiting
    log.called(5, 2, counter=1, service=2)
    log.issued(0, 3, day="2026-03-31")
    result = compute("2026-03-30", "2026-03-31", log.rows)
    assert [d["peak_queue"] for d in result["by_day"]] == [2, 1]
    assert result["peak_queue"] == 2
    # Left open at the end of the day: ticket 1 (requeued), ticket 2 (called), ticket 3.
    assert result["waiting_left"] == 3
    assert [d["waiting_left"] for d in result["by_day"]] == [2, 1]


def test_satisfaction_and_districts(stats):
    assert stats["satisfaction"] == {
        "answers": 3,
        "mean": 3.33,
        "counts": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    districts = stats["districts"]
    assert districts["3"] == 2  # "Bilk" is in Stadtbezirk 3
    assert districts["outside"] == 1 and districts["unknown"] == 1  # ticket 7 gave no answer
    assert sum(districts.values()) == stats["served"]
    assert list(districts)[:10] == [str(b) for b in range(1, 11)]


def test_empty_range():
    result = compute(DAY, DAY, [])
    assert result["issued"] == 0 and result["left_unserved_share"] is None
    assert result["wait_min"] == {"mean": None, "median": None, "p90": None, "n": 0}
    assert result["peak_queue"] == 0 and result["by_day"] == []
    assert result["satisfaction"]["mean"] is None


def test_helpers():
    assert round_half_up(2.25) == 2.3 and round_half_up(2.35) == 2.4 and round_half_up(None) is None
    assert quantile([7.0], 0.9) == 7.0 and quantile([], 0.5) is None
    assert quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    assert summary([1.0, 2.0, 3.0]) == {"mean": 2.0, "median": 2.0, "p90": 2.8, "n": 3}
    assert bezirk_key("Garath") == "10" and bezirk_key("7") == "7"
    assert bezirk_key(None) == "unknown" and bezirk_key("Köln") == "unknown"


def test_parse_range():
    assert parse_range(None, None, DAY) == (DAY, DAY)
    assert parse_range("2026-03-01", None, DAY) == ("2026-03-01", DAY)
    assert parse_range("2025-03-01", "2026-04-04", DAY) == ("2025-03-01", "2026-04-04")
    for bad in [("2026-13-01", None), ("20260301", None), ("x", None), ("2026-03-31", DAY)]:
        with pytest.raises(ValueError):
            parse_range(*bad, DAY)
    with pytest.raises(ValueError, match="400"):
        parse_range("2025-03-01", "2026-04-05", DAY)


# --- day aggregates: reduce one day, merge any list ---------------------------------------


def several_days() -> Log:
    """Three days, two pop-ups (1 and 2), times in odd seconds, a refusal per pop-up."""
    log = Log()
    days = ("2026-03-30", "2026-03-31", "2026-04-01")
    ticket = 0
    for n, day in enumerate(days):
        shift = timedelta(days=n) - timedelta(days=(day != DAY))  # Log adds one day for != DAY
        for i in range(6 + n):
            ticket += 1
            popup = 1 if (i + n) % 3 else 2
            at = 3 * i + 0.37 * ticket
            log.add(at, "issued", ticket, None, "waiting", 1 + i % 2, day=day)
            log.rows[-1]["popup_id"] = popup
            log.rows[-1]["at"] += shift
            if i % 4 == 3:
                continue  # left waiting
            for minute, kind, frm, to in (
                (at + 4.9 + i * 1.13, "called", "waiting", "called"),
                (at + 6.2 + i * 1.3, "serving", "called", "serving"),
                (at + 11.71 + i * 2.07, "finished", "serving", "done"),
            ):
                log.add(minute, kind, ticket, frm, to, 1 + i % 2, counter=1 + i % 2, day=day)
                log.rows[-1]["popup_id"] = popup
                log.rows[-1]["at"] += shift
        for popup in (1, 2):
            log.add(200 + popup, "refused", None, service=1, data={"availability": "full"},
                    day=day)  # fmt: skip
            log.rows[-1]["popup_id"] = popup
            log.rows[-1]["at"] += shift
    log.rows.sort(key=lambda r: r["at"])
    for i, row in enumerate(log.rows, start=1):
        row["id"] = i
    return log


def answers_for(log: Log) -> list[dict]:
    done = [r for r in log.rows if r["kind"] == "finished"]
    return [
        {"ticket_id": r["ticket_id"], "day": r["day"], "service_id": r["service_id"],
         "rating": 1 + i % 5, "district": ("Bilk", "7", "outside", None)[i % 4],
         "popup_id": r["popup_id"]}
        for i, r in enumerate(done)
    ]  # fmt: skip


def test_merging_day_aggregates_equals_computing_over_all_raw_rows():
    from wartemarke.stats import merge, reduce_day, reduce_days, whole_seconds

    log = several_days()
    answers = answers_for(log)
    cases = [{"ticket_id": 2, "service_id": 3, "count": 3}]
    popups = {1: {"id": 1, "key": "museum", "name": "Museum", "district": "Bilk"},
              2: {"id": 2, "key": "bib", "name": "Bibliothek", "district": "7"}}  # fmt: skip
    whole = compute("2026-03-30", "2026-04-01", log.rows, cases, answers, SERVICES,
                    {1: "S1", 2: "S2"}, BERLIN, popups)  # fmt: skip

    # Each day (and pop-up) alone, through JSON as the store keeps them, then merged.
    parts = []
    for day in ("2026-03-30", "2026-03-31", "2026-04-01"):
        rows = [r for r in log.rows if r["day"] == day]
        day_answers = [a for a in answers if a["day"] == day]
        for agg in reduce_days(rows, cases, day_answers, BERLIN):
            text = json.dumps(agg)
            # No ticket ids, no timestamps: the day is the only text besides the keys.
            assert "ticket_id" not in text and not re.search(r"\d\d:\d\d|T\d\d", text)
            assert agg["day"] == day and re.findall(r'"(\d{4}-\d\d-\d\d)"', text) == [day]
            parts.append(json.loads(text))
    assert len(parts) == 6  # three days, two pop-ups
    merged = merge("2026-03-30", "2026-04-01", parts, SERVICES, {1: "S1", 2: "S2"}, popups)
    assert merged == whole
    # In any order, and in any grouping.
    assert merge("2026-03-30", "2026-04-01", parts[::-1], SERVICES, {1: "S1", 2: "S2"},
                 popups) == whole  # fmt: skip

    assert whole["issued"] == 6 + 7 + 8 and whole["turned_away"] == 6
    # Against a plain computation from the raw rows: waits in whole seconds, type-7 quantiles.
    issued_at, waits = {}, []
    for r in log.rows:
        if r["kind"] == "issued":
            issued_at[r["ticket_id"]] = r["at"]
        elif r["kind"] == "called":
            waits.append(whole_seconds(issued_at[r["ticket_id"]], r["at"]))
    assert len(set(waits)) > 5 and whole["wait_min"] == {
        "mean": round_half_up(sum(waits) / (60 * len(waits))),
        "median": round_half_up(quantile(waits, 0.5) / 60),
        "p90": round_half_up(quantile(waits, 0.9) / 60),
        "n": len(waits),
    }
    assert [e["id"] for e in whole["by_event"]] == [1, 2]
    one, two = whole["by_event"]
    assert one["name"] == "Museum" and one["bezirk"] == "3" and two["bezirk"] == "7"
    assert one["days"] == two["days"] == ["2026-03-30", "2026-03-31", "2026-04-01"]
    for key in ("issued", "served", "no_show", "cancelled", "waiting_left", "turned_away",
                "cases", "persons"):  # fmt: skip
        assert one[key] + two[key] == whole[key], key
    for d in whole["districts"]:
        assert one["districts"][d] + two["districts"][d] == whole["districts"][d]
    assert one["wait_min"]["n"] + two["wait_min"]["n"] == whole["wait_min"]["n"]

    # One pop-up alone: its own aggregates only, the same figures as its by_event row.
    only = merge("2026-03-30", "2026-04-01", parts, SERVICES, {}, popups, event=2)
    assert only["event"]["name"] == "Bibliothek" and [e["id"] for e in only["by_event"]] == [2]
    for key in ("issued", "served", "waiting_left", "turned_away", "cases", "wait_min",
                "service_min", "districts", "peak_queue"):  # fmt: skip
        assert only[key] == two[key], key
    # A single day and pop-up reduced on its own is what reduce_days made of it.
    rows = [r for r in log.rows if r["day"] == DAY and r["popup_id"] == 1]
    alone = reduce_day(DAY, 1, rows, cases, [a for a in answers if a["popup_id"] == 1
                                             and a["day"] == DAY], BERLIN)  # fmt: skip
    assert {**alone, "day_peak_queue": parts[0]["day_peak_queue"]} == parts[0]


def test_peak_queue_of_a_day_with_two_pop_ups():
    from wartemarke.stats import reduce_days

    log = Log()
    log.issued(0, 1)
    log.issued(1, 2)
    log.issued(2, 3)
    for row, popup in zip(log.rows, (1, 2, 2), strict=True):
        row["popup_id"] = popup
    one, two = reduce_days(log.rows)
    assert (one["peak_queue"], two["peak_queue"]) == (1, 2)
    assert one["day_peak_queue"] == two["day_peak_queue"] == 3
    assert compute(DAY, DAY, log.rows)["peak_queue"] == 3
    assert compute(DAY, DAY, log.rows, event=2)["peak_queue"] == 2
    assert [e["peak_queue"] for e in compute(DAY, DAY, log.rows)["by_event"]] == [1, 2]


def test_a_ticket_belongs_to_the_pop_up_of_its_ticket_not_of_its_later_events():
    log = Log()
    log.issued(0, 1)
    log.called(5, 1, counter=1)
    log.add(9, "finished", 1, "called", "done", 1, 1)
    log.add(10, "refused", None, data={"availability": "full"})
    # The ticket (and so its "issued" row) is pop-up 1; the setting was switched to 2 later.
    for row, popup in zip(log.rows, (1, 1, 1, 2), strict=True):
        row["popup_id"] = popup
    log.rows[1]["popup_id"] = 2  # as if reports gave the event's own pop-up
    result = compute(DAY, DAY, log.rows, popups={1: {"name": "A"}, 2: {"name": "B"}})
    by = {e["id"]: e for e in result["by_event"]}
    assert (by[1]["issued"], by[1]["served"], by[1]["wait_min"]["n"]) == (1, 1, 1)
    assert (by[2]["issued"], by[2]["turned_away"]) == (0, 1)
    assert by[2]["days"] == [DAY]


@given(st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=60),
       st.sampled_from(["0", "1/10", "1/4", "1/2", "3/4", "9/10", "99/100", "1"]))  # fmt: skip
def test_quantiles_from_histograms_equal_exact_type_7_quantiles(seconds, p):
    from fractions import Fraction

    from wartemarke.stats import hist_add, hist_quantile, hist_summary

    hist: dict[str, int] = {}
    for value in seconds:
        hist_add(hist, value)
    exact = [Fraction(s) for s in seconds]
    assert hist_quantile(hist, Fraction(p)) == quantile(exact, Fraction(p))
    minutes = hist_summary(hist)
    assert minutes["n"] == len(seconds)
    assert minutes["median"] == round_half_up(quantile(exact, Fraction(1, 2)) / 60)
    assert minutes["p90"] == round_half_up(quantile(exact, Fraction(9, 10)) / 60)
    assert minutes["mean"] == round_half_up(Fraction(sum(seconds), 60 * len(seconds)))


def test_half_up_rounding_is_exact_on_the_boundary():
    from fractions import Fraction

    from wartemarke.stats import hist_summary

    # 956 s and 1990 s: a mean of exactly 24.55 minutes, which float arithmetic puts just
    # below (24.549999…) and would round to 24.5.
    assert (956 / 60 + 1990 / 60) / 2 < 24.55
    assert hist_summary({"956": 1, "1990": 1})["mean"] == 24.6
    assert round_half_up(Fraction(49, 2), 0) == 25.0 and round_half_up(Fraction(-5, 2), 0) == -3
    assert round_half_up(2.25) == 2.3 and round_half_up(0.15) == 0.2


def test_histogram_quantiles_by_hand():
    from wartemarke.stats import hist_quantile, hist_summary, whole_seconds

    hist = {"60": 1, "120": 2, "600": 1}  # 1, 2, 2, 10 minutes
    assert hist_quantile(hist, 0.5) == 120
    assert hist_quantile(hist, 0.9) == pytest.approx(120 + 480 * 0.7)
    assert hist_summary(hist) == {"mean": 3.8, "median": 2.0, "p90": 7.6, "n": 4}
    assert hist_summary({}) == {"mean": None, "median": None, "p90": None, "n": 0}
    assert whole_seconds(T0, T0 + timedelta(seconds=89.5)) == 90
    assert whole_seconds(T0, T0 + timedelta(seconds=89.49)) == 89


def test_durations_count_in_whole_seconds():
    log = Log()
    log.issued(0, 1)
    log.called(10 + 0.6 / 60, 1, counter=1)  # 10 min 0.6 s → 601 s
    log.add(20, "finished", 1, "called", "done", 1, 1)
    result = compute(DAY, DAY, log.rows)
    assert result["wait_min"]["mean"] == round_half_up(601 / 60)
    assert result["method"]["durations"] == "whole seconds, rounded half up"
