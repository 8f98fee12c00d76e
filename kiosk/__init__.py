"""The touchscreen kiosk: a walk-in visitor picks a service and gets a ticket."""

from flask import Blueprint, current_app, render_template

from ..districts import KNOWN_QUARTERS

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


join = Blueprint("join", __name__)


@bp.get("/")
def page():
    state = current_app.extensions["wartemarke"]
    return render_template(
        "kiosk/kiosk.html",
        venue=state.ops.venue().get("name", ""),
        ask_district=state.settings.site.ask_district,
        districts=KNOWN_QUARTERS,
    )


@join.get("/join")
def phone():
    """The kiosk on a visitor's own phone, opened from the wall display's QR code: take a
    number, then follow it on the ticket's status page."""
    state = current_app.extensions["wartemarke"]
    return render_template(
        "kiosk/kiosk.html", venue=state.ops.venue().get("name", ""), mode="phone"
    )
