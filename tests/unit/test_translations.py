"""The catalogues: complete, placeholders intact, plural forms right, compiled, up to date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from wartemarke.i18n import TRANSLATIONS, catalogue_locales

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
# Leichte Sprache rewrites the kiosk's hard texts; the others may stay German.
PARTIAL = {"de@leicht"}
LOCALES = sorted(catalogue_locales())


def catalogue(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale.split("@")[0])


def template():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        return read_po(f)


def forms(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_translated_with_its_placeholders(locale):
    cat = catalogue(locale)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    problems = []
    for message in cat:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        ids.discard(key)
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {key!r}")
            continue
        if not any(forms(message)):
            if locale not in PARTIAL:
                problems.append(f"untranslated: {key!r}")
            continue
        if isinstance(message.id, tuple) and len(forms(message)) != cat.num_plurals:
            problems.append(f"{len(forms(message))} plural forms, not {cat.num_plurals}: {key!r}")
        wanted = set(
            PLACEHOLDER.findall(" ".join(message.id if isinstance(message.id, tuple) else [key]))
        )
        for form in forms(message):
            if not form and locale in PARTIAL:
                continue
            # ja has one form for all numbers; others may drop {n} only in the "one" form
            found = set(PLACEHOLDER.findall(form))
            if found - wanted or (wanted - found - {"{n}"}):
                problems.append(f"placeholders {sorted(found)} ≠ {sorted(wanted)}: {form!r}")
    problems += [f"missing from the catalogue: {key!r}" for key in sorted(ids)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_source(locale):
    """The .mo the server reads says what the .po says (run ./run translations)."""
    po = catalogue(locale)
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = read_mo(f)

    def entries(cat, skip_fuzzy=False):
        return {
            m.id if isinstance(m.id, str) else tuple(m.id): tuple(forms(m))
            for m in cat
            if m.id and any(forms(m)) and not (skip_fuzzy and "fuzzy" in m.flags)
        }

    source, compiled = entries(po, skip_fuzzy=True), entries(mo)
    # Babel writes an untranslated plural with the German forms: the same as none
    untranslated = [k for k, v in compiled.items() if k not in source and set(v) <= set(k)]
    assert {k: v for k, v in compiled.items() if k not in untranslated} == source


def test_the_template_holds_every_text_of_the_screens(tmp_path):
    """messages.pot is extracted from the current sources (run ./run translations)."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "P_:1,2",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with open(fresh, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert wanted == {m.id for m in template() if m.id}
