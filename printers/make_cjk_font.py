"""Builds the Japanese font subset: printers/fonts/NotoSansJP-Wartemarke.otf (receipt images)
and wartemarke/static/fonts/NotoSansJP-Wartemarke.woff2 (kiosk, phone page, display).

DejaVu Sans, the project's font, has no Japanese. Noto Sans CJK JP (SIL OFL 1.1) has, but is
20 MB; the subset keeps what the screens and tickets need: every character of the Japanese
catalogue, the kana, ASCII, CJK punctuation, full-width forms and the 2965 JIS level-1 kanji
(the common ones: an admin's Japanese service name is very likely covered). Printing falls back
to a system font for anything else (printers/raster.py).

Run again whenever the Japanese catalogue changes (tests/printers/test_printer_fonts.py fails
when a character of it is missing)::

    apt-get install -y fonts-noto-cjk     # the source: /usr/share/fonts/opentype/noto/
    .venv/bin/pip install fonttools brotli
    .venv/bin/python -m wartemarke.printers.make_cjk_font

Only fontTools is needed, and only here and in the tests; the application reads the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_NAME = "Noto Sans CJK JP"  # the face in the collection
CATALOGUE = ROOT / "wartemarke" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
OTF = Path(__file__).resolve().parent / "fonts" / "NotoSansJP-Wartemarke.otf"
WOFF2 = ROOT / "wartemarke" / "static" / "fonts" / "NotoSansJP-Wartemarke.woff2"
FAMILY = "Noto Sans JP Wartemarke"
MAX_BYTES = 1_500_000  # above this the JIS level-1 kanji are left out

RANGES = (
    (0x0020, 0x007E),  # ASCII: digits and Latin inside Japanese lines
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。「」〜
    (0x3041, 0x309F),  # hiragana
    (0x30A0, 0x30FF),  # katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0xFF01, 0xFF5E),  # full-width ASCII: ！（）：？
    (0xFF61, 0xFF9F),  # half-width katakana
)
EXTRA = "々〆ヶ・ー×÷°±…‥※→←↑↓〒"


def catalogue_chars(path: Path = CATALOGUE) -> set[str]:
    """Every character of the catalogue's translations."""
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalogue = read_po(po)
    chars: set[str] = set()
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        for text in strings:
            chars |= set(text or "")
    return chars


def jis_level1() -> set[str]:
    """The JIS X 0208 level-1 kanji: rows 16 to 47 (EUC-JP 0xB0A1 to 0xCFD3)."""
    kanji = set()
    for row in range(0xB0, 0xD0):
        for cell in range(0xA1, 0xFF):
            try:
                kanji.add(bytes([row, cell]).decode("euc_jp"))
            except UnicodeDecodeError:
                continue  # row 47 ends at 0xCFD3
    return kanji


def wanted(with_kanji: bool) -> set[int]:
    from wartemarke.i18n import LANGUAGES

    chars = catalogue_chars() | set(EXTRA)
    chars |= {ch for lang in LANGUAGES.values() for ch in lang.name if ord(ch) >= 0x2E80}
    if with_kanji:
        chars |= jis_level1()
    codes = {ord(ch) for ch in chars if ch.isprintable() and not ch.isspace()} | {0x20, 0x3000}
    for low, high in RANGES:
        codes |= set(range(low, high + 1))
    return codes


def build(with_kanji: bool):
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(SOURCE), lazy=True)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == SOURCE_NAME)
    options = subset.Options()
    options.layout_features = ["kern", "palt", "halt"]  # no locl: Japanese forms are the default
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]  # no vertical text
    options.hinting = False  # small sizes come out fine without; saves a fifth
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    codes = wanted(with_kanji)
    subsetter.populate(unicodes=codes & set(font.getBestCmap()))
    subsetter.subset(font)
    names = font["name"]
    postscript = FAMILY.replace(" ", "") + "-Regular"
    for name_id, value in ((1, FAMILY), (4, FAMILY), (6, postscript), (16, FAMILY)):
        names.setName(value, name_id, 3, 1, 0x409)
    names.setName(f"{FAMILY}: a subset of Noto Sans CJK JP 2.004", 3, 3, 1, 0x409)
    font.recalcTimestamp = False  # the same catalogue gives the same files
    return font


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    if not SOURCE.exists():
        print(f"{SOURCE} is missing: apt-get install -y fonts-noto-cjk", file=sys.stderr)
        return 1
    font = build(with_kanji=True)
    font.save(str(OTF))
    if OTF.stat().st_size > MAX_BYTES:
        print(f"{OTF.stat().st_size} bytes with the JIS level-1 kanji: leaving them out")
        font = build(with_kanji=False)
        font.save(str(OTF))
    font.flavor = "woff2"
    font.save(str(WOFF2))
    for path in (OTF, WOFF2):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
