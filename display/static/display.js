/*
 * The lobby's wall display: the calls, the queue per service, the clock, a ticker line.
 *
 * Live over Socket.IO /display through Wartemarke.live (static/js/live.js): `snapshot` on every
 * (re)connect, `call` for every call and recall, `queue` after every change. No polling.
 *
 * A new call is shown in the spotlight (the whole main area) and announced: the chime, then the
 * spoken call synthesised by the server (GET /display/announce.wav?number=&counter=&lang=), in
 * each language of ?announce=de,ar (any visitor language; default: the first shown), or by the
 * browser's voice in the same words (the embedded "speech" and "counter_word" texts, as
 * wartemarke/speech.py says them). Calls that arrive together wait in a queue and are
 * announced one after another; calls replayed after a reconnect (listed in the snapshot) are
 * not announced again (live.js de-duplicates them), but recent calls this screen missed while
 * offline are announced once, oldest first. Degrades, and says so on screen:
 *   server voice (503: no espeak-ng) → the browser's speechSynthesis → the chime alone;
 *   sound refused by the browser's autoplay policy → a big "Ton aktivieren" button.
 * The sound state is reported to staff: emit "display_status" {sound, id} on /display, where
 * sound is "ok" | "blocked" | "speech_unavailable" | "muted".
 *
 * Languages: the server embeds every visitor language's texts (#display-texts, see
 * wartemarke/i18n.py) and renders the fixed texts: the first of <body data-languages> big, and
 * under each a second line in every other language, stacked. This script only moves the
 * app's data-alt-slot on every rotate_seconds (CSS shows that slot's line everywhere at once),
 * and writes the changing texts (counts, waits, closed) in the first language, with plural
 * forms by Intl.PluralRules ("zero" for 0 where given), as kiosk.js does.
 *
 * Everything from the server is written with textContent. No inline scripts or styles (CSP);
 * sizes computed here go through CSS custom properties (CSSOM). Plain ES2019.
 */
