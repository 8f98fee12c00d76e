"""Checks every screen's browser tests share."""

from __future__ import annotations


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    """The WCAG contrast ratio of two sRGB colours."""
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_contrasts(page) -> list[tuple[str, float]]:
    """Every visible text with its contrast against the background it is drawn on."""
    pairs = page.evaluate(
        """() => {
          const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
          const background = el => {
            for (; el; el = el.parentElement) {
              const c = rgb(getComputedStyle(el).backgroundColor);
              if (c.length < 4 || c[3] > 0.5) return c.slice(0, 3);
            }
            return [255, 255, 255];
          };
          const out = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node; (node = walker.nextNode());) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el.checkVisibility()) continue;
            out.push({text: node.textContent.trim().slice(0, 40),
                      fg: rgb(getComputedStyle(el).color).slice(0, 3), bg: background(el)});
          }
          return out;
        }"""
    )
    assert len(pairs) > 8
    return [(p["text"], round(contrast(p["fg"], p["bg"]), 2)) for p in pairs]


def colours_meet_wcag_aa(page, ratio: float = 4.5) -> None:
    """Every visible text: ``ratio`` (4.5:1, AA; 7:1 is AAA) against its rendered background."""
    low = [item for item in text_contrasts(page) if item[1] < ratio]
    assert not low, f"text below {ratio}:1 contrast: {low}"
