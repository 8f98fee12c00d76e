"""The kiosk's "Vorlesen": a screen read aloud with the server's espeak-ng voice.

The page names what its screen shows: text keys (``say``) and the figures in them. The words are
composed here from the kiosk's own texts, the services' names and checked figures only; nothing
a request brings is spoken as given (``speech.wav`` in kiosk/__init__.py serves them)."""

from __future__ import annotations

import contextlib
import math
import re
from datetime import date
from pathlib import Path

from babel.dates import format_date

from .. import i18n
from ..i18n import Plural
from ..speech import Speaker, spoken_number
from .texts import TEXTS

# Items of ``say`` besides the text keys:
SPOKEN_ITEMS = {
    "number": "the ticket number (``number``), spelled as the wall display calls it",
    "service": "the name of the service ``service``",
    "services": "each of ``services``: its name, and who waits and how long (or why not open)",
    "wait_time": "``min`` minutes, said as the screen shows a wait (ca. 1 Std. 20 Min.)",
}
assert not set(SPOKEN_ITEMS) & set(TEXTS), "a spoken item must not shadow a text key"

HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"
SPEECH_VALUES = {
    "n": re.compile(r"\d{1,5}"),  # people ahead, {n} of the plural texts
    "min": re.compile(r"\d{1,5}"),  # a wait in minutes
    "time": re.compile(HHMM),
    "slot": re.compile(HHMM),
    "day": re.compile(r"\d{4}-\d{2}-\d{2}"),  # {date}, said in the language
    "number": re.compile(r"[A-Z]{1,3}\d{1,5}"),  # as display/announce.wav takes it
    "service": re.compile(r"\d{1,9}"),
    "services": re.compile(r"\d{1,9}(?:,\d{1,9}){0,29}"),
}
# ``language``, not ``lang``: a ``?lang=`` would become this device's default language for every
# next visitor (i18n._remember_choice); a visitor's choice must not outlast the visit.
SPEECH_PARAMS = {"language", "say", *SPEECH_VALUES}
MAX_PARTS = 40
MAX_CHARACTERS = 6000
KIOSK_SPEECH_FILES = 200  # the newest WAVs kept; waits change all day, each text is new
SENTENCE_END = re.compile(r"[.!?…:。！？؟]$")
AVAILABILITY = ("open", "closed", "outside_hours", "full")
_speakers: dict[Path, Speaker] = {}


class Unspeakable(ValueError):
    """The request asks for something the kiosk does not say: 400."""


def kiosk_speaker(data_dir: Path) -> Speaker:
    """A speaker of its own: its cache is pruned (the display's phrases are kept for good)."""
    folder = data_dir / "speech" / "kiosk"
    if folder not in _speakers:
        _speakers[folder] = Speaker(folder)
    return _speakers[folder]


