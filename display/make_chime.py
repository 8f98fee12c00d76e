"""Writes chime.wav: a soft two-tone gong (E5 then C5) that precedes every announcement.

Made here rather than downloaded, so its licence is ours.
Run: python -m wartemarke.display.make_chime
"""

import math
import struct
import wave
from pathlib import Path

RATE = 22050


def tone(freq: float, start: float, length: float, total: float) -> list[float]:
    out = [0.0] * int(total * RATE)
    for i in range(int(length * RATE)):
        t = i / RATE
        envelope = min(1.0, t / 0.01) * math.exp(-3.2 * t)
        # A fundamental plus a quiet octave: a bell-like, not a beep-like sound.
        value = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
        j = int(start * RATE) + i
        if j < len(out):
            out[j] = value * envelope
    return out


def main() -> None:
    total = 1.6
    a = tone(659.25, 0.0, 1.2, total)
    b = tone(523.25, 0.45, 1.15, total)
    samples = [0.38 * (x + y) for x, y in zip(a, b, strict=True)]
    path = Path(__file__).with_name("static") / "sounds" / "chime.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32000)) for s in samples))


if __name__ == "__main__":
    main()
