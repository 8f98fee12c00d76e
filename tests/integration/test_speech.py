"""Server-side speech: each call phrase is synthesised by espeak-ng once and served as WAV."""

from __future__ import annotations

import os
import shutil
import wave

import pytest
import requests

from wartemarke.speech import Speaker, phrase, spoken_number

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None and not os.environ.get("WARTEMARKE_REQUIRE_SPEECH"),
    reason="espeak-ng is not installed",
)


def test_phrases():
    assert spoken_number("A017") == "A 17"
    assert spoken_number("PA100") == "P A 100"
    assert phrase("A017", "Schalter 3", "de") == "Nummer A 17, bitte zu Schalter 3."
    assert phrase("A017", "Schalter 3", "en") == "Number A 17, please go to counter 3."
    assert phrase("A017", "Infotheke", "en") == "Number A 17, please go to Infotheke."


@needs_espeak
def test_wav_is_made_once_and_cached(tmp_path):
    speaker = Speaker(tmp_path)
    first = speaker.wav("Nummer A 17, bitte zu Schalter 3.", "de")
    stamp = first.stat().st_mtime_ns
    with wave.open(str(first)) as w:
        assert w.getnframes() / w.getframerate() > 1.0  # a real spoken sentence
    assert speaker.wav("Nummer A 17, bitte zu Schalter 3.", "de").stat().st_mtime_ns == stamp


@needs_espeak
def test_announcement_endpoint(server):
    r = requests.get(server.url + "/display/announce.wav?number=A017&counter=1&lang=de")
    assert r.status_code == 200 and r.headers["Content-Type"] == "audio/wav"
    assert r.content[:4] == b"RIFF"
    for bad in (
        "number=A017&counter=9&lang=de",
        "number=<b>&counter=1&lang=de",
        "number=A017&counter=1&lang=xx",
        "text=hello",
    ):
        assert 400 <= requests.get(server.url + "/display/announce.wav?" + bad).status_code < 500
    chime = requests.get(server.url + "/display/static/sounds/chime.wav")
    assert chime.status_code == 200 and chime.content[:4] == b"RIFF"
