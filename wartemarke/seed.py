"""What a fresh installation starts with, and the demo venue behind ``--demo``."""

from __future__ import annotations

from .config import CounterSpec, ServiceSpec, Site

# The pop-up office's initial offer, as the council's motion describes it.
DEFAULT_SERVICES = [
    ServiceSpec(
        1,
        "Personalausweis",
        "A",
        15,
        "Beantragen, Verlust melden, vorläufiger Ausweis",
        names={"en": "Identity card"},
        descriptions={"en": "Apply, report a loss, temporary ID card"},
    ),
    ServiceSpec(
        2,
        "Reisepass",
        "P",
        15,
        "Reisepass und Kinderreisepass beantragen",
        names={"en": "Passport"},
        descriptions={"en": "Apply for a passport or a child's passport"},
    ),
    ServiceSpec(
        3,
        "Meldeangelegenheiten",
        "M",
        10,
        "Anmelden, Ummelden, Meldebescheinigung",
        names={"en": "Registration of address"},
        descriptions={"en": "Register, change of address, certificate of registration"},
    ),
]
DEFAULT_COUNTERS = [
    CounterSpec(1, "Schalter 1", [1, 2, 3]),
    CounterSpec(2, "Schalter 2", [1, 2, 3]),
]

DEMO_SERVICES = DEFAULT_SERVICES + [
    ServiceSpec(
        4,
        "Abholung von Dokumenten",
        "B",
        5,
        "Fertigen Ausweis oder Pass abholen",
        names={"en": "Document collection"},
        descriptions={"en": "Collect your finished ID card or passport"},
    ),
    ServiceSpec(
        5,
        "Führungszeugnis",
        "F",
        10,
        "Führungszeugnis beantragen",
        names={"en": "Certificate of good conduct"},
        descriptions={"en": "Apply for a police clearance certificate"},
    ),
    ServiceSpec(
        6,
        "Beglaubigungen",
        "G",
        8,
        "Kopien und Unterschriften beglaubigen",
        names={"en": "Certifications"},
        descriptions={"en": "Certify copies and signatures"},
    ),
]
DEMO_COUNTERS = [
    CounterSpec(1, "Schalter 1", [1, 2, 5]),
    CounterSpec(2, "Schalter 2", [1, 2, 3]),
    CounterSpec(3, "Schalter 3", [3, 4, 5, 6]),
    CounterSpec(4, "Schalter 4", [1, 2, 3, 4, 5, 6]),
]
DEFAULT_VENUE = "Pop-Up Bürgerbüro"
DEFAULT_TICKER = "Bitte halten Sie Ihren Ausweis oder Pass bereit."
DEMO_VENUE = "Pop-Up Bürgerbüro in der Zentralbibliothek"
# (username, display name, role, password): printed on start; for trying the system out only.
DEMO_USERS = [
    ("admin", "Admin", "admin", "demo-admin"),
    ("clerk1", "Sachbearbeitung 1", "clerk", "demo-clerk1"),
    ("clerk2", "Sachbearbeitung 2", "clerk", "demo-clerk2"),
    ("clerk3", "Sachbearbeitung 3", "clerk", "demo-clerk3"),
]


def starting_site(site: Site, demo: bool) -> Site:
    """Fill in services and counters that neither the site file nor the database provides."""
    if site.services:
        return site
    if demo:
        site.services, site.counters = list(DEMO_SERVICES), list(DEMO_COUNTERS)
        site.venue = site.venue or DEMO_VENUE
    else:
        site.services, site.counters = list(DEFAULT_SERVICES), list(DEFAULT_COUNTERS)
    return site
