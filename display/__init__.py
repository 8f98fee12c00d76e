"""The lobby's wall display, and the visitor's phone page behind the ticket's QR code."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file

from .. import i18n
from ..domain.model import NotFound
from ..qr import qr_svg
from ..speech import PHRASES, SpeechUnavailable, phrase
from .phone_texts import TEXTS as PHONE_TEXTS
from .texts import TEXTS as DISPLAY_TEXTS

bp = Blueprint(
    "display",
    __name__,
    url_prefix="/display",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
phone = Blueprint("phone", __name__, template_folder="templates")

NUMBER_RE = re.compile(r"^[A-Z]{1,3}\d{1,5}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _state():
    return current_app.extensions["wartemarke"]


def display_languages(site) -> list[str]:
    """The wall's languages, the first shown big: ``?languages=de,en,tr`` (visitor languages
    only), else the site's without Leichte Sprache (the kiosk's alone), else German."""
    wished = request.args.get("languages", "")[:200].lower().split(",")
    chosen = [code for code in dict.fromkeys(c.strip() for c in wished) if code in PHRASES]
    return chosen or [code for code in site.languages if code in PHRASES] or ["de"]


@bp.get("/")
def page():
    site = _state().settings.site
    languages = display_languages(site)
    # Every visitor language is embedded, not only the shown ones: a call can be spoken in any
    # of them (?announce=), also by the browser's own voice when the server has none.
    texts = {code: i18n.texts(DISPLAY_TEXTS, code) for code in PHRASES}
    return render_template(
        "display/display.html",
        venue=_state().ops.venue().get("name", ""),
        timezone=site.timezone,
        lang=languages[0],
        languages=languages,
        texts=texts,
        t=texts[languages[0]],
        others=[texts[code] for code in languages[1:]],
    )


@bp.get("/join.svg")
def join_qr():
    """A QR code for the wall: phones open the queue overview and can take a number there."""
    url = f"{_state().public_base_url().rstrip('/')}/join"
    return Response(qr_svg(url), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/announce.wav")
def announce():
    """The spoken call "Nummer A 17, bitte zu Schalter 3" for ?number=A017&counter=3&lang=de."""
    number = request.args.get("number", "")
    lang = request.args.get("lang", "de")
    counter_id = request.args.get("counter", "")
    if not NUMBER_RE.match(number) or lang not in PHRASES or not counter_id.isdigit():
        abort(400, f"number, counter and lang ({', '.join(PHRASES)}) are required")
    counter = next((c for c in _state().ops.counters() if c["id"] == int(counter_id)), None)
    if counter is None:
        raise NotFound(f"Unknown counter {counter_id}.")
    try:
        wav = _state().speaker.wav(phrase(number, counter["name"], lang), lang)
    except SpeechUnavailable as exc:
        abort(503, str(exc))
    return send_file(wav, mimetype="audio/wav", max_age=86400)


@phone.get("/t/<token>")
def ticket_page(token: str):
    """The visitor's live status page; only reachable with the ticket's unguessable token."""
    site = _state().settings.site
    try:
        if not TOKEN_RE.match(token):
            raise NotFound("Unknown ticket.")
        status = _state().ops.ticket_status(token)
    except NotFound:
        lang = i18n.page_language()
        return render_template(
            "display/phone_unknown.html",
            venue=_state().ops.venue().get("name", ""),
            lang=lang,
            languages=i18n.VISITOR_LANGUAGES,
            t=i18n.texts(PHONE_TEXTS, lang),
        ), 404
    lang = i18n.page_language(i18n.VISITOR_LANGUAGES, fallback=status.get("lang"))
    return render_template(
        "display/phone.html",
        status=status,
        token=token,
        lang=lang,
        languages=i18n.VISITOR_LANGUAGES,
        t=i18n.texts(PHONE_TEXTS, lang),
        venue=_state().ops.venue().get("name", ""),
        timezone=site.timezone,
    )
