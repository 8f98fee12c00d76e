/*
 * The touchscreen kiosk: a walk-in visitor taps a service and gets a queue number.
 *
 * Data: GET /api/services once at start, then live over Socket.IO /display (snapshot on every
 * connect, queue after every change) through Wartemarke.live (static/js/live.js). No polling.
 * Issuing: POST /api/tickets with the kiosk's device id (X-Wartemarke-Device, random, kept in
 * localStorage). One request at a time: a tap while a request is in flight or while the
 * confirmation is up never issues a second ticket.
 *
 * Appointments (only on days with bookings, <body data-appointments="true">): "Ich habe einen
 * Termin" opens the check-in screen, where the booking code is typed on the on-screen keypad or a
 * keyboard; a barcode scanner (a USB keyboard that types fast, then Enter) checks in at once from
 * the start and the check-in screen. POST /api/checkin; the ticket shows on the confirmation.
 *
 * Texts: the server embeds every offered language's (<body data-languages>, #kiosk-texts; see
 * wartemarke/i18n.py); plural forms follow Intl.PluralRules ("zero" is used for 0 when given).
 * The language buttons (with their flags) are in the markup; a tap is for this visitor only.
 *
 * "Vorlesen": the server reads the screen aloud (GET <body data-speech>, espeak-ng as on the wall
 * display); the page names the texts on the screen by their keys and the figures in them.
 *
 * Time limits (WCAG 2.2.1): the confirmation's countdown and the check-in screen's idle time
 * show their last seconds with "Mehr Zeit", which starts them again, as often as wanted.
 * Everything from the server is written with textContent. No inline scripts or styles (CSP).
 * Plain ES2019.
 */
