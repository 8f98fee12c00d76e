"""The statistics' computation on hand-made event rows: known times give exact figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

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
