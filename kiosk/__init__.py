"""The touchscreen kiosk: a walk-in visitor picks a service and gets a ticket; a visitor with
an appointment checks in with the booking code (typed, or scanned from the confirmation)."""

import functools
import json
from pathlib import Path

from flask import Blueprint, current_app, render_template

from ..districts import KNOWN_QUARTERS
from ..domain.appointments import ACTIVE, CODE_ALPHABET, CODE_LENGTH

LANGUAGES = ("de", "de-ls", "en")

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


join = Blueprint("join", __name__)


@functools.cache
def texts() -> dict:
    """The kiosk's texts, embedded in the page: a kiosk whose server is away right after the
    page loaded must still say so in words (the JSON files are also served for the others)."""
    folder = Path(__file__).with_name("static") / "i18n"
    return {lang: json.loads((folder / f"{lang}.json").read_text("utf-8")) for lang in LANGUAGES}


def appointments_today(state) -> bool:
    """Whether today has bookings that are still to come or checked in (not cancelled, missed or
    late): only then does the kiosk offer "Ich habe einen Termin" and take scanned codes.
    Decided when the page is rendered."""
    day = state.clock.day()
    with state.store.read() as tx:
        return any(tx.appointments(day, status=status) for status in ACTIVE)


@bp.get("/")
def page():
    state = current_app.extensions["wartemarke"]
    return render_template(
        "kiosk/kiosk.html",
        venue=state.ops.venue().get("name", ""),
        ask_district=state.settings.site.ask_district,
        districts=KNOWN_QUARTERS,
        texts=texts(),
        appointments=appointments_today(state),
        code_alphabet=CODE_ALPHABET,
        code_length=CODE_LENGTH,
    )


@join.get("/join")
def phone():
    """The kiosk on a visitor's own phone, opened from the wall display's QR code: take a
    number, then follow it on the ticket's status page."""
    state = current_app.extensions["wartemarke"]
    return render_template(
        "kiosk/kiosk.html", venue=state.ops.venue().get("name", ""), mode="phone", texts=texts()
    )
