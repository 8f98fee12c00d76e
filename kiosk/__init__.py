"""The touchscreen kiosk: a walk-in visitor picks a service and gets a ticket; a visitor with
an appointment checks in with the booking code (typed, or scanned from the confirmation).
"Vorlesen" reads the screen aloud with the server's espeak-ng voice (``speech.wav`` below)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request

from .. import i18n
from ..districts import KNOWN_QUARTERS
from ..domain.appointments import ACTIVE, CODE_ALPHABET, CODE_LENGTH
from ..speech import SpeechUnavailable
from .read_aloud import KIOSK_SPEECH_FILES, Unspeakable, kiosk_speaker, prune, spoken_text
from .texts import TEXTS

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


join = Blueprint("join", __name__)

FLAGS = Path(__file__).with_name("static") / "flags"


def page_texts(state) -> dict:
    """What the page needs to speak the venue's languages: all texts are embedded (a kiosk
    whose server is away right after the page loaded must still say so in words)."""
    offered = state.settings.site.languages
    lang = i18n.page_language(offered)
    texts = {code: i18n.texts(TEXTS, code) for code in offered}
    # The language buttons' pictures (flags/<code>.svg); a language without one shows its name.
    flags = [code for code in offered if (FLAGS / f"{code}.svg").is_file()]
    return {"languages": offered, "lang": lang, "texts": texts, "t": texts[lang], "flags": flags}


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
        appointments=appointments_today(state),
        code_alphabet=CODE_ALPHABET,
        code_length=CODE_LENGTH,
        **page_texts(state),
    )


@join.get("/join")
def phone():
    """The kiosk on a visitor's own phone, opened from the wall display's QR code: take a
    number, then follow it on the ticket's status page."""
    state = current_app.extensions["wartemarke"]
    return render_template(
        "kiosk/kiosk.html",
        venue=state.ops.venue().get("name", ""),
        mode="phone",
        **page_texts(state),
    )


@bp.get("/speech.wav")
def speech():
    """The kiosk's screen read aloud, e.g.
    ``?language=tr&say=choose,choose_hint,services&services=1,2`` (see read_aloud.py).
    400 for anything else, 503 without espeak-ng (the page then says so in words)."""
    state = current_app.extensions["wartemarke"]
    try:
        text, code = spoken_text(state, request.args)
    except Unspeakable as exc:
        abort(400, str(exc))
    speaker = kiosk_speaker(state.settings.data_dir)
    try:
        audio = speaker.wav(text, code).read_bytes()
    except (SpeechUnavailable, OSError) as exc:
        abort(503, f"Reading aloud is unavailable: {exc}")
    prune(speaker.cache_dir, KIOSK_SPEECH_FILES)
    # Live figures: the same question may have another answer in a minute.
    return Response(audio, mimetype="audio/wav", headers={"Cache-Control": "no-store"})
