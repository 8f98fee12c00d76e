"""The wall display's texts, in German: the message ids of the catalogues in
wartemarke/translations. The display shows them in its first language and rotates a second line
through the others (display.js)."""

from ..i18n import N_, P_

TEXTS = {
    "now_calling": N_("Aufruf"),
    "please_go_to": N_("bitte zu"),
    "again": N_("erneut"),
    "previous": N_("Zuletzt aufgerufen"),
    "waiting_title": N_("Wartende"),
    "empty_main": N_("Bitte ziehen Sie eine Wartenummer."),
    "empty_sub": N_("Ihre Nummer erscheint hier mit dem Schalter, zu dem Sie gehen."),
    "closed_main": N_("Das Bürgerbüro ist zurzeit geschlossen."),
    "closed_opens": N_("Wir öffnen heute wieder um {time} Uhr."),
    "closed_later": N_("Bitte kommen Sie zu unseren Öffnungszeiten wieder."),
    "join_main": N_("Mit dem Handy"),
    "join_sub": N_("Wartenummer ziehen und Ihren Platz verfolgen"),
    "join_qr": N_("QR-Code: Warteschlange auf dem Handy"),
    "clock": N_("Uhrzeit"),
    "waiting_count": P_("{n} wartet", "{n} warten", zero=N_("niemand wartet")),
    "wait_none": N_("kaum Wartezeit"),
    "wait": N_("ca. {min} Min."),
    "wait_hours": N_("ca. {h} Std. {min} Min."),
    "wait_hours_only": N_("ca. {h} Std."),
    # The kiosk's text: translated already in every catalogue.
    "service_closed": N_("Zurzeit geschlossen"),
    "service_full": N_("heute keine Nummern mehr"),
    "service_unavailable": N_("zurzeit nicht möglich"),
    # Spoken by espeak-ng: write numbers and names as they should sound (Japanese in kana).
    "speech": N_("Nummer {number}, bitte zu {counter}."),
    # A counter's name starting with "Schalter" is spoken with this word instead.
    "counter_word": N_("Schalter"),
}
