"""``wartemarke appointments import FILE`` and ``appointments list`` as a user runs them, against
the database of a real server (which wrote the services, counters and opening hours into it):
a CSV and an Excel file booked, a file with bad rows refused as a whole with its line numbers."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest

from tests.conftest import site_with_counters, wartemarke

SITE = (
    site_with_counters(2)
    + """
[opening]
hours = "09:00-16:00"

[appointments]
slot_minutes = 20
counters = 2
"""
)
# A day ahead: bookings for it need no clock tricks.
DAY = date.today() + timedelta(days=14)
DE = DAY.strftime("%d.%m.%Y")


@pytest.fixture
def booked(make_server):
    """A running server with the site above and an admin (the CLI works beside it)."""
    server = make_server(site=SITE)
    server.add_user("boss", "secret-boss", "admin")
    return server


def listed(server, day=DAY) -> list[dict]:
    boss = server.login("boss", "secret-boss")
    r = boss.get(server.url + "/api/admin/appointments", params={"day": day.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["appointments"]


def table(stdout: str) -> list[list[str]]:
    """The rows of ``appointments list`` below its title and header line."""
    lines = stdout.splitlines()
    assert lines[1].split() == ["time", "service", "code", "status"], stdout
    return [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]


def test_import_a_csv_and_list_it(booked, tmp_path):
    data = booked.data_dir
    csv_file = tmp_path / "termine.csv"
    # As German Excel saves it: semicolons, Windows-1252, dates as 30.03.2027.
    csv_file.write_bytes(
        (
            "Datum;Uhrzeit;Dienst;Buchungscode;Name\n"
            f"{DE};09:00;Personalausweis;K7M2QX;Jürgen Groß\n"
            f"{DE};9.20;P;;\n"
            "\n"
            f"{DE};09:20;3;;Frau Ö\n"
        ).encode("cp1252")
    )
    result = wartemarke("appointments", "import", str(csv_file), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"3 appointments booked for {DAY.isoformat()}"

    shown = wartemarke("appointments", "list", "--day", DAY.isoformat(), data_dir=data)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == f"{DAY.isoformat()}: 3 appointments"
    rows = table(shown.stdout)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("09:00", "Personalausweis", "booked"),
        ("09:20", "Reisepass", "booked"),
        ("09:20", "Meldeangelegenheiten", "booked"),
    ]
    assert rows[0][2] == "K7M2QX"
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", r[2]) for r in rows)
    assert "Jürgen" not in shown.stdout  # names stay off the terminal

    # The running server sees them, names included (deleted when its day is closed).
    server_view = listed(booked)
    assert [(a["slot"], a["code"]) for a in server_view] == [(r[0], r[2]) for r in rows]
    assert server_view[0]["name"] == "Jürgen Groß"

    # Today: nothing booked; a malformed day is refused plainly.
    today = wartemarke("appointments", "list", data_dir=data)
    assert today.returncode == 0 and today.stdout.strip().endswith(": no appointments")
    bad_day = wartemarke("appointments", "list", "--day", "30.03.", data_dir=data)
    assert bad_day.returncode == 2 and "--day" in bad_day.stderr
    assert "Traceback" not in bad_day.stderr


def test_bad_rows_refuse_the_whole_file(booked, tmp_path):
    data = booked.data_dir
    first = tmp_path / "first.csv"
    first.write_text(f"day,time,service\n{DAY},10:00,1\n{DAY},10:00,2\n", encoding="utf-8")
    assert wartemarke("appointments", "import", str(first), data_dir=data).returncode == 0

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "day,time,service,code\n"
        f"{DAY},09:40,1,\n"  # fine, but not booked either: the file has bad rows
        f"{DAY},09:50,1,\n"  # line 3: no slot start (every 20 minutes from 09:00)
        f"{DAY},10:20,Führerschein,\n"  # line 4: no such service
        f"{DAY},10:00,3,\n"  # line 5: 10:00 holds two appointments already
        f"{DAY},17:00,1,\n"  # line 6: closed then
        f"{DAY},11:00,1,ABC\n"  # line 7: not a booking code
        "gestern,10:00,1,\n",  # line 8: not a date
        encoding="utf-8",
    )
    result = wartemarke("appointments", "import", str(bad), data_dir=data)
    assert result.returncode == 2, result.stdout
    errors = result.stderr.splitlines()
    lines = [int(m[1]) for m in (re.match(r"^line (\d+): ", e) for e in errors) if m]
    assert lines == [3, 4, 5, 6, 7, 8], result.stderr
    assert "Führerschein" in result.stderr and "fully booked" in result.stderr
    assert "nothing was saved" in errors[-1] and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert [a["slot"] for a in listed(booked)] == ["10:00", "10:00"]

    # A file without the needed columns, or none at all: one clear line, exit 2.
    headless = tmp_path / "headless.csv"
    headless.write_text("Name;Zeit\nx;09:00\n", encoding="utf-8")
    result = wartemarke("appointments", "import", str(headless), data_dir=data)
    assert result.returncode == 2 and "Datum" in result.stderr
    result = wartemarke("appointments", "import", str(tmp_path / "nope.csv"), data_dir=data)
    assert result.returncode == 2 and "cannot read" in result.stderr
    assert len(listed(booked)) == 2


def test_import_an_excel_file(booked, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Datum", "Uhrzeit", "Dienst", "Name"])
    # Excel's own date and time cells, and text typed as a German user would.
    sheet.append([datetime.combine(DAY, time()), time(9, 40), "Personalausweis", "Frau A"])
    sheet.append([DE, "10:00", "A", None])
    sheet.append([None, None, None, None])
    sheet.append([DAY, time(15, 40), "M", None])
    path = tmp_path / "termine.xlsx"
    book.save(path)

    result = wartemarke("appointments", "import", str(path), data_dir=booked.data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"3 appointments booked for {DAY.isoformat()}"
    shown = wartemarke("appointments", "list", "--day", DAY.isoformat(), data_dir=booked.data_dir)
    assert [(r[0], r[1]) for r in table(shown.stdout)] == [
        ("09:40", "Personalausweis"),
        ("10:00", "Personalausweis"),
        ("15:40", "Meldeangelegenheiten"),
    ]

    # A row of an Excel file that cannot be booked is named by the row Excel shows.
    sheet.append([DAY, time(16, 0), "A", None])
    book.save(path)
    again = wartemarke("appointments", "import", str(path), data_dir=booked.data_dir)
    assert again.returncode == 2
    bad = [e for e in again.stderr.splitlines() if e.startswith("line ")]
    assert len(bad) == 1 and bad[0].startswith("line 6: "), again.stderr
    assert len(listed(booked)) == 3  # the rows that would fit were not booked twice either


def test_a_data_dir_without_services_says_what_to_do(tmp_path):
    bookings = tmp_path / "t.csv"
    bookings.write_text(f"Datum;Uhrzeit;Dienst\n{DE};09:00;A\n", encoding="utf-8")
    result = wartemarke("appointments", "import", str(bookings), data_dir=tmp_path / "fresh")
    assert result.returncode == 2 and "start the server once" in result.stderr
    assert "Traceback" not in result.stderr
