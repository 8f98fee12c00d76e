"""The visitors' languages, and the texts of the screens in them.

Each visitor screen declares its texts once, in German, in a table (``kiosk/texts.py``,
``display/texts.py``, ``display/phone_texts.py``, ``printers/ticket_texts.py``): the German text
is the gettext message id. The translations are gettext catalogues in Flask-Babel's layout,
``wartemarke/translations/<locale>/LC_MESSAGES/messages.po``; Flask-Babel picks each request's
locale (below), and ``./run translations`` extracts new texts, updates every catalogue and
compiles it (docs/TRANSLATING.md).

Screens that change language in the browser (kiosk, phone page, display) get the texts of their
languages embedded in the page as ``{key: text, or {plural category: text}}``, plus ``_name``,
``_locale``, ``_dir`` and ``_lang`` of the language: the scripts pick plural forms with
``Intl.PluralRules`` and use "zero" for 0 where the table gives one.

A page's language comes from ``?lang=xx`` (remembered for the device in a cookie), then from the
device's earlier choice, then from the browser's Accept-Language, then German.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, support
from flask import Flask, g, has_request_context, request
from flask_babel import Babel

TRANSLATIONS = Path(__file__).with_name("translations")
COOKIE = "wartemarke_lang"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie


@dataclass(frozen=True)
class Language:
    code: str  # in URLs, the API and the tickets: "de", "de-ls", "ar"
    name: str  # the language's own name, as the choice shows it
    english: str  # for the admin and the documentation
    locale: str = ""  # the catalogue's Babel locale; the code if empty
    tag: str = ""  # BCP 47 for Intl and <html lang>; the code if empty
    dir: str = "ltr"
    voice: str = ""  # espeak-ng's voice for spoken texts
    # The catalogue that is read aloud, where espeak-ng cannot read the written one: Japanese
    # is spoken from a kana-only catalogue (espeak-ng reads no kanji).
    spoken_locale: str = ""
    # How a date is written (Intl.DateTimeFormat options)
    date: Mapping[str, str] = field(
        default_factory=lambda: {"day": "numeric", "month": "long", "year": "numeric"}
    )

    @property
    def babel_locale(self) -> str:
        return self.locale or self.code

    @functools.cached_property
    def babel(self) -> Locale:
        """Babel's locale: plural rules, date formats."""
        return Locale.parse((self.tag or self.code).split("-u-")[0], sep="-")

    @property
    def html_lang(self) -> str:
        """The lang attribute, and the language a ticket records: Leichte Sprache is German."""
        return self.code.split("-")[0]


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language(
            "de",
            "Deutsch",
            "German",
            tag="de-DE",
            voice="de",
            date={"day": "2-digit", "month": "2-digit", "year": "numeric"},
        ),
        Language(
            "de-ls", "Leichte Sprache", "German, easy to read", "de@leicht", "de-DE", voice="de"
        ),
        Language("en", "English", "English", tag="en-GB", voice="en-gb"),
        Language("tr", "Türkçe", "Turkish", tag="tr-TR", voice="tr"),
        # Latin digits, as on the ticket and the wall display
        Language("ar", "العربية", "Arabic", tag="ar-u-nu-latn", dir="rtl", voice="ar"),
        Language("ru", "Русский", "Russian", tag="ru-RU", voice="ru"),
        Language("uk", "Українська", "Ukrainian", tag="uk-UA", voice="uk"),
        Language("pl", "Polski", "Polish", tag="pl-PL", voice="pl"),
        Language("el", "Ελληνικά", "Greek", tag="el-GR", voice="el"),
        Language("ja", "日本語", "Japanese", tag="ja-JP", voice="ja", spoken_locale="ja@kana"),
    )
}
# What a screen offers when the site file does not say: every language, German first.
VISITOR_LANGUAGES = tuple(code for code in LANGUAGES if code != "de-ls")
KIOSK_LANGUAGES = tuple(LANGUAGES)


# --- declaring texts ----------------------------------------------------------------------------
def N_(text: str) -> str:
    """Marks a German text for the catalogues (``pybabel extract -k N_``); translated later."""
    return text


@dataclass(frozen=True)
class Plural:
    one: str
    other: str
    zero: str | None = None  # said instead for 0 ("Niemand wartet")


def P_(one: str, other: str, zero: str | None = None) -> Plural:
    """A text with plural forms (``pybabel extract -k P_:1,2``); ``{n}`` is the number."""
    return Plural(one, other, zero)


Table = Mapping[str, "str | Plural"]


