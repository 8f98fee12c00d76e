"""The screens of a venue (kiosks, wall displays) as staff see them: connected or when last
seen, and whether a display can make sound. Each screen names itself when it connects to
``/display`` with ``auth={"device": "<id>", "kind": "display"|"kiosk"}``."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
KINDS = ("display", "kiosk")
SOUND = ("ok", "blocked", "speech_unavailable", "muted")
SPEECH = ("server", "browser", "none", "unknown")
# A venue has a handful of screens; any client may name itself, so the list is bounded.
MAX_DEVICES = 100


@dataclass
class Device:
    id: str
    kind: str
    connected: bool
    last_seen: float
    sound: str | None = None
    speech: str | None = None  # how a display speaks: server WAV, the browser's voice, none


class Devices:
    """Kept in memory per server process: a restart starts empty and screens report again."""

    def __init__(self) -> None:
        self._by_id: dict[str, Device] = {}
        self._sids: dict[str, str] = {}

    def connected(self, sid: str, auth: dict) -> bool:
        device, kind = auth.get("device"), auth.get("kind", "display")
        if not isinstance(device, str) or not DEVICE_RE.match(device) or kind not in KINDS:
            return False
        known = self._by_id.get(device)
        if known is None and len(self._by_id) >= MAX_DEVICES:
            gone = [d for d in self._by_id.values() if not d.connected]
            gone.sort(key=lambda d: d.last_seen)
            for old in gone[: len(self._by_id) - MAX_DEVICES + 1]:  # the longest gone first
                del self._by_id[old.id]
            if len(self._by_id) >= MAX_DEVICES:
                return False  # all connected: served, but not listed
        self._sids[sid] = device
        self._by_id[device] = Device(
            device, kind, True, time.time(), known.sound if known else None
        )
        return True

    def disconnected(self, sid: str) -> bool:
        device = self._by_id.get(self._sids.pop(sid, ""))
        if device is None:
            return False
        device.connected = device.id in self._sids.values()  # the same screen, reconnected
        device.last_seen = time.time()
        return True

    def reported(self, sid: str, data: dict) -> bool:
        device = self._by_id.get(self._sids.get(sid, ""))
        sound = data.get("sound")
        if device is None or sound not in SOUND:
            return False
        device.sound = sound
        if data.get("speech") in SPEECH:
            device.speech = data["speech"]
        device.last_seen = time.time()
        return True

    def listing(self) -> list[dict]:
        return [asdict(d) for d in sorted(self._by_id.values(), key=lambda d: (d.kind, d.id))]
