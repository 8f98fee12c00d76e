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


def colours_meet_wcag_aa(page) -> None:
    """Every visible text: 4.5:1 against its rendered background."""
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
    low = [(p["text"], round(contrast(p["fg"], p["bg"]), 2)) for p in pairs]
    low = [item for item in low if item[1] < 4.5]
    assert not low, f"text below WCAG AA contrast: {low}"