def prune(folder: Path, keep: int) -> None:
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    files = sorted(folder.glob("*.wav"), key=age)
    for old in files[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()


def spoken_text(state, args) -> tuple[str, str]:
    """The words for a speech.wav query, and their language; Unspeakable if it asks for
    anything but known texts, enabled services and well-formed figures."""
    unknown = set(args) - SPEECH_PARAMS
    if unknown:
        raise Unspeakable(f"unknown parameters; known: {', '.join(sorted(SPEECH_PARAMS))}")
    if any(len(args.getlist(name)) > 1 for name in args):
        raise Unspeakable("each parameter at most once")
    code = args.get("language", "")
    if code not in state.settings.site.languages:
        offered = ", ".join(state.settings.site.languages)
        raise Unspeakable(f"language must be one of the kiosk's languages: {offered}")
    values: dict[str, str] = {}
    for name, pattern in SPEECH_VALUES.items():
        value = args.get(name)
        if value is not None:
            if not pattern.fullmatch(value):
                raise Unspeakable(f"{name} is not well-formed")
            values[name] = value
    items = args.get("say", "").split(",")
    if not 1 <= len(items) <= MAX_PARTS:
        raise Unspeakable(f"say: 1 to {MAX_PARTS} comma-separated items")
    texts = i18n.texts(TEXTS, code, spoken=True)  # Japanese in kana: espeak-ng reads no kanji
    services = None
    if {"service", "services"} & set(items):
        services = {str(s["id"]): s for s in state.ops.services()}  # the enabled ones
    fills = _fills(values, code)
    parts: list[str] = []
    for item in items:
        parts += _spoken_item(item, texts, fills, values, services, code)
    text = " ".join(
        p if SENTENCE_END.search(p) else p + ("。" if code == "ja" else ".")
        for p in (part.strip() for part in parts)
        if p
    )
    if not text or len(text) > MAX_CHARACTERS:
        raise Unspeakable("nothing to say, or too much")
    return text, code


def _fills(values: dict[str, str], code: str) -> dict[str, str]:
    """The placeholders the texts may need ({n}, {min}, {time}, {slot}, {date})."""
    fills = {k: str(int(values[k])) for k in ("n", "min") if k in values}
    fills.update({k: values[k] for k in ("time", "slot") if k in values})
    if "day" in values:
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            raise Unspeakable("day is not a date") from None
        fills["date"] = format_date(day, format="long", locale=i18n.LANGUAGES[code].babel)
    return fills


def _filled(key: str, text: str, fills: dict[str, str]) -> str:
    missing = sorted(set(re.findall(r"\{(\w+)\}", text)) - set(fills))
    if missing:
        raise Unspeakable(f"{key} needs {', '.join(missing)}")
    return i18n.fill(text, **fills)


def _spoken_item(item, texts, fills, values, services, code) -> list[str]:
    if item in SPOKEN_ITEMS:
        needs = {"wait_time": "min"}.get(item, item)
        if needs not in values:
            raise Unspeakable(f"{item} needs {needs}")
        if item == "number":
            return [spoken_number(values["number"])]
        if item == "wait_time":
            return [wait_text(int(values["min"]), texts, code)]
        ids = values[item].split(",")
        unknown = [i for i in ids if i not in services]
        if unknown:
            raise Unspeakable(f"{item}: no such service open for tickets")
        if item == "service":
            return [service_name(services[ids[0]], code)]
        return [
            part for i in dict.fromkeys(ids) for part in service_parts(services[i], texts, code)
        ]
    if item not in TEXTS:
        raise Unspeakable("say: unknown item")
    if isinstance(TEXTS[item], Plural):
        if "n" not in values:
            raise Unspeakable(f"{item} needs n")
        return [i18n.plural(texts[item], int(values["n"]), code)]
    return [_filled(item, texts[item], fills)]


def service_name(service: dict, code: str) -> str:
    names = service.get("names") or {}
    return names.get(code) or service["name"]


def service_parts(service: dict, texts: dict, code: str) -> list[str]:
    """A service as its button shows it: the name, then who waits and how long, or why not."""
    parts = [service_name(service, code)]
    availability = service.get("availability")
    if availability not in AVAILABILITY:
        availability = "unavailable"
    elif availability == "open" and service.get("open") is False:
        availability = "closed"
    if availability != "open":
        return [*parts, texts[f"reason_{availability}"]]
    parts.append(i18n.plural(texts["waiting"], int(service.get("waiting") or 0), code))
    wait = service.get("estimated_wait_min")
    if isinstance(wait, int | float) and math.isfinite(wait) and wait >= 0:
        parts.append(wait_text(math.floor(wait + 0.5), texts, code))
    return parts


def wait_text(minutes: int, texts: dict, code: str) -> str:
    """As kiosk.js's formatWait: minutes under an hour, else hours and five-minute steps."""
    if minutes == 0:
        return texts["wait_none"]
    if minutes < 60:
        return i18n.fill(texts["wait"], min=minutes)
    hours, rest = divmod(math.floor(minutes / 5 + 0.5) * 5, 60)
    if rest == 0:
        return i18n.fill(texts["wait_hours_only"], h=hours)
    return i18n.fill(texts["wait_hours"], h=hours, min=rest)
