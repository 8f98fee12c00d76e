"""The bundled fonts cover every text the tickets and screens can show, and the application's
own cmap reader (printers/glyphs.py) agrees with fontTools.

When the Japanese catalogue gains a character the subset lacks, the first test fails: rebuild
the subset (python -m wartemarke.printers.make_cjk_font, see printers/fonts/README.md).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from tests.printers.receipts import cmap
from wartemarke.i18n import LANGUAGES, TRANSLATIONS
from wartemarke.printers import glyphs

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "printers" / "fonts"
SUBSET = FONTS / "NotoSansJP-Wartemarke.otf"
WOFF2 = ROOT / "wartemarke" / "static" / "fonts" / "NotoSansJP-Wartemarke.woff2"
DEJAVU = FONTS / "DejaVuSans.ttf"
DEJAVU_BOLD = FONTS / "DejaVuSans-Bold.ttf"


def catalogue_chars(locale: str) -> set[str]:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    chars: set[str] = set()
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            chars |= {ch for ch in text or "" if visible(ch)}
    return chars


def visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs")


def test_every_character_of_the_japanese_catalogue_is_in_the_subset():
    chars = catalogue_chars("ja")
    assert len(chars) > 100  # the catalogue was read
    missing = sorted(ch for ch in chars if ord(ch) not in cmap(SUBSET))
    assert not missing, f"rebuild printers/fonts/NotoSansJP-Wartemarke.otf: lacks {missing}"


def test_the_subset_holds_kana_and_the_common_kanji_and_stays_small():
    chars = cmap(SUBSET)
    hiragana = set(range(0x3041, 0x3097))
    katakana = set(range(0x30A1, 0x30FB))
    assert hiragana <= chars and katakana <= chars
    assert set(range(0x20, 0x7F)) <= chars
    assert all(ord(ch) in chars for ch in "日本語番号待時間受付窓口予約確認住民登録")
    assert len(chars) > 3000  # the JIS level-1 kanji (2965) made it in
    assert SUBSET.stat().st_size < 1_500_000
    assert WOFF2.read_bytes()[:4] == b"wOF2" and WOFF2.stat().st_size < 1_500_000


@pytest.mark.parametrize("locale", sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir()))
def test_every_catalogue_prints_with_the_bundled_fonts_alone(locale):
    """DejaVu and the subset cover every translation: no ticket text needs a system font."""
    covered = cmap(DEJAVU) | cmap(SUBSET)
    bold = cmap(DEJAVU_BOLD) | cmap(SUBSET)
    chars = catalogue_chars(locale)
    assert not sorted(ch for ch in chars if ord(ch) not in covered)
    assert not sorted(ch for ch in chars if ord(ch) not in bold)


def test_language_names_are_covered():
    names = {ch for lang in LANGUAGES.values() for ch in lang.name if visible(ch)}
    assert not sorted(ch for ch in names if ord(ch) not in cmap(DEJAVU) | cmap(SUBSET))


@pytest.mark.parametrize("path", [DEJAVU, DEJAVU_BOLD, SUBSET], ids=lambda p: p.name)
def test_cmap_reader_agrees_with_fonttools(path):
    glyphs.read_cmap.cache_clear()
    assert glyphs.read_cmap(str(path)) == cmap(path)


def test_cmap_reader_reads_format_4_and_collections(tmp_path):
    # A font with only the Windows BMP subtable (format 4), as many older fonts have.
    font = TTFont(str(DEJAVU))
    font["cmap"].tables = [t for t in font["cmap"].tables if (t.platformID, t.format) == (3, 4)]
    font.save(str(tmp_path / "bmp-only.ttf"))
    bmp = {code for code in cmap(DEJAVU) if code <= 0xFFFF}
    assert glyphs.read_cmap(str(tmp_path / "bmp-only.ttf")) == bmp

    from fontTools.ttLib import TTCollection

    collection = TTCollection()
    collection.fonts = [TTFont(str(SUBSET)), TTFont(str(DEJAVU))]
    collection.save(str(tmp_path / "pair.ttc"))
    assert glyphs.read_cmap(str(tmp_path / "pair.ttc"), 1) == cmap(DEJAVU)
    assert glyphs.read_cmap(str(tmp_path / "pair.ttc"), 0) == cmap(SUBSET)
    assert glyphs.read_cmap(str(tmp_path / "missing.ttf")) == frozenset()


def test_font_chain_puts_dejavu_first_then_the_subset():
    chain = glyphs.bundled(bold=False)
    assert [Path(f.path).name for f in chain] == ["DejaVuSans.ttf", SUBSET.name]
    assert [Path(f.path).name for f in glyphs.bundled(bold=True)][0] == "DejaVuSans-Bold.ttf"
    assert glyphs.bundled(bold=True)[0].bold and not chain[1].bold
