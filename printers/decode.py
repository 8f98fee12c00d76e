"""Decode ESC/POS byte streams: the printed text lines and the commands seen.

Good enough for tests and the virtual printer, not a printer emulator: it knows the commands
python-escpos emits and the common Epson ones; other ESC/GS sequences are skipped as
two-byte "unknown" commands.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

# ESC t n -> Python codec, Epson's standard table (python-escpos' "default" profile).
EPSON_CODE_PAGES: dict[int, str] = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    13: "cp857",
    14: "cp737",
    15: "iso8859_7",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    33: "cp775",
    34: "cp855",
    35: "cp861",
    36: "cp862",
    37: "cp864",
    38: "cp869",
    39: "iso8859_2",
    40: "iso8859_15",
    45: "cp1250",
    46: "cp1251",
    47: "cp1253",
    48: "cp1254",
    49: "cp1255",
    50: "cp1256",
    51: "cp1257",
    52: "cp1258",
    53: "kz1048",
}

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
_ALIGN = {0: "left", 1: "center", 2: "right"}
_CUT = {0: "full", 1: "partial", 48: "full", 49: "partial", 65: "full", 66: "partial"}
# ESC x and GS x commands followed by exactly one parameter byte.
_ESC_1 = {
    "t": "codepage", "!": "print_mode", "a": "align", "E": "bold", "G": "double_strike",
    "-": "underline", "M": "font", "d": "feed_lines", "J": "feed_dots", "3": "line_spacing",
    "+": "line_spacing", "A": "line_spacing", "R": "charset", "{": "upside_down",
    "V": "rotate", "U": "unidirectional", " ": "char_spacing", "=": "select_device",
    "e": "reverse_feed_lines", "K": "reverse_feed_dots", "r": "color", "T": "print_direction",
}  # fmt: skip
_GS_1 = {
    "!": "size", "B": "invert", "b": "smooth", "|": "density", "H": "hri_position",
    "f": "hri_font", "h": "barcode_height", "w": "barcode_width", "a": "auto_status_back",
    "r": "transmit_status", "I": "transmit_id", "/": "print_downloaded_image", "T": "line_start",
}  # fmt: skip
_ESC_N = {"@": ("init", 0), "2": ("line_spacing", 0), "p": ("pulse", 3), "c": ("panel", 2),
          "$": ("position", 2), "\\": ("relative_position", 2), "B": ("buzzer", 2),
          "L": ("page_mode", 0), "S": ("standard_mode", 0), "i": ("cut", 0), "m": ("cut", 0),
          "?": ("hw_reset", 2), "W": ("print_area", 8)}  # fmt: skip
_GS_N = {"L": ("left_margin", 2), "W": ("print_width", 2), "$": ("vertical_position", 2),
         "\\": ("relative_vertical_position", 2), "P": ("motion_units", 2)}  # fmt: skip


@dataclass(frozen=True)
class Command:
    """One item of the stream; ``text`` items carry the raw bytes as value."""

    name: str
    offset: int
    end: int
    value: Any = None


@dataclass(frozen=True)
class Line:
    """A printed line; columns counts font A cells, so double-width text counts twice."""

    text: str
    columns: int
    dots: int
    width: int
    height: int
    align: str
    offset: int  # where the line starts in the job


@dataclass
class DecodedJob:
    lines: list[Line] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    data: bytes = b""  # the job as decoded

    def images(self) -> list[Image.Image]:
        """The raster images (GS v 0) as printed: grayscale, black ink (0) on white (255)."""
        out = []
        for cmd in self.find("image"):
            width, height = cmd.value
            bits = bytes(self.data[cmd.offset + 8 : cmd.end])
            # 1-bit raw data: a set bit is a printed dot; PIL's mode "1" takes 1 as white.
            image = Image.frombytes("1", (width, height), bytes(b ^ 0xFF for b in bits))
            out.append(image.convert("L"))
        return out

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def find(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.commands]

    @property
    def qr_payloads(self) -> list[str]:
        return [c.value for c in self.find("qr_store")]

    @property
    def code_pages(self) -> list[int]:
        return [c.value for c in self.find("codepage")]

    @property
    def cut(self) -> bool:
        return bool(self.find("cut"))


def _u16(data: bytes, pos: int) -> int:
    return data[pos] | data[pos + 1] << 8


def scan(data: bytes, pos: int) -> Command | None:
    """The command starting at pos, or None if the data ends inside it."""
    first = data[pos]
    if first >= 0x20:
        end = pos
        while end < len(data) and data[end] >= 0x20:
            end += 1
        return Command("text", pos, end, bytes(data[pos:end]))
    if first in (ESC, GS, DLE, FS):
        if pos + 1 >= len(data):
            return None
        handler = {ESC: _esc, GS: _gs, DLE: _dle, FS: _fs}[first]
        try:
            return handler(data, pos, chr(data[pos + 1]))
        except (IndexError, ValueError):  # ran past the end, or no NUL terminator yet
            return None
    names = {0x0A: "lf", 0x0D: "cr", 0x09: "ht", 0x0C: "form_feed"}
    return Command(names.get(first, "control"), pos, pos + 1, first)


def _fixed(name: str, data: bytes, pos: int, n_params: int, value: Any = None) -> Command:
    end = pos + 2 + n_params
    if end > len(data):
        raise IndexError
    params = bytes(data[pos + 2 : end])
    if value is None and n_params:
        value = params[0] if n_params == 1 else params
    return Command(name, pos, end, value)


def _esc(data: bytes, pos: int, op: str) -> Command:
    if op in _ESC_1:
        return _fixed(_ESC_1[op], data, pos, 1)
    if op in _ESC_N:
        name, n = _ESC_N[op]
        return _fixed(name, data, pos, n, "partial" if name == "cut" else None)
    if op == "D":  # tab positions, NUL terminated
        end = data.index(0, pos + 2) + 1
        return Command("tabs", pos, end, bytes(data[pos + 2 : end - 1]))
    if op == "*":  # column bit image: m nL nH, then n columns of 1 or 3 bytes
        m, n = data[pos + 2], _u16(data, pos + 3)
        end = pos + 5 + n * (3 if m in (32, 33) else 1)
        return _fixed("column_image", data, pos, end - pos - 2, (m, n))
    return Command("unknown", pos, pos + 2, bytes(data[pos : pos + 2]))


def _gs(data: bytes, pos: int, op: str) -> Command:
    if op in _GS_1:
        return _fixed(_GS_1[op], data, pos, 1)
    if op in _GS_N:
        name, n = _GS_N[op]
        return _fixed(name, data, pos, n)
    if op == "V":
        m = data[pos + 2]
        return _fixed("cut", data, pos, 2 if m >= 65 else 1, _CUT.get(m, "partial"))
    if op == "(":  # GS ( x pL pH data
        length = _u16(data, pos + 3)
        cmd = _fixed(f"gs({chr(data[pos + 2])}", data, pos, 3 + length, b"")
        body = bytes(data[pos + 5 : cmd.end])
        return _two_d_code(cmd, body) if data[pos + 2] == ord("k") else cmd
    if op == "8" and data[pos + 2] == ord("L"):  # GS 8 L p1..p4: 32-bit length
        length = int.from_bytes(data[pos + 3 : pos + 7], "little")
        return _fixed("graphics", data, pos, 5 + length, b"")
    if op == "v":  # GS v 0 m xL xH yL yH: raster image, x bytes wide, y dots high
        x, y = _u16(data, pos + 4), _u16(data, pos + 6)
        return _fixed("image", data, pos, 6 + x * y, (x * 8, y))
    if op == "*":  # GS * x y: define downloaded image, x*8 by y*8 dots
        x, y = data[pos + 2], data[pos + 3]
        return _fixed("define_image", data, pos, 2 + x * y * 8, (x * 8, y * 8))
    if op == "k":  # barcode: m <= 6 is NUL terminated, else m n data
        m = data[pos + 2]
        if m <= 6:
            end = data.index(0, pos + 3) + 1
            return Command("barcode", pos, end, bytes(data[pos + 3 : end - 1]))
        n = data[pos + 3]
        return _fixed("barcode", data, pos, 2 + n, bytes(data[pos + 4 : pos + 4 + n]))
    return Command("unknown", pos, pos + 2, bytes(data[pos : pos + 2]))


def _two_d_code(cmd: Command, body: bytes) -> Command:
    """GS ( k: cn fn [m] data. Only QR (cn 49) is interpreted."""
    cn, fn = body[0], body[1]
    if cn != 49:
        return Command("2d_code", cmd.offset, cmd.end, (cn, fn))
    names = {65: "qr_model", 67: "qr_size", 69: "qr_ec", 80: "qr_store", 81: "qr_print"}
    name = names.get(fn, "qr_other")
    value: Any = body[2:]
    if name == "qr_store":
        value = body[3:].decode("utf-8", errors="replace")
    elif name in ("qr_size", "qr_ec", "qr_model"):
        value = body[2]
    elif name == "qr_print":
        value = None
    return Command(name, cmd.offset, cmd.end, value)


def _dle(data: bytes, pos: int, op: str) -> Command:
    if op == "\x04":
        return _fixed("status_query", data, pos, 1)
    if op == "\x05":
        return _fixed("realtime_request", data, pos, 1)
    if op == "\x14":
        return _fixed("realtime_command", data, pos, 3)
    return Command("unknown", pos, pos + 2, bytes(data[pos : pos + 2]))


def _fs(data: bytes, pos: int, op: str) -> Command:
    if op == "p":
        return _fixed("print_nv_image", data, pos, 2)
    if op == "(":
        return _fixed("fs(", data, pos, 3 + _u16(data, pos + 3), b"")
    return Command("unknown", pos, pos + 2, bytes(data[pos : pos + 2]))


def iter_commands(data: bytes, start: int = 0, *, final: bool = True) -> Iterator[Command]:
    """Commands from start on. At an incomplete command: stop, or yield "truncated" if final."""
    pos = start
    while pos < len(data):
        cmd = scan(data, pos)
        if cmd is None:
            if final:
                yield Command("truncated", pos, len(data), bytes(data[pos:]))
            return
        yield cmd
        pos = cmd.end


class _LineBuilder:
    def __init__(self, code_pages: Mapping[int, str]) -> None:
        self.code_pages = code_pages
        self.codec = "cp437"  # printer default after power-on and ESC @
        self.width = self.height = 1
        self.font = 0
        self.align = "left"
        self.chunks: list[tuple[str, int, int, int]] = []
        self.start: int | None = None
        self.lines: list[Line] = []

    def reset(self) -> None:
        self.codec, self.width, self.height, self.font, self.align = "cp437", 1, 1, 0, "left"

    def add_text(self, raw: bytes, offset: int) -> None:
        text = raw.decode(self.codec, errors="replace")
        self.chunks.append((text, self.width, self.height, self.font))
        if self.start is None:
            self.start = offset

    def end_line(self, offset: int, force: bool = True) -> None:
        if not self.chunks and not force:
            return
        dots = sum(len(t) * w * (9 if f else 12) for t, w, _, f in self.chunks)
        self.lines.append(
            Line(
                text="".join(t for t, *_ in self.chunks),
                columns=math.ceil(dots / 12),
                dots=dots,
                width=max((w for _, w, _, _ in self.chunks), default=1),
                height=max((h for _, _, h, _ in self.chunks), default=1),
                align=self.align,
                offset=offset if self.start is None else self.start,
            )
        )
        self.chunks = []
        self.start = None

    def apply(self, cmd: Command) -> None:
        match cmd.name:
            case "text":
                self.add_text(cmd.value, cmd.offset)
            case "lf":
                self.end_line(cmd.offset)
            case "init":
                self.end_line(cmd.offset, force=False)
                self.reset()
            case "codepage":
                self.codec = self.code_pages.get(cmd.value, "cp437")
            case "size":
                self.width, self.height = (cmd.value >> 4) + 1, (cmd.value & 0x0F) + 1
            case "print_mode":
                self.font = cmd.value & 0x01
                self.width = 2 if cmd.value & 0x20 else 1
                self.height = 2 if cmd.value & 0x10 else 1
            case "font":
                self.font = cmd.value & 0x01
            case "align":
                self.align = _ALIGN.get(cmd.value % 48 if cmd.value >= 48 else cmd.value, "left")
            case "feed_lines" | "feed_dots" | "cut" | "qr_print" | "image" | "form_feed":
                self.end_line(cmd.offset, force=False)


def decode(data: bytes, code_pages: Mapping[int, str] | None = None) -> DecodedJob:
    """Decode a whole job. code_pages maps ESC t numbers to Python codecs (Epson's default)."""
    builder = _LineBuilder(EPSON_CODE_PAGES if code_pages is None else code_pages)
    job = DecodedJob()
    for cmd in iter_commands(data):
        builder.apply(cmd)
        if cmd.name not in ("text", "lf"):
            job.commands.append(cmd)
    builder.end_line(len(data), force=False)
    job.lines = builder.lines
    job.data = bytes(data)
    return job
