"""The clerk's page: log in, take a counter, call the next person, serve, finish."""

from flask import Blueprint, current_app, render_template

bp = Blueprint(
    "counter",
    __name__,
    url_prefix="/counter",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("/")
def page():
    settings = current_app.extensions["wartemarke"].settings
    return render_template(
        "counter/counter.html",
        venue=current_app.extensions["wartemarke"].ops.venue().get("name", ""),
        recalls_before_no_show=settings.site.recalls_before_no_show,
        timezone=settings.site.timezone,
    )
