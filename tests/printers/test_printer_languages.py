"""The ticket in the visitor's language: labels, date and foot line from the catalogues; scripts
the printer's code page lacks (Turkish ğ ş ı, Greek, Cyrillic, Arabic, Japanese) as raster images
drawn without boxes, Arabic joined and right to left.

Sample tickets for review: test-output/ticket-<lang>.png (80 mm) and ticket-<lang>-58.png.
"""

from __future__ import annotations

import logging

import pytest
from PIL import Image, ImageChops, ImageDraw

from tests.printers.receipts import (
    contains_strip,
    ink,
    label,
    missing_glyphs,
    printed_as,
    same,
    strip,
)
from wartemarke.i18n import VISITOR_LANGUAGES, translate
from wartemarke.printers import render_escpos, render_png
from wartemarke.printers.decode import decode
from wartemarke.printers.glyphs import bundled, load, read_cmap
from wartemarke.printers.raster import ARABIC_SCALE, Face, wrap_px

SERVICES = {
    "de": "Meldeangelegenheiten",
    "en": "Registration",
    "tr": "İkamet işlemleri",
    "ar": "شؤون التسجيل",
    "ru": "Регистрация по месту жительства",
    "uk": "Реєстрація місця проживання",
    "pl": "Sprawy meldunkowe",
    "el": "Θέματα δημοτολογίου",
    "ja": "住民登録",
}
DATES = {"de": "04.03.2025 09:07", "en": "04/03/2025 09:07", "ja": "2025/03/04 09:07"}


def ticket_in(make_ticket, lang: str, **changes):
    return make_ticket(lang=lang, service=SERVICES[lang], lines=None, **changes)


def all_labels(lang: str) -> list[str]:
    return [
        label("ahead", lang, n=3),
        label("wait", lang, min=15),
        label("scan_hint", lang),
        label("default_line", lang),
    ]


def test_german_ticket_prints_german_text_and_only_the_german_foot_line(make_ticket):
    job = decode(render_escpos(ticket_in(make_ticket, "de")))
    text = " ".join(line.text for line in job.lines)
    for expected in all_labels("de"):
        assert printed_as(job, expected, 58) == "text"
    assert "Personen vor Ihnen: 3" in text and "ca. 15 Min." in text
    assert DATES["de"] in job.text
    assert "Please wait" not in text  # the visitor chose German: no English stand-in line
    assert not job.images()  # CP858 covers German: no raster image at all


@pytest.mark.parametrize("lang", VISITOR_LANGUAGES)
@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_language_prints_its_labels_service_and_date(make_ticket, lang, paper_mm):
    ticket = ticket_in(make_ticket, lang, paper_mm=paper_mm)
    job = decode(render_escpos(ticket))
    if lang != "de":  # the catalogue translates every ticket text
        assert not set(all_labels(lang)) & set(all_labels("de"))
    for expected in all_labels(lang):
        printed_as(job, expected, paper_mm, lang)
    printed_as(job, SERVICES[lang], paper_mm, lang, bold=True, height=2)
    if lang in DATES:
        assert DATES[lang] in job.text
    assert "?" not in job.text  # nothing the code page lacks was sent as text
    for image in job.images():
        assert image.width == (384 if paper_mm == 58 else 576)


def test_appointment_ticket_in_turkish(make_ticket):
    job = decode(render_escpos(ticket_in(make_ticket, "tr", appointment="09:20")))
    printed_as(job, label("appointment", "tr", time="09:20"), 58, "tr", bold=True)
    printed_as(job, label("appointment_hint", "tr"), 58, "tr")
    with pytest.raises(AssertionError):
        printed_as(job, label("ahead", "tr", n=3), 58, "tr")


def test_turkish_lines_outside_cp858_become_images_the_rest_stays_text(make_ticket):
    job = decode(render_escpos(ticket_in(make_ticket, "tr")))
    outcomes = {text: printed_as(job, text, 58, "tr") for text in all_labels("tr")}
    for text, how in outcomes.items():
        lacking = any(ch in text for ch in "ğşıİĞŞ")
        assert how == ("image" if lacking else "text"), text
    assert "image" in outcomes.values()  # the catalogue's Turkish does use ğ ş ı
    assert printed_as(job, SERVICES["tr"], 58, "tr", bold=True, height=2) == "image"


def test_unknown_or_missing_language_prints_german(make_ticket):
    for lang in ("xx", "", "de"):
        job = decode(render_escpos(make_ticket(lang=lang, lines=None)))
        assert printed_as(job, label("ahead", "de", n=3), 58) == "text"
        assert printed_as(job, label("default_line", "de"), 58) == "text"


def test_venue_lines_print_as_written_in_any_language(make_ticket):
    job = decode(render_escpos(make_ticket(lang="ja", lines=["Freies WLAN: Bibliothek"])))
    assert "Freies WLAN: Bibliothek" in job.text
    with pytest.raises(AssertionError):
        printed_as(job, label("default_line", "ja"), 58, "ja")


@pytest.mark.parametrize("lang", ["ar", "ja", "el", "ru", "uk"])
def test_non_latin_labels_are_substantial_images_without_boxes(make_ticket, lang):
    job = decode(render_escpos(ticket_in(make_ticket, lang, paper_mm=80)))
    for text in [*all_labels(lang), SERVICES[lang]]:
        assert missing_glyphs(text, lang=lang) == [], text
        assert missing_glyphs(text, bold=True, lang=lang) == [], text
        bold = text == SERVICES[lang]
        assert printed_as(job, text, 80, lang, bold=bold, height=2 if bold else 1) == "image"
    images = job.images()
    assert len(images) >= 5
    for image in images:
        assert image.height >= 20
        assert 0.02 < ink(image) < 0.5  # real glyphs, not a blank strip or a black bar


