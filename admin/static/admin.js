/*
 * The admin area: overview (live over /staff), services, counters, staff accounts, venue and
 * opening hours, end of day.
 *
 * Drucker (in the overview): address and state live; "Testseite drucken" POSTs
 * /api/admin/printer/test; for the virtual printer the last tickets as images from
 * GET /api/admin/printer/tickets (img src /admin/printer/tickets/<name>).
 *
 * Termine: one day's appointments from GET /api/admin/appointments?day (with the rules: slot
 * length, capacity), book one (POST /api/admin/appointments; the booking code shown large),
 * cancel one after a confirmation, import a .csv/.xlsx file (POST …/import as multipart form;
 * refused files list every bad row by its line). Re-read while the tab is open whenever the
 * queue changes (a kiosk check-in changes an appointment's state).
 *
 * Auswertung: key figures from GET /api/stats?from&to; the printable report (charts, A4) opens
 * from /admin/report?from&to in a new tab.
 *
 * Data: GET /api/me at start; GET /api/admin/{services,counters,users,venue}; changes with
 * POST/PUT to /api/admin/… carrying the session's CSRF token. Live: Wartemarke.live("/staff")
 * (static/js/live.js); the server sends a fresh snapshot after every admin change, and the
 * lists are then read again, so two admins see each other's changes.
 *
 * Texts from static/i18n/de.json (the markup is German already). Everything from the server
 * is written with textContent. No inline scripts or styles (CSP). Plain ES2019.
 */
