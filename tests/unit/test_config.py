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
    ],
)
def test_broken_site_files(text, message):
    with pytest.raises(ConfigError) as err:
        parse_site(text, "site.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("site.toml")
