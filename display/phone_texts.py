"""The phone page's texts, in German: the message ids of the catalogues in
wartemarke/translations."""

from ..i18n import N_, P_

TEXTS = {
    "title": N_("Ihre Wartenummer"),
    "your_number": N_("Ihre Nummer"),
    "ahead": P_(
        "Noch {n} Person vor Ihnen",
        "Noch {n} Personen vor Ihnen",
        zero=N_("Sie sind als Nächstes dran"),
    ),
    "wait": P_("etwa {n} Minute", "etwa {n} Minuten"),
    "wait_soon": N_("Es geht gleich los"),
    "wait_hours": N_("etwa {h} Std. {min} Min."),
    "wait_hours_only": N_("etwa {h} Std."),
    "hint_waiting": N_(
        "Sie können sich frei bewegen. Lassen Sie diese Seite geöffnet: Sie zeigt an, wenn Sie dran sind."
    ),
    "called_title": N_("Bitte zu {counter}"),
    "called_sub": N_("Sie sind dran! Ihre Nummer wurde aufgerufen."),
    "called_hint": N_("Bitte gehen Sie jetzt zu {counter}."),
    "called_now": N_("Sie sind dran!"),
    "called_to": N_("Bitte zu"),
    "called_ok": N_("Verstanden"),
    "serving_title": N_("Sie werden gerade bedient"),
    "serving_sub": N_("an {counter}"),
    "done_title": N_("Vielen Dank für Ihren Besuch!"),
    "done_sub": N_("Ihr Anliegen ist abgeschlossen."),
    "no_show_title": N_("Sie wurden aufgerufen, waren aber nicht da"),
    "no_show_sub": N_("Bitte wenden Sie sich an unser Personal."),
    "cancelled_title": N_("Sie haben Ihre Nummer zurückgegeben"),
    "cancelled_sub": N_(
        "Danke für Ihre Rückmeldung. Für ein neues Anliegen ziehen Sie bitte eine neue Nummer."
    ),
    "gone_title": N_("Diese Nummer ist nicht mehr gültig"),
    "gone_sub": N_("Bitte wenden Sie sich an unser Personal."),
    "other_day": N_("Diese Nummer ist vom {date}."),
    "updated_live": N_("Live · Stand {time} Uhr"),
    "updated_offline": N_("Keine Verbindung · Stand {time} Uhr · neuer Versuch läuft"),
    "connecting": N_("Verbindung wird hergestellt …"),
    "notify_button": N_("Ton und Vibration einschalten"),
    "notify_hint": N_(
        "Einmal antippen: Dann klingelt und vibriert Ihr Handy, wenn Sie dran sind (solange diese Seite offen ist)."
    ),
    "notify_on": N_("Ton und Vibration sind eingeschaltet"),
    "watch_display": N_("Bitte achten Sie auch auf den Aufruf-Bildschirm vor Ort."),
    "cancel": N_("Ich brauche die Nummer nicht mehr"),
    "cancel_title": N_("Nummer wirklich zurückgeben?"),
    "cancel_text": N_("Ihr Platz in der Warteschlange geht dabei verloren."),
    "cancel_yes": N_("Ja, Nummer zurückgeben"),
    "cancel_no": N_("Nein, Nummer behalten"),
    "cancel_failed": N_(
        "Das hat nicht geklappt. Bitte versuchen Sie es noch einmal oder fragen Sie unser Personal."
    ),
    "cancel_too_late": N_(
        "Ihre Nummer wurde inzwischen aufgerufen und kann nicht mehr zurückgegeben werden."
    ),
    "rating_title": N_("Wie zufrieden waren Sie heute?"),
    "rating_low": N_("gar nicht zufrieden"),
    "rating_high": N_("sehr zufrieden"),
    "rating_star": P_("{n} Stern", "{n} Sterne"),
    "district_title": N_("In welchem Stadtbezirk wohnen Sie?"),
    "district_text": N_(
        "Freiwillig und anonym: So sieht die Stadt, wen das Pop-Up-Bürgerbüro erreicht."
    ),
    "district": N_("Stadtbezirk {n}"),
    "district_outside": N_("Außerhalb von Düsseldorf"),
    "skip": N_("Überspringen"),
    "no_answer": N_("Keine Angabe"),
    "feedback_failed": N_("Das hat nicht geklappt. Bitte versuchen Sie es noch einmal."),
    "thanks_title": N_("Danke für Ihre Antwort!"),
    "thanks_text": N_("Wir wünschen Ihnen einen schönen Tag."),
    "language": N_("Sprache"),
    "unknown_title": N_("Diese Wartenummer kennen wir nicht"),
    "unknown_text": N_(
        "Vielleicht ist der Link unvollständig oder die Nummer ist von einem anderen Tag."
    ),
    "unknown_hint": N_(
        "Bitte scannen Sie den QR-Code auf Ihrem Ticket noch einmal oder fragen Sie unser Personal vor Ort."
    ),
}