(function () {
  "use strict";

  var body = document.body;
  var config = {
    api: (body.getAttribute("data-api") || "/api").replace(/\/+$/, ""),
    i18nBase: body.getAttribute("data-i18n-base") || "/admin/static/i18n/",
    timezone: body.getAttribute("data-timezone") || undefined,
    requestTimeoutMs: 10000,
  };
  var WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var TABS = ["overview", "appointments", "services", "counters", "users", "venue", "stats", "day", "site", "devices"];

  var state = {
    dict: {},
    user: null,
    csrf: null,
    conn: null,
    services: [], // admin list (all, incl. disabled)
    counters: [],
    users: [],
    events: [], // pop-up events, newest first
    live: null, // the last staff snapshot, kept current by live events
    ticketsLoaded: false, // the virtual printer's ticket strip was read at least once
    venueDirty: false, // the venue form has edits not saved yet
    venue: null, // GET /api/admin/venue: its opening hours give the day's slot starts
    appointments: null, // the last GET /api/admin/appointments answer (day, rules, list)
  };

  function $(id) {
    return document.getElementById(id);
  }

  function t(key, params) {
    var text = state.dict[key] !== undefined ? state.dict[key] : key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function setText(node, text) {
    node.textContent = text === undefined || text === null ? "" : String(text);
  }

  /** A new element with a class and text (textContent only). */
  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      if (cell && typeof cell === "object" && cell.nodeType) td.appendChild(cell);
      else td.textContent = cell === undefined || cell === null ? "" : String(cell);
      tr.appendChild(td);
    });
    return tr;
  }

  function replaceChildren(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    children.forEach(function (child) {
      node.appendChild(child);
    });
  }

  function button(text, className, onClick, label) {
    var b = h("button", "a-btn " + (className || "a-btn-secondary a-btn-small"), text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function clock(epochMs) {
    try {
      return new Intl.DateTimeFormat("de-DE", {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: config.timezone,
      }).format(new Date(epochMs));
    } catch (err) {
      return new Date(epochMs).toLocaleTimeString();
    }
  }

  // --- requests -----------------------------------------------------------------------------
  function request(method, path, payload) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timeout = window.setTimeout(function () {
      if (controller) controller.abort();
    }, config.requestTimeoutMs);
    var headers = { Accept: "application/json" };
    // A file upload goes as multipart form; the browser sets its Content-Type (with boundary).
    var form = typeof FormData === "function" && payload instanceof FormData;
    if (method !== "GET") {
      if (!form) headers["Content-Type"] = "application/json";
      if (state.csrf) headers["X-CSRFToken"] = state.csrf;
    }
    return fetch(config.api + path, {
      method: method,
      headers: headers,
      body: method === "GET" ? undefined : form ? payload : JSON.stringify(payload || {}),
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

  /** The German message for a failed answer. */
  function errorText(res) {
    var b = res.body || {};
    if (res.status === 0) return t("error_network");
    if (res.status === 401) return t("error_session");
    if (res.status === 409 && b.field === "prefix") return t("error_prefix_taken");
    if (res.status === 409 && b.field === "username") return t("error_username_taken");
    if (res.status === 409 && (b.field === "role" || b.field === "active")) {
      return t("error_last_admin");
    }
    if (res.status === 409 && b.field === "id") return t("error_event_id_taken");
    // The server's messages are for developers (English); a checked field has a German one.
    if ((res.status === 400 || b.field === "toml") && b.field && state.dict["field_" + b.field]) {
      return t("field_" + b.field, { message: b.message || "" });
    }
    return t("error_generic", { message: b.message || "HTTP " + res.status });
  }

  function showError(node, text) {
    setText(node, text);
    node.hidden = !text;
  }

  var noticeTimer = null;
  function notice(text) {
    var node = $("notice");
    setText(node, text);
    node.hidden = false;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(function () {
      node.hidden = true;
    }, 6000);
  }

  /** Send a change; on a lost session go back to the login. Resolves to the answer.
   *  ``describe`` turns a refusal into the German message (default: errorText). */
  function change(method, path, payload, errorNode, submit, describe) {
    describe = describe || errorText;
    if (submit) submit.disabled = true;
    if (errorNode) showError(errorNode, "");
    return request(method, path, payload).then(function (res) {
      if (submit) submit.disabled = false;
      if (res.status === 401) {
        showLogin(t("error_session"));
      } else if (res.status >= 300 || res.status === 0) {
        if (errorNode) showError(errorNode, describe(res));
        else notice(describe(res));
      }
      return res;
    });
  }

  // --- screens ------------------------------------------------------------------------------
  function showScreen(name) {
    ["loading", "login", "work"].forEach(function (screen) {
      $("screen-" + screen).hidden = screen !== name;
    });
    $("app").setAttribute("data-screen", name);
    $("header-tools").hidden = name !== "work";
  }

  function showLogin(message) {
    if (state.conn) state.conn.close();
    state.conn = null;
    state.user = null;
    state.ticketsLoaded = false;
    showScreen("login");
    showError($("login-error"), message || "");
    $("login-user").focus();
  }

  function startWork() {
    setText($("user-name"), state.user.name || state.user.username);
    showScreen("work");
    reloadLists();
    connect();
    var start = body.getAttribute("data-start-tab");
    if (start && start !== "overview" && TABS.indexOf(start) >= 0) selectTab(start);
  }

  function selectTab(name, focus) {
    TABS.forEach(function (tab) {
      var button = $("tab-" + tab);
      var selected = tab === name;
      button.setAttribute("aria-selected", selected ? "true" : "false");
      button.tabIndex = selected ? 0 : -1;
      $("panel-" + tab).hidden = !selected;
      if (selected && focus) button.focus();
    });
    if (name === "stats" && !state.statsLoaded) loadStats();
    if (name === "site" && !state.siteLoaded) loadSiteFile();
    if (name === "appointments") loadAppointments();
    if (name === "devices") loadDevices();
  }

  TABS.forEach(function (tab, index) {
    var node = $("tab-" + tab);
    node.addEventListener("click", function () {
      selectTab(tab);
    });
    node.addEventListener("keydown", function (event) {
      var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (event.key === "Home") step = -index;
      if (event.key === "End") step = TABS.length - 1 - index;
      if (step === undefined) return;
      event.preventDefault();
      selectTab(TABS[(index + step + TABS.length) % TABS.length], true);
    });
  });

  // --- login --------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var submit = $("login-submit");
    submit.disabled = true;
    showError($("login-error"), "");
    request("POST", "/login", {
      username: $("login-user").value.trim(),
      password: $("login-password").value,
    }).then(function (res) {
      submit.disabled = false;
      if (res.status !== 200) {
        var key = res.status === 429 ? "login_limited" : "login_failed";
        showError($("login-error"), res.status === 0 ? t("error_network") : t(key));
        return;
      }
      state.csrf = res.body.csrf_token;
      if (res.body.user.role !== "admin") {
        request("POST", "/logout", {});
        showError($("login-error"), t("login_not_admin"));
        return;
      }
      $("login-password").value = "";
      state.user = res.body.user;
      startWork();
    });
  });

  $("logout-btn").addEventListener("click", function () {
    request("POST", "/logout", {}).then(function () {
      state.csrf = null;
      showLogin("");
    });
  });

  // --- lists --------------------------------------------------------------------------------
  function reloadLists() {
    return Promise.all([
      request("GET", "/admin/services"),
      request("GET", "/admin/counters"),
      request("GET", "/admin/users"),
      request("GET", "/admin/venue"),
      request("GET", "/admin/events"),
    ]).then(function (answers) {
      if (answers.some(function (res) {
        return res.status === 401 || res.status === 403;
      })) {
        showLogin(t("error_session"));
        return;
      }
      if (answers[0].status === 200) state.services = answers[0].body;
      if (answers[1].status === 200) state.counters = answers[1].body;
      if (answers[2].status === 200) state.users = answers[2].body;
      if (answers[4].status === 200) state.events = answers[4].body.events;
      if (answers[3].status === 200) state.venue = answers[3].body;
      renderEvents();
      renderEventChoice();
      renderServices();
      renderCounters();
      renderUsers();
      renderServiceChoice();
      renderSlotChoice();
      // A live reload must not overwrite what the admin is typing.
      if (answers[3].status === 200 && !state.venueDirty) fillVenue(answers[3].body);
    });
  }

  // --- overview (live) ----------------------------------------------------------------------
  function renderOverview() {
    var live = state.live;
    if (!live) return;
    if (live.venue && live.venue.name) setText($("venue-name"), live.venue.name);
    replaceChildren(
      $("ov-queue"),
      (live.services || []).map(function (s) {
        return row([
          s.prefix + " · " + s.name,
          s.waiting,
          t("minutes", { n: s.estimated_wait_min }),
          t("state_" + s.availability),
        ]);
      })
    );
    var serving = 0;
    replaceChildren(
      $("ov-counters"),
      (live.counters || []).map(function (c) {
        if (c.staffed) serving += 1;
        var status = c.held_by_id ? (c.paused ? t("counter_paused") : t("counter_busy")) : t("counter_free");
        return row([c.name, c.held_by || t("nobody"), status]);
      })
    );
    var waiting = (live.services || []).reduce(function (sum, s) {
      return sum + (s.waiting || 0);
    }, 0);
    setText($("day-open"), t("waiting_now", { n: waiting, serving: serving }));
    renderPrinter(live.printer);
    renderDevices(live.devices || []);
  }

  function isVirtual(printer) {
    return !!printer && /^virtual/i.test(String(printer.url || ""));
  }

  function renderPrinter(printer) {
    var stateNode = $("ov-printer-state");
    var virtual = isVirtual(printer);
    $("ov-printer-actions").hidden = !printer;
    $("ov-printer-url-line").hidden = !printer;
    $("ov-tickets").hidden = !virtual;
    if (virtual && !state.ticketsLoaded) loadTickets();
    if (!printer) {
      setText(stateNode, t("printer_none"));
      stateNode.removeAttribute("data-ok");
      $("ov-printer-error").hidden = true;
      $("ov-printer-pending").hidden = true;
      $("ov-printer-failed").hidden = true;
      return;
    }
    setText($("ov-printer-url"), printer.url);
    setText($("ov-printer-error"), t("printer_last_error", { message: printer.last_error || "" }));
    $("ov-printer-error").hidden = !printer.last_error;
    var parts = [];
    if (printer.online === true) parts.push(t("printer_ok"));
    else if (printer.online === false) parts.push(t("printer_offline"));
    else parts.push(t("printer_unknown"));
    if (printer.paper === "out") parts.push(t("printer_paper_out"));
    if (printer.paper === "low") parts.push(t("printer_paper_low"));
    if (printer.cover_open) parts.push(t("printer_cover_open"));
    setText(stateNode, parts.join(" · "));
    stateNode.setAttribute("data-ok", printer.online === true && printer.paper !== "out" ? "1" : "0");
    var pending = printer.pending || [];
    setText($("ov-printer-pending"), t("printer_pending", { numbers: pending.join(", ") }));
    $("ov-printer-pending").hidden = !pending.length;
    var failed = printer.failed || [];
    $("ov-printer-failed").hidden = !failed.length;
    replaceChildren(
      $("ov-printer-failed-list"),
      failed.map(function (number) {
        var li = h("li");
        li.appendChild(
          button(t("reprint", { number: number }), null, function (event) {
            var target = event.currentTarget;
            change("POST", "/tickets/" + encodeURIComponent(number) + "/reprint", {}, null, target).then(
              function (res) {
                if (res.status === 202) notice(t("reprinted", { number: number }));
              }
            );
          })
        );
        return li;
      })
    );
  }

  // --- printer: test page, the virtual printer's last tickets --------------------------------
  var ticketsTimer = null;
  /** Read the ticket list again soon (a ticket prints a moment after it is issued). */
  function scheduleTickets() {
    if (!isVirtual(state.live && state.live.printer)) return;
    window.clearTimeout(ticketsTimer);
    ticketsTimer = window.setTimeout(loadTickets, 1200);
  }

  function loadTickets() {
    state.ticketsLoaded = true;
    return request("GET", "/admin/printer/tickets").then(function (res) {
      if (res.status === 401 || res.status === 403) {
        showLogin(t("error_session"));
        return;
      }
      if (res.status === 200 && Array.isArray(res.body)) renderTickets(res.body);
    });
  }

  function renderTickets(tickets) {
    $("ov-tickets-empty").hidden = tickets.length > 0;
    replaceChildren(
      $("ov-tickets-list"),
      tickets.map(function (ticket) {
        var params = { number: ticket.number, day: ticket.day };
        var li = h("li");
        var link = h("a");
        link.href = ticket.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.setAttribute("aria-label", t("ticket_open_label", params));
        var figure = h("figure");
        var img = h("img");
        img.src = ticket.url;
        img.alt = t("ticket_image_alt", params);
        img.loading = "lazy";
        img.decoding = "async";
        figure.appendChild(img);
        figure.appendChild(h("figcaption", null, ticket.number));
        link.appendChild(figure);
        li.appendChild(link);
        li.setAttribute("data-name", ticket.name);
        return li;
      })
    );
  }

  function testResult(text, ok) {
    var node = $("ov-printer-test-result");
    setText(node, text);
    node.setAttribute("data-ok", ok);
    node.hidden = !text;
  }

  $("ov-printer-test").addEventListener("click", function () {
    var submit = $("ov-printer-test");
    var virtual = isVirtual(state.live && state.live.printer);
    submit.disabled = true;
    testResult(t("printer_test_busy"), "busy");
    request("POST", "/admin/printer/test", {}).then(function (res) {
      submit.disabled = false;
      var b = res.body || {};
      if (res.status === 401) {
        showLogin(t("error_session"));
      } else if (res.status === 200) {
        testResult(t(virtual ? "printer_test_ok_virtual" : "printer_test_ok"), "1");
        if (state.live) {
          state.live.printer = b;
          renderOverview();
        }
      } else if (res.status === 409 && b.error === "no_printer") {
        testResult(t("printer_test_none"), "0");
      } else if (res.status === 503) {
        testResult(t("printer_test_failed", { message: b.message || "" }), "0");
        if (state.live && b.printer) {
          state.live.printer = b.printer;
          renderOverview();
        }
      } else {
        testResult(errorText(res), "0");
      }
    });
  });

  $("ov-tickets-reload").addEventListener("click", function () {
    loadTickets();
  });

  function renderDevices(devices) {
    $("ov-devices-empty").hidden = devices.length > 0;
    $("ov-devices-table").hidden = devices.length === 0;
    replaceChildren(
      $("ov-devices"),
      devices.map(function (d) {
        var tr = row([
          d.id,
          t("kind_" + d.kind),
          d.connected ? t("connected") : t("last_seen", { time: clock(d.last_seen * 1000) }),
          t("sound_" + (d.sound || "unknown")),
        ]);
        tr.firstChild.className = "a-break";
        return tr;
      })
    );
  }

  function connect() {
    if (state.conn || !window.Wartemarke || !window.Wartemarke.live) return;
    var first = true;
    state.conn = window.Wartemarke.live(
      "/staff",
      {
        snapshot: function (snapshot) {
          state.live = snapshot;
          renderOverview();
          // After an admin change anywhere the server sends a snapshot: read the lists again.
          if (!first) reloadLists();
          if (!first) refreshAppointments();
          first = false;
        },
        queue: function (queue) {
          if (!state.live) return;
          state.live.services = queue.services;
          renderOverview();
          scheduleTickets(); // a new ticket goes to the printer
          refreshAppointments(); // a check-in at the kiosk issues a ticket
        },
        counters: function (data) {
          if (!state.live) return;
          state.live.counters = data.counters;
          renderOverview();
        },
        printer: function (printer) {
          if (!state.live) return;
          state.live.printer = printer;
          renderOverview();
          scheduleTickets();
        },
        devices: function (data) {
          if (!state.live) return;
          state.live.devices = data.devices;
          renderOverview();
        },
        connect_error: function () {
          // A session that ended (logged out elsewhere, account disabled) is refused here.
          request("GET", "/me").then(function (res) {
            if (res.status === 401) showLogin(t("error_session"));
          });
        },
      },
      {
        onStatus: function (status) {
          $("connection").hidden = status !== "offline";
        },
      }
    );
  }

  // --- appointments -------------------------------------------------------------------------
  var DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
  var ACTIVE = { booked: true, checked_in: true }; // what takes a place in its slot

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function hhmm(minutes) {
    return pad2(Math.floor(minutes / 60)) + ":" + pad2(minutes % 60);
  }

  /** "Montag, 30. März 2027" for YYYY-MM-DD (noon UTC: the same date in every zone). */
  function longDate(day) {
    var at = new Date(day + "T12:00:00Z");
    try {
      return t("ap_day_text", {
        weekday: new Intl.DateTimeFormat("de-DE", { weekday: "long", timeZone: "UTC" }).format(at),
        date: new Intl.DateTimeFormat("de-DE", {
          day: "numeric",
          month: "long",
          year: "numeric",
          timeZone: "UTC",
        }).format(at),
      });
    } catch (err) {
      return dateDe(day);
    }
  }

  /** The opening spans of a day in minutes ([[540, 960]]), from the venue's opening hours as
   *  the server reads them (domain/hours.py); null when the office is open around the clock. */
  function spansOn(day) {
    var opening = state.venue && state.venue.opening;
    if (!opening) return null;
    var weekdays = opening.weekdays || {};
    var dates = opening.dates || [];
    if (!opening.hours && !Object.keys(weekdays).length && !dates.length) return null;
    if (dates.length && dates.indexOf(day) < 0) return [];
    var weekday = WEEKDAYS[(new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7];
    var text = weekdays[weekday] !== undefined ? weekdays[weekday] : opening.hours;
    if (weekdays[weekday] === undefined && !text) return null;
    var spans = [];
    String(text || "")
      .split(",")
      .forEach(function (part) {
        var m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(part);
        if (m) spans.push([Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])]);
      });
    return spans;
  }

  /** The slot starts of a day: every slot_minutes from each opening; around the clock: those
   *  between 07:00 and 20:00. */
  function slotStarts(day, minutes) {
    var starts = [];
    var spans = spansOn(day);
    if (spans === null) {
      for (var m = 0; m < 24 * 60; m += minutes) if (m >= 7 * 60 && m < 20 * 60) starts.push(m);
      return starts;
    }
    spans.forEach(function (span) {
      for (var s = span[0]; s < span[1]; s += minutes) starts.push(s);
    });
    return starts;
  }

  /** How many appointments one slot takes at most (as domain/appointments.py capacity()). */
  function slotCapacity(rules) {
    var enabled = state.counters.filter(function (c) {
      return c.enabled;
    }).length;
    return rules.counters === null || rules.counters === undefined
      ? enabled
      : Math.min(rules.counters, enabled);
  }

  function rules() {
    return (state.appointments && state.appointments.rules) || { slot_minutes: 20, counters: null };
  }

  function serviceLabel(id) {
    for (var i = 0; i < state.services.length; i++) {
      if (state.services[i].id === id) return state.services[i].name;
    }
    return String(id);
  }

  function renderServiceChoice() {
    var select = $("ap-service");
    var chosen = select.value;
    var options = [h("option", null, t("ap_no_service"))];
    options[0].value = "";
    state.services.forEach(function (s) {
      if (!s.enabled) return;
      var option = h("option", null, s.prefix + " · " + s.name);
      option.value = String(s.id);
      options.push(option);
    });
    replaceChildren(select, options);
    select.value = chosen;
    if (select.value !== chosen) select.value = "";
  }

  /** The time choice of the booking form: the day's slot starts, each with how full it is
   *  (known for the day the list shows; the form's day and the list's day go together). */
  function renderSlotChoice() {
    var select = $("ap-slot");
    var chosen = select.value;
    var day = $("ap-form-day").value;
    var r = rules();
    var shown = state.appointments && state.appointments.day === day ? state.appointments : null;
    var taken = {};
    if (shown) {
      shown.appointments.forEach(function (a) {
        if (ACTIVE[a.status]) taken[a.slot] = (taken[a.slot] || 0) + 1;
      });
    }
    var room = slotCapacity(r);
    var starts = DAY_RE.test(day) ? slotStarts(day, r.slot_minutes || 20) : [];
    var firstFree = -1;
    var options = starts.map(function (m, index) {
      var slot = hhmm(m);
      var n = taken[slot] || 0;
      var full = shown && room && n >= room;
      var text = t("ap_slot_free", { slot: slot });
      if (full) text = t("ap_slot_full", { slot: slot });
      else if (shown && n) text = t("ap_slot_taken", { slot: slot, n: n, of: room });
      if (!full && firstFree < 0) firstFree = index;
      var option = h("option", null, shown ? text : slot);
      option.value = slot;
      return option;
    });
    if (!options.length) {
      var closed = h("option", null, t("ap_closed_day"));
      closed.value = "";
      options.push(closed);
    }
    replaceChildren(select, options);
    select.value = chosen;
    // Keep the admin's choice; else offer the first slot with room.
    if (!chosen || select.selectedIndex < 0 || select.value !== chosen) {
      select.selectedIndex = Math.max(firstFree, 0);
    }
  }

  /** Day and time of a server message ("2027-03-30 09:20 …") in German. */
  function messageParams(params) {
    var out = {};
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      out[key] = key === "day" && DAY_RE.test(value) ? dateDe(value) : value;
    });
    return out;
  }

  // The server explains a refused booking in English (for developers and the log); these are
  // the ones an import can meet, in German. Anything else is shown as the server wrote it.
  var SERVER_MESSAGES = [
    [/^Unknown service '(.*)' \(give its number, letter or name\)\.$/, "row_unknown_service", ["service"]],
    [/^Unknown service (\d+)\.$/, "row_unknown_service", ["service"]],
    [/^The booking code is not valid/, "row_bad_code", []],
    [/^The booking code (\S+) is used already\.$/, "row_code_taken", ["code"]],
    [/^The name is longer than (\d+) characters\.$/, "row_name_long", ["max"]],
    [/^That day is over\.$/, "row_day_over", []],
    [/^'(.*)' is not a date/, "row_bad_day", ["day"]],
    [/^'(.*)' is not a time/, "row_bad_slot", ["slot"]],
    [/^(\S+) (\S+): the office is closed then\.$/, "row_closed", ["day", "slot"]],
    [/^(\S+) is no slot start: slots are (\d+) minutes from (\S+)\.$/, "row_off_grid", ["slot", "minutes", "opens"]],
    [/^(\S+) (\S+): (.+) is fully booked \((\d+) of (\d+): counters serving it\)\.$/, "row_full_service", ["day", "slot", "service", "n", "of"]],
    [/^(\S+) (\S+) is fully booked \((\d+) of (\d+) appointments\)\.$/, "row_full", ["day", "slot", "n", "of"]],
  ];

  function germanMessage(message) {
    var text = String(message || "");
    for (var i = 0; i < SERVER_MESSAGES.length; i++) {
      var m = SERVER_MESSAGES[i][0].exec(text);
      if (!m) continue;
      var params = {};
      SERVER_MESSAGES[i][2].forEach(function (name, index) {
        params[name] = m[index + 1];
      });
      return t(SERVER_MESSAGES[i][1], messageParams(params));
    }
    return text;
  }

  /** The German message for a refused booking of ``payload``. */
  function bookingError(payload) {
    return function (res) {
      var b = res.body || {};
      var where = { day: DAY_RE.test(payload.day) ? dateDe(payload.day) : payload.day, slot: payload.slot };
      if (b.error === "slot_full") {
        var service = /: (.+) is fully booked/.exec(b.message || "");
        return service
          ? t("slot_full_service", { day: where.day, slot: where.slot, service: service[1] })
          : t("slot_full", where);
      }
      if (b.field === "slot" && res.status === 409) return t("ap_closed");
      if (b.field === "slot") return t("field_slot", { minutes: rules().slot_minutes });
      if (b.field === "code" && res.status === 409) return t("ap_code_taken");
      if (b.field === "name") return t("ap_field_name");
      if (b.field === "service" || (res.status === 404 && b.service !== undefined)) {
        return t("field_service");
      }
      if (b.field && state.dict["field_" + b.field]) return t("field_" + b.field);
      return errorText(res);
    };
  }

  function figureOf(key, label, value) {
    var item = figure(key, label, value);
    item.className += " a-figure-" + key;
    return item;
  }

  function renderAppointments() {
    var view = state.appointments;
    if (!view) return;
    var r = view.rules;
    var capacity = r.counters === null || r.counters === undefined ? "ap_rules_all_counters" : "ap_rules";
    setText(
      $("ap-day-text"),
      longDate(view.day) +
        " · " +
        t(capacity, {
          minutes: r.slot_minutes,
          counters: r.counters,
          early: r.early_minutes,
          grace: r.grace_minutes,
        })
    );
    var count = { booked: 0, checked_in: 0, no_show: 0, cancelled: 0 };
    view.appointments.forEach(function (a) {
      var key = a.status === "late" ? "checked_in" : a.status;
      if (count[key] !== undefined) count[key] += 1;
    });
    replaceChildren($("ap-counts"), [
      figureOf("booked", t("ap_count_booked"), count.booked),
      figureOf("checked_in", t("ap_count_checked_in"), count.checked_in),
      figureOf("no_show", t("ap_count_no_show"), count.no_show),
      figureOf("cancelled", t("ap_count_cancelled"), count.cancelled),
    ]);
    $("ap-empty").hidden = view.appointments.length > 0;
    $("ap-table").hidden = view.appointments.length === 0;
    replaceChildren(
      $("ap-list"),
      view.appointments.map(function (a) {
        var status = h("span", "a-ap-status", t("ap_status_" + a.status));
        status.setAttribute("data-status", a.status);
        var action = "";
        if (a.status === "booked") {
          action = button(t("ap_cancel"), "a-btn-danger-outline a-btn-small", function (event) {
            askCancel(a, event.currentTarget);
          }, t("ap_cancel_label", { slot: a.slot, code: a.code }));
        }
        var tr = row([
          a.slot,
          a.service_name || serviceLabel(a.service),
          h("span", "a-code-cell", a.code),
          a.name || t("nobody"),
          status,
          a.ticket || t("nobody"),
          action,
        ]);
        tr.children[0].className = "a-slot-cell";
        tr.setAttribute("data-code", a.code);
        tr.setAttribute("data-status", a.status);
        if (a.status === "cancelled" || a.status === "no_show") tr.className = "a-disabled-row";
        return tr;
      })
    );
    renderSlotChoice();
  }

  function loadAppointments() {
    var day = $("ap-day").value;
    if (!DAY_RE.test(day)) {
      showError($("ap-list-error"), t("field_day"));
      return Promise.resolve();
    }
    return request("GET", "/admin/appointments?day=" + encodeURIComponent(day)).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        showLogin(t("error_session"));
        return;
      }
      if ($("ap-day").value !== day) return; // another day was chosen meanwhile
      if (res.status !== 200) {
        showError($("ap-list-error"), res.body && res.body.field === "day" ? t("field_day") : errorText(res));
        return;
      }
      showError($("ap-list-error"), "");
      state.appointments = res.body;
      renderAppointments();
    });
  }

  var appointmentsTimer = null;
  /** Read the list again soon while the tab is open (many changes come in bursts). */
  function refreshAppointments() {
    if ($("panel-appointments").hidden) return;
    window.clearTimeout(appointmentsTimer);
    appointmentsTimer = window.setTimeout(loadAppointments, 800);
  }

  /** Show another day: the list's and the form's day go together. */
  function chooseDay(day) {
    $("ap-day").value = day;
    $("ap-form-day").value = day;
    renderSlotChoice();
    loadAppointments();
  }

  $("ap-day").addEventListener("change", function () {
    chooseDay($("ap-day").value);
  });

  $("ap-form-day").addEventListener("change", function () {
    chooseDay($("ap-form-day").value);
  });

  $("ap-today").addEventListener("click", function () {
    chooseDay(today());
  });

  $("ap-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var payload = {
      day: $("ap-form-day").value,
      slot: $("ap-slot").value,
      service: $("ap-service").value ? Number($("ap-service").value) : null,
    };
    var name = $("ap-name").value.trim();
    if (name) payload.name = name;
    $("ap-booked").hidden = true;
    var invalid = !DAY_RE.test(payload.day) ? "field_day" : !payload.slot ? "field_slot" : !payload.service ? "field_service" : null;
    if (invalid) {
      showError($("ap-error"), t(invalid, { minutes: rules().slot_minutes }));
      return;
    }
    change("POST", "/admin/appointments", payload, $("ap-error"), $("ap-save"), bookingError(payload)).then(
      function (res) {
        if (res.status !== 201) return;
        var a = res.body;
        setText(
          $("ap-booked-text"),
          t("ap_booked_text", { day: dateDe(a.day), slot: a.slot, service: a.service_name })
        );
        setText($("ap-booked-code"), a.code);
        setText($("ap-booked-hint"), t("ap_booked_hint", { early: rules().early_minutes }));
        $("ap-booked").hidden = false;
        $("ap-name").value = "";
        if (a.day === $("ap-day").value) loadAppointments();
      }
    );
  });

  // Cancelling: after a confirmation, like closing the day.
  var cancelling = null;
  function askCancel(a, trigger) {
    cancelling = { appointment: a, trigger: trigger };
    setText(
      $("dlg-cancel-text"),
      t("ap_cancel_confirm", {
        day: dateDe(a.day),
        slot: a.slot,
        service: a.service_name,
        code: a.code,
        name: a.name ? ", " + a.name : "",
      })
    );
    $("dlg-cancel").returnValue = "";
    $("dlg-cancel").showModal();
  }

  $("dlg-cancel").addEventListener("close", function () {
    var pending = cancelling;
    cancelling = null;
    if (!pending || $("dlg-cancel").returnValue !== "ok") return;
    var a = pending.appointment;
    var notBooked = function (res) {
      return res.status === 409 ? t("ap_not_booked") : errorText(res);
    };
    change("POST", "/admin/appointments/" + a.id + "/cancel", {}, $("ap-list-error"), pending.trigger, notBooked).then(
      function (res) {
        if (res.status === 200) notice(t("ap_cancelled", { slot: a.slot, code: a.code }));
        loadAppointments();
      }
    );
  });

  // Importing a file: all rows or none; a refusal lists every bad row by its line.
  function importError(res) {
    var b = res.body || {};
    if (res.status === 413) return t("ap_file_too_big");
    if (b.field === "file") return t("field_file");
    return errorText(res);
  }

  $("ap-import-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var file = $("ap-file").files && $("ap-file").files[0];
    $("ap-bad-table").hidden = true;
    $("ap-import-result").hidden = true;
    if (!file) {
      showError($("ap-import-error"), t("field_file"));
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    change("POST", "/admin/appointments/import", form, $("ap-import-error"), $("ap-import"), importError).then(
      function (res) {
        var b = res.body || {};
        if (res.status === 400 && b.error === "bad_rows") {
          var rows = b.rows || [];
          showError(
            $("ap-import-error"),
            rows.length === 1 ? t("ap_import_refused_one") : t("ap_import_refused", { n: rows.length })
          );
          replaceChildren(
            $("ap-bad-rows"),
            rows.map(function (item) {
              var tr = row([item.line, germanMessage(item.message)]);
              tr.children[0].className = "a-num";
              tr.setAttribute("data-line", item.line);
              return tr;
            })
          );
          $("ap-bad-table").hidden = false;
          return;
        }
        if (res.status !== 200) return;
        var days = (b.days || []).map(dateDe).join(", ");
        var text = !b.imported
          ? t("ap_imported_none")
          : b.imported === 1
            ? t("ap_imported_one", { days: days })
            : t("ap_imported", { n: b.imported, days: days });
        setText($("ap-import-result"), text);
        $("ap-import-result").hidden = false;
        $("ap-file").value = "";
        // Show what came in: the day on screen if it got some, else the first day imported.
        if (b.days && b.days.length && b.days.indexOf($("ap-day").value) < 0) chooseDay(b.days[0]);
        else loadAppointments();
      }
    );
  });

  $("ap-file").addEventListener("change", function () {
    showError($("ap-import-error"), "");
    $("ap-bad-table").hidden = true;
    $("ap-import-result").hidden = true;
  });

  (function () {
    var day = today();
    $("ap-day").value = day;
    $("ap-form-day").value = day;
  })();

  // --- services -----------------------------------------------------------------------------
  function renderServices() {
    replaceChildren(
      $("sv-list"),
      state.services.map(function (s) {
        var tr = row([
          s.prefix,
          s.name,
          s.minutes,
          s.enabled ? t("yes") : t("no"),
          button(t("edit"), null, function () {
            editService(s);
          }, t("edit_label", { name: s.name })),
        ]);
        if (!s.enabled) tr.className = "a-disabled-row";
        return tr;
      })
    );
    renderCounterServiceChoices();
  }

  function editService(s) {
    $("sv-id").value = s ? s.id : "";
    $("sv-name").value = s ? s.name : "";
    $("sv-prefix").value = s ? s.prefix : "";
    $("sv-minutes").value = s ? s.minutes : "";
    $("sv-sort").value = s ? s.sort : "";
    $("sv-description").value = s ? s.description : "";
    fillTranslations(s);
    $("sv-enabled").checked = s ? s.enabled : true;
    $("sv-priority").checked = Boolean(s && s.priority);
    setText($("sv-form-title"), s ? t("service_edit", { name: s.name }) : t("service_new"));
    setText($("sv-save"), s ? t("save_changes") : t("service_create"));
    $("sv-new").hidden = !s;
    showError($("sv-error"), "");
    if (s) $("sv-name").focus();
  }

  // Translations: a name and a description per language (admin.html renders one <details>
  // each, the inputs marked data-names / data-descriptions with the language's code).
  function translationInputs(kind) {
    return Array.prototype.slice.call($("sv-translations").querySelectorAll("input[data-" + kind + "]"));
  }

  function fillTranslations(s) {
    ["names", "descriptions"].forEach(function (kind) {
      var texts = (s && s[kind]) || {};
      translationInputs(kind).forEach(function (input) {
        input.value = texts[input.getAttribute("data-" + kind)] || "";
      });
    });
    Array.prototype.forEach.call($("sv-translations").querySelectorAll("details[data-lang]"), showTranslationState);
  }

  function readTranslations(kind) {
    var texts = {};
    translationInputs(kind).forEach(function (input) {
      texts[input.getAttribute("data-" + kind)] = input.value;
    });
    return texts;
  }

  /** A language's summary: its translated name (in its language and direction), or what is
   *  missing, so that the closed list shows at a glance what is translated. */
  function showTranslationState(details) {
    var code = details.getAttribute("data-lang");
    var name = $("sv-name-" + code);
    var stateNode = $("sv-lang-state-" + code);
    var translated = name.value.trim();
    if (translated) {
      setText(stateNode, translated);
      stateNode.lang = name.lang;
      stateNode.dir = name.dir;
    } else {
      setText(stateNode, $("sv-description-" + code).value.trim() ? t("translation_description_only") : t("translation_missing"));
      stateNode.lang = "de";
      stateNode.dir = "ltr";
    }
    stateNode.className = "a-lang-state" + (translated ? " a-lang-done" : "");
  }

  $("sv-translations").addEventListener("input", function (event) {
    var details = event.target.closest ? event.target.closest("details[data-lang]") : null;
    if (details) showTranslationState(details);
  });

  /** A refused translation (the server names its language): open it and put the cursor there. */
  function showRefusedTranslation(b) {
    var kind = { names: "name", descriptions: "description" }[b.field];
    var input = kind && b.language ? $("sv-" + kind + "-" + b.language) : null;
    if (!input) return;
    input.closest("details").open = true;
    input.focus();
  }

  $("sv-new").addEventListener("click", function () {
    editService(null);
    $("sv-name").focus();
  });

  $("sv-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("sv-id").value;
    var payload = {
      name: $("sv-name").value,
      prefix: $("sv-prefix").value.trim().toUpperCase(),
      minutes: Number($("sv-minutes").value),
      description: $("sv-description").value,
      enabled: $("sv-enabled").checked,
      priority: $("sv-priority").checked ? 1 : 0,
      // Every language of the form; an empty one removes its translation.
      names: readTranslations("names"),
      descriptions: readTranslations("descriptions"),
    };
    if ($("sv-sort").value !== "") payload.sort = Number($("sv-sort").value);
    change(id ? "PUT" : "POST", "/admin/services" + (id ? "/" + id : ""), payload, $("sv-error"), $("sv-save")).then(
      function (res) {
        if (res.status === 400) showRefusedTranslation(res.body || {});
        if (res.status !== 200 && res.status !== 201) return;
        notice(t("service_saved", { name: res.body.name }));
        editService(null);
        reloadLists();
      }
    );
  });

  // --- counters -----------------------------------------------------------------------------
  function serviceName(id) {
    for (var i = 0; i < state.services.length; i++) {
      if (state.services[i].id === id) return state.services[i].prefix + " " + state.services[i].name;
    }
    return String(id);
  }

  function renderCounters() {
    replaceChildren(
      $("ct-list"),
      state.counters.map(function (c) {
        var tr = row([
          c.name,
          c.services.map(serviceName).join(", "),
          c.enabled ? t("yes") : t("no"),
          button(t("edit"), null, function () {
            editCounter(c);
          }, t("edit_label", { name: c.name })),
        ]);
        if (!c.enabled) tr.className = "a-disabled-row";
        return tr;
      })
    );
  }

  function renderCounterServiceChoices() {
    var checked = {};
    Array.prototype.forEach.call($("ct-services").querySelectorAll("input"), function (input) {
      if (input.checked) checked[input.value] = true;
    });
    replaceChildren(
      $("ct-services"),
      state.services.map(function (s) {
        var wrap = h("div", "a-check");
        var input = document.createElement("input");
        input.type = "checkbox";
        input.id = "ct-service-" + s.id;
        input.value = String(s.id);
        input.checked = !!checked[input.value];
        var label = h("label", null, s.prefix + " · " + s.name);
        label.htmlFor = input.id;
        wrap.appendChild(input);
        wrap.appendChild(label);
        return wrap;
      })
    );
  }

  function editCounter(c) {
    $("ct-id").value = c ? c.id : "";
    $("ct-name").value = c ? c.name : "";
    $("ct-enabled").checked = c ? c.enabled : true;
    Array.prototype.forEach.call($("ct-services").querySelectorAll("input"), function (input) {
      input.checked = !!c && c.services.indexOf(Number(input.value)) >= 0;
    });
    setText($("ct-form-title"), c ? t("counter_edit", { name: c.name }) : t("counter_new"));
    setText($("ct-save"), c ? t("save_changes") : t("counter_create"));
    $("ct-new").hidden = !c;
    showError($("ct-error"), "");
    if (c) $("ct-name").focus();
  }

  $("ct-new").addEventListener("click", function () {
    editCounter(null);
    $("ct-name").focus();
  });

  $("ct-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("ct-id").value;
    var services = [];
    Array.prototype.forEach.call($("ct-services").querySelectorAll("input"), function (input) {
      if (input.checked) services.push(Number(input.value));
    });
    var payload = { name: $("ct-name").value, enabled: $("ct-enabled").checked, services: services };
    change(id ? "PUT" : "POST", "/admin/counters" + (id ? "/" + id : ""), payload, $("ct-error"), $("ct-save")).then(
      function (res) {
        if (res.status !== 200 && res.status !== 201) return;
        notice(t("counter_saved", { name: res.body.name }));
        editCounter(null);
        reloadLists();
      }
    );
  });

  // --- users --------------------------------------------------------------------------------
  function renderUsers() {
    replaceChildren(
      $("us-list"),
      state.users.map(function (u) {
        var tools = h("div", "a-row-tools");
        tools.appendChild(
          button(t("password_btn"), null, function () {
            askPassword(u);
          }, t("password_label", { name: u.username }))
        );
        tools.appendChild(
          button(u.role === "admin" ? t("make_clerk") : t("make_admin"), null, function (event) {
            updateUser(u, { role: u.role === "admin" ? "clerk" : "admin" }, event.currentTarget);
          })
        );
        tools.appendChild(
          button(u.active ? t("disable") : t("enable"), null, function (event) {
            updateUser(u, { active: !u.active }, event.currentTarget);
          })
        );
        var status = u.active ? t("active") : t("inactive");
        if (u.counters && u.counters.length) status += " · " + t("holds", { counters: u.counters.join(", ") });
        var tr = row([u.username, u.name, t("role_" + u.role), status, tools]);
        if (!u.active) tr.className = "a-disabled-row";
        return tr;
      })
    );
  }

  function updateUser(u, fields, submit) {
    change("PUT", "/admin/users/" + u.id, fields, null, submit).then(function (res) {
      if (res.status !== 200) return;
      notice(t("user_saved", { name: res.body.username }));
      if (u.id === state.user.id && res.body.role !== "admin") {
        showLogin(t("login_not_admin"));
        return;
      }
      reloadLists();
    });
  }

  $("us-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var payload = {
      username: $("us-username").value.trim(),
      name: $("us-name").value,
      role: $("us-role").value,
      password: $("us-password").value,
    };
    change("POST", "/admin/users", payload, $("us-error"), $("us-save")).then(function (res) {
      if (res.status !== 201) return;
      notice(t("user_saved", { name: res.body.username }));
      $("us-form").reset();
      reloadLists();
    });
  });

  var passwordFor = null;
  function askPassword(u) {
    passwordFor = u;
    setText($("pw-user"), u.username + (u.name && u.name !== u.username ? " (" + u.name + ")" : ""));
    $("pw-input").value = "";
    showError($("pw-error"), "");
    $("dlg-password").showModal();
    $("pw-input").focus();
  }

  $("pw-form").addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.value === "cancel") return; // the dialog closes
    event.preventDefault();
    var u = passwordFor;
    change("POST", "/admin/users/" + u.id + "/password", { password: $("pw-input").value }, $("pw-error"), $("pw-ok")).then(
      function (res) {
        if (res.status !== 200) return;
        $("dlg-password").close();
        notice(t("password_saved", { name: u.username }));
      }
    );
  });

  // --- pop-up events ------------------------------------------------------------------------
  function eventDays(e) {
    if (!e.first_day && !e.last_day) return t("nobody");
    if (e.first_day === e.last_day || !e.last_day) return dateDe(e.first_day);
    if (!e.first_day) return t("ev_until", { day: dateDe(e.last_day) });
    return dateDe(e.first_day) + " – " + dateDe(e.last_day);
  }

  function renderEvents() {
    replaceChildren(
      $("ev-list"),
      state.events.map(function (e) {
        var status = e.current
          ? h("span", "a-badge", t("ev_current"))
          : button(t("ev_make_current"), null, function (event) {
              change("PUT", "/admin/events/" + e.id, { current: true }, null, event.currentTarget).then(
                function (res) {
                  if (res.status !== 200) return;
                  notice(t("ev_now_current", { name: res.body.name }));
                  reloadLists();
                }
              );
            }, t("ev_make_current_label", { name: e.name }));
        var place = [e.place, e.address].filter(Boolean).join(", ");
        var tr = row([
          e.name,
          place || t("nobody"),
          eventDays(e),
          status,
          button(t("edit"), null, function () {
            editEvent(e);
          }, t("edit_label", { name: e.name })),
        ]);
        tr.setAttribute("data-event", e.id);
        return tr;
      })
    );
  }

  function editEvent(e) {
    $("ev-id").value = e ? e.id : "";
    $("ev-name").value = e ? e.name : "";
    $("ev-place").value = e ? e.place : "";
    $("ev-address").value = e ? e.address : "";
    $("ev-district").value = e && e.district ? e.district : "";
    $("ev-first").value = e && e.first_day ? e.first_day : "";
    $("ev-last").value = e && e.last_day ? e.last_day : "";
    $("ev-current").checked = e ? e.current : true;
    setText($("ev-form-title"), e ? t("ev_edit", { name: e.name }) : t("ev_new"));
    setText($("ev-save"), e ? t("save_changes") : t("ev_create"));
    $("ev-new").hidden = !e;
    showError($("ev-error"), "");
    if (e) $("ev-name").focus();
  }

  $("ev-new").addEventListener("click", function () {
    editEvent(null);
    $("ev-name").focus();
  });

  $("ev-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("ev-id").value;
    var payload = {
      name: $("ev-name").value,
      place: $("ev-place").value,
      address: $("ev-address").value,
      district: $("ev-district").value,
      first_day: $("ev-first").value,
      last_day: $("ev-last").value,
    };
    // Editing leaves which event is current alone unless the box asks for it.
    if (!id || $("ev-current").checked) payload.current = $("ev-current").checked;
    change(id ? "PUT" : "POST", "/admin/events" + (id ? "/" + id : ""), payload, $("ev-error"), $("ev-save")).then(
      function (res) {
        if (res.status !== 200 && res.status !== 201) return;
        notice(t("ev_saved", { name: res.body.name }));
        editEvent(null);
        reloadLists();
      }
    );
  });

  // --- venue and opening hours --------------------------------------------------------------
  (function buildWeekdays() {
    WEEKDAYS.forEach(function (day) {
      var wrap = h("div", "a-field");
      var label = h("label", null, t("weekday_" + day));
      var input = document.createElement("input");
      input.id = "vn-day-" + day;
      input.maxLength = 200;
      label.htmlFor = input.id;
      wrap.appendChild(label);
      wrap.appendChild(input);
      $("vn-weekdays").appendChild(wrap);
    });
  })();

  function relabelWeekdays() {
    WEEKDAYS.forEach(function (day) {
      setText(document.querySelector("label[for=vn-day-" + day + "]"), t("weekday_" + day));
    });
  }

  function fillVenue(v) {
    $("vn-name").value = v.name || "";
    $("vn-ticker").value = v.ticker || "";
    $("vn-ticket-text").value = v.ticket_text || "";
    var opening = v.opening || {};
    $("vn-hours").value = opening.hours || "";
    WEEKDAYS.forEach(function (day) {
      var spans = (opening.weekdays || {})[day];
      $("vn-day-" + day).value = spans === undefined ? "" : spans || "geschlossen";
    });
    $("vn-dates").value = (opening.dates || []).join(", ");
    $("vn-margin").value = opening.closing_margin_min || 0;
    setText($("venue-name"), v.name || "");
    state.venueDirty = false;
  }

  $("vn-form").addEventListener("input", function () {
    state.venueDirty = true;
  });

  $("vn-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var weekdays = {};
    WEEKDAYS.forEach(function (day) {
      var value = $("vn-day-" + day).value.trim();
      if (value) weekdays[day] = value;
    });
    var dates = $("vn-dates")
      .value.split(/[\s,;]+/)
      .filter(function (d) {
        return d;
      });
    var payload = {
      name: $("vn-name").value,
      ticker: $("vn-ticker").value,
      ticket_text: $("vn-ticket-text").value,
      opening: {
        hours: $("vn-hours").value.trim(),
        weekdays: weekdays,
        dates: dates,
        closing_margin_min: Number($("vn-margin").value || 0),
      },
    };
    change("PUT", "/admin/venue", payload, $("vn-error"), $("vn-save")).then(function (res) {
      if (res.status !== 200) return;
      fillVenue(res.body);
      notice(t("venue_saved"));
    });
  });

  // --- statistics ---------------------------------------------------------------------------
  var NUMBER = new Intl.NumberFormat("de-DE", { maximumFractionDigits: 2 });
  var PERCENT = new Intl.NumberFormat("de-DE", { style: "percent", maximumFractionDigits: 1 });

  /** Today in the venue's time zone as YYYY-MM-DD. */
  function today() {
    try {
      return new Intl.DateTimeFormat("en-CA", {
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        timeZone: config.timezone,
      }).format(new Date());
    } catch (err) {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function dateDe(day) {
    return day.slice(8, 10) + "." + day.slice(5, 7) + "." + day.slice(0, 4);
  }

  function num(value) {
    return value === null || value === undefined ? t("st_none") : NUMBER.format(value);
  }

  function mins(value) {
    return value === null || value === undefined ? t("st_none") : t("st_minutes", { n: num(value) });
  }

  /** "12,5 / 10 / 30 Min." (a dash for no data). */
  function minsList(values) {
    if (values[0] === null || values[0] === undefined) return t("st_none");
    return t("st_minutes", { n: values.map(num).join(" / ") });
  }

  function statsRange() {
    var first = $("st-from").value;
    var last = $("st-to").value || first;
    var valid = /^\d{4}-\d{2}-\d{2}$/;
    if (!valid.test(first) || !valid.test(last) || first > last) return null;
    return { from: first, to: last, event: $("st-event").value };
  }

  function statsQuery(range) {
    var query = "?from=" + encodeURIComponent(range.from) + "&to=" + encodeURIComponent(range.to);
    return range.event ? query + "&event=" + encodeURIComponent(range.event) : query;
  }

  /** The event choice of the statistics: all, or one (newest first), keeping the selection. */
  function renderEventChoice() {
    var select = $("st-event");
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    state.events.forEach(function (e) {
      var option = h("option", null, e.name + (e.first_day ? " (" + eventDays(e) + ")" : ""));
      option.value = String(e.id);
      select.appendChild(option);
    });
    select.value = chosen;
    if (select.value !== chosen) select.value = "";
  }

  function updateReportLink() {
    var range = statsRange();
    var link = $("st-report");
    if (!range) {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
      return;
    }
    link.href = "report" + statsQuery(range);
    link.removeAttribute("aria-disabled");
  }

  function figure(key, label, value) {
    var item = h("div", "a-figure");
    item.setAttribute("data-key", key);
    item.appendChild(h("dt", null, label));
    item.appendChild(h("dd", "a-figure-value", value));
    return item;
  }

  function renderStats(s) {
    var range = { from: dateDe(s.from), to: dateDe(s.to) };
    setText($("st-range"), t(s.from === s.to ? "st_range_one" : "st_range", range));
    var w = s.wait_min || {};
    var sv = s.service_min || {};
    var sat = s.satisfaction || {};
    replaceChildren($("st-figures"), [
      figure("issued", t("st_issued"), num(s.issued)),
      figure("served", t("st_served"), num(s.served)),
      figure("cases", t("st_cases"), num(s.cases)),
      figure("wait", t("st_wait"), minsList([w.mean, w.median, w.p90])),
      figure("service", t("st_service"), minsList([sv.mean, sv.median])),
      figure("peak_queue", t("st_peak_queue"), num(s.peak_queue)),
      figure("no_show", t("st_no_show"), num(s.no_show)),
      figure("cancelled", t("st_cancelled"), num(s.cancelled)),
      figure("waiting_left", t("st_waiting_left"), num(s.waiting_left)),
      figure("turned_away", t("st_turned_away"), num(s.turned_away)),
      figure("without_ticket", t("st_without_ticket"), num(s.without_ticket)),
      figure(
        "left_unserved",
        t("st_left_unserved"),
        s.left_unserved_share === null || s.left_unserved_share === undefined
          ? t("st_none")
          : PERCENT.format(s.left_unserved_share)
      ),
      figure(
        "satisfaction",
        t("st_satisfaction"),
        sat.answers
          ? t("st_satisfaction_value", { mean: num(sat.mean), n: num(sat.answers) })
          : t("st_none")
      ),
    ]);
    replaceChildren(
      $("st-services"),
      (s.by_service || []).map(function (item) {
        var wait = (item.wait_min || {}).median;
        var tr = row([item.name, num(item.issued), num(item.served), num(item.cases), mins(wait)]);
        for (var i = 1; i < tr.children.length; i++) tr.children[i].className = "a-num";
        return tr;
      })
    );
    replaceChildren(
      $("st-events"),
      (s.by_event || []).map(function (item) {
        var wait = (item.wait_min || {}).median;
        // Of the served visitors who named their district: how many live where the venue is.
        var districts = item.districts || {};
        var answered = (item.served || 0) - (districts.unknown || 0);
        var home = item.bezirk ? districts[item.bezirk] || 0 : null;
        var share =
          home === null || answered <= 0
            ? t("st_none")
            : t("st_home_share", { n: num(home), answered: num(answered), share: PERCENT.format(home / answered) });
        var name = item.id === null ? t("st_no_event") : item.name;
        var tr = row([name, num(item.issued), num(item.served), mins(wait), share]);
        for (var i = 1; i < tr.children.length; i++) tr.children[i].className = "a-num";
        return tr;
      })
    );
    var districts = s.districts || {};
    replaceChildren(
      $("st-districts"),
      Object.keys(districts)
        .sort(function (a, b) {
          var na = /^\d+$/.test(a) ? Number(a) : a === "outside" ? 100 : 101;
          var nb = /^\d+$/.test(b) ? Number(b) : b === "outside" ? 100 : 101;
          return na - nb;
        })
        .map(function (key) {
          var label = /^\d+$/.test(key) ? t("st_district", { n: key }) : t("st_district_" + key);
          var tr = row([label, num(districts[key])]);
          tr.setAttribute("data-district", key);
          tr.children[1].className = "a-num";
          return tr;
        })
    );
    $("st-result").hidden = false;
  }

  /** The report's charts for the same range, as server-rendered SVG images. */
  function showCharts(range) {
    var images = $("st-result").querySelectorAll("img[data-chart]");
    for (var i = 0; i < images.length; i++) {
      var name = images[i].getAttribute("data-chart");
      images[i].src = "stats/chart/" + name + ".svg" + statsQuery(range);
    }
  }

  function loadStats() {
    var range = statsRange();
    if (!range) {
      showError($("st-error"), t("st_range_invalid"));
      return Promise.resolve();
    }
    state.statsLoaded = true;
    showError($("st-error"), "");
    $("st-show").disabled = true;
    return request("GET", "/stats" + statsQuery(range)).then(function (res) {
      $("st-show").disabled = false;
      if (res.status === 401 || res.status === 403) {
        showLogin(t("error_session"));
      } else if (res.status !== 200) {
        showError($("st-error"), errorText(res));
      } else {
        renderStats(res.body);
        showCharts(range);
      }
    });
  }

  (function () {
    var day = today();
    $("st-from").value = day;
    $("st-to").value = day;
    updateReportLink();
  })();

  ["st-from", "st-to", "st-event"].forEach(function (id) {
    $(id).addEventListener("change", updateReportLink);
  });

  $("st-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadStats();
  });

  // --- the site file ------------------------------------------------------------------------
  function loadSiteFile() {
    state.siteLoaded = true;
    showError($("sf-error"), "");
    return request("GET", "/admin/site").then(function (res) {
      if (res.status === 401 || res.status === 403) {
        showLogin(t("error_session"));
      } else if (res.status !== 200) {
        showError($("sf-error"), errorText(res));
      } else {
        $("sf-text").value = res.body.toml;
        setText($("sf-path"), t("sf_path", { path: res.body.path }));
      }
    });
  }

  $("sf-reload").addEventListener("click", function () {
    $("sf-result").hidden = true;
    loadSiteFile();
  });

  $("sf-file").addEventListener("change", function () {
    var file = $("sf-file").files && $("sf-file").files[0];
    if (!file) return;
    file.text().then(function (text) {
      $("sf-text").value = text;
      $("sf-result").hidden = true;
      showError($("sf-error"), "");
    });
  });

  $("sf-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("sf-result").hidden = true;
    var payload = { toml: $("sf-text").value };
    change("PUT", "/admin/site", payload, $("sf-error"), $("sf-apply")).then(function (res) {
      if (res.status !== 200) return;
      var lines = [
        res.body.saved
          ? t("sf_applied_saved", { path: res.body.path })
          : t("sf_applied_not_saved", { path: res.body.path, message: res.body.error || "" }),
      ];
      if (res.body.restart.length) {
        lines.push(t("sf_restart", { names: res.body.restart.join(", ") }));
      }
      setText($("sf-result"), lines.join(" "));
      $("sf-result").hidden = false;
      reloadLists();
    });
  });

  // --- setting up devices -------------------------------------------------------------------
  /* GET /api/admin/devices/urls: the base URLs devices reach the server by (the public URL, else
   * each LAN address; wartemarke.local while announced), each with every screen's URL and QR
   * code (an SVG data URI). One base is shown at a time; printing gives one sheet per screen. */
  function loadDevices() {
    window.clearTimeout(state.devicesTimer);
    showError($("dv-error"), "");
    return request("GET", "/admin/devices/urls").then(function (res) {
      if (res.status === 401 || res.status === 403) {
        showLogin(t("error_session"));
      } else if (res.status !== 200) {
        showError($("dv-error"), errorText(res));
      } else {
        renderDeviceBases(res.body);
        // The name is announced a few seconds after the start: ask again while it is pending.
        if (res.body.mdns.state === "starting" && !$("panel-devices").hidden) {
          state.devicesTimer = window.setTimeout(loadDevices, 3000);
        }
      }
    });
  }

  function renderDeviceBases(data) {
    state.deviceUrls = data;
    var select = $("dv-base");
    var previous = select.value;
    replaceChildren(
      select,
      data.bases.map(function (base) {
        var option = h("option", null, t("dv_base_" + base.kind, { url: base.url }));
        option.value = base.url;
        return option;
      })
    );
    var kept = data.bases.some(function (base) {
      return base.url === previous;
    });
    if (kept) select.value = previous;
    $("dv-base-field").hidden = data.bases.length < 2;
    showError($("dv-problem"), data.problem ? t("dv_problem_" + data.problem) : "");
    var named = data.bases.filter(function (base) {
      return base.kind === "mdns";
    })[0];
    var announcing = data.mdns.state;
    var text = "";
    if (named) text = t("dv_mdns_on", { url: named.url });
    else if (announcing === "starting") text = t("dv_mdns_starting");
    else if (announcing === "failed") text = t("dv_mdns_failed");
    else if (!data.problem) text = t("dv_mdns_off");
    setText($("dv-mdns"), text);
    $("dv-mdns").hidden = !text;
    renderDeviceCards();
  }

  function renderDeviceCards() {
    var data = state.deviceUrls;
    var chosen = $("dv-base").value;
    var base = data.bases.filter(function (b) {
      return b.url === chosen;
    })[0] || data.bases[0];
    var venue = $("venue-name").textContent;
    $("dv-print").disabled = !base;
    replaceChildren(
      $("dv-list"),
      (base ? base.devices : []).map(function (d) {
        var card = h("figure", "a-card a-dv-card");
        card.setAttribute("data-role", d.role);
        var caption = h("figcaption", "a-dv-caption");
        caption.appendChild(h("strong", "a-dv-role", t("dv_role_" + d.role)));
        caption.appendChild(h("span", "a-dv-hint", t("dv_hint_" + d.role)));
        var img = h("img", "a-dv-qr");
        img.src = d.qr;
        img.alt = t("dv_qr_alt", { role: t("dv_role_" + d.role), url: d.url });
        var url = h("p", "a-dv-url");
        url.appendChild(h("code", null, d.url));
        card.appendChild(caption);
        card.appendChild(img);
        card.appendChild(url);
        card.appendChild(h("p", "a-dv-venue", venue));
        return card;
      })
    );
  }

  $("dv-base").addEventListener("change", renderDeviceCards);
  $("dv-print").addEventListener("click", function () {
    window.print();
  });

  // --- end of day ---------------------------------------------------------------------------
  $("day-close").addEventListener("click", function () {
    var open = 0;
    if (state.live) {
      (state.live.services || []).forEach(function (s) {
        open += s.waiting || 0;
      });
    }
    setText($("dlg-day-text"), t("day_confirm", { n: open }));
    $("day-result").hidden = true;
    $("dlg-day").returnValue = "";
    $("dlg-day").showModal();
  });

  $("dlg-day").addEventListener("close", function () {
    if ($("dlg-day").returnValue !== "ok") return;
    change("POST", "/admin/day/close", { confirm: true }, null, $("day-close")).then(function (res) {
      if (res.status !== 200) return;
      var text = t("day_done", {
        cancelled: res.body.cancelled,
        finished: res.body.finished,
        counters: res.body.counters_released,
      });
      setText($("day-result"), text);
      $("day-result").hidden = false;
    });
  });

  // --- start --------------------------------------------------------------------------------
  function loadDict() {
    return fetch(config.i18nBase + "de.json", { cache: "no-cache" })
      .then(function (res) {
        return res.ok ? res.json() : {};
      })
      .catch(function () {
        return {};
      })
      .then(function (dict) {
        state.dict = dict || {};
        relabelWeekdays();
      });
  }

  loadDict()
    .then(function () {
      return request("GET", "/me");
    })
    .then(function (res) {
      if (res.status === 200 && res.body.user.role === "admin") {
        state.user = res.body.user;
        state.csrf = res.body.csrf_token;
        startWork();
      } else {
        showLogin(res.status === 200 ? t("login_not_admin") : "");
      }
    });
})();
