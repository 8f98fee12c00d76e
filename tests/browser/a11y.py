"""Automated accessibility checks with axe-core (vendored in tests/browser/vendor/axe-core/).

axe is a test-only asset: the app never serves it. It is put into the page by evaluating its
source over the DevTools protocol, not with ``page.add_script_tag``: Playwright's script tag is
inline, and the app's CSP (default-src 'self', no 'unsafe-inline') blocks it, which the
``guard`` fixture would rightly report. Evaluation is not subject to the page's CSP, so the page
is checked exactly as served, with its real CSP still in force (``bypass_csp`` would have turned
the CSP off for the whole page, and with it the guard's check of the app's own scripts).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from tests.conftest import OUTPUT

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = ("serious", "critical")

RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
  });
  const brief = v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
  });
  return {violations: result.violations.map(brief), incomplete: result.incomplete.map(brief)};
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_results(page) -> dict:
    """axe's WCAG 2.0/2.1/2.2 A and AA results on the page as it is now: ``violations``, and
    ``incomplete`` (what axe could not decide, e.g. text over a gradient, for a person to look
    at)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):  # gone after a reload
        page.evaluate(_axe_source())
    return page.evaluate(RUN, WCAG_TAGS)


def _describe(violation: dict) -> str:
    targets = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:8])
    more = len(violation["nodes"]) - 8
    if more > 0:
        targets += f"; … {more} more"
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — at {targets}"


def assert_accessible(page, context_name: str) -> list[dict]:
    """Fail on any serious or critical WCAG A/AA violation; keep the lesser ones (and what axe
    left for review) on record in test-output/a11y-<context_name>.json, written every run."""
    results = axe_results(page)
    violations = results["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    minor = [v for v in violations if v["impact"] not in BLOCKING]
    record = {"violations": minor, "incomplete": results["incomplete"]}
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"a11y-{context_name}.json").write_text(
        json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    assert not blocking, f"accessibility violations on {context_name}:\n" + "\n".join(
        _describe(v) for v in blocking
    )
    return violations
