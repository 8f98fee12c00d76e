"""The evaluation report: one self-contained, printable German HTML page (A4) of the statistics.

The charts are drawn here as inline SVG, so the file needs nothing else: no scripts, no fonts,
no images from anywhere. ``wartemarke report`` writes it; the template is
``templates/report/report.html``. Besides the totals it has a section per pop-up event
(``by_event``: its figures, and the visitors' home Stadtbezirke against the venue's own, which
is marked); with ``--event`` every figure is that event's only (``stats["event"]``). The section
"Termine und Laufkundschaft" compares the appointments' tickets with the walk-ins'
(``stats["appointments"]``).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates" / "report"
BAR = "#1f5f8b"
MUTED = "#5b6770"


def de_number(value, digits: int = 1) -> str:
    """German notation: 15,3 and 1.234; a dash for no data."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def de_percent(share) -> str:
    return "–" if share is None else de_number(share * 100, 1) + " %"


def hbars(items: list[tuple[str, float]], width: int = 640, row: int = 22) -> Markup:
    """Horizontal bars: one row per (label, value), the value written after the bar."""
    label_w, value_w = 190, 60
    top = max((v for _, v in items), default=0) or 1
    span = width - label_w - value_w
    height = row * len(items) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="chart">'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = span * (value or 0) / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + row * 0.68:.1f}" text-anchor="end" '
            f'font-size="12">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{BAR}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.68:.1f}" font-size="12" '
            f'fill="{MUTED}">{escape(de_number(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def vbars(items: list[tuple[str, float]], width: int = 640, height: int = 170) -> Markup:
    """Vertical bars (hours, days): labels under the bars, values above them."""
    bottom, top_pad = 22, 16
    n = max(len(items), 1)
    slot = width / n
    top = max((v for _, v in items), default=0) or 1
    span = height - bottom - top_pad
    font = 10 if slot >= 22 else 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" class="chart">',
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="{MUTED}" stroke-width="0.5"/>',
    ]
    for i, (label, value) in enumerate(items):
        h = span * (value or 0) / top
        bar = min(slot * 0.7, 36)
        cx = i * slot + slot / 2
        x = cx - bar / 2
        y = height - bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{BAR}"/>'
            f'<text x="{cx:.1f}" y="{height - 7}" text-anchor="middle" '
            f'font-size="{font}">{escape(str(label))}</text>'
        )
        if value:
            parts.append(
                f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="{font}" '
                f'fill="{MUTED}">{escape(de_number(value))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def charts(stats: dict) -> dict[str, Markup]:
    hours = [h for h in stats["by_hour"] if h["issued"] or h["served"] or h["called"]]
    if hours:  # the opening hours, without the empty night
        lo, hi = hours[0]["hour"], hours[-1]["hour"]
        hours = stats["by_hour"][lo : hi + 1]
    return {
        "hours": vbars([(f"{h['hour']:02d}", h["issued"]) for h in hours]),
        "hours_wait": vbars([(f"{h['hour']:02d}", h["wait_mean"] or 0) for h in hours]),
        "services": hbars([(s["name"], s["served"]) for s in stats["by_service"]]),
        "service_cases": hbars([(s["name"], s["cases"]) for s in stats["by_service"]]),
        "days": vbars(
            [(d["day"][8:10] + "." + d["day"][5:7] + ".", d["issued"]) for d in stats["by_day"]]
        ),  # fmt: skip
        "satisfaction": hbars(
            [(f"{r} {'★' * int(r)}", n) for r, n in stats["satisfaction"]["counts"].items()]
        ),
    }


# The charts the admin's statistics page shows as images (the report has them all).
CHARTS = ("hours", "hours_wait", "services", "days")


def chart_svg(stats: dict, name: str) -> str:
    """One chart as a standalone SVG document (fonts of the system: no external references)."""
    svg = str(charts(stats)[name])
    return svg.replace("<svg ", '<svg font-family="DejaVu Sans, sans-serif" ', 1)


def booked_services(stats: dict) -> list[dict]:
    """The rows of ``appointments.by_service`` with any appointment (booked, cancelled, checked
    in, late, missed or an appointment ticket), for the report's table per service."""
    return [
        r
        for r in stats["appointments"]["by_service"]
        if any(r[k] for k in ("booked", "cancelled", "checked_in", "late", "no_show"))
        or r["with_appointment"]["issued"]
    ]


def render(stats: dict, venue: str = "", generated: datetime | None = None) -> str:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["de"] = de_number
    env.filters["pct"] = de_percent
    env.filters["date_de"] = lambda day: f"{day[8:10]}.{day[5:7]}.{day[0:4]}"
    generated = generated or datetime.now()
    return env.get_template("report.html").render(
        s=stats,
        venue=venue,
        generated=generated.strftime("%d.%m.%Y %H:%M"),
        charts=charts(stats),
        booked_services=booked_services(stats),
    )
