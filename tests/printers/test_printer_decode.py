"""The ESC/POS decoder and the virtual printer's stream handling."""

from __future__ import annotations

import socket

from wartemarke.printers.decode import decode, iter_commands
from wartemarke.printers.virtual_tcp import describe

QR_STORE = b"\x1d(k\x0c\x00\x31\x50\x30https://x"  # GS ( k pL pH cn fn m data


def test_decodes_text_with_the_selected_code_page():
    raw = b"\x1b@\x1bt\x13Gr\xe1\xa1e \xd5\n\x1bt\x10Gr\xdf\xdfe \x80\n\x1b@Gr\xe1\n"
    job = decode(raw)
    assert [line.text for line in job.lines] == ["Grßíe €", "Grßße €", "Grß"]
    assert job.code_pages == [19, 16]
    assert job.names == ["init", "codepage", "codepage", "init"]


def test_tracks_sizes_alignment_and_columns():
    raw = b"\x1ba\x01\x1d!\x77AB\x1d!\x00cd\n\x1b!\x30xy\n\x1b!\x01abc\n"
    first, second, third = decode(raw).lines
    assert (first.text, first.columns, first.width, first.height) == ("ABcd", 18, 8, 8)
    assert first.align == "center"
    assert (second.columns, second.width, second.height) == (4, 2, 2)
    assert (third.dots, third.columns) == (27, 3)  # font B is 9 dots wide


def test_qr_image_and_cut_commands():
    image = b"\x1dv0\x00\x02\x00\x03\x00" + bytes(6)
    raw = QR_STORE + b"\x1d(k\x03\x00\x31\x51\x30" + image + b"\x1bd\x06\x1dVA\x10"
    job = decode(raw)
    assert job.qr_payloads == ["https://x"]
    assert job.names == ["qr_store", "qr_print", "image", "feed_lines", "cut"]
    assert job.find("image")[0].value == (16, 3)
    assert job.find("cut")[0].value == "full"
    assert describe(job) == "[QR: https://x]\n[image 16x3]\n[full cut]"


def test_incomplete_commands_wait_for_more_data():
    raw = QR_STORE + b"\x10\x04\x01"
    for cut in range(1, len(QR_STORE)):
        partial = list(iter_commands(raw[:cut], final=False))
        assert partial == [] or partial[0].name == "text"
        assert list(iter_commands(raw[:cut]))[-1].name == "truncated"
    names = [c.name for c in iter_commands(raw, final=False)]
    assert names == ["qr_store", "status_query"]


def test_virtual_printer_answers_status_mid_job_in_small_chunks(virtual_printer):
    # A DLE EOT 4 inside the QR data is data, not a query; the real one is answered and, like
    # a printer, not printed: the stored job leaves it out and the QR data intact.
    qr = b"\x1d(k\x08\x00\x31\x50\x30\x10\x04\x04ab"
    job = b"\x1b@" + qr + b"\x10\x04\x04" + b"\x1dV\x01"
    with socket.create_connection(("127.0.0.1", virtual_printer.port), timeout=2) as conn:
        for i in range(0, len(job), 3):
            conn.sendall(job[i : i + 3])
        assert conn.recv(16) == b"\x12"
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(16) == b""
    (stored,) = virtual_printer.wait_for_jobs(1)
    assert stored == b"\x1b@" + qr + b"\x1dV\x01"
    assert decode(stored).qr_payloads == ["\x10\x04\x04ab"]
    assert decode(stored).names == ["init", "qr_store", "cut"]
