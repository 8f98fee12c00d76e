"""The admin area: services, counters, staff accounts, venue and opening hours, end of day."""

from flask import Blueprint, current_app, render_template

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/")
def page():
    state = current_app.extensions["wartemarke"]
    return render_template(
        "admin/admin.html",
        venue=state.ops.venue().get("name", ""),
        timezone=state.settings.site.timezone,
    )