(function () {
  "use strict";

  var body = document.body;
  var params = new URLSearchParams(window.location.search);
  var DEVICE_KEY = "wartemarke.display.device";
  var OFFLINE_INDICATOR_DELAY_MS = 1500; // no flash for a blip
  var FRESH_MS = 20000; // a new call stays highlighted this long
  var SPOT_MIN_MS = 6000; // the spotlight stays at least this long (shorter when calls queue up)
  var SPOT_MIN_BUSY_MS = 3500;
  var AUDIO_STALL_MS = 15000; // a sound that neither ends nor fails must not stop the queue
  var ROTATE_SECONDS = 8; // each other language's line stays this long

  // --- texts --------------------------------------------------------------------------------
  /** {code: {key: text or {plural category: text}, _locale, _dir, …}} from the server. */
  var dicts = (function () {
    var node = document.getElementById("display-texts");
    try {
      var all = JSON.parse((node && node.textContent) || "{}");
      return all && typeof all === "object" ? all : {};
    } catch (err) {
      return {};
    }
  })();
  var languages = (body.getAttribute("data-languages") || "")
    .split(",")
    .filter(function (code, i, all) {
      return dicts[code] && typeof dicts[code] === "object" && all.indexOf(code) === i;
    });
  if (!languages.length) languages = dicts.de ? ["de"] : [];
  var firstLang = languages[0] || "de"; // shown big
  var primary = dicts[firstLang] || {};

  var tx = Wartemarke.texts(function () {
    return [primary];
  });
  var formatNumber = tx.number;

  function locale(dict) {
    return (dict && dict._locale) || "de-DE";
  }

  /** A text in the first language ("" when the page has none for key). */
  function t(key, values) {
    var text = tx.t(key, values);
    return text === undefined ? "" : text;
  }

  /** A text with plural forms in the first language: {"zero"?, "one", "few", …, "other"}. */
  function plural(key, n) {
    var text = tx.plural(key, n);
    return text === undefined ? String(n) : text;
  }

  // --- configuration ------------------------------------------------------------------------
  function setting(name) {
    var value = params.get(name);
    return value !== null ? value : body.getAttribute("data-" + name);
  }

  function idSet(raw) {
    if (!raw) return null;
    var ids = raw
      .split(",")
      .map(function (x) {
        return x.trim();
      })
      .filter(function (x) {
        return /^\d+$/.test(x);
      });
    if (!ids.length) return null;
    var set = Object.create(null);
    ids.forEach(function (id) {
      set[String(Number(id))] = true;
    });
    return set;
  }

  function clampInt(raw, fallback, min, max) {
    var n = parseInt(raw, 10);
    return isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  }

  var announceRaw = (setting("announce") || "de").toLowerCase();
  var config = {
    services: idSet(params.get("services")),
    counters: idSet(params.get("counters")),
    layout: /^(portrait|landscape)$/.test(params.get("layout") || "") ? params.get("layout") : null,
    speechLangs: announceRaw
      .split(",")
      .map(function (x) {
        return x.trim();
      })
      .filter(function (x, i, all) {
        return Boolean(dicts[x] && dicts[x].speech) && all.indexOf(x) === i;
      }),
    speechOff: /^(off|none|0|no)$/.test(announceRaw),
    soundOff: /^(off|none|0|no)$/.test((params.get("sound") || "").toLowerCase()),
    current: clampInt(setting("current"), 3, 1, 4),
    languages: languages,
    rotateMs:
      clampInt(
        params.get("rotate_seconds") || body.getAttribute("data-rotate-seconds"),
        ROTATE_SECONDS,
        1,
        60,
      ) * 1000,
    spotMs: clampInt(params.get("spot_seconds"), SPOT_MIN_MS / 1000, 1, 60) * 1000,
    // Below the big rows: one line of three in landscape, three lines of two in portrait.
    recent: params.get("recent") !== null ? clampInt(params.get("recent"), 6, 0, 8) : null,
    ticker: body.getAttribute("data-ticker") || "",
    timezone: body.getAttribute("data-timezone") || undefined,
    chimeUrl: body.getAttribute("data-chime-url") || "/display/static/sounds/chime.wav",
    speechUrl: body.getAttribute("data-speech-url") || "/display/announce.wav",
    joinUrl: body.getAttribute("data-join-url") || "/display/join.svg",
  };
  if (!config.speechLangs.length && !config.speechOff) {
    config.speechLangs = [languages[0] || "de"].filter(function (x) {
      return Boolean(dicts[x] && dicts[x].speech);
    });
  }
  if (config.speechOff) config.speechLangs = [];

  function randomId() {
    var bytes = new Uint8Array(8);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  /** The name staff see for this screen: ?id=, else a random id kept in this browser. */
  var deviceId = (function () {
    var given = params.get("id");
    if (given && /^[A-Za-z0-9_-]{4,64}$/.test(given)) return given;
    try {
      var id = window.localStorage.getItem(DEVICE_KEY);
      if (!id || !/^[A-Za-z0-9_-]{4,64}$/.test(id)) {
        id = "display-" + randomId();
        window.localStorage.setItem(DEVICE_KEY, id);
      }
      return id;
    } catch (err) {
      return "display-" + randomId();
    }
  })();

  // --- elements -----------------------------------------------------------------------------
  function $(id) {
    return document.getElementById(id);
  }
  var el = {
    app: $("app"),
    main: $("main"),
    venue: $("venue-name"),
    clockTime: $("clock-time"),
    clockDate: $("clock-date"),
    current: $("current"),
    empty: $("calls-empty"),
    recentBox: $("recent-box"),
    recent: $("recent"),
    closed: $("closed"),
    closedOpens: $("closed-opens"),
    services: $("services"),
    join: $("join"),
    joinQr: $("join-qr"),
    spotlight: $("spotlight"),
    spotNumber: $("spot-number"),
    spotCounter: $("spot-counter"),
    tickerTrack: $("ticker-track"),
    ticker: $("ticker"),
    soundNote: $("sound-note"),
    connection: $("connection"),
    unlock: $("unlock"),
    callTemplate: $("call-template"),
    recentTemplate: $("recent-template"),
    serviceTemplate: $("service-template"),
  };

  function setText(node, text) {
    text = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  // --- state --------------------------------------------------------------------------------
  var state = {
    venue: null,
    services: [],
    calls: [], // newest first; every number once
    fresh: Object.create(null), // call key -> highlighted until (ms)
    status: "connecting",
    sound: null, // "ok" | "blocked" | "speech_unavailable" | "muted"; null: not known yet
    speech: "unknown", // "server" | "browser" | "none" | "off"
    clockOffset: 0, // server time minus this machine's time, when it is off by more than 30 s
    announced: [], // the numbers announced, in order (for staff diagnostics and the tests)
  };
  var conn = null;

  // --- what this display shows --------------------------------------------------------------
  function prefixOf(number) {
    var m = /^([A-Za-z]+)\d+$/.exec(String(number || ""));
    return m ? m[1].toUpperCase() : "";
  }

  function serviceOfCall(call) {
    if (call.service !== undefined && call.service !== null) return String(call.service);
    // The snapshot's calls carry no service: the number's prefix tells it.
    var prefix = prefixOf(call.number);
    for (var i = 0; i < state.services.length; i++) {
      if (String(state.services[i].prefix || "").toUpperCase() === prefix) {
        return String(state.services[i].id);
      }
    }
    return null;
  }

  function showsCall(call) {
    if (config.counters && !config.counters[String(call.counter)]) return false;
    if (config.services) {
      var service = serviceOfCall(call);
      if (service === null || !config.services[service]) return false;
    }
    return true;
  }

  function showsService(service) {
    return !config.services || Boolean(config.services[String(service.id)]);
  }

  function callKey(call) {
    return String(call.number) + "@" + String(call.at);
  }

  /** "Schalter 3" → {label: "Schalter", no: "3"}: the number big, the word smaller. */
  function splitCounter(name, id) {
    name = typeof name === "string" && name ? name : String(id === undefined ? "" : id);
    var m = /^(.*\S)\s+(\d{1,3}[A-Za-z]?)$/.exec(name);
    return m ? { label: m[1], no: m[2] } : { label: "", no: name };
  }

  // --- calls --------------------------------------------------------------------------------
  var callRows = Object.create(null); // key -> li (current calls)

  function fillCall(li, call) {
    var counter = splitCounter(call.counter_name, call.counter);
    setText(li.querySelector(".d-call-number"), call.number);
    setText(li.querySelector(".d-call-counter-label"), counter.label);
    setText(li.querySelector(".d-call-counter-no"), counter.no);
    li.querySelector(".d-call-counter-label").hidden = !counter.label;
    li.querySelector(".d-call-again").hidden = !call.recall;
    li.classList.toggle("is-recall", Boolean(call.recall));
    li.setAttribute("data-number", call.number);
    li.setAttribute("data-counter", String(call.counter));
  }

  function renderCalls() {
    var now = Date.now();
    Object.keys(state.fresh).forEach(function (key) {
      if (state.fresh[key] <= now) delete state.fresh[key];
    });
    var visible = state.calls.filter(showsCall);
    var current = visible.slice(0, config.current);
    var recentCount = config.recent !== null ? config.recent : portrait() ? 6 : 3;
    var recent = visible.slice(config.current, config.current + recentCount);

    var keep = Object.create(null);
    current.forEach(function (call, index) {
      var key = callKey(call);
      keep[key] = true;
      var li = callRows[key];
      if (!li) {
        li = el.callTemplate.content.firstElementChild.cloneNode(true);
        callRows[key] = li;
      }
      fillCall(li, call);
      li.classList.toggle("is-latest", index === 0);
      li.classList.toggle("is-fresh", (state.fresh[key] || 0) > now);
      if (el.current.children[index] !== li) {
        el.current.insertBefore(li, el.current.children[index] || null);
      }
    });
    Object.keys(callRows).forEach(function (key) {
      if (!keep[key]) {
        callRows[key].remove();
        delete callRows[key];
      }
    });

    el.recent.textContent = "";
    recent.forEach(function (call) {
      var li = el.recentTemplate.content.firstElementChild.cloneNode(true);
      setText(li.querySelector(".d-recent-number"), call.number);
      setText(li.querySelector(".d-recent-counter"), call.counter_name || String(call.counter));
      el.recent.appendChild(li);
    });
    el.recentBox.hidden = recent.length === 0;
    el.empty.hidden = current.length > 0 || venueClosed();
    el.app.setAttribute("data-calls", String(current.length));
    fitCalls();
  }

  function venueClosed() {
    return Boolean(state.venue && state.venue.open === false);
  }

  /** All current call rows in one size, as big as fits (long counter names, small screens). */
  function fitCalls() {
    var list = el.current;
    var section = list.parentNode;
    list.style.setProperty("--d-call-fit", "1");
    var rows = list.children;
    var fit = 1;
    for (var guard = 0; guard < 30; guard++) {
      var over = section.scrollHeight > section.clientHeight + 1;
      for (var i = 0; i < rows.length; i++) {
        if (rows[i].scrollWidth > rows[i].clientWidth + 1) over = true;
      }
      if (!over || fit <= 0.4) break;
      fit = Math.round((fit - 0.04) * 100) / 100;
      list.style.setProperty("--d-call-fit", String(fit));
    }
    list.setAttribute("data-fit", String(fit));
  }

  function addCall(call) {
    if (!call || typeof call.number !== "string") return;
    state.calls = state.calls.filter(function (c) {
      return c.number !== call.number;
    });
    state.calls.unshift(call);
    if (state.calls.length > 40) state.calls.length = 40;
    if (!showsCall(call)) return;
    var key = callKey(call);
    state.fresh[key] = Date.now() + FRESH_MS;
    window.setTimeout(renderCalls, FRESH_MS + 50);
    renderCalls();
    announce(call);
  }

  // --- services -----------------------------------------------------------------------------
  var serviceCards = Object.create(null);

  function formatWait(minutes) {
    if (typeof minutes !== "number" || !isFinite(minutes) || minutes < 0) return "";
    minutes = Math.round(minutes);
    if (minutes <= 2) return t("wait_none");
    if (minutes < 60) return t("wait", { min: formatNumber(minutes) });
    var rounded = Math.round(minutes / 5) * 5;
    var h = Math.floor(rounded / 60);
    var m = rounded % 60;
    if (!m) return t("wait_hours_only", { h: formatNumber(h) });
    return t("wait_hours", { h: formatNumber(h), min: formatNumber(m) });
  }

  /** A service's availability → the key of its text. */
  var CLOSED_TEXT = {
    closed: "service_closed",
    outside_hours: "service_closed",
    full: "service_full",
    unavailable: "service_unavailable",
  };

  function availabilityOf(service) {
    var a = service.availability;
    if (a && a !== "open") return CLOSED_TEXT[a] ? a : "unavailable";
    return service.open === false ? "closed" : "open";
  }

  function renderServices() {
    var list = state.services.filter(showsService);
    var seen = Object.create(null);
    list.forEach(function (service, index) {
      var id = String(service.id);
      seen[id] = true;
      var li = serviceCards[id];
      if (!li) {
        li = el.serviceTemplate.content.firstElementChild.cloneNode(true);
        serviceCards[id] = li;
      }
      var availability = availabilityOf(service);
      var waiting = typeof service.waiting === "number" ? service.waiting : 0;
      setText(li.querySelector(".d-service-badge"), service.prefix || "");
      var name = li.querySelector(".d-service-name");
      var names = service.names && typeof service.names === "object" ? service.names : {};
      var own = names[firstLang];
      var translated = typeof own === "string" && own !== "";
      setText(name, translated ? own : service.name || "");
      // The German name in a page of another language says so (screen readers, hyphenation).
      if (translated || primary._lang === "de") name.removeAttribute("lang");
      else name.setAttribute("lang", "de");
      if (translated && primary._dir === "rtl") name.setAttribute("dir", "rtl");
      else name.removeAttribute("dir");
      setText(li.querySelector(".d-service-waiting-text"), plural("waiting_count", waiting));
      setText(li.querySelector(".d-service-wait-text"), formatWait(service.estimated_wait_min));
      var open = availability === "open";
      li.querySelector(".d-service-wait").hidden = !open || waiting === 0;
      li.querySelector(".d-service-waiting").hidden = !open && waiting === 0;
      li.querySelector(".d-service-state").hidden = open;
      setText(li.querySelector(".d-service-state"), open ? "" : t(CLOSED_TEXT[availability]));
      li.setAttribute("data-service-id", id);
      li.setAttribute("data-availability", availability);
      li.classList.toggle("is-closed", !open);
      if (el.services.children[index] !== li) {
        el.services.insertBefore(li, el.services.children[index] || null);
      }
    });
    Object.keys(serviceCards).forEach(function (id) {
      if (!seen[id]) {
        serviceCards[id].remove();
        delete serviceCards[id];
      }
    });
    el.services.setAttribute("data-count", String(list.length));
    fitLayout();
  }

  function renderVenue() {
    var venue = state.venue || {};
    if (typeof venue.name === "string" && venue.name) {
      setText(el.venue, venue.name);
      document.title = t("now_calling") + " – " + venue.name;
    }
    if (typeof venue.timezone === "string" && venue.timezone) config.timezone = venue.timezone;
    var ticker =
      typeof venue.ticker === "string" && venue.ticker.trim() ? venue.ticker : config.ticker;
    setTicker(ticker);
    var closed = venueClosed();
    el.closed.hidden = !closed;
    var opens = typeof venue.opens_at === "string" && venue.opens_at ? venue.opens_at : null;
    setText(el.closedOpens, opens ? t("closed_opens", { time: opens }) : t("closed_later"));
    el.app.classList.toggle("is-closed", closed);
  }

  // --- layout -------------------------------------------------------------------------------
  function portrait() {
    return el.app.getAttribute("data-layout") === "portrait";
  }

  function applyLayout() {
    var layout =
      config.layout || (window.innerHeight > window.innerWidth ? "portrait" : "landscape");
    if (el.app.getAttribute("data-layout") === layout) return false;
    el.app.setAttribute("data-layout", layout);
    return true;
  }

  /**
   * The side panel fits without scrolling, the queue before the QR code: first the QR code
   * gets smaller, then the cards shrink to 80 %; if that is not enough the QR code goes and
   * the cards shrink from full size again, down to 60 % at most.
   */
  function fitLayout() {
    var side = el.services.parentNode.parentNode;
    var app = el.app;
    function over() {
      return side.scrollHeight > side.clientHeight + 1;
    }
    function shrink(floor) {
      while (over() && fit > floor) {
        fit = Math.round((fit - 0.05) * 100) / 100;
        app.style.setProperty("--d-fit", String(fit));
        fitNames();
      }
    }
    var fit = 1;
    app.style.setProperty("--d-fit", "1");
    el.join.classList.remove("is-compact");
    app.classList.remove("no-join");
    fitNames();
    if (over() && !el.join.hidden) el.join.classList.add("is-compact");
    shrink(0.8);
    if (over() && !el.join.hidden) {
      app.classList.add("no-join"); // and the cards as big again as they now fit
      fit = 1;
      app.style.setProperty("--d-fit", "1");
      fitNames();
    }
    shrink(0.6);
    app.setAttribute("data-fit", String(fit));
  }

  /** Long service names ("Meldeangelegenheiten"): a smaller size, and only then two lines. */
  function fitNames() {
    var names = el.services.querySelectorAll(".d-service-name");
    for (var i = 0; i < names.length; i++) {
      var name = names[i];
      name.classList.remove("is-long", "is-very-long");
      if (name.scrollWidth > name.clientWidth + 1) name.classList.add("is-long");
      if (name.scrollWidth > name.clientWidth + 1) name.classList.add("is-very-long");
    }
  }

  function relayout() {
    if (applyLayout()) renderCalls();
    fitLayout();
    fitCalls();
    fitSpot();
    layoutTicker();
  }

  // --- ticker -------------------------------------------------------------------------------
  function setTicker(text) {
    text = String(text || "").trim();
    if (el.ticker.textContent === text) return;
    el.ticker.textContent = text;
    el.app.classList.toggle("no-ticker", !text);
    layoutTicker();
  }

  /** Runs across when longer than the bar, at a calm reading speed; else stands still. */
  function layoutTicker() {
    var track = el.tickerTrack;
    var text = el.ticker;
    text.classList.remove("is-running");
    var overflow = text.scrollWidth - track.clientWidth;
    if (overflow > 2) {
      var distance = text.scrollWidth + track.clientWidth;
      var speed = Math.max(80, track.clientWidth / 12); // px per second
      track.style.setProperty("--d-ticker-from", track.clientWidth + "px");
      track.style.setProperty("--d-ticker-to", -text.scrollWidth + "px");
      track.style.setProperty("--d-ticker-duration", (distance / speed).toFixed(1) + "s");
      text.classList.add("is-running");
    }
  }

  // --- clock --------------------------------------------------------------------------------
  var clockFormats = {};

  function format(kind, options) {
    var key = kind + "|" + config.timezone;
    if (!clockFormats[key]) {
      try {
        clockFormats[key] = new Intl.DateTimeFormat(
          locale(primary),
          Object.assign({ timeZone: config.timezone }, options),
        );
      } catch (err) {
        clockFormats[key] = new Intl.DateTimeFormat(locale(primary), options); // unknown zone
      }
    }
    return clockFormats[key];
  }

  function tick() {
    var now = new Date(Date.now() + state.clockOffset);
    // 24 hours in every language: no "PM" on the wall.
    var time = format("time", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    setText(el.clockTime, time.format(now));
    setText(
      el.clockDate,
      format("date", { weekday: "long", day: "numeric", month: "long" }).format(now),
    );
    el.clockTime.setAttribute("datetime", now.toISOString());
    window.setTimeout(tick, 1000 - (now.getTime() % 1000) + 20);
  }

  /**
   * A Raspberry Pi has no battery-backed clock and the venue may have no internet: its time can
   * be far off. The server's Date header (one HEAD request per connection) corrects the clock.
   */
  function syncClock() {
    if (typeof fetch !== "function") return;
    var sent = Date.now();
    fetch(window.location.pathname, { method: "HEAD", cache: "no-store" })
      .then(function (res) {
        var date = Date.parse(res.headers.get("Date") || "");
        if (!isFinite(date)) return;
        var offset = date + 500 + (Date.now() - sent) / 2 - Date.now(); // the header has 1 s steps
        state.clockOffset = Math.abs(offset) > 30000 ? offset : 0;
      })
      .catch(function () {
        return null;
      });
  }

  // --- sound: report ------------------------------------------------------------------------
  var SOUND_NOTES = {
    speech_unavailable: "Nur Gong: Sprachausgabe zurzeit nicht verfügbar.",
    muted: "Ton ausgeschaltet (sound=off): Aufrufe werden nur angezeigt.",
    chime_failed: "Ton gestört: Gong konnte nicht abgespielt werden.",
  };

  function setSound(sound, note) {
    var changed = state.sound !== sound;
    state.sound = sound;
    el.unlock.hidden = sound !== "blocked";
    var text = SOUND_NOTES[note || sound] || "";
    setText(el.soundNote, text);
    el.soundNote.hidden = !text;
    el.app.setAttribute("data-sound", sound);
    if (changed) reportStatus();
  }

  function reportStatus() {
    if (!conn || !state.sound || !conn.socket.connected) return;
    conn.socket.emit("display_status", { sound: state.sound, id: deviceId, speech: state.speech });
  }

  // --- sound: playing -----------------------------------------------------------------------
  var chime = new Audio();
  chime.preload = "auto";
  chime.src = config.chimeUrl;
  var voice = new Audio();
  voice.preload = "auto";

  function blockedError(err) {
    return Boolean(err && (err.name === "NotAllowedError" || err.blocked));
  }

  /** Plays `audio` to its end. Rejects when the browser refuses (autoplay) or the file is bad. */
  function play(audio, src) {
    return new Promise(function (resolve, reject) {
      var timer = 0;
      function cleanup() {
        window.clearTimeout(timer);
        audio.removeEventListener("ended", onEnded);
        audio.removeEventListener("error", onError);
      }
      function onEnded() {
        cleanup();
        resolve();
      }
      function onError() {
        cleanup();
        reject(audio.error || new Error("media error"));
      }
      audio.addEventListener("ended", onEnded);
      audio.addEventListener("error", onError);
      if (src) audio.src = src;
      else audio.currentTime = 0;
      timer = window.setTimeout(onEnded, AUDIO_STALL_MS);
      var started;
      try {
        started = audio.play();
      } catch (err) {
        cleanup();
        reject(err);
        return;
      }
      if (started && typeof started.then === "function") {
        started.then(
          function () {
            // Now the length is known: wait for it, plus a margin, then go on regardless.
            if (isFinite(audio.duration) && audio.duration > 0) {
              window.clearTimeout(timer);
              timer = window.setTimeout(onEnded, audio.duration * 1000 + 2500);
            }
          },
          function (err) {
            cleanup();
            reject(err);
          },
        );
      }
    });
  }

  /** A short silent WAV, made here (no file): played once to learn whether sound is allowed. */
  var silenceUrl = (function () {
    try {
      var samples = 800; // 0.1 s at 8 kHz
      var buffer = new ArrayBuffer(44 + samples * 2);
      var v = new DataView(buffer);
      var put = function (offset, text) {
        for (var i = 0; i < text.length; i++) v.setUint8(offset + i, text.charCodeAt(i));
      };
      put(0, "RIFF");
      v.setUint32(4, 36 + samples * 2, true);
      put(8, "WAVEfmt ");
      v.setUint32(16, 16, true);
      v.setUint16(20, 1, true);
      v.setUint16(22, 1, true);
      v.setUint32(24, 8000, true);
      v.setUint32(28, 16000, true);
      v.setUint16(32, 2, true);
      v.setUint16(34, 16, true);
      put(36, "data");
      v.setUint32(40, samples * 2, true);
      return URL.createObjectURL(new Blob([buffer], { type: "audio/wav" }));
    } catch (err) {
      return null;
    }
  })();

  function probeSound() {
    if (config.soundOff) {
      setSound("muted");
      return Promise.resolve();
    }
    if (!silenceUrl) return Promise.resolve();
    var probe = new Audio();
    return play(probe, silenceUrl).then(
      function () {
        if (state.sound === null || state.sound === "blocked")
          setSound(speechUnavailable() ? "speech_unavailable" : "ok");
      },
      function (err) {
        if (blockedError(err)) setSound("blocked");
      },
    );
  }

  function speechUnavailable() {
    return state.speech === "none" && config.speechLangs.length > 0;
  }

  function unlock() {
    // The click is the user gesture the browser waits for: play right inside it. (Chrome then
    // lets the whole page play; the next call rings as usual.)
    play(new Audio(), silenceUrl || config.chimeUrl).then(
      function () {
        setSound(speechUnavailable() ? "speech_unavailable" : "ok");
      },
      function (err) {
        if (!blockedError(err)) setSound(speechUnavailable() ? "speech_unavailable" : "ok");
      },
    );
  }

  // --- speech -------------------------------------------------------------------------------
  /** What the server's voice says (wartemarke/speech.py phrase()), from the embedded texts. */
  function speechText(call, lang) {
    var dict = dicts[lang];
    var m = /^([A-Za-z]+)0*(\d+)$/.exec(call.number);
    var number = m ? m[1].toUpperCase().split("").join(" ") + " " + m[2] : call.number;
    var counter = call.counter_name || String(call.counter);
    // A function, not a string: "$&" in a word or a counter's name is not a pattern.
    counter = counter.replace(/^Schalter\b/, function () {
      return dict.counter_word || "Schalter";
    });
    var values = { number: number, counter: counter };
    return String(dict.speech).replace(/\{(number|counter)\}/g, function (all, name) {
      return values[name];
    });
  }

  /** Starts fetching the server's WAVs at once, so the voice is ready when the chime ends. */
  function fetchSpeech(call) {
    return config.speechLangs.map(function (lang) {
      var url =
        config.speechUrl +
        "?number=" +
        encodeURIComponent(call.number) +
        "&counter=" +
        encodeURIComponent(String(call.counter)) +
        "&lang=" +
        lang;
      return {
        lang: lang,
        wav: fetch(url, { cache: "default" })
          .then(function (res) {
            if (!res.ok) return { status: res.status };
            return res.blob().then(function (blob) {
              return { status: res.status, url: URL.createObjectURL(blob) };
            });
          })
          .catch(function () {
            return { status: 0 };
          }),
      };
    });
  }

  function browserVoice(lang) {
    var synth = window.speechSynthesis;
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return null;
    var voices = [];
    try {
      voices = synth.getVoices() || [];
    } catch (err) {
      voices = [];
    }
    var want = locale(dicts[lang]).toLowerCase();
    var short = String(dicts[lang]._lang || lang).toLowerCase();
    var best = null;
    voices.forEach(function (v) {
      var l = String(v.lang || "")
        .toLowerCase()
        .replace("_", "-");
      if (!best && (l === want || l.split("-")[0] === short)) best = v;
    });
    return best;
  }

  /** The browser's own voice, where it has one for the language. Resolves false without one. */
  function speakInBrowser(call, lang) {
    var v = browserVoice(lang);
    if (!v) return Promise.resolve(false);
    return new Promise(function (resolve) {
      var done = false;
      var finish = function (ok) {
        if (done) return;
        done = true;
        window.clearTimeout(timer);
        resolve(ok);
      };
      var timer = window.setTimeout(function () {
        window.speechSynthesis.cancel();
        finish(true);
      }, AUDIO_STALL_MS);
      var utterance = new window.SpeechSynthesisUtterance(speechText(call, lang));
      utterance.voice = v;
      utterance.lang = v.lang || locale(dicts[lang]);
      utterance.rate = 0.9;
      utterance.onend = function () {
        finish(true);
      };
      utterance.onerror = function (event) {
        finish(event && event.error === "not-allowed" ? "blocked" : false);
      };
      window.speechSynthesis.speak(utterance);
    });
  }

  function setSpeech(mode) {
    if (state.speech === mode) return;
    state.speech = mode;
    if (state.sound !== "blocked" && state.sound !== "muted") {
      setSound(mode === "none" ? "speech_unavailable" : "ok");
    }
  }

  function speakOne(call, item) {
    return item.wav.then(function (result) {
      if (result.url) {
        return play(voice, result.url).then(
          function () {
            URL.revokeObjectURL(result.url);
            setSpeech("server");
          },
          function (err) {
            URL.revokeObjectURL(result.url);
            if (blockedError(err)) throw err;
            return fallback(call, item.lang);
          },
        );
      }
      return fallback(call, item.lang); // 503: no espeak-ng on the server; or unreachable
    });
  }

  function fallback(call, lang) {
    return speakInBrowser(call, lang).then(function (ok) {
      if (ok === "blocked") {
        var err = new Error("speech not allowed");
        err.blocked = true;
        throw err;
      }
      setSpeech(ok ? "browser" : "none");
    });
  }

  // --- the announcement queue ---------------------------------------------------------------
  var queue = [];
  var busy = false;

  function announce(call) {
    var item = { call: call, speech: config.soundOff ? [] : fetchSpeech(call) };
    queue.push(item);
    pump();
  }

  function delay(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, Math.max(0, ms));
    });
  }

  function pump() {
    if (busy || !queue.length) return;
    busy = true;
    var item = queue.shift();
    var started = Date.now();
    state.announced.push(item.call.number);
    if (state.announced.length > 50) state.announced.shift();
    showSpot(item.call);
    sound(item)
      .catch(function (err) {
        if (window.console) window.console.warn("display: sound failed", err);
      })
      .then(function () {
        var min = queue.length ? Math.min(SPOT_MIN_BUSY_MS, config.spotMs) : config.spotMs;
        return delay(min - (Date.now() - started));
      })
      .then(function () {
        busy = false;
        if (queue.length) pump();
        else hideSpot();
      });
  }

  function sound(item) {
    if (config.soundOff) return Promise.resolve();
    return play(chime)
      .then(
        function () {
          if (state.sound === null || state.sound === "blocked")
            setSound(speechUnavailable() ? "speech_unavailable" : "ok");
        },
        function (err) {
          if (blockedError(err)) throw err;
          setSound(state.sound || "ok", "chime_failed"); // a broken chime: the voice still speaks
        },
      )
      .then(function () {
        return item.speech.reduce(function (previous, one) {
          return previous.then(function () {
            return speakOne(item.call, one);
          });
        }, Promise.resolve());
      })
      .catch(function (err) {
        if (blockedError(err)) {
          setSound("blocked"); // shown only; the button brings the sound back for the next call
          item.speech.forEach(function (one) {
            one.wav.then(function (result) {
              if (result.url) URL.revokeObjectURL(result.url);
            });
          });
          return;
        }
        throw err;
      });
  }

  // --- the spotlight ------------------------------------------------------------------------
  function showSpot(call) {
    var counter = splitCounter(call.counter_name, call.counter);
    setText(el.spotNumber, call.number);
    setText(el.spotCounter, (counter.label ? counter.label + " " : "") + counter.no);
    el.spotlight.hidden = false;
    el.spotlight.setAttribute("data-number", call.number);
    el.spotlight.classList.remove("is-on");
    void el.spotlight.offsetWidth; // restart the entry animation
    el.spotlight.classList.add("is-on");
    el.app.classList.add("is-spotlight");
    fitSpot();
  }

  function hideSpot() {
    el.spotlight.hidden = true;
    el.spotlight.classList.remove("is-on");
    el.app.classList.remove("is-spotlight");
  }

  function fitSpot() {
    if (el.spotlight.hidden) return;
    var box = el.spotlight;
    box.style.setProperty("--d-spot-fit", "1");
    var fit = 1;
    while (
      (el.spotCounter.scrollWidth > el.spotCounter.clientWidth + 1 ||
        el.spotNumber.scrollWidth > el.spotNumber.clientWidth + 1 ||
        box.scrollHeight > box.clientHeight + 1) &&
      fit > 0.3
    ) {
      fit = Math.round((fit - 0.05) * 100) / 100;
      box.style.setProperty("--d-spot-fit", String(fit));
    }
  }

  // --- the rotating second line -------------------------------------------------------------
  // The server stacked every other language's line in each slot (data-slot 0…); one attribute
  // on the app switches all of them at once, also in call rows cloned later.
  var altCount = Math.max(0, config.languages.length - 1);
  var altSlot = 0;

  function rotate() {
    altSlot = (altSlot + 1) % altCount;
    el.app.setAttribute("data-alt-slot", String(altSlot));
    el.app.setAttribute("data-alt-lang", config.languages[altSlot + 1]);
  }

  // --- connection ---------------------------------------------------------------------------
  var offlineTimer = 0;

  function onStatus(status) {
    state.status = status;
    window.clearTimeout(offlineTimer);
    if (status === "online") {
      el.connection.hidden = true;
      el.app.classList.remove("is-offline");
      reportStatus();
      syncClock();
    } else {
      offlineTimer = window.setTimeout(function () {
        el.connection.hidden = false;
        el.app.classList.add("is-offline");
      }, OFFLINE_INDICATOR_DELAY_MS);
    }
  }

  var hadSnapshot = false;

  function onSnapshot(snapshot) {
    if (snapshot.venue && typeof snapshot.venue === "object") state.venue = snapshot.venue;
    if (Array.isArray(snapshot.services)) state.services = snapshot.services;
    var missed = [];
    if (Array.isArray(snapshot.calls)) {
      // The server's list is the truth after a (re)connect. What this screen showed before is
      // not announced again; calls made while it was away (not shown here, recent) are
      // highlighted and announced once, or the visitor called meanwhile would never hear it.
      var known = Object.create(null);
      state.calls.forEach(function (c) {
        known[callKey(c)] = true;
      });
      var now = Date.now() + state.clockOffset;
      state.calls = snapshot.calls.filter(function (c) {
        return c && typeof c.number === "string";
      });
      state.calls.forEach(function (c) {
        var age = now - Date.parse(c.at);
        if (hadSnapshot && !known[callKey(c)] && age < FRESH_MS) {
          state.fresh[callKey(c)] = Date.now() + FRESH_MS - Math.max(0, age);
          window.setTimeout(renderCalls, FRESH_MS + 50);
          if (showsCall(c)) missed.unshift(c); // the list is newest first: announce in order
        }
      });
      hadSnapshot = true;
    }
    renderVenue();
    renderServices();
    renderCalls();
    missed.forEach(announce);
  }

  function connect() {
    if (!window.Wartemarke || typeof window.Wartemarke.live !== "function") return null;
    try {
      return window.Wartemarke.live(
        "/display",
        {
          snapshot: onSnapshot,
          queue: function (q) {
            if (Array.isArray(q.services)) {
              state.services = q.services;
              renderServices();
            }
          },
          call: addCall,
        },
        {
          onStatus: onStatus,
          socketOptions: { auth: { device: deviceId, kind: "display" } },
        },
      );
    } catch (err) {
      if (window.console) window.console.error("display: no live connection", err);
      return null;
    }
  }

  // --- wiring -------------------------------------------------------------------------------
  el.unlock.addEventListener("click", unlock);
  // Any click or key on the screen is the gesture the browser waits for, not only the button's.
  ["pointerdown", "keydown"].forEach(function (type) {
    document.addEventListener(
      type,
      function (event) {
        if (state.sound === "blocked" && event.target !== el.unlock) unlock();
      },
      true,
    );
  });
  el.joinQr.addEventListener("load", function () {
    el.join.hidden = false;
    fitLayout();
  });
  el.joinQr.addEventListener("error", function () {
    el.join.hidden = true; // no QR route on this server: nothing to show
    fitLayout();
  });
  window.addEventListener("resize", relayout);
  if (window.speechSynthesis && typeof window.speechSynthesis.addEventListener === "function") {
    window.speechSynthesis.addEventListener("voiceschanged", function () {
      return null; // getVoices() is filled lazily in Chrome; asking once loads them
    });
    try {
      window.speechSynthesis.getVoices();
    } catch (err) {
      /* ignored */
    }
  }
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(relayout);

  el.app.setAttribute("data-device", deviceId);
  if (altCount > 1) window.setInterval(rotate, config.rotateMs);
  applyLayout();
  setTicker(config.ticker);
  tick();
  el.joinQr.src = config.joinUrl;
  renderServices();
  renderCalls();
  conn = connect();
  window.WartemarkeDisplay = {
    state: state,
    config: config,
    connection: conn,
    queueLength: function () {
      return queue.length + (busy ? 1 : 0);
    },
  };
  probeSound();
})();
