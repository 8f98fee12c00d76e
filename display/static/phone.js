/*
 * The visitor's phone page (/t/<token>): where am I in the queue, and where do I go when called.
 *
 * The server renders the page complete, in the visitor's language. This script then:
 * - follows the ticket live over Socket.IO /ticket with auth {token} (Wartemarke.live from
 *   static/js/live.js): `status` on connect and whenever the ticket or its place changed.
 *   No polling; one GET /api/tickets/<token> when the page comes back to the foreground (phones
 *   freeze background tabs, the socket may be stale) or when the server refused the socket;
 * - when called: a full-screen "Bitte zu Schalter 3", vibration and the chime where the phone
 *   allows it (a tap on "Ton und Vibration einschalten" beforehand makes sure it does);
 * - "Ich brauche die Nummer nicht mehr": a confirmation, then POST /api/tickets/<token>/cancel;
 * - after the visit: a rating (1-5 stars) and the home district, both optional, one tap each
 *   (POST /api/tickets/<token>/feedback); what was answered is remembered on the phone;
 * - texts in the page's language, embedded by the server (display/phone_texts.py).
 *
 * Everything from the server is written with textContent. No inline scripts or styles (CSP).
 * Plain ES2019.
 */
(function () {
  "use strict";

  var body = document.body;
  var token = body.getAttribute("data-token") || "";
  var FEEDBACK_KEY = "wartemarke.feedback." + token;
  var DISMISSED_KEY = "wartemarke.called." + token;
  var OFFLINE_INDICATOR_DELAY_MS = 2000;
  var VIBRATE_PATTERN = [500, 200, 500, 200, 900];

  var config = {
    api: (body.getAttribute("data-api") || "/api").replace(/\/+$/, ""),
    chimeUrl: body.getAttribute("data-chime-url") || "/display/static/sounds/chime.wav",
    timezone: body.getAttribute("data-timezone") || undefined,
  };
  var ticketUrl = config.api + "/tickets/" + encodeURIComponent(token);

  function $(id) {
    return document.getElementById(id);
  }
  var el = {
    app: $("app"),
    number: $("number"),
    service: $("service"),
    otherDay: $("other-day"),
    headline: $("headline"),
    sub: $("sub"),
    hint: $("hint"),
    notify: $("notify"),
    notifyButton: $("notify-button"),
    notifyHint: $("notify-hint"),
    notifyOn: $("notify-on"),
    feedback: $("feedback"),
    stepRating: $("step-rating"),
    stepDistrict: $("step-district"),
    stepThanks: $("step-thanks"),
    stars: $("stars"),
    skipRating: $("skip-rating"),
    skipDistrict: $("skip-district"),
    districts: $("districts"),
    feedbackError: $("feedback-error"),
    updated: $("updated"),
    updatedText: $("updated-text"),
    watch: $("watch"),
    cancelBox: $("cancel-box"),
    cancel: $("cancel"),
    cancelError: $("cancel-error"),
    called: $("called"),
    calledNumber: $("called-number"),
    calledCounter: $("called-counter"),
    calledOk: $("called-ok"),
    confirm: $("confirm"),
    confirmYes: $("confirm-yes"),
    confirmNo: $("confirm-no"),
    districtTemplate: $("district-template"),
  };

  function storage(method, key, value) {
    try {
      if (method === "get") return window.localStorage.getItem(key);
      if (method === "set") window.localStorage.setItem(key, value);
      if (method === "remove") window.localStorage.removeItem(key);
    } catch (err) {
      return null; // private mode, storage off: the page works, it just forgets
    }
    return null;
  }

  function initialStatus() {
    try {
      var data = JSON.parse(body.getAttribute("data-status") || "null");
      return data && typeof data === "object" ? data : null;
    } catch (err) {
      return null;
    }
  }

  var state = {
    // The server chose the language (?lang=, this phone's earlier choice, the phone's language)
    // and rendered the page in it; its texts are embedded (#phone-texts). Another language is
    // another page: the language links reload with ?lang=, which also works without script.
    texts: embeddedTexts(),
    status: initialStatus(),
    updatedAt: new Date(),
    connection: "connecting",
    version: 0, // grows with every status applied, so a slow GET cannot overwrite a newer push
    gone: false, // the server no longer knows the token
    feedback: readFeedback(),
    districts: null,
    busy: false,
    // Per page load: a phone lets a page vibrate and play only after a tap on that very page.
    notify: false,
    hiddenAt: 0,
  };

  // --- texts ------------------------------------------------------------------------------
  function embeddedTexts() {
    try {
      var texts = JSON.parse(($("phone-texts") || {}).textContent || "{}");
      return texts && typeof texts === "object" ? texts : {};
    } catch (err) {
      return {};
    }
  }

  var tx = Wartemarke.texts(function () {
    return [state.texts];
  });
  var raw = tx.raw;
  var t = tx.t;
  var plural = tx.plural;
  var locale = tx.locale;

  function setText(node, text) {
    if (text !== undefined && node.textContent !== text) node.textContent = text;
  }

  function applyLanguage() {
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) setText(nodes[i], t(nodes[i].getAttribute("data-i18n")));
    var stars = el.stars.querySelectorAll("[data-rating]");
    for (var k = 0; k < stars.length; k++) {
      var label = plural("rating_star", Number(stars[k].getAttribute("data-rating")));
      if (label) stars[k].setAttribute("aria-label", label);
    }
    render();
    renderDistricts();
  }

  // --- formatting -------------------------------------------------------------------------
  function formatWait(minutes) {
    if (typeof minutes !== "number" || !isFinite(minutes) || minutes < 1) return t("wait_soon");
    minutes = Math.round(minutes);
    if (minutes < 60) return plural("wait", minutes);
    var rounded = Math.round(minutes / 5) * 5;
    var h = Math.floor(rounded / 60);
    var m = rounded % 60;
    return m === 0 ? t("wait_hours_only", { h: h }) : t("wait_hours", { h: h, min: m });
  }

  function formatTime(date) {
    try {
      return new Intl.DateTimeFormat(locale(), {
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23", // as the ticket and the wall display show times, in every language
        timeZone: config.timezone,
      }).format(date);
    } catch (err) {
      return date.toTimeString().slice(0, 5);
    }
  }

  function today() {
    try {
      // en-CA formats as YYYY-MM-DD, like the ticket's "day".
      return new Intl.DateTimeFormat("en-CA", { timeZone: config.timezone }).format(new Date());
    } catch (err) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function formatDay(day) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
    if (!m) return day;
    try {
      return new Intl.DateTimeFormat(locale(), {
        day: "numeric",
        month: "long",
        year: "numeric",
      }).format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12)));
    } catch (err) {
      return day;
    }
  }

  function counterName(s) {
    var name = s.counter_name;
    if (!name) name = s.counter !== null && s.counter !== undefined ? "Schalter " + s.counter : "";
    return name.replace(/ (\S{1,3})$/, "\u00a0$1"); // "Schalter 3" never breaks before the 3
  }

  // --- rendering --------------------------------------------------------------------------
  function render() {
    var s = state.status;
    if (!s) return;
    var status = state.gone ? "gone" : s.status;
    var counter = counterName(s);
    el.app.setAttribute("data-status", status);
    setText(el.number, s.number);
    setText(el.calledNumber, s.number);
    var names = s.service_names && typeof s.service_names === "object" ? s.service_names : {};
    setText(el.service, names[raw("_code")] || s.service_name || "");
    var otherDay = s.day && s.day !== today();
    el.otherDay.hidden = !otherDay;
    if (otherDay) setText(el.otherDay, t("other_day", { date: formatDay(s.day) }));

    var headline;
    var sub;
    if (status === "waiting") {
      headline = plural("ahead", Math.max(0, Number(s.people_ahead) || 0));
      sub = formatWait(s.estimated_wait_min);
    } else if (status === "called") {
      headline = t("called_title", { counter: counter });
      sub = t("called_sub");
    } else if (status === "serving") {
      headline = t("serving_title");
      sub = t("serving_sub", { counter: counter });
    } else {
      headline = t(status + "_title");
      sub = t(status + "_sub");
    }
    setText(el.headline, headline);
    setText(el.sub, sub);
    el.hint.hidden = status !== "waiting";
    setText(el.calledCounter, counter);

    el.notify.hidden = status !== "waiting";
    el.watch.hidden = status !== "waiting" && status !== "called";
    el.notifyButton.hidden = state.notify;
    el.notifyHint.hidden = state.notify;
    el.notifyOn.hidden = !state.notify;
    el.cancelBox.hidden = status !== "waiting";

    if (t("title"))
      document.title = status === "called" ? "🔔 " + headline : s.number + " – " + t("title");
    renderCalled();
    renderFeedback();
    renderUpdated();
  }

  function renderUpdated() {
    var time = formatTime(state.updatedAt);
    var text;
    if (state.connection === "online") text = t("updated_live", { time: time });
    else if (state.connection === "offline") text = t("updated_offline", { time: time });
    else text = t("connecting");
    setText(el.updatedText, text);
    el.updated.setAttribute("data-connection", state.connection);
  }

  // --- called -----------------------------------------------------------------------------
  function calledKey(s) {
    return String(s.counter) + "@" + String(s.number);
  }

  function renderCalled() {
    var s = state.status;
    var show =
      !state.gone && s.status === "called" && storage("get", DISMISSED_KEY) !== calledKey(s);
    if (show === !el.called.hidden) return;
    el.called.hidden = !show;
    el.app.classList.toggle("is-called", show);
    if (show) {
      el.called.setAttribute("tabindex", "-1");
      el.called.focus({ preventScroll: true }); // read out by screen readers, no ring drawn
    }
  }

  var chime = new Audio();
  chime.preload = "auto";
  chime.src = config.chimeUrl;

  function alertVisitor() {
    storage("remove", DISMISSED_KEY); // a recall shows the full screen again
    try {
      if (navigator.vibrate) navigator.vibrate(VIBRATE_PATTERN);
    } catch (err) {
      /* not allowed without an earlier tap: the screen still says it */
    }
    try {
      chime.currentTime = 0;
      var p = chime.play();
      if (p && p.catch)
        p.catch(function () {
          return null; // sound not allowed: the screen and the vibration must do
        });
    } catch (err) {
      /* ignored */
    }
  }

  function enableNotify() {
    // This tap is the gesture phones wait for: play the chime once (so the visitor knows the
    // sound) and vibrate briefly; from now on both may start on their own.
    state.notify = true;
    try {
      if (navigator.vibrate) navigator.vibrate(150);
    } catch (err) {
      /* ignored */
    }
    try {
      chime.currentTime = 0;
      var p = chime.play();
      if (p && p.catch)
        p.catch(function () {
          return null;
        });
    } catch (err) {
      /* ignored */
    }
    render();
  }

  // --- status -----------------------------------------------------------------------------
  function applyStatus(s, live) {
    if (!s || typeof s !== "object" || typeof s.number !== "string") return;
    var before = state.status ? state.status.status : null;
    var wasCalledAt = state.status ? calledKey(state.status) : null;
    state.status = s;
    state.gone = false;
    state.version += 1;
    state.updatedAt = new Date();
    if (s.status === "called" && (before !== "called" || (live && wasCalledAt === calledKey(s)))) {
      // Newly called, or called again (a recall reaches the phone as a fresh "called").
      if (before !== null || live) alertVisitor();
    }
    render();
  }

  function fetchStatus() {
    var version = state.version;
    return fetch(ticketUrl, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (res.status === 404) {
          state.gone = true;
          render();
          return null;
        }
        if (!res.ok) return null;
        return res.json().then(function (s) {
          if (state.version === version) applyStatus(s, false);
          return s;
        });
      })
      .catch(function () {
        return null;
      });
  }

  // --- cancel -----------------------------------------------------------------------------
  function openConfirm() {
    el.cancelError.hidden = true;
    if (typeof el.confirm.showModal === "function") {
      el.confirm.showModal();
      el.confirmNo.focus();
    } else if (window.confirm(t("cancel_title") || "")) {
      doCancel();
    }
  }

  function closeConfirm() {
    if (el.confirm.open) el.confirm.close();
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload || {}),
      cache: "no-store",
      credentials: "same-origin",
    }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { status: res.status, body: data };
        });
    });
  }

  function doCancel() {
    if (state.busy) return;
    state.busy = true;
    el.confirmYes.disabled = true;
    post(ticketUrl + "/cancel")
      .then(function (answer) {
        closeConfirm();
        if (answer.status === 200 && answer.body) {
          applyStatus(answer.body, false);
        } else {
          showError(el.cancelError, answer.status === 409 ? "cancel_too_late" : "cancel_failed");
          fetchStatus();
        }
      })
      .catch(function () {
        closeConfirm();
        showError(el.cancelError, "cancel_failed");
      })
      .then(function () {
        state.busy = false;
        el.confirmYes.disabled = false;
      });
  }

  function showError(node, key) {
    node.setAttribute("data-i18n", key);
    setText(node, t(key));
    node.hidden = false;
  }

  // --- feedback ---------------------------------------------------------------------------
  function readFeedback() {
    var stored = storage("get", FEEDBACK_KEY);
    if (stored === "district" || stored === "thanks" || stored === "done") return stored;
    return "rating";
  }

  function setFeedbackStep(step) {
    state.feedback = step;
    storage("set", FEEDBACK_KEY, step);
    el.feedbackError.hidden = true;
    renderFeedback();
    var focus = { district: el.stepDistrict, thanks: el.stepThanks }[step];
    if (focus) {
      var heading = focus.querySelector("h2");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  }

  function renderFeedback() {
    var done = !state.gone && state.status && state.status.status === "done";
    var step = state.feedback;
    el.feedback.hidden = !done || step === "done";
    el.feedback.setAttribute("data-step", step);
    el.stepRating.hidden = step !== "rating";
    el.stepDistrict.hidden = step !== "district";
    el.stepThanks.hidden = step !== "thanks";
    if (done && step === "district") loadDistricts();
  }

  function sendFeedback(payload, next) {
    if (state.busy) return;
    state.busy = true;
    el.feedback.classList.add("is-busy");
    post(ticketUrl + "/feedback", payload)
      .then(function (answer) {
        if (answer.status === 200) setFeedbackStep(next);
        else showError(el.feedbackError, "feedback_failed");
      })
      .catch(function () {
        showError(el.feedbackError, "feedback_failed");
      })
      .then(function () {
        state.busy = false;
        el.feedback.classList.remove("is-busy");
      });
  }

  function loadDistricts() {
    if (state.districts || state.districtsLoading) return;
    state.districtsLoading = true;
    fetch(config.api + "/districts", { headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (list) {
        state.districts = Array.isArray(list) ? list : [];
        renderDistricts();
      })
      .catch(function () {
        state.districtsLoading = false; // tried again on the next render
      });
  }

  function renderDistricts() {
    if (!state.districts) return;
    el.districts.textContent = "";
    state.districts.forEach(function (d) {
      if (!d || typeof d.id !== "string") return;
      var li = el.districtTemplate.content.firstElementChild.cloneNode(true);
      var button = li.querySelector("button");
      var outside = d.id === "outside";
      setText(
        li.querySelector(".p-district-name"),
        outside ? t("district_outside") : t("district", { n: d.id }),
      );
      var quarters = li.querySelector(".p-district-quarters");
      setText(quarters, Array.isArray(d.quarters) ? d.quarters.join(", ") : "");
      quarters.hidden = !quarters.textContent;
      button.setAttribute("data-district", d.id);
      button.addEventListener("click", function () {
        sendFeedback({ district: d.id }, "thanks");
      });
      el.districts.appendChild(li);
    });
  }

  // --- connection -------------------------------------------------------------------------
  var offlineTimer = 0;
  var conn = null;

  function onConnection(status) {
    window.clearTimeout(offlineTimer);
    if (status === "online") {
      state.connection = "online";
      renderUpdated();
    } else {
      offlineTimer = window.setTimeout(function () {
        state.connection = "offline";
        renderUpdated();
      }, OFFLINE_INDICATOR_DELAY_MS);
    }
  }

  function onConnectError() {
    // Refused by the server (unknown token, e.g. a fresh database) does not retry by itself.
    if (!conn || conn.socket.active) return;
    fetchStatus().then(function () {
      if (state.gone) return;
      window.setTimeout(function () {
        if (!conn.socket.connected && !conn.socket.active) conn.socket.connect();
      }, 3000);
    });
  }

  function connect() {
    if (!window.Wartemarke || typeof window.Wartemarke.live !== "function" || !token) return null;
    try {
      return window.Wartemarke.live(
        "/ticket",
        {
          status: function (s) {
            applyStatus(s, typeof s.seq === "number");
          },
          connect_error: onConnectError,
        },
        { onStatus: onConnection, socketOptions: { auth: { token: token } } },
      );
    } catch (err) {
      if (window.console) window.console.error("phone: no live connection", err);
      return null;
    }
  }

  // --- wiring -----------------------------------------------------------------------------
  el.notifyButton.addEventListener("click", enableNotify);
  el.calledOk.addEventListener("click", function () {
    storage("set", DISMISSED_KEY, calledKey(state.status));
    renderCalled();
    el.headline.setAttribute("tabindex", "-1");
    el.headline.focus({ preventScroll: true });
  });
  el.cancel.addEventListener("click", openConfirm);
  el.confirmYes.addEventListener("click", doCancel);
  el.confirmNo.addEventListener("click", closeConfirm);
  el.stars.addEventListener("click", function (event) {
    var star = event.target.closest("[data-rating]");
    if (!star) return;
    star.classList.add("is-chosen");
    sendFeedback({ rating: Number(star.getAttribute("data-rating")) }, "district");
  });
  el.skipRating.addEventListener("click", function () {
    setFeedbackStep("district");
  });
  el.skipDistrict.addEventListener("click", function () {
    setFeedbackStep("thanks");
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      state.hiddenAt = Date.now();
      return;
    }
    // Back from the pocket: the socket may have died unnoticed while the tab was frozen.
    if (state.hiddenAt && Date.now() - state.hiddenAt > 5000) fetchStatus();
    if (conn && !conn.socket.connected && !conn.socket.active) conn.socket.connect();
    state.hiddenAt = 0;
  });
  window.setInterval(renderUpdated, 30000); // the "as of" line follows the language and clock

  render();
  conn = connect();
  applyLanguage();
  window.WartemarkePhone = { state: state };
})();
