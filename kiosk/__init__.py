"""The touchscreen kiosk: a walk-in visitor picks a service and gets a ticket."""

from flask import Blueprint, current_app, render_template

bp = Blueprint(
    "kiosk",
    __name__,
    url_prefix="/kiosk",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/")
def page():
    state = current_app.extensions["wartemarke"]
    return render_template("kiosk/kiosk.html", venue=state.settings.site.venue)
