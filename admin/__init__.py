"""The admin area: services, counters, staff accounts, venue and opening hours, end of day,
and the evaluation (statistics, the printable report)."""

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# The report is one self-contained page: inline styles and SVG, no scripts at all.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.get("/")
def page():
    state = current_app.extensions["wartemarke"]
    return render_template(
        "admin/admin.html",
        venue=state.ops.venue().get("name", ""),
        timezone=state.settings.site.timezone,
    )


def _plain(status: int, text: str) -> Response:
    return Response(
        text + "\n",
        status=status,
        mimetype="text/plain",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/report")
def report():
    """The evaluation report of ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` as printable HTML (A4), the
    same page as ``wartemarke report`` writes. Admins only."""
    from ..report import render
    from ..stats import collect, parse_range

    if not current_user.is_authenticated:
        return _plain(401, "Bitte melden Sie sich in der Verwaltung an (/admin/).")
    if current_user.role != "admin":
        return _plain(403, "Dieses Konto hat keine Verwaltungsrechte.")
    ops = current_app.extensions["wartemarke"].ops
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), ops.clock.day())
    except ValueError as exc:
        return _plain(400, str(exc))
    stats = collect(ops.store, first, last, ops.clock.tz)
    html = render(stats, ops.venue().get("name", ""), ops.clock.local())
    return Response(
        html,
        mimetype="text/html",
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
    )
