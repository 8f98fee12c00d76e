"""Site file parsing: good files load, broken ones say what is wrong and where."""

from __future__ import annotations

import pytest

from wartemarke.config import ConfigError, parse_site

GOOD = """
[venue]
name = "Pop-Up Bürgerbüro im Museum"
timezone = "Europe/Berlin"

[printer]
url = "tcp://192.168.1.50:9100"

[[services]]
id = 1
name = "Personalausweis"
prefix = "a"
minutes = 15

[[counters]]
id = 1
name = "Schalter 1"
services = [1]
"""


def test_good_site_file():
    site = parse_site(GOOD)
    assert site.venue == "Pop-Up Bürgerbüro im Museum"
    assert site.printer == "tcp://192.168.1.50:9100"
    assert site.services[0].prefix == "A" and site.services[0].minutes == 15.0
    assert site.counters[0].services == [1]


@pytest.mark.parametrize(
    "text,message",
    [
        ("[venue\nname='x'", "not valid TOML"),
        ("[venue]\ntimezone = 'Mars/Olympus'", "timezone"),
        ("[[services]]\nid = 1\nname = 'X'\nprefix = 'A1'\nminutes = 5", "prefix"),
        ("[[services]]\nid = 1\nname = 'X'\nprefix = 'A'", "'minutes' is missing"),
        ("[[services]]\nid = 'one'\nname = 'X'\nprefix = 'A'\nminutes = 5", "'id' must be int"),
        (
            "[[services]]\nid = 1\nname = 'X'\nprefix = 'A'\nminutes = 5\n"
            "[[services]]\nid = 2\nname = 'Y'\nprefix = 'A'\nminutes = 5",
            "used twice",
        ),
        (
            "[[services]]\nid = 1\nname = 'X'\nprefix = 'A'\nminutes = 5\n"
            "[[counters]]\nid = 1\nname = 'S'\nservices = [9]",
            "unknown service ids [9]",
        ),
        ("[kiosk]\nlanguages = 'de'", "list of language codes"),
        ("[kiosk]\nlanguages = []", "list of language codes"),
        ("[kiosk]\nlanguages = ['de', 'xx']", "unknown xx"),
        ("[kiosk]\nlanguages = ['de', 'en', 'de']", "twice"),
    ],
)
def test_broken_site_files(text, message):
    with pytest.raises(ConfigError) as err:
        parse_site(text, "site.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("site.toml")


def readme_site_example() -> str:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return readme.split("### Site file", 1)[1].split("```toml", 1)[1].split("```", 1)[0]


def test_the_readme_example_is_a_valid_site_file():
    site = parse_site(readme_site_example(), "README")
    assert site.event == {
        "name": "Pop-Up-Bürgerbüro Ostern 2026",
        "place": "Museum Kunstpalast",
        "address": "Ehrenhof 4-5, 40479 Düsseldorf",
        "key": "2026-ostern-kunstpalast",
        "district": "Pempelfort",
        "first_day": "2026-03-30",
        "last_day": "2026-04-02",
    }
    assert site.ticket_text.splitlines()[1] == "Freies WLAN: Bibliothek"


@pytest.mark.parametrize(
    "event, message",
    [
        ('place = "x"', "'name' must not be empty"),
        ('name = "X"\ndistrict = "Paris"', "'district'"),
        ('name = "X"\ndistrict = 11', "'district'"),
        ('name = "X"\nfirst_day = "30.03.2026"', "'first_day'"),
        ('name = "X"\nfirst_day = 2026-04-02\nlast_day = 2026-03-30', "'first_day' must not"),
        ('name = "X"\nid = "mit Leerzeichen"', "'id'"),
        ('name = "X"\nfirst_day = 2026-03-30T09:00:00', "'first_day'"),
    ],
)
def test_bad_event_tables_are_named(event, message):
    with pytest.raises(ConfigError) as err:
        parse_site(f"[event]\n{event}\n", "site.toml")
    assert "site.toml: [event]" in str(err.value) and message in str(err.value)


def test_a_district_number_is_stored_as_text():
    site = parse_site('[event]\nname = "X"\ndistrict = 3\n')
    assert site.event["district"] == "3"


def test_the_kiosk_offers_the_languages_the_site_file_names():
    from wartemarke.i18n import KIOSK_LANGUAGES

    assert parse_site("").languages == KIOSK_LANGUAGES
    assert parse_site("[kiosk]\nlanguages = ['tr', 'de', 'ar']").languages == ("tr", "de", "ar")


SERVICE = '[[services]]\nid = 1\nname = "Ausweis"\nprefix = "A"\nminutes = 5\n'


def test_a_service_is_translated_into_every_visitor_language_but_german():
    from wartemarke.i18n import LANGUAGES

    others = [code for code in LANGUAGES if code != "de"]
    assert "de-ls" in others
    table = ", ".join(f'"{code}" = " Name {code} "' for code in others)  # quoted keys, too
    site = parse_site(SERVICE + f'names = {{{table}}}\ndescriptions = {{de-ls = ""}}\n')
    assert site.services[0].names == {code: f"Name {code}" for code in others}
    assert site.services[0].descriptions == {}  # empty: as in German
    for bad in ("xx", "de", "EN", "de_ls", "fr"):
        with pytest.raises(ConfigError) as err:
            parse_site(SERVICE + f'names = {{"{bad}" = "x"}}\n')
        assert f"services #1: 'names': '{bad}' is not a language" in str(err.value)
