/*
 * Wartemarke.texts: reading a screen's texts as the server embeds them (wartemarke/i18n.py):
 * {key: text, or {plural category: text}, _locale, _name, _dir, ...} per language.
 *
 *   var tx = Wartemarke.texts(function () { return [dicts[current], dicts.de]; });
 *   tx.t("open_until", {time: "16:00"})   the text, placeholders filled; undefined if none has it
 *   tx.plural("waiting", 3)               by Intl.PluralRules, "zero" for 0 where given, {n} filled
 *   tx.raw(key)  tx.locale()  tx.number(n, digits)  tx.fill(text, values)
 *
 * The function gives the dictionaries to look in, first wins (a screen's current language, then
 * its fallback); it is asked on every lookup, so a language switch needs no new object.
 * Plain ES2019, no dependencies.
 */
(function () {
  "use strict";

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function texts(dictionaries) {
    function raw(key) {
      var list = dictionaries() || [];
      for (var i = 0; i < list.length; i++) {
        var dict = list[i];
        if (dict && typeof dict === "object" && Object.prototype.hasOwnProperty.call(dict, key)) {
          return dict[key];
        }
      }
      return undefined;
    }

    function locale() {
      return raw("_locale") || "de-DE";
    }

    function number(n, digits) {
      try {
        return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits || 0 }).format(n);
      } catch (err) {
        return String(n);
      }
    }

    function t(key, values) {
      var value = raw(key);
      return typeof value === "string" ? fill(value, values) : undefined;
    }

    function plural(key, n, values) {
      var forms = raw(key);
      if (!forms || typeof forms !== "object") return undefined;
      var form = "other";
      try {
        form = new Intl.PluralRules(locale()).select(n);
      } catch (err) {
        form = n === 1 ? "one" : "other";
      }
      var text = n === 0 && forms.zero ? forms.zero : forms[form] || forms.other;
      return text === undefined ? undefined : fill(text, Object.assign({ n: number(n) }, values));
    }

    return { raw: raw, locale: locale, number: number, fill: fill, t: t, plural: plural };
  }

  window.Wartemarke = window.Wartemarke || {};
  window.Wartemarke.texts = texts;
})();
