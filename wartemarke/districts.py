"""Düsseldorf's 10 city districts (Stadtbezirke) and their 50 quarters (Stadtteile).

Where visitors come from is the council motion's central question: do the pop-up offices reach
districts with weaker infrastructure? Visitors may name their district; only the district is
stored, never anything that points to a person.
"""

from __future__ import annotations

STADTBEZIRKE: dict[int, list[str]] = {
    1: ["Altstadt", "Carlstadt", "Derendorf", "Golzheim", "Pempelfort", "Stadtmitte"],
    2: ["Düsseltal", "Flingern Nord", "Flingern Süd"],
    3: [
        "Bilk",
        "Flehe",
        "Friedrichstadt",
        "Hafen",
        "Hamm",
        "Oberbilk",
        "Unterbilk",
        "Volmerswerth",
    ],
    4: ["Heerdt", "Lörick", "Niederkassel", "Oberkassel"],
    5: ["Angermund", "Kaiserswerth", "Kalkum", "Lohausen", "Stockum", "Wittlaer"],
    6: ["Lichtenbroich", "Mörsenbroich", "Rath", "Unterrath"],
    7: ["Gerresheim", "Grafenberg", "Hubbelrath", "Knittkuhl", "Ludenberg"],
    8: ["Eller", "Lierenfeld", "Unterbach", "Vennhausen"],
    9: [
        "Benrath",
        "Hassels",
        "Himmelgeist",
        "Holthausen",
        "Itter",
        "Reisholz",
        "Urdenbach",
        "Wersten",
    ],
    10: ["Garath", "Hellerhof"],
}
OUTSIDE = "outside"  # lives outside Düsseldorf

# The best-known quarters of each Bezirk, to help visitors find theirs (kiosk question).
KNOWN_QUARTERS: dict[int, list[str]] = {
    1: ["Altstadt", "Pempelfort", "Derendorf"],
    2: ["Flingern Nord", "Flingern Süd", "Düsseltal"],
    3: ["Bilk", "Oberbilk", "Friedrichstadt"],
    4: ["Oberkassel", "Heerdt", "Lörick"],
    5: ["Kaiserswerth", "Angermund", "Lohausen"],
    6: ["Rath", "Unterrath", "Mörsenbroich"],
    7: ["Gerresheim", "Grafenberg", "Ludenberg"],
    8: ["Eller", "Lierenfeld", "Unterbach"],
    9: ["Benrath", "Wersten", "Urdenbach"],
    10: ["Garath", "Hellerhof"],
}

STADTTEILE: dict[str, int] = {q: b for b, quarters in STADTBEZIRKE.items() for q in quarters}


def district_of(value: str) -> str | None:
    """The stored form of a visitor's answer: "1".."10", a quarter's name, or "outside"."""
    if value == OUTSIDE:
        return OUTSIDE
    if value.isdecimal() and len(value) < 4 and int(value) in STADTBEZIRKE:  # int("²") fails
        return str(int(value))
    if value in STADTTEILE:
        return value
    return None


def bezirk_of(district: str) -> int | None:
    """The Stadtbezirk of a stored answer (a quarter counts for its district)."""
    if district.isdigit():
        return int(district)
    return STADTTEILE.get(district)
