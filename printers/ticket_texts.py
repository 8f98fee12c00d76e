"""The printed ticket's texts, in German: the message ids of the catalogues in
wartemarke/translations. A ticket is printed in the language the visitor chose at the kiosk."""

from ..i18n import N_

TEXTS = {
    "appointment": N_("Ihr Termin: {time} Uhr"),
    "appointment_hint": N_("Sie werden zu Ihrer Zeit aufgerufen."),
    "ahead": N_("Personen vor Ihnen: {n}"),
    "wait": N_("Geschätzte Wartezeit: ca. {min} Min."),
    "default_line": N_("Bitte warten Sie, bis Ihre Nummer aufgerufen wird."),
    "scan_hint": N_("Ihren Platz auf dem Handy verfolgen: QR-Code scannen"),
}
