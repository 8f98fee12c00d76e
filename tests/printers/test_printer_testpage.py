"""The printer test page and print_test_page()."""

from __future__ import annotations

import os

from wartemarke.printers import testpage
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import VirtualPrinter


def test_test_page_has_all_german_characters_qr_and_cut():
    raw = testpage.test_page_bytes("default", 58)
    job = decode(raw)
    assert job.code_pages == [19]
    for char in "äöüÄÖÜß€éàçñøµ°½§":
        assert char in job.text, char
    assert raw.index(b"\xd5") > raw.index(b"\x1bt\x13")  # € is 0xD5 in CP858 only
    assert bytes(range(0x80, 0x100))[:16] in raw  # the code table's first row, raw
    assert job.qr_payloads == [testpage.TEST_QR_PAYLOAD]
    assert job.cut
    assert all(line.columns <= 32 for line in job.lines)


def test_profiles_without_cp858_fall_back_and_rasterise_the_euro():
    job = decode(testpage.test_page_bytes("TM-T88II", 80))
    assert job.code_pages == [2]  # CP850
    assert "ÄÖÜ äöü ß" not in job.text  # that line carries € and is printed as an image
    assert job.find("image")


def test_print_test_page_over_tcp(data_dir):
    with VirtualPrinter() as server:
        status = testpage.print_test_page(server.url + "?paper=58", data_dir)
        (raw,) = server.wait_for_jobs(1)
    assert (status.online, status.paper, status.error) == (True, "ok", None)
    assert decode(raw).qr_payloads == [testpage.TEST_QR_PAYLOAD]


def test_print_test_page_reports_problems_instead_of_raising(data_dir):
    with VirtualPrinter(state="paper_out") as server:
        url = server.url
        status = testpage.print_test_page(url, data_dir)
        assert server.jobs == []  # an offline printer gets no job
    assert (status.online, status.paper, status.error) == (False, "out", "paper out")
    status = testpage.print_test_page(url, data_dir)  # server stopped
    assert status.online is False and "refused" in status.error.lower()


def test_print_test_page_on_the_virtual_printer(data_dir):
    status = testpage.print_test_page("virtual", data_dir)
    assert status.online is True
    (name,) = os.listdir(data_dir / "tickets")
    assert name.endswith("_job.bin")
