"""Right-to-left text without libraqm: joined Arabic letters in visual order.

Pillow shapes and reorders text only with libraqm (``PIL.features.check("raqm")``). Without it
Arabic would come out as separate letters in reverse order, so this module does the minimum a
ticket needs: it picks each letter's joining form from the Arabic Presentation Forms (which
DejaVu Sans has), joins lam-alef, and reverses the line while keeping numbers and Latin words
left to right. No marks positioning and no other ligatures: legible, not beautiful.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_FORMS = ("isolated", "final", "initial", "medial")
# Lam followed by alef, alef with madda, hamza above, hamza below: one ligature glyph.
_LAM, _ALEFS = "\u0644", "\u0627\u0622\u0623\u0625"
_TATWEEL = "\u0640"


@cache
def _tables() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]]:
    """{letter: {form: presentation form}} and {(lam, alef, form): ligature}, from the
    Unicode database's compatibility decompositions (e.g. FEB3 is "<initial> 0633")."""
    forms: dict[str, dict[str, str]] = {}
    ligatures: dict[tuple[str, str], str] = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        decomposition = unicodedata.decomposition(chr(code)).split()
        if len(decomposition) < 2 or decomposition[0].strip("<>") not in _FORMS:
            continue
        form, letters = decomposition[0].strip("<>"), [chr(int(h, 16)) for h in decomposition[1:]]
        if len(letters) == 1:
            forms.setdefault(letters[0], {}).setdefault(form, chr(code))
        elif len(letters) == 2 and letters[0] == _LAM and letters[1] in _ALEFS:
            ligatures.setdefault((letters[1], form), chr(code))
    return forms, ligatures


def _joins_left(ch: str) -> bool:
    """The letter connects to the following one (dual-joining: has an initial form)."""
    return ch == _TATWEEL or "initial" in _tables()[0].get(ch, {})


def _joins(ch: str) -> bool:
    return ch == _TATWEEL or ch in _tables()[0]


def shape_arabic(text: str) -> str:
    """Arabic letters replaced by their contextual presentation forms (logical order)."""
    forms, ligatures = _tables()
    out: list[str] = []
    chars = list(text)
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch not in forms:
            out.append(ch)
            i += 1
            continue
        before = _previous_letter(chars, i)
        joined_before = before is not None and _joins_left(before)
        if ch == _LAM and i + 1 < len(chars) and chars[i + 1] in _ALEFS:
            form = "final" if joined_before else "isolated"
            ligature = ligatures.get((chars[i + 1], form))
            if ligature:
                out.append(ligature)
                i += 2
                continue
        after = _next_letter(chars, i)
        joined_after = _joins_left(ch) and after is not None and _joins(after)
        form = {
            (False, False): "isolated",
            (True, False): "final",
            (False, True): "initial",
            (True, True): "medial",
        }[(joined_before, joined_after)]
        out.append(forms[ch].get(form) or forms[ch].get("isolated") or ch)
        i += 1
    return "".join(out)


def _previous_letter(chars: list[str], i: int) -> str | None:
    for ch in reversed(chars[:i]):
        if unicodedata.category(ch) != "Mn":  # harakat are transparent
            return ch if _joins(ch) else None
    return None


def _next_letter(chars: list[str], i: int) -> str | None:
    for ch in chars[i + 1 :]:
        if unicodedata.category(ch) != "Mn":
            return ch if _joins(ch) else None
    return None


_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")
# Runs kept left to right inside a right-to-left line: numbers (with their separators) and
# Latin words.
_LTR = r"0-9A-Za-z\u00c0-\u024f"
_LTR_RUN = re.compile(rf"[{_LTR}](?:[{_LTR}.,:/%+\-]*[{_LTR}%])?")


def is_rtl(text: str) -> bool:
    """The paragraph direction of text: that of its first strong character (UAX #9, P2)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):  # also RLM, U+200F
            return True
        if kind == "L":
            return False
    return False


def visual_rtl(text: str) -> str:
    """A right-to-left line, shaped and in the order it is drawn left to right."""
    shaped = shape_arabic(text)
    pieces: list[str] = []
    last = 0
    for run in _LTR_RUN.finditer(shaped):
        pieces += [ch.translate(_MIRROR) for ch in shaped[last : run.start()]]
        pieces.append(run.group())
        last = run.end()
    pieces += [ch.translate(_MIRROR) for ch in shaped[last:]]
    # Marks (RLM, LRM) split number runs as they do in the bidi algorithm, then go.
    return "".join(reversed(pieces)).replace("\u200f", "").replace("\u200e", "")
