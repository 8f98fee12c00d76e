/*
 * The clerk's page: log in, take a counter, call the next person, serve, finish.
 *
 * Data: GET /api/me at start (is the session logged in?), GET /api/counters for the choice,
 * GET /api/counters/<id> for the counter's state; live over Socket.IO /staff through
 * Wartemarke.live (static/js/live.js): snapshot on every (re)connect, then queue, ticket,
 * counters and printer events. After every (re)connect the snapshot replaces the waiting lists
 * and the counter's state is fetched again, so nothing stale survives an outage.
 *
 * Actions: POST /api/counters/<id>/<action> with the session's CSRF token. One request at a
 * time: the buttons (and their keyboard shortcuts) are locked while a request is in flight and
 * while the live connection is down, so a visitor is never called twice by accident. Key repeat
 * is ignored, and a second "next" right after a call is held back for a moment.
 *
 * Texts come from static/i18n/<lang>.json (German default). Everything from the server is
 * written with textContent. No inline scripts or styles (CSP). Plain ES2019.
 */
(function () {
  "use strict";

  var body = document.body;
  var params = new URLSearchParams(window.location.search);
  var STORE_COUNTER = "wartemarke.counter.id";
  var STORE_LANG = "wartemarke.counter.lang";
  var STORE_REPRINTED = "wartemarke.counter.reprinted";
  var CALL_GUARD_MS = 1200; // a second "next" this soon after a call is a slip, not a wish
  var OFFLINE_INDICATOR_DELAY_MS = 800;
  var PRINTER_PENDING_DELAY_MS = 4000; // jobs that print right away need no alert
  var CASES_SAVE_DELAY_MS = 800;
  var NOTICE_SECONDS = 8;
  var CHIPS_SHOWN = 18;
  var OPEN_STATES = { called: 1, serving: 1 };

  var languages = (body.getAttribute("data-languages") || "de")
    .split(",")
    .map(function (code) {
      return code.trim().toLowerCase();
    })
    .filter(function (code) {
      return /^[a-z]{2,3}$/.test(code);
    });
  if (!languages.length) languages = ["de"];

  var config = {
    api: (body.getAttribute("data-api") || "/api").replace(/\/+$/, ""),
    i18nBase: body.getAttribute("data-i18n-base") || "/counter/static/i18n/",
    recallsBeforeNoShow: Math.max(1, Number(body.getAttribute("data-recalls-before-no-show")) || 2),
    // Times are shown in the venue's time zone, whatever the device is set to.
    timezone: body.getAttribute("data-timezone") || undefined,
    requestTimeoutMs: 10000,
  };

  // --- small helpers ------------------------------------------------------------------------
  function $(id) {
    return document.getElementById(id);
  }

  function storage(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (err) {
      return null; // storage disabled: the page still works, it just forgets
    }
    return null;
  }

  function setText(node, text) {
    text = text === undefined || text === null ? "" : String(text);
    if (node.textContent !== text) node.textContent = text;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  function isNumber(value) {
    return typeof value === "number" && isFinite(value);
  }

  function byId(list, id) {
    for (var i = 0; i < list.length; i++) if (String(list[i].id) === String(id)) return list[i];
    return null;
  }

  var el = {
    app: $("app"),
    headerCounter: $("header-counter"),
    headerProduct: $("header-product"),
    venueName: $("venue-name"),
    headerTools: $("header-tools"),
    myStats: $("my-stats"),
    myStatsText: $("my-stats-text"),
    userName: $("user-name"),
    pauseBtn: $("pause-btn"),
    pauseLabel: $("pause-label"),
    servicesBtn: $("services-btn"),
    switchBtn: $("switch-btn"),
    logoutBtn: $("logout-btn"),
    connection: $("connection"),
    devices: $("devices-banner"),
    devicesText: $("devices-text"),
    printer: $("printer-banner"),
    printerText: $("printer-text"),
    printerPending: $("printer-pending"),
    printerFailed: $("printer-failed"),
    printerFailedList: $("printer-failed-list"),
    notice: $("notice"),
    noticeText: $("notice-text"),
    noticeClose: $("notice-close"),
    announce: $("announce"),
    screens: {
      loading: $("screen-loading"),
      login: $("screen-login"),
      pick: $("screen-pick"),
      work: $("screen-work"),
    },
    loginForm: $("login-form"),
    loginUser: $("login-user"),
    loginPassword: $("login-password"),
    loginSubmit: $("login-submit"),
    loginSubmitLabel: $("login-submit-label"),
    loginError: $("login-error"),
    pickMessage: $("pick-message"),
    counterList: $("counter-list"),
    workTitle: $("work-title"),
    current: $("current"),
    currentTitle: $("current-title"),
    currentStatus: $("current-status"),
    takeHint: $("take-hint"),
    takeHintText: $("take-hint-text"),
    empty: $("current-empty"),
    emptyTitle: $("empty-title"),
    emptyHint: $("empty-hint"),
    lastOutcome: $("last-outcome"),
    lastOutcomeText: $("last-outcome-text"),
    paused: $("current-paused"),
    resumeBtn: $("resume-btn"),
    ticket: $("current-ticket"),
    ticketNumber: $("ticket-number"),
    ticketService: $("ticket-service"),
    ticketAppointment: $("ticket-appointment"),
    ticketAppointmentText: $("ticket-appointment-text"),
    ticketCalled: $("ticket-called"),
    ticketRecalls: $("ticket-recalls"),
    ticketWaited: $("ticket-waited"),
    ticketWaitedBox: $("ticket-waited-box"),
    actions: {
      recall: $("act-recall"),
      start: $("act-start"),
      finish: $("act-finish"),
      "no-show": $("act-noshow"),
      transfer: $("act-transfer"),
      requeue: $("act-requeue"),
    },
    cases: $("cases"),
    casesState: $("cases-state"),
    caseList: $("case-list"),
    nextBtn: $("next-btn"),
    nextSub: $("next-sub"),
    queueTotal: $("queue-total"),
    groups: $("queue-groups"),
    queueEmpty: $("queue-empty"),
    queueOthers: $("queue-others"),
    serveBtn: $("serve-btn"),
    dlgConfirm: $("dlg-confirm"),
    confirmTitle: $("confirm-title"),
    confirmText: $("confirm-text"),
    confirmOk: $("confirm-ok"),
    dlgChoose: $("dlg-choose"),
    chooseTitle: $("choose-title"),
    chooseText: $("choose-text"),
    chooseLegend: $("choose-legend"),
    chooseList: $("choose-list"),
    chooseOk: $("choose-ok"),
    dlgServices: $("dlg-services"),
    servicesClose: $("services-close"),
    myServicesForm: $("my-services-form"),
    myServicesTitle: $("my-services-title"),
    myServicesList: $("my-services-list"),
    myServicesError: $("my-services-error"),
    myServicesSave: $("my-services-save"),
    openList: $("open-list"),
    tplCounter: $("tpl-counter"),
    tplGroup: $("tpl-group"),
    tplChip: $("tpl-chip"),
    tplCase: $("tpl-case"),
  };

  // --- state --------------------------------------------------------------------------------
  var state = {
    lang: languages[0],
    dicts: {},
    screen: "loading",
    user: null, // {id, username, name, role}
    csrf: null,
    online: false, // the live connection
    everOnline: false,
    busy: null, // the action in flight
    callGuardUntil: 0,
    counters: [], // GET /api/counters and `counters` events
    counterId: null, // the counter this page works at
    counter: null, // {id, name, services, paused, held_by}
    held: false, // the counter is this clerk's
    ticket: null, // the visitor at the counter (called or serving)
    version: 0, // grows with every change of the counter's state; stale answers are dropped
    me: null, // {served_today, avg_service_min}
    services: [], // from the live snapshot and queue events
    waiting: {}, // service id -> ticket views in call order
    waitingLoaded: false,
    printer: null,
    printerPendingSince: 0, // when jobs started waiting while the printer looked fine
    refreshAfterBusy: false, // a fresh look at the counter is due once the action answered
    reprinted: {}, // numbers reprinted from this page today (the server keeps them "failed")
    manualOpen: {}, // service id -> true | false | null, as set from this page
    cases: null, // {service id: count} when the clerk entered cases, else null (the default)
    casesTicket: null, // the ticket id the cases belong to
    casesDirty: false,
    casesSaving: null, // the promise of a save in flight
    expanded: {}, // service id -> the whole waiting list is shown
    pickMessage: null,
    lastOutcome: null, // {key, number} of the last finished visit, for the empty panel
    clockOffset: 0, // server time - local time, from the Date header (a tablet's clock may be off)
  };
  var ticketEvents = 0; // live ticket events received, to tell which news is newer
  var lastEventOf = {}; // ticket id -> ticketEvents when its last event came
  var timers = { notice: 0, offline: 0, tick: 0, cases: 0, printer: 0, session: 0 };
  var live = null;

  // --- texts --------------------------------------------------------------------------------
  // The chosen language, then the first (wartemarke/static/js/texts.js).
  var tx = Wartemarke.texts(function () {
    return [state.dicts[state.lang], state.dicts[languages[0]]];
  });
  var raw = tx.raw;
  var locale = tx.locale;
  var formatNumber = tx.number;

  /** The text for key in the current language ("" until a language file arrived). */
  function t(key, values) {
    var text = tx.t(key, values);
    return text === undefined ? "" : text;
  }

  /** A text with plural forms {"zero"?, "one", "other"} by Intl.PluralRules. */
  function plural(key, n, values) {
    var text = tx.plural(key, n, values);
    return text === undefined ? "" : text;
  }

  function keyOf(action) {
    var keys = raw("keys");
    return keys && typeof keys === "object" && typeof keys[action] === "string" ? keys[action] : "";
  }

  function loadLanguage(lang) {
    if (state.dicts[lang]) return Promise.resolve(state.dicts[lang]);
    return fetch(config.i18nBase + encodeURIComponent(lang) + ".json", { cache: "no-cache" })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (dict) {
        if (dict && typeof dict === "object") state.dicts[lang] = dict;
        return dict;
      });
  }

  function setLanguage(lang) {
    if (languages.indexOf(lang) < 0) return;
    state.lang = lang;
    storage(STORE_LANG, lang);
    loadLanguage(lang)
      .catch(function () {
        return null;
      })
      .then(applyLanguage);
  }

  function applyLanguage() {
    var root = document.documentElement;
    root.lang = state.lang;
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) {
      var text = t(nodes[i].getAttribute("data-i18n"));
      if (text) setText(nodes[i], text);
    }
    var labelled = document.querySelectorAll("[data-i18n-label]");
    for (var k = 0; k < labelled.length; k++) {
      var label = t(labelled[k].getAttribute("data-i18n-label"));
      if (label) labelled[k].setAttribute("aria-label", label);
    }
    var kbds = document.querySelectorAll("kbd[data-key]");
    for (var j = 0; j < kbds.length; j++) {
      var key = keyOf(kbds[j].getAttribute("data-key"));
      if (!key) continue;
      setText(kbds[j], key.toUpperCase());
      var owner = kbds[j].closest("button"); // the key is announced as a shortcut, not as text
      if (owner) owner.setAttribute("aria-keyshortcuts", key.toUpperCase());
    }
    var wide = document.querySelectorAll("kbd[data-key-label]");
    for (var w = 0; w < wide.length; w++) {
      var keyLabel = t("key_" + wide[w].getAttribute("data-key-label"));
      if (keyLabel) setText(wide[w], keyLabel);
    }
    [el.servicesBtn, el.switchBtn].forEach(function (button) {
      button.title = button.querySelector(".c-tool-label").textContent; // shown when icon-only
    });
    var langButtons = document.querySelectorAll("[data-lang]");
    for (var b = 0; b < langButtons.length; b++) {
      var active = langButtons[b].getAttribute("data-lang") === state.lang;
      langButtons[b].setAttribute("aria-pressed", active ? "true" : "false");
    }
    render();
  }

  // --- time ---------------------------------------------------------------------------------
  function serverNow() {
    return Date.now() + state.clockOffset;
  }

  function parseTime(iso) {
    if (typeof iso !== "string" || !iso) return null;
    var ms = Date.parse(iso);
    return isFinite(ms) ? ms : null;
  }

  function clockTime(ms) {
    try {
      return new Intl.DateTimeFormat(locale(), {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: config.timezone,
      }).format(new Date(ms - state.clockOffset));
    } catch (err) {
      return new Date(ms).toTimeString().slice(0, 5);
    }
  }

  /** "unter 1 Min." | "3 Min." | "1 Std. 5 Min." for a span in minutes. */
  function duration(minutes) {
    minutes = Math.max(0, Math.floor(minutes));
    if (minutes < 1) return t("under_a_minute");
    if (minutes < 60) return t("minutes", { min: formatNumber(minutes) });
    var h = Math.floor(minutes / 60);
    var m = minutes % 60;
    if (!m) return t("hours", { h: formatNumber(h) });
    return t("hours_minutes", { h: formatNumber(h), min: formatNumber(m) });
  }

  /** "gerade eben" | "vor 3 Min." */
  function ago(minutes) {
    return minutes < 1 ? t("just_now") : t("ago", { time: duration(minutes) });
  }

  function minutesSince(iso) {
    var ms = parseTime(iso);
    return ms === null ? null : (serverNow() - ms) / 60000;
  }

  // --- HTTP ---------------------------------------------------------------------------------
  /** One request: {status, body}; status 0 when no answer came (server away, timeout). */
  function request(method, path, payload) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timeout = window.setTimeout(function () {
      if (controller) controller.abort();
    }, config.requestTimeoutMs);
    var headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (state.csrf) headers["X-CSRFToken"] = state.csrf;
    }
    var sentAt = Date.now();
    return fetch(config.api + path, {
      method: method,
      headers: headers,
      body: method === "GET" ? undefined : JSON.stringify(payload || {}),
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (res) {
        learnClock(res.headers.get("Date"), sentAt);
        return res.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (err) {
            data = null;
          }
          return { status: res.status, body: data };
        });
      })
      .catch(function () {
        return { status: 0, body: null };
      })
      .finally(function () {
        window.clearTimeout(timeout);
      });
  }

  function learnClock(header, sentAt) {
    var server = header ? Date.parse(header) : NaN;
    if (!isFinite(server)) return;
    var offset = server + 500 - (sentAt + Date.now()) / 2; // the header has whole seconds
    // Only a clearly wrong clock is corrected; a second or two does not matter here.
    state.clockOffset = Math.abs(offset) > 5000 ? offset : 0;
  }

  // --- notices ------------------------------------------------------------------------------
  function notify(text, kind) {
    window.clearTimeout(timers.notice);
    if (!text) return hideNotice();
    kind = kind || "info";
    el.notice.setAttribute("data-kind", kind);
    // Errors interrupt; the rest is announced politely.
    el.notice.setAttribute("role", kind === "error" ? "alert" : "status");
    setText(el.noticeText, text);
    show(el.notice, true);
    if (kind !== "error") timers.notice = window.setTimeout(hideNotice, NOTICE_SECONDS * 1000);
  }

  function hideNotice() {
    window.clearTimeout(timers.notice);
    show(el.notice, false);
  }

  function announce(text) {
    setText(el.announce, "");
    window.setTimeout(function () {
      setText(el.announce, text);
    }, 50);
  }

  // --- session ------------------------------------------------------------------------------
  function start() {
    request("GET", "/me").then(function (answer) {
      if (answer.status === 200 && answer.body && answer.body.user) {
        loggedIn(answer.body);
      } else if (answer.status === 0) {
        showLogin(t("server_unreachable"));
        window.setTimeout(start, 3000);
      } else {
        showLogin();
      }
    });
  }

  function showLogin(message) {
    var arriving = state.screen !== "login";
    state.screen = "login";
    state.user = null;
    state.csrf = null;
    setText(el.loginError, message || "");
    show(el.loginError, Boolean(message));
    el.loginSubmit.removeAttribute("aria-disabled");
    el.loginSubmit.classList.remove("is-busy");
    render();
    if (!arriving) return; // never pull the focus away from someone typing
    window.setTimeout(function () {
      (el.loginUser.value ? el.loginPassword : el.loginUser).focus();
    }, 0);
  }

  function onLogin(event) {
    event.preventDefault();
    if (el.loginSubmit.getAttribute("aria-disabled") === "true") return;
    var username = el.loginUser.value.trim();
    var password = el.loginPassword.value;
    if (!username || !password) {
      setText(el.loginError, t("login_missing"));
      show(el.loginError, true);
      (username ? el.loginPassword : el.loginUser).focus();
      return;
    }
    el.loginSubmit.setAttribute("aria-disabled", "true");
    el.loginSubmit.classList.add("is-busy");
    setText(el.loginSubmitLabel, t("login_busy"));
    request("POST", "/login", { username: username, password: password }).then(function (answer) {
      el.loginSubmit.removeAttribute("aria-disabled");
      el.loginSubmit.classList.remove("is-busy");
      setText(el.loginSubmitLabel, t("login"));
      if (answer.status === 200 && answer.body && answer.body.user) {
        el.loginPassword.value = "";
        show(el.loginError, false);
        loggedIn(answer.body);
        return;
      }
      var key = "login_failed";
      if (answer.status === 401) key = "login_wrong";
      else if (answer.status === 429) key = "login_throttled";
      else if (answer.status === 0) key = "server_unreachable";
      setText(el.loginError, t(key));
      show(el.loginError, true);
      el.loginPassword.value = "";
      el.loginPassword.focus();
    });
  }

  function loggedIn(data) {
    state.user = data.user;
    state.csrf = data.csrf_token || state.csrf;
    setText(el.userName, state.user.name || state.user.username || "");
    connect();
    loadCounters().then(function () {
      var stored = storage(STORE_COUNTER);
      if (stored && byId(state.counters, stored)) {
        // Back at this device: straight to the counter if it is still ours (a reload).
        return fetchCounter(Number(stored)).then(function (answer) {
          if (answer && answer.body && answer.body.counter && isMine(answer.body.counter)) {
            enterCounter(Number(stored), answer.body);
          } else {
            showPick();
          }
        });
      }
      showPick();
      return null;
    });
  }

  function isMine(counter) {
    return Boolean(state.user && counter && counter.held_by && counter.held_by === state.user.name);
  }

  /** The session ended elsewhere (expired, server data reset): back to the login form. */
  function sessionLost() {
    disconnect();
    resetWork();
    showLogin(t("session_expired"));
  }

  function logout() {
    var leave = function () {
      request("POST", "/logout").then(function (answer) {
        if (answer.status === 0) {
          notify(t("server_unreachable"), "error");
          return;
        }
        disconnect();
        resetWork();
        state.counterId = null; // the device remembers it for the next login
        el.loginUser.value = "";
        showLogin();
        notify(t("logged_out"), "info");
      });
    };
    if (state.ticket && state.held) {
      confirmDialog({
        title: t("logout_confirm_title"),
        text: t("logout_confirm_text", { number: state.ticket.number }),
        ok: t("logout"),
      }).then(function (ok) {
        if (ok) leave();
      });
    } else {
      leave();
    }
  }

  function resetWork() {
    state.counter = null;
    state.held = false;
    state.ticket = null;
    state.me = null;
    state.cases = null;
    state.casesTicket = null;
    state.casesDirty = false;
    state.lastOutcome = null;
    state.busy = null;
    state.version += 1;
  }

  // --- live connection ----------------------------------------------------------------------
  function connect() {
    if (live) return;
    if (!window.Wartemarke || typeof window.Wartemarke.live !== "function") return;
    try {
      live = window.Wartemarke.live(
        "/staff",
        {
          snapshot: onSnapshot,
          queue: function (queue) {
            if (Array.isArray(queue.services)) state.services = queue.services;
            render();
          },
          ticket: onTicket,
          counters: function (data) {
            if (Array.isArray(data.counters)) onCounters(data.counters);
          },
          printer: function (printer) {
            setPrinter(printer);
          },
          devices: function (data) {
            setDevices(data && data.devices);
          },
          connect_error: function () {
            checkSessionSoon();
          },
        },
        { onStatus: onStatus }
      );
    } catch (err) {
      if (window.console) window.console.error("counter: no live connection", err);
      live = null;
    }
  }

  function disconnect() {
    if (live) live.close();
    live = null;
    state.online = false;
    state.waitingLoaded = false;
    window.clearTimeout(timers.offline);
    el.app.classList.remove("is-offline");
    show(el.connection, false);
  }

  function onStatus(status) {
    state.online = status === "online";
    window.clearTimeout(timers.offline);
    if (state.online) {
      state.everOnline = true;
      el.app.classList.remove("is-offline");
      show(el.connection, false);
    } else {
      // Locked at once; the banner after a moment, so a blip does not flash.
      timers.offline = window.setTimeout(function () {
        if (state.online || !state.user) return;
        el.app.classList.add("is-offline");
        show(el.connection, true);
      }, state.everOnline ? OFFLINE_INDICATOR_DELAY_MS : 3000);
    }
    render();
  }

  /** A refused staff connection means no session; ask the server (at most every few seconds). */
  function checkSessionSoon() {
    if (timers.session || !state.user) return;
    timers.session = window.setTimeout(function () {
      timers.session = 0;
      request("GET", "/me").then(function (answer) {
        if (answer.status === 401) sessionLost();
        else if (answer.status === 200 && answer.body) state.csrf = answer.body.csrf_token;
      });
    }, 2000);
  }

  function onSnapshot(snapshot) {
    if (Array.isArray(snapshot.services)) state.services = snapshot.services;
    if (snapshot.waiting && typeof snapshot.waiting === "object") {
      var waiting = {};
      Object.keys(snapshot.waiting).forEach(function (sid) {
        var list = snapshot.waiting[sid];
        if (Array.isArray(list)) waiting[String(sid)] = list.slice();
      });
      state.waiting = waiting;
      state.waitingLoaded = true;
    }
    if (Array.isArray(snapshot.counters)) state.counters = snapshot.counters;
    if (snapshot.venue && typeof snapshot.venue.name === "string" && snapshot.venue.name) {
      setText(el.venueName, snapshot.venue.name);
    }
    setPrinter(snapshot.printer === undefined ? state.printer : snapshot.printer);
    if (snapshot.devices !== undefined) setDevices(snapshot.devices);
    if (state.screen === "work") refreshCounter(); // the whole state again, not only the lists
    render();
  }

  /** The call order of domain/policy.py: priority first, then the longest wait, then the id. */
  function queueKey(ticket) {
    return [-(ticket.priority || 0), parseTime(ticket.issued_at) || 0, ticket.id || 0];
  }

  function before(a, b) {
    var ka = queueKey(a);
    var kb = queueKey(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return true;
      if (ka[i] > kb[i]) return false;
    }
    return false;
  }

  /** One ticket changed: keep the waiting lists exact and follow the visitor at this counter. */
  function onTicket(ticket) {
    if (!ticket || ticket.id === undefined) return;
    ticketEvents += 1;
    lastEventOf[ticket.id] = ticketEvents;
    updateLists(ticket);
    var here = state.counterId !== null && ticket.counter === state.counterId;
    if (state.ticket && state.ticket.id === ticket.id) {
      state.ticket = OPEN_STATES[ticket.status] && here ? ticket : null;
      state.version += 1;
    } else if (state.held && here && OPEN_STATES[ticket.status] && !state.busy) {
      state.ticket = ticket; // called from this clerk's other window
      state.version += 1;
    }
    render();
  }

  /** Out of every waiting list, and back into its service's list in call order if waiting. */
  function updateLists(ticket) {
    Object.keys(state.waiting).forEach(function (sid) {
      var list = state.waiting[sid];
      for (var i = list.length - 1; i >= 0; i--) if (list[i].id === ticket.id) list.splice(i, 1);
    });
    if (ticket.status === "waiting") {
      var sid = String(ticket.service);
      var list = state.waiting[sid] || (state.waiting[sid] = []);
      var at = list.length;
      for (var k = 0; k < list.length; k++) {
        if (before(ticket, list[k])) {
          at = k;
          break;
        }
      }
      list.splice(at, 0, ticket);
    }
  }

  function onCounters(counters) {
    state.counters = counters;
    var mine = state.counterId !== null ? byId(counters, state.counterId) : null;
    if (mine && state.counter && state.screen === "work") {
      state.counter.paused = Boolean(mine.paused);
      if (Array.isArray(mine.services)) state.counter.services = mine.services;
      if (state.held !== Boolean(mine.staffed) && !state.busy) refreshCounter();
    }
    render();
  }

  // --- counters -----------------------------------------------------------------------------
  function loadCounters() {
    return request("GET", "/counters").then(function (answer) {
      if (answer.status === 200 && Array.isArray(answer.body)) state.counters = answer.body;
    });
  }

  function fetchCounter(id) {
    return request("GET", "/counters/" + encodeURIComponent(id)).then(function (answer) {
      if (answer.status === 401) {
        sessionLost();
        return null;
      }
      return answer;
    });
  }

  function showPick(message) {
    state.screen = "pick";
    state.pickMessage = message || null;
    render();
    var stored = storage(STORE_COUNTER);
    window.setTimeout(function () {
      var target =
        (stored && el.counterList.querySelector('[data-counter-id="' + CSS.escape(stored) + '"]')) ||
        el.counterList.querySelector(".c-counter-card");
      if (target) target.focus();
    }, 0);
  }

  function pickCounter(id) {
    if (state.busy) return;
    state.busy = "pick";
    render();
    fetchCounter(id).then(function (answer) {
      state.busy = null;
      if (!answer) return;
      var data = answer.body;
      if (answer.status !== 200 || !data || !data.counter) {
        showPick(answer.status === 0 ? t("server_unreachable") : t("error_generic"));
        return;
      }
      var holder = data.counter.held_by;
      if (holder && !isMine(data.counter)) {
        showPick(t("held_by", { counter: data.counter.name, name: holder }));
        return;
      }
      storage(STORE_COUNTER, String(id));
      enterCounter(id, data);
    });
  }

  function enterCounter(id, data) {
    state.counterId = id;
    state.screen = "work";
    state.pickMessage = null;
    applyStatus(data);
    render();
    el.currentTitle.focus({ preventScroll: true });
  }

  /** The answer of GET /api/counters/<id>: the whole state of the counter. */
  function applyStatus(data) {
    state.version += 1;
    state.counter = data.counter;
    state.held = isMine(data.counter);
    state.me = data.me || state.me;
    setTicket(data.ticket && OPEN_STATES[data.ticket.status] ? data.ticket : null);
    if (state.ticket && data.cases && !state.casesDirty) {
      var cases = {};
      Object.keys(data.cases).forEach(function (sid) {
        if (isNumber(data.cases[sid]) && data.cases[sid] > 0) cases[sid] = data.cases[sid];
      });
      state.cases = Object.keys(cases).length ? cases : null;
    }
  }

  function refreshCounter() {
    if (state.counterId === null) return;
    if (state.busy) {
      state.refreshAfterBusy = true; // the action's answer comes first, then a fresh look
      return;
    }
    var version = state.version;
    var id = state.counterId;
    fetchCounter(id).then(function (answer) {
      if (!answer || answer.status !== 200 || !answer.body || !answer.body.counter) return;
      if (state.version !== version || state.counterId !== id || state.busy) return; // newer
      var holder = answer.body.counter.held_by;
      if (holder && !isMine(answer.body.counter)) {
        resetWork();
        showPick(t("held_by", { counter: answer.body.counter.name, name: holder }));
        return;
      }
      applyStatus(answer.body);
      render();
    });
  }

  function setTicket(ticket) {
    var before = state.ticket;
    state.ticket = ticket;
    if (!ticket || !before || before.id !== ticket.id) {
      if (!ticket || state.casesTicket !== ticket.id) {
        state.cases = null;
        state.casesDirty = false;
        window.clearTimeout(timers.cases);
      }
      state.casesTicket = ticket ? ticket.id : null;
    }
  }

  function switchCounter() {
    if (state.ticket && state.held) {
      notify(t("finish_first", { number: state.ticket.number }), "error");
      return;
    }
    var go = function () {
      resetWork();
      state.counterId = null;
      showPick();
    };
    if (!state.held) return go();
    if (!canAct()) return;
    state.busy = "release";
    render();
    request("POST", "/counters/" + state.counterId + "/release").then(function (answer) {
      state.busy = null;
      if (answer.status === 200 || answer.status === 409) go();
      else handleError(answer, "release");
      render();
    });
  }

  // --- actions ------------------------------------------------------------------------------
  function canAct() {
    return state.screen === "work" && state.online && !state.busy && state.counterId !== null;
  }

  var ACTION_NEEDS = {
    recall: { called: 1 },
    start: { called: 1 },
    finish: { called: 1, serving: 1 },
    "no-show": { called: 1 },
    transfer: { called: 1, serving: 1 },
    requeue: { called: 1, serving: 1 },
  };

  function available(action) {
    var needs = ACTION_NEEDS[action];
    if (!needs) return true;
    return Boolean(state.ticket && needs[state.ticket.status]);
  }

  /**
   * Run one counter action. Locked while a request is in flight or the connection is down;
   * the answer (the counter's new state) is applied, errors are explained.
   */
  function act(action, payload) {
    if (!canAct() || !available(action)) return Promise.resolve(false);
    var calling = action === "next" || action === "call" || action === "serve";
    // A second "next" right after a call would finish the person just called: a slip.
    if (action === "next" && Date.now() < state.callGuardUntil) return Promise.resolve(false);
    var ticketBefore = state.ticket;
    var eventsBefore = ticketEvents;
    state.busy = action;
    render();
    // Closing the visit sends the cases with it; any other action saves them first.
    var closing = (action === "next" || action === "finish") && ticketBefore;
    if (closing) window.clearTimeout(timers.cases);
    var saving = closing ? state.casesSaving || Promise.resolve() : flushCases();
    return saving
      .then(function () {
        payload = payload || {};
        var cases = closing ? casesPayload() : null;
        if (cases) payload.cases = cases;
        return post(action, payload, true);
      })
      .then(function (answer) {
        if (answer.status === 200 && answer.body) {
          applyResult(answer.body, action, ticketBefore, eventsBefore);
          state.callGuardUntil = calling && answer.body.ticket ? Date.now() + CALL_GUARD_MS : 0;
          return true;
        }
        handleError(answer, action);
        return false;
      })
      .finally(function () {
        state.busy = null;
        if (state.refreshAfterBusy) {
          state.refreshAfterBusy = false;
          refreshCounter();
        }
        render();
        keepFocus();
      });
  }

  /** The button that had focus may be gone now (e.g. "Fertig"): keep keyboard users in place. */
  function keepFocus() {
    if (state.screen !== "work" || dialogOpen()) return;
    var active = document.activeElement;
    if (!active || active === document.body || !active.getClientRects().length) {
      el.currentTitle.focus({ preventScroll: true });
    }
  }

  /** POST an action; a stale CSRF token (server restarted with a new key) is renewed once. */
  function post(action, payload, retry) {
    var path = "/counters/" + encodeURIComponent(state.counterId) + "/" + action;
    return request("POST", path, payload).then(function (answer) {
      if (answer.status === 403 && retry && answer.body && answer.body.error === "csrf") {
        return request("GET", "/me").then(function (me) {
          if (me.status !== 200 || !me.body) return answer;
          state.csrf = me.body.csrf_token;
          return post(action, payload, false);
        });
      }
      return answer;
    });
  }

  function applyResult(result, action, ticketBefore, eventsBefore) {
    state.version += 1;
    if (result.counter) {
      state.counter = Object.assign({}, state.counter || {}, result.counter);
      if (state.user) state.counter.held_by = state.user.name;
    }
    state.held = action !== "release";
    if (result.me) state.me = result.me;
    var ticket = result.ticket;
    var open = ticket && OPEN_STATES[ticket.status];
    if (action === "cases") {
      state.casesDirty = false;
      return;
    }
    // The answer is as new as the live event about the same change, which may still be on its
    // way (or lost, if the server went down right after answering); an event that came while
    // the request was out is at least as new, so it wins.
    var heard = ticket && (lastEventOf[ticket.id] || 0) > eventsBefore;
    if (ticket && ticket.id !== undefined && state.waitingLoaded && !heard) updateLists(ticket);
    setTicket(open ? ticket : null);
    var number = ticket ? ticket.number : ticketBefore ? ticketBefore.number : "";
    var closed = ticketBefore && (!open || ticket.id !== ticketBefore.id) ? ticketBefore : null;
    if (action === "next" && !ticket) {
      notify(
        closed ? t("done_nobody_waiting", { number: closed.number }) : t("nobody_waiting"),
        "info"
      );
      state.lastOutcome = closed ? { key: "outcome_done", number: closed.number } : null;
    } else if (action === "finish") {
      state.lastOutcome = { key: "outcome_done", number: number };
      hideNotice();
      announce(t("finished", { number: number }));
    } else if (action === "no-show") {
      state.lastOutcome = { key: "outcome_no_show", number: number };
      hideNotice();
      announce(t("no_show_done", { number: number }));
    } else if (action === "requeue") {
      state.lastOutcome = { key: "outcome_requeued", number: number };
      notify(t("requeued", { number: number }), "success");
    } else if (action === "transfer") {
      var to = byId(state.services, ticket && ticket.service);
      state.lastOutcome = { key: "outcome_transferred", number: number };
      notify(t("transferred", { number: number, service: to ? to.name : "" }), "success");
    } else if (action === "recall") {
      hideNotice();
      announce(t("recalled", { number: number }));
    } else if (action === "services") {
      notify(t("services_saved"), "success");
    } else if (action === "pause" || action === "resume") {
      hideNotice();
    } else if (open && (action === "next" || action === "call" || action === "serve")) {
      hideNotice();
      state.lastOutcome = null;
    }
    if (open && ticket.id !== (ticketBefore && ticketBefore.id)) {
      announce(t("announce_called", { number: ticket.number, service: ticket.service_name || "" }));
      el.currentTitle.focus({ preventScroll: true });
    }
  }

  function handleError(answer, action) {
    var data = answer.body || {};
    if (answer.status === 401) {
      sessionLost();
      return;
    }
    if (answer.status === 0) {
      notify(t("no_answer"), "error");
      refreshCounter();
      return;
    }
    if (answer.status === 409 && data.held_by) {
      var name = state.counter ? state.counter.name : "";
      resetWork();
      state.counterId = null;
      showPick(t("held_by", { counter: name, name: data.held_by }));
      return;
    }
    if (answer.status === 409 && isNumber(data.counter) && data.counter !== state.counterId) {
      var other = byId(state.counters, data.counter);
      notify(t("finish_elsewhere", { counter: other ? other.name : String(data.counter) }), "error");
      return;
    }
    var key = "error_generic";
    if (answer.status === 409) key = "error_conflict";
    else if (answer.status === 404) key = "error_not_found";
    else if (answer.status === 400) key = "error_invalid";
    else if (answer.status === 403) key = "error_forbidden";
    else if (answer.status === 429) key = "error_too_fast";
    else if (data.error === "storage_full") key = "error_storage_full";
    else if (data.error === "storage_unavailable") key = "error_storage_busy";
    else if (answer.status >= 500) key = "error_server";
    notify(t(key), "error");
    if (action !== "cases") refreshCounter();
  }

  // --- cases --------------------------------------------------------------------------------
  function displayedCases() {
    if (state.cases) return state.cases;
    var cases = {};
    if (state.ticket) cases[String(state.ticket.service)] = 1;
    return cases;
  }

  function casesPayload() {
    if (!state.cases) return null;
    var list = Object.keys(state.cases)
      .filter(function (sid) {
        return state.cases[sid] > 0;
      })
      .map(function (sid) {
        return { service: Number(sid), count: state.cases[sid] };
      });
    if (!list.length && state.ticket) {
      // Everything taken back: the default again, said explicitly (an earlier save may exist).
      list = [{ service: state.ticket.service, count: 1 }];
    }
    return list.length ? list : null;
  }

  function changeCase(sid, delta) {
    if (!state.ticket || state.busy || !state.online) return;
    var cases = Object.assign({}, displayedCases());
    var next = Math.max(0, Math.min(20, (cases[sid] || 0) + delta));
    if (next) cases[sid] = next;
    else delete cases[sid];
    state.cases = cases;
    state.casesDirty = true;
    window.clearTimeout(timers.cases);
    if (state.held) timers.cases = window.setTimeout(flushCases, CASES_SAVE_DELAY_MS);
    render();
  }

  /** Save the entered cases now (before another action); resolves when done. */
  function flushCases() {
    window.clearTimeout(timers.cases);
    if (state.casesSaving) return state.casesSaving.then(flushCases); // then what came since
    var cases = casesPayload();
    if (!state.casesDirty || !cases || !state.ticket || !state.held) return Promise.resolve();
    var ticketId = state.ticket.id;
    state.casesDirty = false;
    setText(el.casesState, t("cases_saving"));
    state.casesSaving = post("cases", { cases: cases }, true)
      .then(function (answer) {
        if (answer.status !== 200) {
          if (state.ticket && state.ticket.id === ticketId) state.casesDirty = true;
          if (answer.status === 0) notify(t("no_answer"), "error");
        }
      })
      .finally(function () {
        state.casesSaving = null;
        render();
      });
    return state.casesSaving;
  }

  // --- dialogs ------------------------------------------------------------------------------
  function openDialog(dialog) {
    if (dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  function dialogOpen() {
    return Boolean(document.querySelector("dialog[open]"));
  }

  /** A yes/no question; resolves true for yes. */
  function confirmDialog(options) {
    setText(el.confirmTitle, options.title);
    setText(el.confirmText, options.text || "");
    show(el.confirmText, Boolean(options.text));
    setText(el.confirmOk, options.ok);
    el.confirmOk.classList.toggle("c-btn-danger", Boolean(options.danger));
    el.dlgConfirm.returnValue = "";
    openDialog(el.dlgConfirm);
    el.confirmOk.focus();
    return new Promise(function (resolve) {
      el.dlgConfirm.addEventListener(
        "close",
        function () {
          resolve(el.dlgConfirm.returnValue === "ok");
        },
        { once: true }
      );
    });
  }

  /** Choose one service; resolves with its id or null. */
  function chooseService(options) {
    setText(el.chooseTitle, options.title);
    setText(el.chooseText, options.text || "");
    show(el.chooseText, Boolean(options.text));
    setText(el.chooseLegend, options.title);
    setText(el.chooseOk, options.ok);
    el.chooseList.textContent = "";
    options.services.forEach(function (service, index) {
      var label = document.createElement("label");
      label.className = "c-choice";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "choice";
      input.value = String(service.id);
      input.className = "c-choice-input";
      if (index === 0) input.checked = true;
      var badge = document.createElement("span");
      badge.className = "c-badge";
      badge.setAttribute("aria-hidden", "true");
      badge.textContent = service.prefix || (service.name || "?").charAt(0);
      var name = document.createElement("span");
      name.className = "c-choice-name";
      name.textContent = service.name || "";
      var meta = document.createElement("span");
      meta.className = "c-choice-meta wm-tabular";
      meta.textContent = isNumber(service.waiting) ? plural("waiting_n", service.waiting) : "";
      label.appendChild(input);
      label.appendChild(badge);
      label.appendChild(name);
      label.appendChild(meta);
      el.chooseList.appendChild(label);
    });
    el.dlgChoose.returnValue = "";
    openDialog(el.dlgChoose);
    var first = el.chooseList.querySelector("input");
    if (first) first.focus();
    return new Promise(function (resolve) {
      el.dlgChoose.addEventListener(
        "close",
        function () {
          var checked = el.chooseList.querySelector("input:checked");
          resolve(el.dlgChoose.returnValue === "ok" && checked ? Number(checked.value) : null);
        },
        { once: true }
      );
    });
  }

  function onTransfer() {
    if (!canAct() || !available("transfer")) return;
    var current = state.ticket;
    var targets = enabledServices().filter(function (s) {
      return s.id !== current.service;
    });
    if (!targets.length) return;
    chooseService({
      title: t("transfer_title", { number: current.number }),
      text: t("transfer_text"),
      ok: t("transfer"),
      services: targets,
    }).then(function (service) {
      if (service !== null && state.ticket && state.ticket.id === current.id) {
        act("transfer", { service: service });
      }
    });
  }

  function onServe() {
    if (!canAct()) return;
    var mine = counterServices();
    var services = mine.concat(
      enabledServices().filter(function (s) {
        return mine.indexOf(s) < 0;
      })
    );
    chooseService({
      title: t("serve_title"),
      text: state.ticket
        ? t("serve_text_closing", { number: state.ticket.number })
        : t("serve_text"),
      ok: t("serve_ok"),
      services: services,
    }).then(function (service) {
      if (service !== null) act("serve", { service: service });
    });
  }

  function onNoShow() {
    if (!canAct() || !available("no-show")) return;
    var current = state.ticket;
    if ((current.recalls || 0) >= config.recallsBeforeNoShow) {
      act("no-show");
      return;
    }
    confirmDialog({
      title: t("no_show_confirm_title", { number: current.number }),
      text: plural("no_show_confirm_text", current.recalls || 0),
      ok: t("no_show"),
      danger: true,
    }).then(function (ok) {
      if (ok && state.ticket && state.ticket.id === current.id) act("no-show");
    });
  }

  function onCallNumber(ticket) {
    if (!canAct()) return;
    confirmDialog({
      title: t("call_confirm_title", { number: ticket.number }),
      text: state.ticket
        ? t("call_confirm_closing", { number: state.ticket.number })
        : t("call_confirm_text", { service: ticket.service_name || "" }),
      ok: t("call_ok"),
    }).then(function (ok) {
      if (ok) act("call", { number: ticket.number });
    });
  }

  function onNext() {
    if (!canAct()) return;
    act("next");
  }

  function onPauseToggle() {
    if (!canAct() || !state.counter) return;
    act(state.counter.paused ? "resume" : "pause");
  }

  // --- services panel -----------------------------------------------------------------------
  function openServices() {
    if (!state.counter) return;
    renderServicesPanel(true);
    show(el.myServicesError, false);
    openDialog(el.dlgServices);
    var first = el.myServicesList.querySelector("input");
    if (first) first.focus({ preventScroll: true });
  }

  function renderServicesPanel(reset) {
    if (!state.counter) return;
    setText(el.myServicesTitle, t("my_services_title", { counter: state.counter.name }));
    var mine = state.counter.services || [];
    var list = enabledServices();
    if (reset || el.myServicesList.childElementCount !== list.length) {
      el.myServicesList.textContent = "";
      list.forEach(function (service) {
        var label = document.createElement("label");
        label.className = "c-check";
        var input = document.createElement("input");
        input.type = "checkbox";
        input.value = String(service.id);
        input.className = "c-check-input";
        input.checked = mine.indexOf(service.id) >= 0;
        var name = document.createElement("span");
        name.className = "c-check-name";
        name.textContent = service.name || "";
        label.appendChild(input);
        label.appendChild(name);
        el.myServicesList.appendChild(label);
      });
    }
    syncList(
      el.openList,
      list,
      function (s) {
        return String(s.id);
      },
      createOpenRow,
      updateOpenRow
    );
  }

  function createOpenRow(service) {
    var item = document.createElement("li");
    item.className = "c-open-row";
    var head = document.createElement("div");
    head.className = "c-open-head";
    var name = document.createElement("span");
    name.className = "c-open-name";
    var status = document.createElement("span");
    status.className = "c-open-status";
    head.appendChild(name);
    head.appendChild(status);
    var group = document.createElement("div");
    group.className = "c-segmented";
    group.setAttribute("role", "group");
    var buttons = {};
    [
      ["open", true],
      ["close", false],
      ["auto", null],
    ].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "c-segment";
      button.setAttribute("data-mode", pair[0]);
      button.addEventListener("click", function () {
        setServiceOpen(service.id, pair[1], button);
      });
      buttons[pair[0]] = button;
      group.appendChild(button);
    });
    item.appendChild(head);
    item.appendChild(group);
    item._parts = { name: name, status: status, group: group, buttons: buttons };
    return item;
  }

  function updateOpenRow(item, service) {
    var parts = item._parts;
    setText(parts.name, service.name || "");
    var availability = service.availability || (service.open ? "open" : "closed");
    setText(parts.status, t("availability_" + availability) || availability);
    parts.status.setAttribute("data-availability", availability);
    parts.group.setAttribute("aria-label", t("open_group_label", { service: service.name || "" }));
    var mode = state.manualOpen[service.id];
    if (mode === undefined) mode = availability === "closed" ? false : null;
    var modes = { open: true, close: false, auto: null };
    Object.keys(parts.buttons).forEach(function (key) {
      var button = parts.buttons[key];
      setText(button, t("open_mode_" + key));
      if (key === "auto") button.setAttribute("title", t("open_mode_auto_title"));
      button.setAttribute("aria-pressed", modes[key] === mode ? "true" : "false");
    });
  }

  function setServiceOpen(id, open, button) {
    if (!state.online || state.busy) return;
    state.busy = "open";
    button.classList.add("is-busy");
    request("POST", "/services/" + encodeURIComponent(id) + "/open", { open: open }).then(
      function (answer) {
        state.busy = null;
        button.classList.remove("is-busy");
        if (answer.status === 200 && answer.body) {
          state.manualOpen[id] = open;
          var service = byId(state.services, id);
          if (service) Object.assign(service, answer.body);
        } else if (answer.status === 401) {
          sessionLost();
        } else {
          notify(t(answer.status === 0 ? "no_answer" : "error_generic"), "error");
        }
        render();
        renderServicesPanel(false);
      }
    );
  }

  function onSaveMyServices(event) {
    event.preventDefault();
    var ids = Array.prototype.map.call(
      el.myServicesList.querySelectorAll("input:checked"),
      function (input) {
        return Number(input.value);
      }
    );
    if (!ids.length) {
      setText(el.myServicesError, t("services_none"));
      show(el.myServicesError, true);
      return;
    }
    show(el.myServicesError, false);
    el.myServicesSave.classList.add("is-busy");
    act("services", { services: ids }).then(function (ok) {
      el.myServicesSave.classList.remove("is-busy");
      if (ok) el.dlgServices.close();
    });
  }

  // --- screens of the venue -------------------------------------------------------------------
  /** A wall display that cannot make sound, or lost its connection, is shown to staff:
   *  calls would otherwise go unheard without anyone knowing. */
  function setDevices(devices) {
    var problems = [];
    (Array.isArray(devices) ? devices : []).forEach(function (d) {
      if (!d || d.kind !== "display") return;
      // A display switched off hours ago (the evening before) is no news for the clerk.
      var recent = Date.now() / 1000 - Number(d.last_seen) < 2 * 3600;
      if (!d.connected) {
        if (recent) problems.push(t("display_gone", { id: d.id }));
      }
      else if (d.sound === "blocked") problems.push(t("display_muted", { id: d.id }));
      else if (d.sound === "speech_unavailable") problems.push(t("display_no_speech", { id: d.id }));
    });
    setText(el.devicesText, problems.join(" · "));
    el.devices.hidden = problems.length === 0;
  }

  // --- printer ------------------------------------------------------------------------------
  function loadReprinted() {
    try {
      var stored = JSON.parse(storage(STORE_REPRINTED) || "{}");
      var today = new Date().toDateString();
      state.reprinted = stored && stored.day === today ? stored.numbers || {} : {};
    } catch (err) {
      state.reprinted = {};
    }
  }

  function saveReprinted() {
    storage(
      STORE_REPRINTED,
      JSON.stringify({ day: new Date().toDateString(), numbers: state.reprinted })
    );
  }

  function setPrinter(printer) {
    state.printer = printer && typeof printer === "object" ? printer : null;
    window.clearTimeout(timers.printer);
    var pending = state.printer && Array.isArray(state.printer.pending) ? state.printer.pending : [];
    if (pending.length && !printerProblems().length) {
      // Jobs that are printing now need no alert; only those still waiting after a moment.
      timers.printer = window.setTimeout(renderPrinter, PRINTER_PENDING_DELAY_MS);
      state.printerPendingSince = state.printerPendingSince || Date.now();
    } else if (!pending.length) {
      state.printerPendingSince = 0;
    }
    renderPrinter();
  }

  function printerProblems() {
    var p = state.printer;
    if (!p) return [];
    var problems = [];
    if (p.paper === "out") problems.push(t("printer_paper_out"));
    if (p.cover_open === true) problems.push(t("printer_cover_open"));
    if (p.online === false && p.paper !== "out" && p.cover_open !== true) {
      problems.push(t("printer_offline"));
    }
    if (p.paper === "near_end" && !problems.length) problems.push(t("printer_paper_low"));
    return problems;
  }

  function renderPrinter() {
    var p = state.printer;
    var problems = printerProblems();
    var pending = p && Array.isArray(p.pending) ? p.pending : [];
    var failed = (p && Array.isArray(p.failed) ? p.failed : []).filter(function (n) {
      return !state.reprinted[n];
    });
    var pendingLong =
      pending.length &&
      (problems.length ||
        (state.printerPendingSince &&
          Date.now() - state.printerPendingSince >= PRINTER_PENDING_DELAY_MS - 50));
    var visible = Boolean(state.user) && (problems.length > 0 || pendingLong || failed.length > 0);
    show(el.printer, visible);
    if (!visible) return;
    var serious = p.paper === "out" || p.online === false || p.cover_open === true || failed.length;
    el.printer.setAttribute("data-level", serious ? "error" : "warning");
    var parts = [];
    if (problems.length) parts.push(problems.join(" · "));
    if (pendingLong) parts.push(plural("printer_pending", pending.length));
    if (!problems.length && !pendingLong && failed.length) {
      parts.push(plural("printer_failed", failed.length));
    }
    setText(el.printerText, t("printer_prefix") + " " + parts.join(" – "));
    show(el.printerPending, Boolean(pendingLong));
    if (pendingLong) {
      setText(el.printerPending, plural("printer_pending_detail", pending.length, { numbers: pending.join(", ") }));
    }
    show(el.printerFailed, failed.length > 0);
    syncList(
      el.printerFailedList,
      failed,
      function (n) {
        return n;
      },
      function (number) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "c-btn c-btn-small c-reprint";
        button.setAttribute("data-number", number);
        button.addEventListener("click", function () {
          reprint(number, button);
        });
        return button;
      },
      function (button, number) {
        setText(button, t("reprint", { number: number }));
      }
    );
  }

  function reprint(number, button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    request("POST", "/tickets/" + encodeURIComponent(number) + "/reprint").then(function (answer) {
      button.removeAttribute("aria-disabled");
      if (answer.status === 202 || answer.status === 200) {
        state.reprinted[number] = true;
        saveReprinted();
        notify(t("reprinted", { number: number }), "success");
      } else if (answer.status === 401) {
        sessionLost();
      } else {
        notify(t(answer.status === 0 ? "no_answer" : "reprint_failed", { number: number }), "error");
      }
      renderPrinter();
    });
  }

  // --- queue helpers ------------------------------------------------------------------------
  function enabledServices() {
    return state.services.filter(function (s) {
      return s && s.id !== undefined;
    });
  }

  function counterServices() {
    var ids = (state.counter && state.counter.services) || [];
    return enabledServices().filter(function (s) {
      return ids.indexOf(s.id) >= 0;
    });
  }

  function waitingFor(sid) {
    return state.waiting[String(sid)] || [];
  }

  /** An appointment ticket's {slot, due_at, due}; null for a walk-in. */
  function appointmentOf(ticket) {
    var a = ticket && ticket.appointment;
    return a && typeof a === "object" && typeof a.slot === "string" ? a : null;
  }

  /** Its slot has started: the server said so, or the time has come since. */
  function isDue(ticket) {
    var a = appointmentOf(ticket);
    if (!a) return false;
    var at = parseTime(a.due_at);
    return Boolean(a.due) || (at !== null && at <= serverNow());
  }

  /** Due appointments among themselves: the earliest slot, then the earliest check-in. */
  function dueBefore(a, b) {
    var da = parseTime(appointmentOf(a).due_at) || 0;
    var db = parseTime(appointmentOf(b).due_at) || 0;
    return da !== db ? da < db : before(a, b);
  }

  /** The ticket the next "next" would call, as domain/appointments.py chooses: a due
   * appointment first, else the head of the merged walk-in lists in call order; appointments
   * not yet due wait. (After a run of appointments the server may give a walk-in who waited
   * long the turn instead; this page does not know the run.) */
  function nextUp() {
    var due = null;
    var walkIn = null;
    counterServices().forEach(function (s) {
      waitingFor(s.id).forEach(function (ticket) {
        if (appointmentOf(ticket)) {
          if (isDue(ticket) && (!due || dueBefore(ticket, due))) due = ticket;
        } else if (!walkIn || before(ticket, walkIn)) {
          walkIn = ticket;
        }
      });
    });
    return due || walkIn;
  }

  // --- rendering ----------------------------------------------------------------------------
  /** Keyed list update: reuse elements by key so focus and state survive a re-render. */
  function syncList(container, items, keyOf, create, update) {
    var existing = {};
    Array.prototype.forEach.call(container.children, function (child) {
      existing[child.getAttribute("data-key")] = child;
    });
    items.forEach(function (item, index) {
      var key = keyOf(item);
      var node = existing[key];
      if (!node) {
        node = create(item);
        node.setAttribute("data-key", key);
      }
      delete existing[key];
      update(node, item);
      if (container.children[index] !== node) {
        container.insertBefore(node, container.children[index] || null);
      }
    });
    Object.keys(existing).forEach(function (key) {
      var node = existing[key];
      if (node.contains(document.activeElement)) el.currentTitle.focus({ preventScroll: true });
      node.remove();
    });
  }

  function render() {
    var screen = state.screen;
    Object.keys(el.screens).forEach(function (name) {
      show(el.screens[name], name === screen);
    });
    el.app.setAttribute("data-screen", screen);
    if (state.busy) el.app.setAttribute("data-busy", state.busy);
    else el.app.removeAttribute("data-busy");
    show(el.headerTools, Boolean(state.user) && screen !== "login");
    var working = screen === "work" && state.counter;
    show(el.headerCounter, Boolean(working));
    show(el.headerProduct, !working);
    show(el.pauseBtn, Boolean(working));
    show(el.servicesBtn, Boolean(working));
    show(el.switchBtn, Boolean(working));
    if (working) setText(el.headerCounter, state.counter.name);
    renderTitle();
    renderStats();
    if (screen === "pick") renderPick();
    if (screen === "work" && state.counter) renderWork();
    renderPrinter();
  }

  function renderTitle() {
    var parts = [];
    if (state.screen === "work" && state.counter) {
      parts.push(state.ticket ? state.ticket.number + " · " + state.counter.name : state.counter.name);
    } else if (state.screen === "login") {
      parts.push(t("login_title"));
    } else if (state.screen === "pick") {
      parts.push(t("pick_short"));
    }
    parts.push(el.venueName.textContent);
    var title = parts.filter(Boolean).join(" – ");
    if (document.title !== title) document.title = title;
  }

  function renderStats() {
    var me = state.me;
    var visible = Boolean(me) && state.screen === "work";
    show(el.myStats, visible);
    if (!visible) return;
    var text = plural("served_today", me.served_today || 0);
    if (isNumber(me.avg_service_min)) {
      var avg = me.avg_service_min;
      text +=
        " · " +
        (avg < 1 ? t("avg_under_a_minute") : t("avg_minutes", { min: formatNumber(avg, 1) }));
    }
    setText(el.myStatsText, text);
  }

  function renderPick() {
    var stored = storage(STORE_COUNTER);
    setText(el.pickMessage, state.pickMessage || "");
    show(el.pickMessage, Boolean(state.pickMessage));
    var list = state.counters.slice();
    syncList(
      el.counterList,
      list,
      function (c) {
        return String(c.id);
      },
      function (counter) {
        var item = el.tplCounter.content.firstElementChild.cloneNode(true);
        var button = item.querySelector(".c-counter-card");
        button.setAttribute("data-counter-id", String(counter.id));
        button.addEventListener("click", function () {
          pickCounter(counter.id);
        });
        return item;
      },
      function (item, counter) {
        var button = item.querySelector(".c-counter-card");
        setText(item.querySelector(".c-counter-title"), counter.name);
        var stateNode = item.querySelector(".c-counter-state");
        var status = counter.paused ? "paused" : counter.staffed ? "staffed" : "free";
        setText(stateNode, t("counter_" + status));
        stateNode.setAttribute("data-status", status);
        var names = (counter.services || [])
          .map(function (id) {
            var s = byId(state.services, id);
            return s ? s.name : "";
          })
          .filter(Boolean);
        setText(item.querySelector(".c-counter-services"), names.join(" · "));
        var last = item.querySelector(".c-counter-last");
        var isLast = stored === String(counter.id);
        show(last, isLast);
        setText(last, t("last_used"));
        button.classList.toggle("is-last", isLast);
        button.setAttribute("aria-disabled", state.busy === "pick" ? "true" : "false");
      }
    );
  }

  function renderWork() {
    var counter = state.counter;
    var ticket = state.ticket;
    var locked = !canAct();
    setText(el.workTitle, counter.name);

    // The current visitor, a pause, or nobody.
    var paused = Boolean(counter.paused);
    var mode = ticket ? "ticket" : paused ? "paused" : "empty";
    el.current.setAttribute("data-state", mode);
    show(el.ticket, mode === "ticket");
    show(el.paused, mode === "paused");
    show(el.empty, mode === "empty");
    show(el.takeHint, !state.held);
    if (!state.held) setText(el.takeHintText, t("take_hint", { counter: counter.name }));

    if (ticket) renderTicket(ticket);
    else setText(el.currentStatus, "");
    show(el.currentStatus, Boolean(ticket));

    if (mode === "empty") {
      var outcome = state.lastOutcome;
      show(el.lastOutcome, Boolean(outcome));
      if (outcome) {
        setText(el.lastOutcomeText, t(outcome.key, { number: outcome.number }));
        el.lastOutcome.setAttribute("data-outcome", outcome.key);
      }
      setText(el.emptyTitle, t("nobody_here"));
      var up = nextUp();
      var total = counterServices().reduce(function (sum, s) {
        return sum + waitingFor(s.id).length;
      }, 0);
      setText(
        el.emptyHint,
        up
          ? plural("waiting_next", total, { number: up.number, service: up.service_name || "" })
          : state.waitingLoaded
            ? t("nobody_waiting")
            : ""
      );
    }

    // Pause button in the header, the next button.
    el.pauseBtn.setAttribute("aria-pressed", paused ? "true" : "false");
    setText(el.pauseLabel, paused ? t("resume") : t("pause"));
    el.pauseBtn.classList.toggle("is-paused", paused);
    var up2 = nextUp();
    var sub = "";
    if (!state.online) sub = t("locked_offline");
    else if (ticket) sub = t("next_closes", { number: ticket.number });
    else if (paused) sub = t("next_ends_pause");
    else if (up2) sub = t("next_up", { number: up2.number });
    else if (state.waitingLoaded) sub = t("nobody_waiting_short");
    setText(el.nextSub, sub);

    var lockables = [el.nextBtn, el.pauseBtn, el.resumeBtn, el.serveBtn, el.switchBtn];
    Object.keys(el.actions).forEach(function (action) {
      lockables.push(el.actions[action]);
    });
    lockables.forEach(function (button) {
      button.setAttribute("aria-disabled", locked ? "true" : "false");
      var action = button.getAttribute("data-action");
      button.classList.toggle(
        "is-busy",
        Boolean(state.busy) &&
          ((action && state.busy === action) ||
            (button === el.nextBtn && state.busy === "next") ||
            (button === el.pauseBtn && (state.busy === "pause" || state.busy === "resume")) ||
            (button === el.resumeBtn && state.busy === "resume") ||
            (button === el.serveBtn && state.busy === "serve"))
      );
    });
    el.switchBtn.setAttribute("aria-disabled", state.busy ? "true" : "false");

    renderQueue();
    if (el.dlgServices.open) renderServicesPanel(false);
  }

  function renderTicket(ticket) {
    setText(el.ticketNumber, ticket.number);
    el.ticketNumber.classList.toggle("is-long", String(ticket.number).length > 4);
    var walkIn = String(ticket.number).charAt(0) === "#";
    var serviceText = ticket.service_name || "";
    if (walkIn) serviceText += " · " + t("without_ticket");
    if (ticket.transferred_from) {
      var from = byId(state.services, ticket.transferred_from);
      if (from) serviceText += " · " + t("transferred_from", { service: from.name });
    }
    setText(el.ticketService, serviceText);
    var appointment = appointmentOf(ticket);
    show(el.ticketAppointment, Boolean(appointment));
    setText(
      el.ticketAppointmentText,
      appointment ? t("appointment", { slot: appointment.slot }) : ""
    );
    el.ticket.classList.toggle("has-appointment", Boolean(appointment));
    var status = ticket.status === "serving" ? "serving" : "called";
    el.currentStatus.setAttribute("data-status", status);
    setText(el.currentStatus, t("status_" + status));

    var calledMs = parseTime(ticket.called_at);
    var key = walkIn ? "served_since" : "called_at";
    setText(
      el.ticketCalled,
      calledMs === null
        ? ""
        : t(key, { time: clockTime(calledMs), ago: ago(minutesSince(ticket.called_at)) })
    );
    var issuedMs = parseTime(ticket.issued_at);
    var waited = calledMs !== null && issuedMs !== null ? (calledMs - issuedMs) / 60000 : null;
    show(el.ticketWaitedBox, !walkIn && waited !== null);
    if (waited !== null) setText(el.ticketWaited, t("waited", { time: duration(waited) }));
    var recalls = ticket.recalls || 0;
    var noShowFirst = status === "called" && recalls >= config.recallsBeforeNoShow;
    show(el.ticketRecalls, recalls > 0);
    setText(el.ticketRecalls, plural(noShowFirst ? "recalls_no_show" : "recalls", recalls));

    // Which actions fit the visitor's state.
    Object.keys(el.actions).forEach(function (action) {
      show(el.actions[action], available(action));
    });
    el.actions["no-show"].classList.toggle("is-suggested", noShowFirst);
    el.actions.finish.classList.toggle("is-primary", status === "serving");
    var transferTargets = enabledServices().filter(function (s) {
      return s.id !== ticket.service;
    });
    if (!transferTargets.length) show(el.actions.transfer, false);

    renderCases(ticket);
  }

  function renderCases(ticket) {
    var cases = displayedCases();
    var list = counterServices();
    enabledServices().forEach(function (s) {
      if (list.indexOf(s) < 0 && (cases[String(s.id)] || s.id === ticket.service)) list.push(s);
    });
    var others = enabledServices().filter(function (s) {
      return list.indexOf(s) < 0;
    });
    list = list.concat(others);
    var total = 0;
    Object.keys(cases).forEach(function (sid) {
      total += cases[sid];
    });
    var saving = Boolean(state.casesSaving);
    setText(
      el.casesState,
      saving
        ? t("cases_saving")
        : state.cases
          ? plural("cases_total", total)
          : t("cases_default", { service: ticket.service_name || "" })
    );
    syncList(
      el.caseList,
      list,
      function (s) {
        return String(s.id);
      },
      function (service) {
        var item = el.tplCase.content.firstElementChild.cloneNode(true);
        var sid = String(service.id);
        item.querySelector(".c-step-minus").addEventListener("click", function () {
          changeCase(sid, -1);
        });
        item.querySelector(".c-step-plus").addEventListener("click", function () {
          changeCase(sid, 1);
        });
        return item;
      },
      function (item, service) {
        var sid = String(service.id);
        var count = cases[sid] || 0;
        var name = service.name || "";
        setText(item.querySelector(".c-case-name"), name);
        var output = item.querySelector(".c-case-count");
        setText(output, formatNumber(count));
        output.setAttribute("aria-label", t("case_count_label", { service: name, n: count }));
        item.classList.toggle("is-counted", count > 0);
        var minus = item.querySelector(".c-step-minus");
        var plus = item.querySelector(".c-step-plus");
        minus.setAttribute("aria-label", t("case_less", { service: name }));
        plus.setAttribute("aria-label", t("case_more", { service: name }));
        var lock = !state.online || Boolean(state.busy);
        minus.setAttribute("aria-disabled", lock || count <= 0 ? "true" : "false");
        plus.setAttribute("aria-disabled", lock || count >= 20 ? "true" : "false");
      }
    );
  }

  function renderQueue() {
    var mine = counterServices();
    var total = 0;
    var up = nextUp();
    el.groups.setAttribute("aria-busy", state.waitingLoaded ? "false" : "true");
    syncList(
      el.groups,
      mine,
      function (s) {
        return String(s.id);
      },
      function (service) {
        var item = el.tplGroup.content.firstElementChild.cloneNode(true);
        item.querySelector(".c-group-more").addEventListener("click", function () {
          state.expanded[service.id] = !state.expanded[service.id];
          render();
        });
        return item;
      },
      function (item, service) {
        var list = waitingFor(service.id);
        total += list.length;
        setText(item.querySelector(".c-badge"), service.prefix || "");
        setText(item.querySelector(".c-group-name"), service.name || "");
        var closed = item.querySelector(".c-group-closed");
        var availability = service.availability || (service.open === false ? "closed" : "open");
        show(closed, availability !== "open");
        setText(closed, t("availability_" + availability));
        setText(item.querySelector(".c-group-count"), plural("waiting_n", list.length));
        item.classList.toggle("is-empty", list.length === 0);

        var oldest = null;
        list.forEach(function (ticket) {
          if (appointmentOf(ticket)) return; // booked: waits for a slot, not in line
          var ms = parseTime(ticket.issued_at);
          if (ms !== null && (oldest === null || ms < oldest)) oldest = ms;
        });
        var longest = item.querySelector(".c-group-longest");
        setText(
          longest.querySelector(".c-fact-text"),
          oldest === null ? "" : t("longest_wait", { time: duration((serverNow() - oldest) / 60000) })
        );
        show(longest, oldest !== null);
        var estimate = item.querySelector(".c-group-estimate");
        var minutes = service.estimated_wait_min;
        setText(
          estimate.querySelector(".c-fact-text"),
          !isNumber(minutes) ? "" : minutes < 1 ? t("estimate_none") : t("estimate", { time: duration(minutes) })
        );
        estimate.setAttribute("title", t("estimate_title"));
        show(estimate, isNumber(minutes) && list.length > 0);
        show(item.querySelector(".c-group-meta"), list.length > 0);

        var expanded = Boolean(state.expanded[service.id]);
        var shown = expanded ? list : list.slice(0, CHIPS_SHOWN);
        syncList(
          item.querySelector(".c-chips"),
          shown,
          function (ticket) {
            return String(ticket.id);
          },
          function (ticket) {
            var chip = el.tplChip.content.firstElementChild.cloneNode(true);
            chip.querySelector(".c-chip").addEventListener("click", function () {
              onCallNumber(chip._ticket);
            });
            return chip;
          },
          function (chip, ticket) {
            chip._ticket = ticket;
            var button = chip.querySelector(".c-chip");
            setText(chip.querySelector(".c-chip-number"), ticket.number);
            var waited = minutesSince(ticket.issued_at);
            var waitText = waited === null ? "" : duration(waited);
            var appointment = appointmentOf(ticket);
            var due = isDue(ticket);
            var slotText = !appointment
              ? ""
              : t(due ? "appointment" : "appointment_from", { slot: appointment.slot });
            var slot = chip.querySelector(".c-chip-slot");
            setText(slot, slotText);
            show(slot, Boolean(appointment));
            var wait = chip.querySelector(".c-chip-wait");
            setText(wait, appointment ? "" : waitText);
            show(wait, !appointment);
            button.setAttribute("data-number", ticket.number);
            button.setAttribute(
              "aria-label",
              (appointment
                ? t(due ? "chip_label_appointment" : "chip_label_later", {
                    number: ticket.number,
                    slot: appointment.slot,
                  })
                : t("chip_label", { number: ticket.number, time: waitText })) +
                (ticket.priority ? " · " + t("priority") : "")
            );
            button.classList.toggle("is-next", Boolean(up && up.id === ticket.id));
            button.classList.toggle("is-priority", Boolean(ticket.priority));
            button.classList.toggle("is-appointment", Boolean(appointment));
            button.classList.toggle("is-later", Boolean(appointment) && !due);
            button.setAttribute("aria-disabled", canAct() ? "false" : "true");
          }
        );
        var more = item.querySelector(".c-group-more");
        show(more, list.length > CHIPS_SHOWN);
        setText(
          more,
          expanded ? t("show_less") : t("show_more", { n: formatNumber(list.length - CHIPS_SHOWN) })
        );
        more.setAttribute("aria-expanded", expanded ? "true" : "false");
      }
    );
    setText(el.queueTotal, state.waitingLoaded ? plural("waiting_n", total) : "");
    show(el.queueEmpty, state.waitingLoaded && total === 0 && mine.length > 0);

    var others = enabledServices()
      .filter(function (s) {
        return mine.indexOf(s) < 0 && waitingFor(s.id).length > 0;
      })
      .map(function (s) {
        return s.name + " " + formatNumber(waitingFor(s.id).length);
      });
    show(el.queueOthers, others.length > 0);
    setText(el.queueOthers, others.length ? t("other_services", { list: others.join(" · ") }) : "");
  }

  // --- keyboard -----------------------------------------------------------------------------
  var FIELD = /^(INPUT|TEXTAREA|SELECT)$/;
  var ACTIVATES = "button, a[href], summary, [role=button], [role=link], input, select, textarea";

  function onKeydown(event) {
    var key = event.key;
    var activate = key === " " || key === "Spacebar" || key === "Enter";
    if (event.repeat) {
      // A held key never fires a second action (nor a native second click).
      if (activate || state.screen === "work") {
        if (activate && event.target && event.target.closest && event.target.closest("form")) {
          return; // inside a form a held Enter may do what forms do
        }
        event.preventDefault();
      }
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (state.screen !== "work" || dialogOpen()) return;
    var target = event.target;
    if (target && (FIELD.test(target.tagName) || target.isContentEditable)) return;
    if (activate) {
      if (target && target.closest && target.closest(ACTIVATES)) return; // the control's own
      event.preventDefault();
      onNext();
      return;
    }
    var letter = key.length === 1 ? key.toLowerCase() : "";
    if (!letter) return;
    var map = {
      recall: function () {
        clickAction("recall");
      },
      start: function () {
        clickAction("start");
      },
      finish: function () {
        clickAction("finish");
      },
      no_show: onNoShow,
      transfer: onTransfer,
      requeue: function () {
        clickAction("requeue");
      },
      pause: onPauseToggle,
    };
    var names = Object.keys(map);
    for (var i = 0; i < names.length; i++) {
      if (keyOf(names[i]).toLowerCase() === letter) {
        event.preventDefault();
        map[names[i]]();
        return;
      }
    }
  }

  function clickAction(action) {
    if (!canAct() || !available(action)) return;
    act(action);
  }

  // --- wiring -------------------------------------------------------------------------------
  function guarded(fn) {
    return function (event) {
      var button = event.currentTarget;
      if (button && button.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        return;
      }
      fn(event);
    };
  }

  el.loginForm.addEventListener("submit", onLogin);
  el.nextBtn.addEventListener("click", guarded(onNext));
  el.resumeBtn.addEventListener(
    "click",
    guarded(function () {
      act("resume");
    })
  );
  el.pauseBtn.addEventListener("click", guarded(onPauseToggle));
  el.serveBtn.addEventListener("click", guarded(onServe));
  el.switchBtn.addEventListener("click", guarded(switchCounter));
  el.logoutBtn.addEventListener("click", guarded(logout));
  el.servicesBtn.addEventListener("click", openServices);
  el.servicesClose.addEventListener("click", function () {
    el.dlgServices.close();
  });
  el.dlgServices.addEventListener("click", function (event) {
    if (event.target === el.dlgServices) el.dlgServices.close(); // a click on the backdrop
  });
  el.myServicesForm.addEventListener("submit", onSaveMyServices);
  el.noticeClose.addEventListener("click", hideNotice);
  el.actions.recall.addEventListener(
    "click",
    guarded(function () {
      clickAction("recall");
    })
  );
  el.actions.start.addEventListener(
    "click",
    guarded(function () {
      clickAction("start");
    })
  );
  el.actions.finish.addEventListener(
    "click",
    guarded(function () {
      clickAction("finish");
    })
  );
  el.actions.requeue.addEventListener(
    "click",
    guarded(function () {
      clickAction("requeue");
    })
  );
  el.actions["no-show"].addEventListener("click", guarded(onNoShow));
  el.actions.transfer.addEventListener("click", guarded(onTransfer));
  el.caseList.addEventListener(
    "click",
    function (event) {
      var step = event.target.closest && event.target.closest(".c-step");
      if (step && step.getAttribute("aria-disabled") === "true") event.stopPropagation();
    },
    true
  );
  Array.prototype.forEach.call(document.querySelectorAll("[data-lang]"), function (button) {
    button.addEventListener("click", function () {
      setLanguage(button.getAttribute("data-lang"));
    });
  });
  document.addEventListener("keydown", onKeydown);

  // Relative times ("seit 5 Min.") stay right without any event.
  timers.tick = window.setInterval(function () {
    if (state.screen === "work") render();
  }, 15000);

  if (document.fonts && document.fonts.ready) document.fonts.ready.then(render);

  loadReprinted();
  var wanted = params.get("lang") || storage(STORE_LANG);
  if (wanted && languages.indexOf(wanted) >= 0) state.lang = wanted;
  Promise.all(
    [languages[0], state.lang].map(function (lang) {
      return loadLanguage(lang).catch(function () {
        return null;
      });
    })
  ).then(function () {
    applyLanguage();
    start();
  });
})();
