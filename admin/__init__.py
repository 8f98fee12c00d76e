"""The admin area: services, counters, staff accounts, venue and opening hours, end of day,
the printer (test page, the virtual printer's tickets as images) and the evaluation
(statistics, the printable report)."""

from babel import Locale
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from flask_login import current_user

from ..config import TRANSLATED
from ..districts import STADTBEZIRKE
from ..i18n import LANGUAGES

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# The report is one self-contained page: inline styles and SVG, no scripts at all. Its own
# policy replaces the app's, so it repeats frame-ancestors (no framing by other sites).
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
CHART_CSP = "default-src 'none'; frame-ancestors 'self'"


@bp.get("/")
@bp.get("/stats", defaults={"tab": "stats"})
def page(tab: str = "overview"):
    """The admin page; /admin/stats opens it at the statistics."""
    state = current_app.extensions["wartemarke"]
    return render_template(
        "admin/admin.html",
        venue=state.ops.venue().get("name", ""),
        timezone=state.settings.site.timezone,
        districts=STADTBEZIRKE,
        start_tab=tab,
        translations=translation_languages(state.settings.site.languages),
    )


def translation_languages(offered) -> list[dict]:
    """The languages a service's name is translated into in the service form: the site's
    offered ones first (in its order), then the rest; each with its German name ("Türkisch";
    none for Leichte Sprache, whose own name is German) and whether the kiosk offers it."""
    german = Locale.parse("de").languages
    first = [code for code in offered if code in TRANSLATED]
    return [
        {
            "code": code,
            "name": LANGUAGES[code].name,
            "german": german.get(code) if "-" not in code else None,
            "lang": LANGUAGES[code].html_lang,
            "dir": LANGUAGES[code].dir,
            "offered": code in first,
        }
        for code in first + [code for code in TRANSLATED if code not in first]
    ]


def _admin_only() -> Response | None:
    if not current_user.is_authenticated:
        return _plain(401, "Bitte melden Sie sich in der Verwaltung an (/admin/).")
    if current_user.role != "admin":
        return _plain(403, "Dieses Konto hat keine Verwaltungsrechte.")
    return None


def _range_stats():
    """The statistics of the request's ``from``/``to``/``event``, or the plain-text refusal."""
    from ..domain.model import DomainError
    from ..stats import collect, parse_range

    ops = current_app.extensions["wartemarke"].ops
    ops.mark_no_shows()  # missed slots are counted up to now
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), ops.clock.day())
    except ValueError as exc:
        return None, _plain(400, str(exc))
    try:
        stats = collect(ops.store, first, last, ops.clock.tz, event=request.args.get("event"))
    except DomainError as exc:
        what = "Kein solcher Einsatz" if exc.status == 404 else "Ungültige Angabe des Einsatzes"
        return None, _plain(exc.status, f"{what}: {request.args.get('event')}")
    return stats, None


def _plain(status: int, text: str) -> Response:
    return Response(
        text + "\n",
        status=status,
        mimetype="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/report")
def report():
    """The evaluation report of ``?from=YYYY-MM-DD&to=YYYY-MM-DD[&event=ID]`` as printable
    HTML (A4), the same page as ``wartemarke report`` writes. Admins only."""
    from ..report import render

    refused = _admin_only()
    if refused:
        return refused
    stats, refused = _range_stats()
    if refused:
        return refused
    ops = current_app.extensions["wartemarke"].ops
    html = render(stats, ops.venue().get("name", ""), ops.clock.local())
    return Response(
        html,
        mimetype="text/html",
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
    )


@bp.get("/stats/chart/<name>.svg")
def chart(name: str):
    """One chart of the statistics page as an SVG image (the report's own charts), for
    ``?from&to[&event]``. Admins only; an unknown chart is 404."""
    from ..report import CHARTS, chart_svg

    refused = _admin_only()
    if refused:
        return refused
    if name not in CHARTS:
        abort(404)
    stats, refused = _range_stats()
    if refused:
        return refused
    return Response(
        chart_svg(stats, name),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": CHART_CSP},
    )


@bp.get("/printer/tickets/<name>")
def ticket_image(name: str):
    """One PNG of the virtual printer (<data_dir>/tickets/<YYYY-MM-DD>_<number>.png), for the
    printer card. Admins only; any other name, or another printer, is 404."""
    from ..admin_api import TICKET_PNG_RE, virtual_tickets_folder

    refused = _admin_only()
    if refused:
        return refused
    folder = virtual_tickets_folder()
    if folder is None or not TICKET_PNG_RE.fullmatch(name):
        abort(404)
    path = folder / name
    if path.is_symlink() or not path.is_file():
        abort(404)
    try:
        response = send_file(path, mimetype="image/png", max_age=0, etag=False, conditional=False)
    except FileNotFoundError:  # removed in between
        abort(404)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
