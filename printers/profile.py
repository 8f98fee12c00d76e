"""Which printer model a job is rendered for, and the code page it prints text in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .errors import PrinterConfigError

# CP858 is CP850 with the euro sign at 0xD5 and covers German completely. The others are only
# used for models whose code page table (in python-escpos' printer database) lacks CP858.
PREFERRED_ENCODINGS = ("CP858", "CP850", "CP437")
PYTHON_CODECS = {"CP858": "cp858", "CP850": "cp850", "CP437": "cp437"}


class CodePage(NamedTuple):
    name: str  # python-escpos / escpos-printer-db name, e.g. "CP858"
    codec: str  # Python codec, e.g. "cp858"
    table: int  # n of ESC t n


@dataclass(frozen=True)
class PrinterProfile:
    """Model-specific rendering options.

    model: a profile name from python-escpos' printer database ("default" suits Epson TM and
        most clones; e.g. "TM-T20II", "TM-T88V", "POS-5890").
    codepage_table: force ESC t n for CP858, for clones whose table differs from the database.
    partial_cut: partial cut (ticket stays attached by a bridge) instead of a full cut.
    """

    model: str = "default"
    codepage_table: int | None = None
    partial_cut: bool = True

    def __post_init__(self) -> None:
        if self.codepage_table is not None and not 0 <= self.codepage_table <= 255:
            raise PrinterConfigError(f"codepage table must be 0..255, not {self.codepage_table}")
        if self.model not in known_models():
            raise PrinterConfigError(
                f"unknown printer profile {self.model!r}; known: {', '.join(known_models())}"
            )

    @classmethod
    def coerce(cls, profile: PrinterProfile | str | None) -> PrinterProfile:
        if isinstance(profile, PrinterProfile):
            return profile
        return cls(model=profile or "default")

    def code_page(self) -> CodePage:
        """The code page text is encoded in, with its ESC t number for this model."""
        if self.codepage_table is not None:
            return CodePage("CP858", "cp858", self.codepage_table)
        from escpos.capabilities import get_profile

        tables = get_profile(self.model).get_code_pages()
        for name in PREFERRED_ENCODINGS:
            if name in tables:
                return CodePage(name, PYTHON_CODECS[name], int(tables[name]))
        raise PrinterConfigError(
            f"printer profile {self.model!r} has none of {', '.join(PREFERRED_ENCODINGS)}; "
            "set codepage_table (the ESC t number of CP858 in the printer's manual)"
        )


def known_models() -> list[str]:
    from escpos.capabilities import CAPABILITIES

    return sorted(CAPABILITIES["profiles"])
