"""Fixtures for the printing layer's tests: a ticket, a data dir and a virtual TCP printer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from wartemarke.printers import TicketPrint, configure_escpos
from wartemarke.printers.virtual_tcp import VirtualPrinter

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="session", autouse=True)
def _escpos_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    configure_escpos(tmp_path_factory.mktemp("escpos-data"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_ticket() -> Callable[..., TicketPrint]:
    def make(**changes: Any) -> TicketPrint:
        fields: dict[str, Any] = {
            "venue": "Pop-Up Bürgerbüro im Museum Kunstpalast",
            "number": "A017",
            "service": "Meldeangelegenheiten / Ummeldung",
            "issued_at": datetime(2025, 3, 4, 9, 7, tzinfo=BERLIN),
            "people_ahead": 3,
            "estimated_wait_min": 15,
            "status_url": "https://wartemarke.example/status/7Kq2xZ9a",
            "lines": [
                "Bitte warten Sie, bis Ihre Nummer aufgerufen wird.",
                "Please wait until your number is called.",
                "Schöne Grüße vom Bürgerbüro",
            ],
            "paper_mm": 58,
        }
        fields.update(changes)
        return TicketPrint(**fields)

    return make


@pytest.fixture
def virtual_printer() -> Iterator[VirtualPrinter]:
    with VirtualPrinter() as server:
        yield server
