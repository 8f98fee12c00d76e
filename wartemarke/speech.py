"""Spoken call announcements, synthesised on the server with espeak-ng.

Kiosk-mode browsers often have no speech voices, or unreliable ones, and the venue has no
internet for cloud voices. espeak-ng (a Debian package) writes a WAV in a few milliseconds; each
phrase is kept in the data dir, so a number is synthesised once. Only texts the server composes
are spoken (call phrases from the display's catalogue, the kiosk's own texts), never free text
from a request. The voice per language is wartemarke.i18n.LANGUAGES[code].voice.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from .i18n import LANGUAGES, VISITOR_LANGUAGES, fill, translate

# The languages a call can be announced in: every visitor language (Leichte Sprache is German).
PHRASES = VISITOR_LANGUAGES


class SpeechUnavailable(Exception):
    pass


def spoken_number(number: str) -> str:
    """ "A017" → "A 17": letters apart, the running number without leading zeros."""
    m = re.match(r"^([A-Za-z]+)0*(\d+)$", number)
    return f"{' '.join(m[1].upper())} {m[2]}" if m else number


def phrase(number: str, counter_name: str, lang: str) -> str:
    """ "Nummer A 17, bitte zu Schalter 3." in ``lang``; a counter named "Schalter …" is spoken
    with the language's word for it."""
    counter = re.sub(r"^Schalter\b", translate("Schalter", lang), counter_name)
    text = translate("Nummer {number}, bitte zu {counter}.", lang)
    return fill(text, number=spoken_number(number), counter=counter)


class Speaker:
    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.binary = shutil.which("espeak-ng")

    @property
    def available(self) -> bool:
        return self.binary is not None

    def wav(self, text: str, lang: str) -> Path:
        """The WAV file speaking ``text``, synthesised on first use."""
        if not self.available:
            raise SpeechUnavailable("espeak-ng is not installed")
        voice = LANGUAGES[lang].voice
        key = hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:32]
        path = self.cache_dir / f"{key}.wav"
        if not path.exists():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            try:
                subprocess.run(
                    [self.binary, "-v", voice, "-s", "140", "-w", str(partial), "--", text],
                    check=True,
                    capture_output=True,
                    timeout=10,
                )
            except (subprocess.SubprocessError, OSError) as exc:
                raise SpeechUnavailable(f"espeak-ng failed: {exc}") from None
            partial.replace(path)  # atomic: a half-written file is never served
        return path