(function () {
  "use strict";

  var body = document.body;
  var params = new URLSearchParams(window.location.search);
  var DEVICE_KEY = "wartemarke.kiosk.device";
  var AFTER_RETURN_GUARD_MS = 800; // a quick second tap on "Fertig" must not hit a service
  var PENDING_VISUAL_DELAY_MS = 250; // no flicker for fast answers
  var OFFLINE_INDICATOR_DELAY_MS = 1000; // no flash for a blip
  var MESSAGE_SECONDS = 12;

  function setting(name, fallback, min, max) {
    var raw = params.get(name);
    if (raw === null) raw = body.getAttribute("data-" + name.replace(/_/g, "-"));
    var value = Number(raw);
    if (raw === null || raw === "" || !isFinite(value)) return fallback;
    return Math.min(max, Math.max(min, value));
  }

  var languages = (body.getAttribute("data-languages") || "de")
    .split(",")
    .map(function (code) {
      return code.trim().toLowerCase();
    })
    .filter(function (code) {
      return /^[a-z]{2,3}(-[a-z0-9]{2,8})?$/.test(code);
    });
  if (!languages.length) languages = ["de"];
  // The server chose it (?lang=, the device's last ?lang=, Accept-Language): every visitor's start.
  var defaultLang = [params.get("lang"), body.getAttribute("data-lang")].filter(function (code) {
    return languages.indexOf(code) >= 0;
  })[0] || languages[0];

  var config = {
    confirmSeconds: setting("confirm_seconds", 15, 2, 300),
    idleSeconds: setting("idle_seconds", 90, 10, 3600),
    api: (body.getAttribute("data-api") || "/api").replace(/\/+$/, ""),
    requestTimeoutMs: 10000,
    // "phone": the page a visitor opens from the wall display's QR code; after taking a number
    // it goes straight to that ticket's live status page instead of the confirmation screen.
    mode: body.getAttribute("data-mode") || "kiosk",
    // The optional question for the home Stadtbezirk on the confirmation (site file).
    askDistrict: body.getAttribute("data-ask-district") === "true",
    // Today has bookings: the check-in screen exists and scanned codes are taken.
    appointments: body.getAttribute("data-appointments") === "true",
    codeAlphabet: (body.getAttribute("data-code-alphabet") || "").toUpperCase(),
    codeLength: Math.max(1, Number(body.getAttribute("data-code-length")) || 6),
    // A scanner types its keys at most this far apart; a person never six keys in a row.
    scanGapMs: setting("scan_gap_ms", 50, 10, 500),
    speechUrl: body.getAttribute("data-speech") || "",
  };
  var DISTRICT_EXTRA_SECONDS = 15; // time to read and answer the question

  // --- elements -----------------------------------------------------------------------------
  function $(id) {
    return document.getElementById(id);
  }
  var el = {
    app: $("app"),
    main: document.querySelector(".k-main"),
    venueName: $("venue-name"),
    venueHours: $("venue-hours"),
    venueHoursText: $("venue-hours-text"),
    start: $("screen-start"),
    closed: $("screen-closed"),
    ticket: $("screen-ticket"),
    services: $("services"),
    noServices: $("no-services"),
    message: $("start-message"),
    messageText: $("start-message-text"),
    closedOpens: $("closed-opens"),
    ticketLabel: $("ticket-label"),
    ticketNumber: $("ticket-number"),
    ticketService: $("ticket-service"),
    ticketAhead: $("ticket-ahead"),
    ticketWait: $("ticket-wait"),
    qrBox: $("ticket-qr-box"),
    qr: $("ticket-qr"),
    print: $("ticket-print"),
    printText: $("ticket-print-text"),
    done: $("ticket-done"),
    countdown: $("ticket-countdown"),
    progress: $("ticket-progress"),
    langButtons: $("lang-buttons"),
    modeContrast: $("mode-contrast"),
    modeLarge: $("mode-large"),
    connection: $("connection"),
    template: $("service-template"),
    district: $("ticket-district"),
    districtButtons: $("district-buttons"),
    districtThanks: $("district-thanks"),
    ticketAgain: $("ticket-again"),
    ticketAppointment: $("ticket-appointment"),
    ticketAppointmentText: $("ticket-appointment-text"),
    appointmentOpen: $("appointment-open"),
    checkin: $("screen-checkin"),
    checkinTitle: $("checkin-title"),
    checkinCode: $("checkin-code"),
    checkinCodeText: $("checkin-code-text"),
    checkinLive: $("checkin-live"),
    checkinMessage: $("checkin-message"),
    checkinMessageText: $("checkin-message-text"),
    keypad: $("keypad"),
    checkinDelete: $("checkin-delete"),
    checkinCancel: $("checkin-cancel"),
    checkinSubmit: $("checkin-submit"),
    checkinSubmitText: $("checkin-submit-text"),
    checkinIdle: $("checkin-idle"),
    checkinIdleText: $("checkin-idle-text"),
    checkinMoreTime: $("checkin-more-time"),
    ticketMoreTime: $("ticket-more-time"),
    readAloud: $("read-aloud"),
    readAloudText: $("read-aloud-text"),
    speechVolume: $("speech-volume"),
    speechQuieter: $("speech-quieter"),
    speechLouder: $("speech-louder"),
    speechLevel: $("speech-level"),
    speechFailed: $("speech-failed"),
    speechAudio: $("speech-audio"),
  };

  // --- state --------------------------------------------------------------------------------
  var state = {
    lang: defaultLang,
    dicts: {},
    services: [],
    venue: null,
    loaded: false, // any service list received yet
    liveVersion: 0, // grows with every live update, so a slower fetch cannot overwrite it
    status: "connecting",
    locked: false, // a request in flight or the confirmation showing
    pendingId: null,
    guardUntil: 0,
    ticket: null,
    message: null, // {key, kind}
    lastTouch: Date.now(),
    retrying: false, // waiting to try once more after a 429
    // The check-in screen: open, the code typed so far, a request in flight, its message
    // ({key, values, kind}: re-rendered when the language changes).
    checkin: { open: false, code: "", busy: false, pending: false, message: null },
  };
  var timers = {
    pending: 0,
    message: 0,
    countdown: 0,
    retry: 0,
    offline: 0,
    checkin: 0,
    checkinPending: 0,
    speechFailed: 0,
  };
  var cards = {}; // service id -> card elements

  // --- device id ----------------------------------------------------------------------------
  function randomId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  var deviceId = (function () {
    try {
      var id = window.localStorage.getItem(DEVICE_KEY);
      if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
        id = "kiosk-" + randomId();
        window.localStorage.setItem(DEVICE_KEY, id);
      }
      return id;
    } catch (err) {
      return "kiosk-" + randomId(); // storage disabled: one id per page load
    }
  })();

  // --- texts --------------------------------------------------------------------------------
  function lookup(lang, key) {
    var dict = state.dicts[lang];
    return dict && Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : undefined;
  }

  // The visitor's language, then the kiosk's first (wartemarke/static/js/texts.js).
  var tx = Wartemarke.texts(function () {
    return [state.dicts[state.lang], state.dicts[languages[0]]];
  });
  var raw = tx.raw;
  var locale = tx.locale;
  var formatNumber = tx.number;
  var t = tx.t;
  var plural = tx.plural;

  /** The language the page and the server see: Leichte Sprache ("de-ls") is German. */
  function langOf(code) {
    var value = lookup(code, "_lang");
    return typeof value === "string" && value ? value : code;
  }

  function setText(node, text) {
    if (text !== undefined && node.textContent !== text) node.textContent = text;
  }

  function formatWait(minutes) {
    if (typeof minutes !== "number" || !isFinite(minutes) || minutes < 0) return undefined;
    minutes = Math.round(minutes);
    if (minutes === 0) return t("wait_none");
    if (minutes < 60) return t("wait", { min: formatNumber(minutes) });
    var rounded = Math.round(minutes / 5) * 5;
    var h = Math.floor(rounded / 60);
    var m = rounded % 60;
    if (m === 0) return t("wait_hours_only", { h: formatNumber(h) });
    return t("wait_hours", { h: formatNumber(h), min: formatNumber(m) });
  }

  /** The texts the server embedded in the page (see kiosk/__init__.py). */
  function embeddedTexts() {
    var node = document.getElementById("kiosk-texts");
    if (!node) return;
    try {
      var all = JSON.parse(node.textContent || "{}");
      Object.keys(all).forEach(function (lang) {
        if (all[lang] && typeof all[lang] === "object") state.dicts[lang] = all[lang];
      });
    } catch (err) {
      // no texts: the markup's stay
    }
  }
  embeddedTexts();

  function setLanguage(lang) {
    if (languages.indexOf(lang) < 0 || lang === state.lang || !state.dicts[lang]) return;
    stopReading(); // its words were in the other language
    state.lang = lang;
    applyLanguage();
  }

  function applyLanguage() {
    var root = document.documentElement;
    root.lang = langOf(state.lang);
    root.dir = lookup(state.lang, "_dir") === "rtl" ? "rtl" : "ltr";
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) {
      setText(nodes[i], t(nodes[i].getAttribute("data-i18n")));
    }
    var labelled = document.querySelectorAll("[data-i18n-label]");
    for (var k = 0; k < labelled.length; k++) {
      var label = t(labelled[k].getAttribute("data-i18n-label"));
      if (label) labelled[k].setAttribute("aria-label", label);
    }
    var title = t("title");
    if (title) document.title = title + " – " + el.venueName.textContent;
    var buttons = el.langButtons.querySelectorAll("button");
    for (var j = 0; j < buttons.length; j++) {
      var active = buttons[j].getAttribute("data-lang") === state.lang;
      buttons[j].setAttribute("aria-pressed", active ? "true" : "false");
    }
    render();
    if (state.ticket) renderTicket();
    renderMessage();
    renderCheckin();
    renderSpeech();
  }

  /** The language buttons are in the markup (each with its flag, own name, lang and dir). */
  function wireLanguageButtons() {
    var buttons = el.langButtons.querySelectorAll("button[data-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", onLanguageTap);
    }
  }

  function onLanguageTap(event) {
    setLanguage(event.currentTarget.getAttribute("data-lang"));
  }

  // --- services -----------------------------------------------------------------------------
  var KNOWN = { open: 1, closed: 1, outside_hours: 1, full: 1 };

  /** "open" | "closed" | "outside_hours" | "full" | "unavailable", from whatever is given. */
  function availabilityOf(service) {
    var a = service.availability;
    if (KNOWN[a]) return a === "open" && service.open === false ? "closed" : a;
    if (service.open === false) return typeof a === "string" ? "unavailable" : "closed";
    return "open"; // an older server without the field: it answers 409 if it is not
  }

  function venueClosed() {
    var list = state.services;
    if (!list.length) return false;
    var anyOpen = list.some(function (s) {
      return availabilityOf(s) === "open";
    });
    if (anyOpen) return false;
    var allOutside = list.every(function (s) {
      return availabilityOf(s) === "outside_hours";
    });
    return allOutside || Boolean(state.venue && state.venue.open === false);
  }

  function createCard(id) {
    var item = el.template.content.firstElementChild.cloneNode(true);
    var card = {
      item: item,
      button: item.querySelector(".k-service"),
      badge: item.querySelector(".k-service-badge"),
      name: item.querySelector(".k-service-name"),
      desc: item.querySelector(".k-service-desc"),
      meta: item.querySelector(".k-service-meta"),
      waitingBox: item.querySelector(".k-meta-waiting"),
      waiting: item.querySelector(".k-waiting-text"),
      waitBox: item.querySelector(".k-meta-wait"),
      wait: item.querySelector(".k-wait-text"),
      reason: item.querySelector(".k-service-reason"),
      reasonText: item.querySelector(".k-reason-text"),
      pendingText: item.querySelector(".k-pending-text"),
    };
    card.button.setAttribute("data-service-id", id);
    card.button.addEventListener("click", function () {
      onServiceTap(id);
    });
    cards[id] = card;
    return card;
  }

  /** A service's name or description in the visitor's language (German as given otherwise). */
  function localized(service, key, fallback) {
    var map = service && service[key];
    var text = map && typeof map === "object" ? map[state.lang] : null;
    if (typeof text === "string" && text) return text;
    return typeof fallback === "string" ? fallback : "";
  }

  function updateCard(card, service) {
    var availability = availabilityOf(service);
    var open = availability === "open";
    var name = localized(service, "names", service.name);
    var prefix = typeof service.prefix === "string" && service.prefix ? service.prefix : "";
    setText(card.badge, prefix || name.charAt(0));
    setText(card.name, name);
    var description = localized(service, "descriptions", service.description);
    setText(card.desc, description);
    card.desc.hidden = !description;

    var waiting = typeof service.waiting === "number" ? service.waiting : null;
    if (waiting !== null) setText(card.waiting, plural("waiting", waiting));
    card.waitingBox.hidden = waiting === null;
    var wait = formatWait(service.estimated_wait_min);
    if (wait !== undefined) setText(card.wait, wait);
    card.waitBox.hidden = wait === undefined;

    card.meta.hidden = !open;
    card.reason.hidden = open;
    if (!open) setText(card.reasonText, t("reason_" + availability));
    card.button.disabled = !open;
    card.button.setAttribute("data-availability", availability);
    card.item.classList.toggle("is-unavailable", !open);
    setText(card.pendingText, t(state.retrying ? "slow_down" : "pending"));
  }

  function render() {
    var list = state.services;
    var seen = {};
    list.forEach(function (service, index) {
      var id = String(service.id);
      if (seen[id]) return;
      seen[id] = true;
      var card = cards[id] || createCard(id);
      updateCard(card, service);
      if (el.services.children[index] !== card.item) {
        el.services.insertBefore(card.item, el.services.children[index] || null);
      }
    });
    Object.keys(cards).forEach(function (id) {
      if (!seen[id]) {
        cards[id].item.remove();
        delete cards[id];
      }
    });
    var count = String(el.services.childElementCount);
    el.services.setAttribute("data-count", count);
    // Five or more services: the compact layout, so that all fit without scrolling.
    el.app.setAttribute("data-density", list.length >= 5 ? "compact" : "comfortable");
    el.services.setAttribute("aria-busy", state.loaded ? "false" : "true");
    el.noServices.hidden = !state.loaded || list.length > 0;

    var venue = state.venue || {};
    if (typeof venue.name === "string" && venue.name) setText(el.venueName, venue.name);
    var closesAt = typeof venue.closes_at === "string" ? venue.closes_at : null;
    var showHours = Boolean(closesAt) && !venueClosed();
    if (showHours) setText(el.venueHoursText, t("open_until", { time: closesAt }));
    el.venueHours.hidden = !showHours;
    var opensAt = typeof venue.opens_at === "string" && venue.opens_at ? venue.opens_at : null;
    setText(el.closedOpens, opensAt ? t("closed_opens", { time: opensAt }) : t("closed_later"));
    showScreen();
  }

  function showScreen() {
    var before = el.app.getAttribute("data-screen");
    var screen = state.ticket
      ? "ticket"
      : state.checkin.open
        ? "checkin"
        : venueClosed()
          ? "closed"
          : "start";
    el.start.hidden = screen !== "start";
    el.closed.hidden = screen !== "closed";
    el.ticket.hidden = screen !== "ticket";
    if (el.checkin) el.checkin.hidden = screen !== "checkin";
    el.app.setAttribute("data-screen", screen);
    if (screen !== before) stopReading(); // what it read is gone
    fitLayout();
  }

  /**
   * Everything on one screen, without scrolling: on a small screen or with many services the
   * whole layout is scaled down in steps (to 70 % at most; beyond that the list scrolls).
   * Synchronous, so nothing is painted in between.
   */
  function fitLayout() {
    var main = el.main;
    var next = 1;
    body.style.setProperty("--k-fit", "1");
    // Large text stays large: the main area scrolls instead.
    var shrink = !document.documentElement.classList.contains("k-large");
    while (shrink && main.scrollHeight > main.clientHeight + 1 && next > 0.7) {
      next = Math.round((next - 0.05) * 100) / 100;
      body.style.setProperty("--k-fit", String(next));
    }
    el.app.setAttribute("data-fit", String(next));
  }

  function applyServices(list) {
    if (!Array.isArray(list)) return;
    state.services = list.filter(function (s) {
      return s && typeof s === "object" && s.id !== undefined && s.id !== null;
    });
    state.loaded = true;
    state.liveVersion += 1;
    render();
  }

  function findService(id) {
    for (var i = 0; i < state.services.length; i++) {
      if (String(state.services[i].id) === id) return state.services[i];
    }
    return null;
  }

  function refreshServices() {
    var version = state.liveVersion;
    return fetch(config.api + "/services", { cache: "no-store" })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (list) {
        // A live update that arrived meanwhile is newer than this answer.
        if (state.liveVersion === version) applyServices(list);
      })
      .catch(function () {
        return null; // the live connection brings the list once the server is back
      });
  }

  // --- messages on the start screen ---------------------------------------------------------
  function showMessage(key, kind) {
    state.message = { key: key, kind: kind || "error" };
    window.clearTimeout(timers.message);
    if (kind !== "connection") {
      timers.message = window.setTimeout(hideMessage, MESSAGE_SECONDS * 1000);
    }
    renderMessage();
  }

  function hideMessage() {
    window.clearTimeout(timers.message);
    state.message = null;
    renderMessage();
  }

  function renderMessage() {
    var message = state.message;
    el.message.hidden = !message;
    if (!message) return;
    el.message.setAttribute("data-kind", message.kind);
    setText(el.messageText, t(message.key));
  }

  // --- issuing ------------------------------------------------------------------------------
  function onServiceTap(id) {
    state.lastTouch = Date.now();
    if (state.locked || state.ticket || Date.now() < state.guardUntil) return;
    var service = findService(id);
    if (!service || availabilityOf(service) !== "open") return;
    lock(id);
    hideMessage();
    issue(service, 0);
  }

  function lock(id) {
    state.locked = true;
    state.pendingId = id;
    el.app.classList.add("is-locked");
    window.clearTimeout(timers.pending);
    timers.pending = window.setTimeout(function () {
      var card = cards[id];
      if (!state.locked || !card) return;
      el.app.classList.add("is-pending");
      card.item.classList.add("is-pending");
    }, PENDING_VISUAL_DELAY_MS);
  }

  function unlock() {
    window.clearTimeout(timers.pending);
    window.clearTimeout(timers.retry);
    state.locked = false;
    state.retrying = false;
    state.pendingId = null;
    el.app.classList.remove("is-locked", "is-pending");
    Object.keys(cards).forEach(function (id) {
      cards[id].item.classList.remove("is-pending");
    });
  }

  function post(url, payload) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timeout = window.setTimeout(function () {
      if (controller) controller.abort();
    }, config.requestTimeoutMs);
    return fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Wartemarke-Device": deviceId,
      },
      body: JSON.stringify(payload),
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (err) {
            data = null;
          }
          return { status: res.status, headers: res.headers, body: data };
        });
      })
      .finally(function () {
        window.clearTimeout(timeout);
      });
  }

  function retryAfterSeconds(answer) {
    var seconds = answer.body && Number(answer.body.retry_after);
    if (!isFinite(seconds) || seconds <= 0) seconds = Number(answer.headers.get("Retry-After"));
    if (!isFinite(seconds) || seconds <= 0) seconds = 2;
    return Math.min(30, Math.max(0.5, seconds));
  }

  /** 503 "storage_full"/"storage_unavailable": the server could not store the ticket (disk
   * full, database busy); the visitor is told so in plain words. Null for any other answer. */
  function storageProblem(answer) {
    var error = answer.status === 503 && answer.body ? answer.body.error : null;
    if (error === "storage_full") return "storage_full";
    return error === "storage_unavailable" ? "storage_busy" : null;
  }

  function issue(service, attempt) {
    post(config.api + "/tickets", { service: service.id, lang: langOf(state.lang) })
      .then(function (answer) {
        onAnswer(service, attempt, answer);
      }, onNoAnswer)
      .catch(function (err) {
        if (window.console) window.console.error("kiosk: ticket answer not shown", err);
        if (!state.ticket) {
          unlock();
          showMessage("error", "error");
        }
      });
  }

  function onAnswer(service, attempt, answer) {
    var ticket = answer.body;
    if (answer.status === 201 && ticket && typeof ticket.number === "string") {
      if (config.mode === "phone" && typeof ticket.token === "string") {
        window.location.assign("/t/" + encodeURIComponent(ticket.token));
        return;
      }
      showTicket(ticket, service);
    } else if (answer.status === 429 && attempt === 0) {
      state.retrying = true;
      var card = cards[String(service.id)];
      if (card) {
        setText(card.pendingText, t("slow_down"));
        el.app.classList.add("is-pending");
        card.item.classList.add("is-pending");
      }
      showMessage("slow_down", "info");
      timers.retry = window.setTimeout(function () {
        issue(service, 1);
      }, retryAfterSeconds(answer) * 1000);
    } else if (answer.status === 429) {
      unlock();
      showMessage("try_again", "info");
    } else if (answer.status === 409) {
      unlock();
      showMessage("service_closed_now", "info");
      refreshServices();
    } else if (storageProblem(answer)) {
      unlock();
      showMessage(storageProblem(answer), "error");
    } else {
      unlock();
      showMessage("error", "error");
      if (answer.status === 404) refreshServices();
    }
  }

  /** No answer: the server is away (restarting, network). Nothing was shown, so the visitor
   * may tap again once the connection is back. */
  function onNoAnswer() {
    unlock();
    showMessage("connecting", "connection");
    refreshServices().then(function () {
      if (state.status === "online" && state.message && state.message.kind === "connection") {
        // The live connection never dropped: the server answers again; let it go soon.
        window.clearTimeout(timers.message);
        timers.message = window.setTimeout(hideMessage, 4000);
      }
    });
  }

  // --- the confirmation ---------------------------------------------------------------------
  function showTicket(ticket, service) {
    window.clearTimeout(timers.pending);
    window.clearTimeout(timers.retry);
    state.retrying = false;
    hideMessage();
    state.ticket = { data: ticket, service: service || null };
    el.app.classList.remove("is-pending");
    el.qrBox.hidden = true;
    el.qr.removeAttribute("src");
    if (typeof ticket.token === "string" && ticket.token) {
      el.qr.src = config.api + "/tickets/" + encodeURIComponent(ticket.token) + "/qr.svg";
      el.qrBox.hidden = false;
    }
    renderTicket();
    resetDistrict(ticket);
    showScreen();
    fitNumber();
    startCountdown();
    el.ticketLabel.focus({ preventScroll: true });
  }

  function renderTicket() {
    var ticket = state.ticket.data;
    setText(el.ticketNumber, ticket.number);
    var german =
      typeof ticket.service_name === "string" && ticket.service_name
        ? ticket.service_name
        : (state.ticket.service && state.ticket.service.name) || "";
    var serviceName = localized(state.ticket.service, "names", german);
    setText(el.ticketService, serviceName);
    el.ticketService.hidden = !serviceName;

    // A checked-in appointment: its time instead of the queue's figures (it is called at its
    // slot, not in turn); a late one has a walk-in number, with the figures, and says why.
    var appointment = appointmentOf(ticket);
    var onTime = Boolean(appointment && !appointment.late);
    var note = "";
    if (appointment && appointment.slot) {
      note = t(appointment.late ? "appointment_late" : "appointment_slot", {
        time: appointment.slot,
      });
    }
    if (el.ticketAppointment) {
      setText(el.ticketAppointmentText, note || "");
      el.ticketAppointment.hidden = !note;
      el.ticketAppointment.setAttribute("data-kind", onTime ? "slot" : "late");
    }
    if (el.ticketAgain) el.ticketAgain.hidden = !(appointment && ticket.print === "not_again");

    var ahead = typeof ticket.people_ahead === "number" ? ticket.people_ahead : null;
    if (ahead !== null) setText(el.ticketAhead, plural("ahead", ahead));
    el.ticketAhead.parentNode.hidden = ahead === null || onTime;
    var wait = formatWait(ticket.estimated_wait_min);
    if (wait !== undefined) setText(el.ticketWait, wait);
    el.ticketWait.parentNode.hidden = wait === undefined || onTime;

    el.qr.alt = t("qr_alt") || "";
    var print = ticket.print;
    el.print.hidden = print !== "queued" && print !== "printer_unavailable";
    el.print.setAttribute("data-print", String(print));
    if (print === "queued") setText(el.printText, t("printing"));
    if (print === "printer_unavailable") setText(el.printText, t("printer_unavailable"));
    el.app.classList.toggle("is-printer-down", print === "printer_unavailable");
    renderCountdown();
  }

  /** The ticket's appointment after a check-in ({slot, late}), else null. */
  function appointmentOf(ticket) {
    var a = ticket && ticket.appointment;
    if (!a || typeof a !== "object") return null;
    return { slot: typeof a.slot === "string" ? a.slot : "", late: a.late === true };
  }

  /** The number as big as the stylesheet says, but never cut off (long numbers, narrow screens). */
  function fitNumber() {
    var node = el.ticketNumber;
    node.style.fontSize = "";
    var size = parseFloat(window.getComputedStyle(node).fontSize);
    while (node.scrollWidth > node.clientWidth && size > 60) {
      size = Math.floor(size * 0.92);
      node.style.fontSize = size + "px";
    }
  }

  var countdownEndsAt = 0;

  function startCountdown() {
    var seconds = config.confirmSeconds;
    if (state.ticket && state.ticket.askDistrict) seconds += DISTRICT_EXTRA_SECONDS;
    countdownEndsAt = Date.now() + seconds * 1000;
    var bar = el.progress;
    bar.style.transition = "none";
    bar.style.transform = "scaleX(1)";
    void bar.offsetWidth; // start the transition from full width
    bar.style.transition = "transform " + seconds + "s linear";
    bar.style.transform = "scaleX(0)";
    window.clearInterval(timers.countdown);
    timers.countdown = window.setInterval(function () {
      // Not in the middle of reading aloud: its end starts the countdown again.
      if (Date.now() >= countdownEndsAt && !speech.reading) backToStart();
      else renderCountdown();
    }, 250);
    renderCountdown();
  }

  function renderCountdown() {
    var left = Math.max(0, Math.ceil((countdownEndsAt - Date.now()) / 1000));
    setText(el.countdown, t("back_in", { s: formatNumber(left) }));
  }

  function backToStart() {
    if (!state.ticket) return;
    window.clearInterval(timers.countdown);
    state.ticket = null;
    el.qr.removeAttribute("src");
    el.app.classList.remove("is-printer-down");
    unlock();
    state.guardUntil = Date.now() + AFTER_RETURN_GUARD_MS;
    if (state.lang !== defaultLang) setLanguage(defaultLang); // the next visitor starts fresh
    resetModes();
    resetSpeech();
    showScreen();
  }

  /** "Mehr Zeit" on the confirmation: the full time again, as often as the visitor wants. */
  function onTicketMoreTime() {
    state.lastTouch = Date.now();
    if (state.ticket) startCountdown();
  }

  // --- display modes: high contrast, large text ------------------------------------------------
  // For the current visitor only: classes on <html> (kiosk.css), reset like the language.
  var MODES = { contrast: "k-contrast", large: "k-large" };

  function modeButton(name) {
    return name === "contrast" ? el.modeContrast : el.modeLarge;
  }

  function modeOn(name) {
    return document.documentElement.classList.contains(MODES[name]);
  }

  function setMode(name, on) {
    if (modeOn(name) === on) return;
    document.documentElement.classList.toggle(MODES[name], on);
    var button = modeButton(name);
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    fitLayout();
    if (state.ticket) fitNumber();
  }

  function anyModeOn() {
    return modeOn("contrast") || modeOn("large");
  }

  function resetModes() {
    setMode("contrast", false);
    setMode("large", false);
  }

  // --- reading aloud ("Vorlesen") ------------------------------------------------------------
  // The server's voice (GET <body data-speech>, espeak-ng as on the wall display): the page
  // names the texts on the screen by their keys and the figures in them, the server composes
  // the words (kiosk/__init__.py). For the current visitor only, like the display modes: the
  // reading stops and the volume is reset when the kiosk starts over.
  var VOLUME_DEFAULT = 0.75;
  var VOLUME_STEP = 0.25;
  var VOLUME_MIN = 0.25;
  var SPEECH_FAILED_SECONDS = 10;
  var TICKET_NUMBER = /^[A-Z]{1,3}\d{1,5}$/;
  var HHMM = /^\d{2}:\d{2}$/;
  var speech = {
    reading: false, // from the tap until the end (also while the sound is on its way)
    attempt: null, // the current request: an answer to an earlier one is dropped
    controller: null,
    blobUrl: "",
    failed: false,
    volume: VOLUME_DEFAULT,
  };

  function isCount(value) {
    return typeof value === "number" && isFinite(value) && value >= 0;
  }

  /** What the screen shows, as {say: [text keys and the server's items], values: {…}}. */
  function spokenScreen() {
    var say = [];
    var values = {};
    var screen = el.app.getAttribute("data-screen");
    if (screen === "ticket" && state.ticket) {
      var ticket = state.ticket.data;
      say.push("your_number");
      if (TICKET_NUMBER.test(String(ticket.number))) {
        say.push("number");
        values.number = ticket.number;
      }
      if (findService(String(ticket.service))) {
        say.push("service");
        values.service = String(ticket.service);
      }
      var appointment = appointmentOf(ticket);
      if (appointment && HHMM.test(appointment.slot)) {
        say.push(appointment.late ? "appointment_late" : "appointment_slot");
        values.time = appointment.slot;
      }
      if (el.ticketAgain && !el.ticketAgain.hidden) say.push("appointment_again");
      if (!el.ticketAhead.parentNode.hidden && isCount(ticket.people_ahead)) {
        say.push("ahead_label", "ahead");
        values.n = Math.round(ticket.people_ahead);
      }
      if (!el.ticketWait.parentNode.hidden && isCount(ticket.estimated_wait_min)) {
        say.push("wait_label", "wait_time");
        values.min = Math.round(ticket.estimated_wait_min);
      }
      if (!el.print.hidden) {
        say.push(ticket.print === "queued" ? "printing" : "printer_unavailable");
      }
      say.push("watch_display");
      if (el.district && !el.district.hidden && !el.districtButtons.hidden) {
        say.push("district_question");
      }
      return { say: say, values: values };
    }
    if (screen === "checkin") {
      say.push("checkin_title", "checkin_hint", "checkin_code_note");
      var message = state.checkin.message;
      var given = (message && message.values) || {};
      if (message && message.key === "checkin_too_early") {
        if (HHMM.test(given.slot) && HHMM.test(given.time)) {
          say.push(message.key);
          values.slot = given.slot;
          values.time = given.time;
        }
      } else if (message && message.key === "checkin_wrong_day") {
        if (/^\d{4}-\d{2}-\d{2}$/.test(String(given.day))) {
          say.push(message.key);
          values.day = given.day;
        }
      } else if (message) {
        say.push(message.key);
      }
    } else if (screen === "closed") {
      var opensAt = state.venue && state.venue.opens_at;
      say.push("closed_title");
      if (HHMM.test(String(opensAt))) {
        say.push("closed_opens");
        values.time = opensAt;
      } else {
        say.push("closed_later");
      }
      say.push("closed_thanks");
    } else {
      say.push("choose", "choose_hint");
      if (state.message) say.push(state.message.key);
      var ids = state.services
        .map(function (s) {
          return String(s.id);
        })
        .filter(function (id) {
          return /^\d{1,9}$/.test(id);
        })
        .slice(0, 30);
      if (ids.length) {
        say.push("services");
        values.services = ids.join(",");
      } else if (state.loaded) {
        say.push("no_services");
      }
      if (checkinOffered()) say.push("appointment_button", "appointment_button_hint");
    }
    if (languages.length > 1) say.push("languages_label");
    return { say: say, values: values };
  }

  function startReading() {
    stopReading();
    var spoken = spokenScreen();
    if (!config.speechUrl || !spoken.say.length) return;
    var query = new URLSearchParams();
    query.set("language", state.lang);
    query.set("say", spoken.say.join(","));
    Object.keys(spoken.values).forEach(function (name) {
      query.set(name, String(spoken.values[name]));
    });
    var attempt = {};
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    speech.attempt = attempt;
    speech.controller = controller;
    speech.reading = true;
    speech.failed = false;
    window.clearTimeout(timers.speechFailed);
    renderSpeech();
    fetch(config.speechUrl + "?" + query.toString(), {
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.blob();
      })
      .then(function (blob) {
        if (speech.attempt !== attempt) return undefined;
        speech.blobUrl = URL.createObjectURL(blob);
        el.speechAudio.src = speech.blobUrl;
        el.speechAudio.volume = speech.volume;
        return el.speechAudio.play();
      })
      .catch(function (err) {
        if (speech.attempt !== attempt) return; // stopped meanwhile
        if (window.console) window.console.warn("kiosk: reading aloud failed", err);
        speechFailed();
      });
  }

  /** Stops reading (if it does); true if it did. */
  function stopReading() {
    if (!speech.reading && !speech.blobUrl) return false;
    var was = speech.reading;
    speech.attempt = null;
    if (speech.controller) speech.controller.abort();
    speech.controller = null;
    el.speechAudio.pause();
    el.speechAudio.removeAttribute("src");
    el.speechAudio.load(); // lets go of the sound
    if (speech.blobUrl) URL.revokeObjectURL(speech.blobUrl);
    speech.blobUrl = "";
    speech.reading = false;
    renderSpeech();
    return was;
  }

  function speechFailed() {
    stopReading();
    speech.failed = true;
    renderSpeech();
    window.clearTimeout(timers.speechFailed);
    timers.speechFailed = window.setTimeout(function () {
      speech.failed = false;
      renderSpeech();
    }, SPEECH_FAILED_SECONDS * 1000);
  }

  /** Listening is being there: the screen's time starts again (the countdown, the check-in). */
  function afterReading() {
    state.lastTouch = Date.now();
    if (state.ticket) startCountdown();
    if (state.checkin.open && !state.checkin.busy) armCheckinTimer();
  }

  function onReadTap() {
    if (!stopReading()) startReading();
    afterReading();
  }

  function onReadingEnded() {
    stopReading();
    afterReading();
  }

  function changeVolume(step) {
    var next = Math.round((speech.volume + step) * 100) / 100;
    speech.volume = Math.min(1, Math.max(VOLUME_MIN, next));
    el.speechAudio.volume = speech.volume;
    state.lastTouch = Date.now();
    renderSpeech();
  }

  function resetSpeech() {
    stopReading();
    window.clearTimeout(timers.speechFailed);
    speech.failed = false;
    speech.volume = VOLUME_DEFAULT;
    el.speechAudio.volume = VOLUME_DEFAULT;
    renderSpeech();
  }

  /** The button's words, the volume controls (while reading) and a failure in words. */
  function renderSpeech() {
    if (!el.readAloud) return;
    setText(el.readAloudText, t(speech.reading ? "read_aloud_stop" : "read_aloud"));
    el.readAloud.classList.toggle("is-reading", speech.reading);
    el.speechLevel.setAttribute("data-level", String(Math.round(speech.volume / VOLUME_STEP)));
    el.speechQuieter.setAttribute("aria-disabled", speech.volume <= VOLUME_MIN ? "true" : "false");
    el.speechLouder.setAttribute("aria-disabled", speech.volume >= 1 ? "true" : "false");
    var changed = false;
    if (el.speechVolume.hidden === speech.reading) {
      if (!speech.reading && el.speechVolume.contains(document.activeElement)) {
        el.readAloud.focus({ preventScroll: true }); // its buttons go: the focus stays near
      }
      el.speechVolume.hidden = !speech.reading;
      changed = true;
    }
    var failed = speech.failed ? t("read_aloud_failed") || "" : "";
    if (el.speechFailed.textContent !== failed) {
      el.speechFailed.textContent = failed;
      changed = true;
    }
    if (changed) fitLayout(); // the footer grew or shrank
  }

  // --- the optional district question --------------------------------------------------------
  // Only the district goes to the server, with the ticket's token; "keine Angabe" sends nothing.
  function resetDistrict(ticket) {
    var ask = !!(
      config.askDistrict && el.district && typeof ticket.token === "string" && ticket.token
    );
    state.ticket.askDistrict = ask;
    if (!el.district) return;
    el.district.hidden = !ask;
    el.districtButtons.hidden = false;
    el.districtThanks.hidden = true;
    var buttons = el.districtButtons.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = false;
      buttons[i].setAttribute("aria-pressed", "false");
    }
  }

  function onDistrictTap(event) {
    var button = event.target.closest ? event.target.closest("button[data-district]") : null;
    if (!button || !state.ticket || !state.ticket.askDistrict) return;
    var district = button.getAttribute("data-district");
    var token = state.ticket.data.token;
    button.setAttribute("aria-pressed", "true");
    el.districtButtons.hidden = true;
    el.districtThanks.hidden = false;
    if (!district) return; // "keine Angabe"
    var url = config.api + "/tickets/" + encodeURIComponent(token) + "/district";
    post(url, { district: district }).catch(function () {
      // An answer lost on the way is no reason to bother the visitor.
    });
  }

  // --- appointments: check-in with the booking code -----------------------------------------
  // Only on days with bookings (<body data-appointments="true">). The code is typed on the
  // keypad or a keyboard, or comes from a barcode scanner: a USB keyboard that types the whole
  // code within milliseconds and presses Enter. Such a burst checks in at once from the start or
  // the check-in screen; slower typing is a person's. Nothing else takes keys from anyone.
  var CHECKIN_IDLE_SECONDS = 60; // an entry nobody finishes goes back to the start
  var CHECKIN_WARN_SECONDS = 20; // the last seconds are shown, with "Mehr Zeit" (WCAG 2.2.1)
  var SCAN_END_MS = 300; // the scanner's Enter (or Tab) after its last key
  var SCAN_MAX = 200;
  var FINAL_STATUSES = { done: 1, no_show: 1, cancelled: 1 };
  // The printable keys of the current burst and when each came (event.timeStamp); a pause of
  // more than four gaps starts a new one (one hiccup of a busy machine does not).
  var scan = { keys: [], times: [] };

  function checkinOffered() {
    return Boolean(config.appointments && el.checkin && config.codeAlphabet);
  }

  /** What was typed or scanned → the code as the server reads it (domain/appointments.py:
   * upper case, anything up to the last ":" dropped, spaces and dashes forgiven), else null. */
  function normaliseCode(scanned) {
    var code = String(scanned || "")
      .trim()
      .toUpperCase();
    var colon = code.lastIndexOf(":");
    if (colon >= 0) code = code.slice(colon + 1);
    code = code.replace(/[\s\-_.:/]+/g, "");
    if (code.length !== config.codeLength) return null;
    for (var i = 0; i < code.length; i++) {
      if (config.codeAlphabet.indexOf(code.charAt(i)) < 0) return null;
    }
    return code;
  }

  /** "2027-03-31" in the visitor's language ("31.03.2027", "31 March 2027"). */
  function formatDay(day) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
    if (!m) return String(day || "");
    var options = raw("_date");
    if (!options || typeof options !== "object") {
      options = { day: "2-digit", month: "2-digit", year: "numeric" };
    }
    try {
      var date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      var utc = Object.assign({}, options, { timeZone: "UTC" });
      return new Intl.DateTimeFormat(locale(), utc).format(date);
    } catch (err) {
      return m[3] + "." + m[2] + "." + m[1];
    }
  }

  function resetCheckin(open) {
    var c = state.checkin;
    window.clearInterval(timers.checkin);
    window.clearTimeout(timers.checkinPending);
    c.open = open;
    c.code = "";
    c.busy = false;
    c.pending = false;
    c.message = null;
    renderCheckinIdle(null);
  }

  function openCheckin() {
    if (!checkinOffered() || state.ticket || state.locked) return false;
    hideMessage();
    resetCheckin(true);
    renderCheckin();
    showScreen();
    armCheckinTimer();
    el.checkinTitle.focus({ preventScroll: true });
    return true;
  }

  function onAppointmentTap() {
    state.lastTouch = Date.now();
    if (Date.now() < state.guardUntil) return;
    openCheckin();
  }

  /** Back to the start (Abbrechen, Escape, or nobody there any more). */
  function closeCheckin() {
    if (!state.checkin.open || state.checkin.busy) return;
    resetCheckin(false);
    unlock();
    state.guardUntil = Date.now() + AFTER_RETURN_GUARD_MS; // a quick tap must not hit a service
    renderCheckin();
    showScreen();
    if (el.appointmentOpen && !el.start.hidden) el.appointmentOpen.focus({ preventScroll: true });
  }

  /** Nobody typing: back to the start after a while; a result is up as long as a ticket is.
   * Any key, any touch on the screen and "Mehr Zeit" start the time again. */
  var checkinEndsAt = 0;

  function armCheckinTimer() {
    window.clearInterval(timers.checkin);
    var c = state.checkin;
    if (!c.open || c.busy) {
      renderCheckinIdle(null);
      return;
    }
    var seconds = c.message
      ? config.confirmSeconds
      : Math.min(CHECKIN_IDLE_SECONDS, config.idleSeconds);
    checkinEndsAt = Date.now() + seconds * 1000;
    timers.checkin = window.setInterval(checkinTick, 250);
    checkinTick();
  }

  function checkinTick() {
    var left = Math.max(0, Math.ceil((checkinEndsAt - Date.now()) / 1000));
    if (left === 0 && !speech.reading) closeCheckin();
    else renderCheckinIdle(left);
  }

  /** The countdown and "Mehr Zeit" in the last seconds (null: hidden). */
  function renderCheckinIdle(left) {
    if (!el.checkinIdle) return;
    var c = state.checkin;
    var show = typeof left === "number" && c.open && !c.busy && left <= CHECKIN_WARN_SECONDS;
    if (show) setText(el.checkinIdleText, t("back_in", { s: formatNumber(left) }));
    if (el.checkinIdle.hidden === !show) return; // shown or hidden already
    if (!show && el.checkinIdle.contains(document.activeElement) && c.open) {
      el.checkinTitle.focus({ preventScroll: true }); // the button goes: the focus stays near
    }
    el.checkinIdle.hidden = !show;
    if (show) setText(el.checkinLive, el.checkinIdleText.textContent); // said once, not each second
    fitLayout();
  }

  function onCheckinMoreTime() {
    state.lastTouch = Date.now();
    armCheckinTimer();
  }

  function typeKey(key) {
    var c = state.checkin;
    if (!c.open || c.busy) return false;
    var ch = String(key).toUpperCase();
    if (ch.length !== 1 || config.codeAlphabet.indexOf(ch) < 0) return false;
    if (c.code.length >= config.codeLength) return false;
    c.code += ch;
    c.message = null;
    renderCheckin(true);
    armCheckinTimer();
    return true;
  }

  function deleteKey() {
    var c = state.checkin;
    if (!c.open || c.busy || !c.code) return;
    c.code = c.code.slice(0, -1);
    c.message = null;
    renderCheckin(true);
    armCheckinTimer();
  }

  /** Check in with the typed code, or with a scan's whole text (the server forgives its noise
   * and reads the code after a "PREFIX:"). One request at a time. */
  function submitCheckin(scanned) {
    var c = state.checkin;
    if (!c.open || c.busy || state.locked) return;
    if (scanned === undefined && c.code.length !== config.codeLength) return;
    var code = scanned === undefined ? c.code : scanned;
    c.busy = true;
    c.message = null;
    state.locked = true;
    el.app.classList.add("is-locked");
    window.clearInterval(timers.checkin);
    renderCheckinIdle(null);
    window.clearTimeout(timers.checkinPending);
    timers.checkinPending = window.setTimeout(function () {
      if (!c.busy) return;
      c.pending = true;
      renderCheckin();
    }, PENDING_VISUAL_DELAY_MS);
    renderCheckin();
    sendCheckin(code, 0);
  }

  function sendCheckin(code, attempt) {
    post(config.api + "/checkin", { code: code, lang: langOf(state.lang) })
      .then(function (answer) {
        onCheckinAnswer(code, attempt, answer);
      }, onCheckinNoAnswer)
      .catch(function (err) {
        if (window.console) window.console.error("kiosk: check-in answer not shown", err);
        if (!state.ticket) checkinFailed("error");
      });
  }

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  function onCheckinAnswer(code, attempt, answer) {
    if (!state.checkin.open) return;
    var data = answer.body && typeof answer.body === "object" ? answer.body : {};
    var status = answer.status;
    if ((status === 201 || status === 200) && typeof data.number === "string") {
      if (status === 200 && FINAL_STATUSES[data.status]) {
        checkinFailed("checkin_finished"); // served (or gone) already: staff can help
        return;
      }
      resetCheckin(false); // the ticket is up; the kiosk stays locked until it goes
      renderCheckin();
      showTicket(data, findService(String(data.service)));
    } else if (status === 429 && attempt === 0) {
      state.checkin.message = { key: "slow_down", kind: "info" };
      renderCheckin();
      timers.retry = window.setTimeout(function () {
        sendCheckin(code, 1);
      }, retryAfterSeconds(answer) * 1000);
    } else if (status === 429) {
      checkinFailed("try_again", "info");
    } else if (status === 404 && data.error === "unknown_code") {
      checkinFailed("checkin_unknown");
    } else if (status === 400) {
      checkinFailed("checkin_invalid");
    } else if (status === 409 && data.error === "too_early") {
      checkinFailed("checkin_too_early", "info", {
        slot: str(data.slot),
        time: str(data.check_in_from),
      });
    } else if (status === 409 && data.error === "wrong_day") {
      checkinFailed("checkin_wrong_day", "info", { day: str(data.day) });
    } else if (status === 409 && data.error === "cancelled") {
      checkinFailed("checkin_cancelled");
    } else if (storageProblem(answer)) {
      checkinFailed(storageProblem(answer));
    } else {
      checkinFailed("error");
    }
  }

  /** No answer: the server is away (restarting, network). The code stays for another try. */
  function onCheckinNoAnswer() {
    if (state.checkin.open) checkinFailed("connecting", "connection");
  }

  /** No ticket: a message in plain words; the code stays, to be corrected or sent again. */
  function checkinFailed(key, kind, values) {
    var c = state.checkin;
    window.clearTimeout(timers.checkinPending);
    c.busy = false;
    c.pending = false;
    c.message = { key: key, kind: kind || "error", values: values || null };
    unlock();
    renderCheckin();
    armCheckinTimer();
  }

  function checkinMessageText(message) {
    var values = message.values || {};
    if (message.key === "checkin_wrong_day") values = { date: formatDay(values.day) };
    return t(message.key, values);
  }

  /** The check-in screen from state.checkin; ``typed``: announce the code to screen readers. */
  function renderCheckin(typed) {
    if (!el.checkin) return;
    var c = state.checkin;
    var boxes = el.checkinCode.querySelectorAll(".k-code-box");
    for (var i = 0; i < boxes.length; i++) {
      var ch = c.code.charAt(i);
      setText(boxes[i], ch);
      boxes[i].classList.toggle("is-filled", ch !== "");
      boxes[i].classList.toggle("is-current", i === c.code.length && !c.busy);
    }
    el.checkinCode.setAttribute("data-length", String(c.code.length));
    var spoken = c.code
      ? t("checkin_code_typed", {
          code: c.code.split("").join(" "),
          n: formatNumber(c.code.length),
          total: formatNumber(config.codeLength),
        })
      : t("checkin_code_empty");
    setText(el.checkinCodeText, spoken);
    if (typed) setText(el.checkinLive, spoken);
    if (!c.open) setText(el.checkinLive, "");

    el.checkinSubmit.disabled = c.busy || c.code.length !== config.codeLength;
    el.checkinSubmit.classList.toggle("is-pending", c.pending);
    el.checkinSubmit.setAttribute("aria-busy", c.busy ? "true" : "false");
    setText(el.checkinSubmitText, t(c.pending ? "checkin_pending" : "checkin_submit"));
    el.checkinDelete.disabled = c.busy || !c.code;
    el.checkinCancel.disabled = c.busy;
    el.checkin.classList.toggle("is-busy", c.busy);

    var message = c.message;
    var wasHidden = el.checkinMessage.hidden;
    el.checkinMessage.hidden = !message;
    if (message) {
      el.checkinMessage.setAttribute("data-kind", message.kind);
      setText(el.checkinMessageText, checkinMessageText(message));
    }
    if (c.open && wasHidden !== el.checkinMessage.hidden) fitLayout();
  }

  function forgetScan() {
    scan.keys = [];
    scan.times = [];
  }

  /** The keys just typed if a scanner typed them: at least a code's length of them, on average
   * at most scanGapMs apart, and Enter (at ``at``) right after the last; else null. A person
   * does not type six keys 50 ms apart. */
  function scannedText(at) {
    var n = scan.times.length;
    if (n < config.codeLength || at - scan.times[n - 1] > SCAN_END_MS) return null;
    for (var i = 0; i <= n - config.codeLength; i++) {
      // The longest run of keys before Enter that came fast enough.
      if ((scan.times[n - 1] - scan.times[i]) / (n - 1 - i) <= config.scanGapMs) {
        return scan.keys.slice(i).join("");
      }
    }
    return null;
  }

  /** A scanner's burst: check in at once, from the start or the check-in screen. */
  function onScanned(burst) {
    if (state.ticket || state.locked || state.checkin.busy) return;
    if (!state.checkin.open && !openCheckin()) return;
    state.checkin.code = normaliseCode(burst) || "";
    submitCheckin(burst);
  }

  function inTextField(target) {
    return Boolean(
      target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  function onKeyDown(event) {
    if (event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (inTextField(event.target)) return;
    var screen = el.app.getAttribute("data-screen");
    if (screen !== "start" && screen !== "checkin") {
      forgetScan();
      return;
    }
    var key = event.key || "";
    var at = event.timeStamp || window.performance.now();
    if (key.length === 1) {
      var last = scan.times.length ? scan.times[scan.times.length - 1] : -Infinity;
      if (at - last > config.scanGapMs * 4 || scan.keys.length >= SCAN_MAX) forgetScan();
      scan.keys.push(key);
      scan.times.push(at);
      state.lastTouch = Date.now();
      // A person typing the code on a keyboard (a scan's keys land here too, then Enter).
      if (screen === "checkin" && key !== " " && typeKey(key)) event.preventDefault();
      return;
    }
    if (key === "Enter" || key === "Tab") {
      var burst = scannedText(at);
      forgetScan();
      if (burst !== null) {
        // Six keys and more, each within milliseconds: a scanner. Its Enter must not also
        // press the button that happens to have the focus (a service: a walk-in ticket).
        event.preventDefault();
        event.stopPropagation();
        onScanned(burst);
        return;
      }
      if (key !== "Enter" || screen !== "checkin") return;
      var focused = document.activeElement;
      if (focused && focused.tagName === "BUTTON") return; // Enter presses it, as everywhere
      if (state.checkin.code.length === config.codeLength) {
        event.preventDefault();
        submitCheckin();
      }
      return;
    }
    if (screen !== "checkin") return;
    if (key === "Backspace") {
      event.preventDefault();
      deleteKey();
    } else if (key === "Escape") {
      event.preventDefault();
      closeCheckin();
    }
  }

  // --- connection ---------------------------------------------------------------------------
  function onStatus(status) {
    state.status = status;
    window.clearTimeout(timers.offline);
    if (status === "online") {
      el.connection.hidden = true;
      el.app.classList.remove("is-offline");
      if (state.message && state.message.kind === "connection") hideMessage();
    } else {
      timers.offline = window.setTimeout(function () {
        el.connection.hidden = false;
        el.app.classList.add("is-offline");
      }, OFFLINE_INDICATOR_DELAY_MS);
    }
  }

  function connect() {
    if (!window.Wartemarke || typeof window.Wartemarke.live !== "function") return null;
    try {
      return window.Wartemarke.live(
        "/display",
        {
          snapshot: function (snapshot) {
            if (snapshot.venue && typeof snapshot.venue === "object") state.venue = snapshot.venue;
            applyServices(snapshot.services);
          },
          queue: function (queue) {
            applyServices(queue.services);
          },
        },
        {
          onStatus: onStatus,
          // Staff see each screen of the venue (connected or when last seen) by this name;
          // visitors' phones (mode "phone") are no screens of the venue.
          socketOptions:
            config.mode === "kiosk" ? { auth: { device: deviceId, kind: "kiosk" } } : {},
        }
      );
    } catch (err) {
      if (window.console) window.console.error("kiosk: no live connection", err);
      return null;
    }
  }

  // --- wiring -------------------------------------------------------------------------------
  el.done.addEventListener("click", backToStart);
  if (el.ticketMoreTime) el.ticketMoreTime.addEventListener("click", onTicketMoreTime);
  if (el.readAloud) {
    el.readAloud.addEventListener("click", onReadTap);
    el.speechQuieter.addEventListener("click", function () {
      changeVolume(-VOLUME_STEP);
    });
    el.speechLouder.addEventListener("click", function () {
      changeVolume(VOLUME_STEP);
    });
    el.speechAudio.addEventListener("ended", onReadingEnded);
    el.speechAudio.addEventListener("error", function () {
      if (speech.reading && speech.blobUrl) speechFailed();
    });
  }
  Object.keys(MODES).forEach(function (name) {
    var button = modeButton(name);
    if (!button) return;
    button.addEventListener("click", function () {
      setMode(name, !modeOn(name));
    });
  });
  if (checkinOffered()) {
    if (el.appointmentOpen) el.appointmentOpen.addEventListener("click", onAppointmentTap);
    el.keypad.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-key]") : null;
      if (button) typeKey(button.getAttribute("data-key"));
    });
    el.checkinDelete.addEventListener("click", deleteKey);
    el.checkinCancel.addEventListener("click", closeCheckin);
    el.checkinMoreTime.addEventListener("click", onCheckinMoreTime);
    el.checkinSubmit.addEventListener("click", function () {
      submitCheckin();
    });
    // Taps do not move the focus: Enter on a keyboard keeps meaning "Einchecken".
    el.checkin.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest("button")) event.preventDefault();
    });
    window.addEventListener("keydown", onKeyDown, true);
  }
  if (el.districtButtons) el.districtButtons.addEventListener("click", onDistrictTap);
  window.addEventListener("resize", function () {
    fitLayout();
    if (state.ticket) fitNumber();
  });
  el.qr.addEventListener("error", function () {
    el.qrBox.hidden = true; // no QR code from this server: the number is what counts
  });
  el.ticketLabel.setAttribute("tabindex", "-1");

  // A kiosk has no use for the context menu, text selection or dragging on long presses.
  document.addEventListener("contextmenu", function (event) {
    event.preventDefault();
  });
  document.addEventListener("dragstart", function (event) {
    event.preventDefault();
  });
  // Somebody is there: every touch and every key gives the check-in screen its full time again.
  function onActivity() {
    state.lastTouch = Date.now();
    if (state.checkin.open && !state.checkin.busy) armCheckinTimer();
  }
  document.addEventListener("pointerdown", onActivity, true);
  window.addEventListener("keydown", onActivity, true);

  // Back to the default language and display when a visitor walked away from the start screen.
  window.setInterval(function () {
    if (state.ticket || state.checkin.open || speech.reading) return;
    if (state.lang === defaultLang && !anyModeOn() && speech.volume === VOLUME_DEFAULT) return;
    if (Date.now() - state.lastTouch > config.idleSeconds * 1000) {
      setLanguage(defaultLang);
      resetModes();
      resetSpeech();
    }
  }, 5000);

  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () {
      fitLayout();
      if (state.ticket) fitNumber();
    });
  }

  wireLanguageButtons();
  applyLanguage();
  refreshServices();
  connect();
})();
