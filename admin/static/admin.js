/*
 * The admin area: overview (live over /staff), services, counters, staff accounts, venue and
 * opening hours, end of day.
 *
 * Drucker (in the overview): address and state live; "Testseite drucken" POSTs
 * /api/admin/printer/test; for the virtual printer the last tickets as images from
 * GET /api/admin/printer/tickets (img src /admin/printer/tickets/<name>).
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
  var TABS = ["overview", "services", "counters", "users", "venue", "stats", "day", "site"];

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
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (state.csrf) headers["X-CSRFToken"] = state.csrf;
    }
    return fetch(config.api + path, {
      method: method,
      headers: headers,
      body: method === "GET" ? undefined : JSON.stringify(payload || {}),
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

  /** Send a change; on a lost session go back to the login. Resolves to the answer. */
  function change(method, path, payload, errorNode, submit) {
    if (submit) submit.disabled = true;
    if (errorNode) showError(errorNode, "");
    return request(method, path, payload).then(function (res) {
      if (submit) submit.disabled = false;
      if (res.status === 401) {
        showLogin(t("error_session"));
      } else if (res.status >= 300 || res.status === 0) {
        if (errorNode) showError(errorNode, errorText(res));
        else notice(errorText(res));
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
      renderEvents();
      renderEventChoice();
      renderServices();
      renderCounters();
      renderUsers();
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
          first = false;
        },
        queue: function (queue) {
          if (!state.live) return;
          state.live.services = queue.services;
          renderOverview();
          scheduleTickets(); // a new ticket goes to the printer
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
    $("sv-name-en").value = s && s.names && s.names.en ? s.names.en : "";
    $("sv-description-en").value = s && s.descriptions && s.descriptions.en ? s.descriptions.en : "";
    $("sv-enabled").checked = s ? s.enabled : true;
    $("sv-priority").checked = Boolean(s && s.priority);
    setText($("sv-form-title"), s ? t("service_edit", { name: s.name }) : t("service_new"));
    setText($("sv-save"), s ? t("save_changes") : t("service_create"));
    $("sv-new").hidden = !s;
    showError($("sv-error"), "");
    if (s) $("sv-name").focus();
  }

  $("sv-new").addEventListener("click", function () {
    editService(null);
    $("sv-name").focus();
  });

  $("sv-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("sv-id").value;
    var current = state.services.filter(function (s) {
      return String(s.id) === id;
    })[0] || {};
    var payload = {
      name: $("sv-name").value,
      prefix: $("sv-prefix").value.trim().toUpperCase(),
      minutes: Number($("sv-minutes").value),
      description: $("sv-description").value,
      enabled: $("sv-enabled").checked,
      priority: $("sv-priority").checked ? 1 : 0,
      // Only English is edited here; other languages (from the site file) stay.
      names: Object.assign({}, current.names, { en: $("sv-name-en").value }),
      descriptions: Object.assign({}, current.descriptions, { en: $("sv-description-en").value }),
    };
    if ($("sv-sort").value !== "") payload.sort = Number($("sv-sort").value);
    change(id ? "PUT" : "POST", "/admin/services" + (id ? "/" + id : ""), payload, $("sv-error"), $("sv-save")).then(
      function (res) {
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
