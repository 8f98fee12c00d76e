"""The kiosk's texts, in German: the message ids of the catalogues in
wartemarke/translations."""

from ..i18n import N_, P_

TEXTS = {
    "title": N_("Wartenummer ziehen"),
    "eyebrow": N_("Hier Wartenummer ziehen"),
    "choose": N_("Bitte wählen Sie Ihr Anliegen"),
    "choose_hint": N_("Tippen Sie auf eine Schaltfläche. Sie erhalten eine Wartenummer."),
    "steps_label": N_("So geht’s"),
    "step_1": N_("Anliegen antippen"),
    "step_2": N_("Wartenummer mitnehmen"),
    "step_3": N_("Auf den Aufruf am Bildschirm achten"),
    "language": N_("Sprache · Language"),
    "open_until": N_("Heute geöffnet bis {time} Uhr"),
    "waiting": P_("{n} Person wartet", "{n} Personen warten", zero=N_("Niemand wartet")),
    "wait": N_("ca. {min} Min."),
    "wait_hours": N_("ca. {h} Std. {min} Min."),
    "wait_hours_only": N_("ca. {h} Std."),
    "wait_none": N_("kaum Wartezeit"),
    "reason_closed": N_("Zurzeit geschlossen"),
    "reason_full": N_(
        "Heute keine Wartenummern mehr – die Wartezeit reicht bis nach Dienstschluss"
    ),
    "reason_outside_hours": N_("Außerhalb der Öffnungszeiten"),
    "reason_unavailable": N_("Zurzeit nicht verfügbar"),
    "pending": N_("Ihre Wartenummer wird erstellt …"),
    "slow_down": N_("Einen Moment bitte …"),
    "try_again": N_("Bitte versuchen Sie es gleich noch einmal."),
    "service_closed_now": N_(
        "Für dieses Anliegen gibt es gerade keine Wartenummern. Bitte wählen Sie ein anderes Anliegen oder fragen Sie unser Personal."
    ),
    "connecting": N_("Verbindung zum Server wird hergestellt …"),
    "reconnecting": N_("Verbindung wird wiederhergestellt"),
    "error": N_(
        "Das hat leider nicht geklappt. Bitte versuchen Sie es noch einmal oder fragen Sie unser Personal."
    ),
    "storage_busy": N_(
        "Das System ist gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal."
    ),
    "storage_full": N_(
        "Zurzeit können keine Wartenummern erstellt werden: Der Speicher des Servers ist voll. Bitte fragen Sie unser Personal."
    ),
    "no_services": N_(
        "Zurzeit können keine Wartenummern gezogen werden. Bitte fragen Sie unser Personal."
    ),
    "your_number": N_("Ihre Wartenummer"),
    "ahead_label": N_("Vor Ihnen"),
    "ahead": P_("{n} Person", "{n} Personen", zero=N_("Sie sind als Nächstes dran")),
    "wait_label": N_("Geschätzte Wartezeit"),
    "qr_hint": N_("Mit dem Handy scannen: So sehen Sie jederzeit, wann Sie dran sind."),
    "qr_alt": N_("QR-Code zu Ihrem Wartestand"),
    "printing": N_("Ihr Ticket wird gedruckt"),
    "printer_unavailable": N_(
        "Der Drucker ist gestört: Bitte merken Sie sich die Nummer oder fotografieren Sie den QR-Code."
    ),
    "watch_display": N_(
        "Bitte achten Sie auf den Aufruf-Bildschirm. Dort erscheint Ihre Nummer mit dem Schalter."
    ),
    "done": N_("Fertig"),
    "back_in": N_("Zurück zum Start in {s} s"),
    "closed_title": N_("Das Pop-Up-Bürgerbüro ist geschlossen"),
    "closed_opens": N_("Wir öffnen wieder um {time} Uhr."),
    "closed_later": N_("Bitte kommen Sie zu unseren Öffnungszeiten wieder."),
    "closed_thanks": N_("Vielen Dank für Ihren Besuch."),
    "district_question": N_("In welchem Stadtbezirk wohnen Sie?"),
    "district_hint": N_(
        "Freiwillig und anonym – es wird nur der Stadtbezirk gespeichert. Das hilft uns, das Angebot zu planen."
    ),
    "district_bezirk": N_("Bezirk"),
    "district_outside": N_("außerhalb Düsseldorfs"),
    "district_none": N_("keine Angabe"),
    "district_thanks": N_("Danke für Ihre Angabe!"),
    "appointment_button": N_("Ich habe einen Termin"),
    "appointment_button_hint": N_("Buchungscode eingeben oder QR-Code scannen"),
    "checkin_title": N_("Einchecken mit Termin"),
    "checkin_hint": N_(
        "Geben Sie Ihren Buchungscode ein oder halten Sie den QR-Code der Bestätigung an den Scanner."
    ),
    "checkin_code_note": N_("6 Zeichen, ohne 0, O, 1, I und L"),
    "checkin_code_empty": N_("Ihr Buchungscode: noch nichts eingegeben"),
    "checkin_code_typed": N_("Ihr Buchungscode: {code} ({n} von {total} Zeichen)"),
    "checkin_keypad_label": N_("Tastatur für den Buchungscode"),
    "checkin_delete": N_("Löschen"),
    "checkin_cancel": N_("Abbrechen"),
    "checkin_submit": N_("Einchecken"),
    "checkin_pending": N_("Wird geprüft …"),
    "checkin_unknown": N_("Diesen Buchungscode kennen wir nicht. Bitte prüfen Sie die Eingabe."),
    "checkin_invalid": N_("Das ist kein gültiger Buchungscode. Bitte prüfen Sie die Eingabe."),
    "checkin_too_early": N_(
        "Sie sind zu früh: Ihr Termin ist um {slot} Uhr. Einchecken können Sie ab {time} Uhr."
    ),
    "checkin_wrong_day": N_("Ihr Termin ist am {date}. Bitte kommen Sie an diesem Tag wieder."),
    "checkin_cancelled": N_(
        "Dieser Termin wurde abgesagt. Bitte wenden Sie sich an unser Personal."
    ),
    "checkin_finished": N_(
        "Dieser Termin ist bereits erledigt. Bitte wenden Sie sich an unser Personal."
    ),
    "appointment_slot": N_("Ihr Termin: {time} Uhr – Sie werden zu Ihrer Zeit aufgerufen"),
    "appointment_late": N_(
        "Ihr Termin um {time} ist verstrichen – Sie erhalten eine normale Wartenummer"
    ),
    "appointment_again": N_("Sie sind bereits eingecheckt – es wird kein neues Ticket gedruckt."),
    "modes_label": N_("Anzeige"),
    "mode_contrast": N_("Kontrast"),
    "mode_large": N_("Große Schrift"),
    "more_time": N_("Mehr Zeit"),
    "read_aloud": N_("Vorlesen"),
    "read_aloud_stop": N_("Vorlesen beenden"),
    "read_aloud_failed": N_("Vorlesen ist zurzeit nicht möglich."),
    "volume": N_("Lautstärke"),
    "louder": N_("Lauter"),
    "quieter": N_("Leiser"),
    "languages_label": N_("Sprache wählen"),
}