def test_arabic_is_shaped_and_right_to_left():
    text = label("ahead", "ar", n=3)  # "عدد الأشخاص أمامك: 3"
    face = Face(22, lang="ar")
    shaped = render_line(face, text)
    # The letters in the order they are seen but unjoined, as Pillow draws them without
    # libraqm: shaping changed most of the ink.
    assert differing(shaped, unshaped_line(text[::-1])) > 0.3
    # Right to left: the number at the end of the sentence stands at the line's left end (a
    # left-to-right drawing has it at the right end).
    assert digit_position(lambda n: render_line(face, label("ahead", "ar", n=n))) < 0.35
    assert digit_position(lambda n: unshaped_line(label("ahead", "ar", n=n))) > 0.65


def test_arabic_without_libraqm_falls_back_to_built_in_shaping():
    text = label("ahead", "ar", n=3)
    shaped = render_line(Face(22, lang="ar", raqm=True), text)
    fallback_face = Face(22, lang="ar", raqm=False)
    fallback = render_line(fallback_face, text)
    # Joined letters in visual order: much closer to libraqm's result than unjoined ones.
    assert differing(fallback, shaped) < 0.5 * differing(unshaped_line(text[::-1]), shaped)
    assert digit_position(lambda n: render_line(fallback_face, label("ahead", "ar", n=n))) < 0.35
    assert missing_glyphs(text, lang="ar") == []


def test_japanese_lines_break_where_japanese_allows():
    face = Face(22, lang="ja")
    for key in ("scan_hint", "default_line", "appointment_hint"):
        lines = wrap_px(label(key, "ja"), face, 368)
        assert all(face.getlength(line) <= 368 for line in lines)
        assert all(line[0] not in "、。）」！？：ーっゃゅょ" for line in lines), lines
        if len(lines) > 1:  # even lines, no lone character at the end
            assert len(lines[-1]) >= 3, lines


def test_rare_kanji_in_a_service_name_comes_from_a_system_font(make_ticket, caplog):
    rare = "鱚"  # kisu (a fish): JIS level 2, not in the bundled subset
    assert all(ord(rare) not in read_cmap(f.path, f.index) for f in bundled(False))
    runs = Face(28, lang="ja").runs(f"{rare}料理")
    system = [f for f, run in runs if rare in run]
    if not system or system[0] in bundled(False):
        pytest.skip("no installed font has 鱚 (apt-get install fonts-noto-cjk)")
    assert missing_glyphs(f"{rare}料理", lang="ja") == []
    with caplog.at_level(logging.WARNING):
        job = decode(render_escpos(make_ticket(lang="ja", service=f"{rare}料理")))
    assert printed_as(job, f"{rare}料理", 58, "ja", bold=True, height=2) == "image"
    assert "printed as a box" not in caplog.text


@pytest.mark.parametrize("lang", ["de", "tr", "ar", "ja", "el"])
def test_png_ticket_shows_the_same_and_is_saved_for_review(make_ticket, output_dir, lang):
    for paper_mm in (80, 58):
        ticket = ticket_in(make_ticket, lang, paper_mm=paper_mm)
        image = render_png(ticket)
        suffix = "" if paper_mm == 80 else "-58"
        image.save(output_dir / f"ticket-{lang}{suffix}.png")
        for text in all_labels(lang):
            assert contains_strip(image, strip(text, paper_mm, lang)), text
        service = strip(SERVICES[lang], paper_mm, lang, bold=True, height=2)
        assert contains_strip(image, service)


def test_german_labels_are_not_on_foreign_tickets(make_ticket):
    job = decode(render_escpos(ticket_in(make_ticket, "en")))
    text = " ".join(line.text for line in job.lines)
    assert translate("Personen vor Ihnen: {n}", "en") != "Personen vor Ihnen: {n}"
    assert "Personen vor Ihnen" not in text and "Bitte warten" not in text


# --- helpers -----------------------------------------------------------------------------------
def differing(a: Image.Image, b: Image.Image) -> float:
    """The share of inked pixels of either image where the two differ."""
    a1, b1 = a.point(lambda v: 255 if v < 128 else 0), b.point(lambda v: 255 if v < 128 else 0)
    both = ImageChops.lighter(a1, b1).histogram()[255]
    diff = ImageChops.difference(a1, b1).histogram()[255]
    return diff / max(1, both)


def render_line(face: Face, text: str) -> Image.Image:
    image = Image.new("L", (576, 40), 255)
    face.draw(ImageDraw.Draw(image), (576 - face.getlength(text)) / 2, 20, text)
    return image


def unshaped_line(text: str) -> Image.Image:
    """text drawn character by character from left to right, with no shaping (Pillow's basic
    layout), in the font and size the receipt uses for Arabic."""
    basic = load(bundled(False)[0], round(22 * ARABIC_SCALE), raqm=False)
    image = Image.new("L", (576, 40), 255)
    ImageDraw.Draw(image).text(
        ((576 - basic.getlength(text)) / 2, 20), text, font=basic, anchor="lm"
    )
    return image


def digit_position(render) -> float:
    """Where, as a share of the width, the rendering of a text with 3 and with 8 differs."""
    box = ImageChops.difference(render(3), render(8)).getbbox()
    assert box is not None
    return (box[0] + box[2]) / 2 / 576


def test_helpers_see_a_difference():
    blank = Image.new("L", (10, 10), 255)
    dot = blank.copy()
    dot.putpixel((3, 3), 0)
    assert same(blank, blank.copy()) and not same(blank, dot)
    assert differing(dot, blank) == 1.0