# --- reading them in a language --------------------------------------------------------------
def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=lambda: LANGUAGES[page_language()].babel_locale)
    app.jinja_env.globals.update(language=language, languages_known=LANGUAGES, plural=plural)
    app.jinja_env.filters["fill"] = fill
    app.after_request(_remember_choice)


def language(code: str) -> Language:
    return LANGUAGES[code]


def catalogue(code: str, spoken: bool = False) -> support.NullTranslations:
    """The compiled catalogue of a language, as Flask-Babel reads it (German: the message ids
    themselves); ``spoken``: the one to read aloud. Also outside a request: printing, speech."""
    lang = LANGUAGES[code]
    return _load((spoken and lang.spoken_locale) or lang.babel_locale)


@functools.cache
def _load(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [locale])


def catalogue_locales() -> list[str]:
    """Every catalogue there is (German has none: its texts are the message ids)."""
    written = [lang.babel_locale for lang in LANGUAGES.values() if lang.code != "de"]
    return written + [lang.spoken_locale for lang in LANGUAGES.values() if lang.spoken_locale]


def translate(text: str, code: str, spoken: bool = False) -> str:
    return catalogue(code, spoken).ugettext(text)


_TEXTS: dict[tuple[int, str, bool], dict] = {}


def texts(table: Table, code: str, spoken: bool = False) -> dict:
    """A screen's texts in one language, for embedding in its page (kept per process);
    ``spoken``: as they are read aloud (see Language.spoken_locale)."""
    key = (id(table), code, spoken)
    if key not in _TEXTS:
        _TEXTS[key] = _texts(table, LANGUAGES[code], spoken)
    return _TEXTS[key]


def _texts(table: Table, lang: Language, spoken: bool) -> dict:
    out: dict = {
        "_code": lang.code,
        "_name": lang.name,
        "_locale": lang.tag or lang.code,
        "_dir": lang.dir,
        "_lang": lang.html_lang,
        "_date": dict(lang.date),
    }
    translations = catalogue(lang.code, spoken)
    for key, message in table.items():
        if isinstance(message, Plural):
            out[key] = _plural_forms(translations, message, lang)
        else:
            out[key] = translations.ugettext(message)
    return out


def _plural_forms(catalogue, message: Plural, lang: Language) -> dict:
    """{"zero"?, "one", "few", …}: the catalogue's form for the first number of each of the
    language's plural categories (gettext numbers forms, Intl.PluralRules names them)."""
    rule = lang.babel.plural_form
    forms: dict[str, str] = {}
    if message.zero is not None:
        forms["zero"] = catalogue.ugettext(message.zero)
    for n in range(200):
        forms.setdefault(rule(n), catalogue.ungettext(message.one, message.other, n))
    forms.setdefault("other", catalogue.ungettext(message.one, message.other, 100))
    return forms


def fill(text: str, **values) -> str:
    """``{name}`` placeholders filled, as the scripts do (unknown ones stay as they are)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), text)


def plural(forms: Mapping[str, str], n: int, code: str | None = None) -> str:
    """The form of a texts() plural for n, with ``{n}`` filled (Intl.PluralRules' choice)."""
    code = code or page_language()
    if n == 0 and "zero" in forms:
        text = forms["zero"]
    else:
        category = LANGUAGES[code].babel.plural_form(n)
        text = forms.get(category) or forms.get("other") or next(iter(forms.values()))
    return fill(text, n=n)


def choose(offered: Iterable[str], fallback: str | None = None) -> str:
    """The language for this request among ``offered``: ?lang=, the device's last ?lang=, the
    browser's languages, then ``fallback`` if offered, then the first offered."""
    offered = [code for code in offered if code in LANGUAGES] or ["de"]
    if not has_request_context():
        return offered[0]
    for wish in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if wish in offered:
            return wish
    tags = {code: LANGUAGES[code].html_lang for code in offered if code != "de-ls"}
    best = request.accept_languages.best_match([*tags.values()])
    if best is not None:
        return next(code for code, tag in tags.items() if tag == best)
    return fallback if fallback in offered else offered[0]


def page_language(offered: Iterable[str] = VISITOR_LANGUAGES, fallback: str | None = None) -> str:
    """The language the page is rendered in (decided once per request, by its view)."""
    if "page_language" not in g:
        g.page_language = choose(offered, fallback)
    return g.page_language


def _remember_choice(response):
    """``?lang=xx`` is remembered for this device (a kiosk's start URL sets it once)."""
    asked = request.args.get("lang")
    page = response.mimetype == "text/html"  # not e.g. announce.wav?lang=
    if page and asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE, asked, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", path="/"
        )
    return response
