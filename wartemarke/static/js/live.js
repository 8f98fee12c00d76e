/*
 * Wartemarke.live: the shared live connection of every screen (kiosk, counter, display, phone).
 *
 * Needs the vendored Socket.IO client (/static/vendor/socket.io.min.js, global `io`) loaded
 * first. No other dependency; plain ES2019 so that older kiosk and TV browsers run it.
 *
 *   var conn = Wartemarke.live("/display", {
 *     snapshot: function (s) { ... },   // full state: on every (re)connect and on request
 *     queue: function (q) { ... },      // {seq, services} after every committed change
 *     call: function (c) { ... }        // {seq, number, counter, counter_name, at, recall, ...}
 *     // any other server event by name, e.g. ticket, counters (staff namespace)
 *   }, {
 *     onStatus: function (status) { ... }   // "online" | "offline"
 *   });
 *   conn.requestSnapshot();   conn.close();   conn.seq;   conn.status;
 *
 * What it guarantees to the handlers:
 *
 * - Order. The server numbers committed changes with `seq` (one step per change; a call and the
 *   queue update of the same change share it). An event with a seq below the last one seen is
 *   stale (it was overtaken, e.g. by a snapshot) and is dropped. A seq more than one above the
 *   last means events were missed: the event is still delivered (it is newer) and a fresh
 *   `snapshot` is requested from the server, once until it arrives.
 * - Calls are never dropped for their seq (a display must ring for every call) but are
 *   de-duplicated by number + time, including the calls listed in the last snapshot, so a call
 *   is announced once even if it reaches the screen twice.
 * - After a disconnect the last seq is forgotten: the server may have restarted (even with a
 *   fresh database), and the snapshot it sends on every connect is taken as the new truth.
 * - Status: "offline" as soon as the connection drops or cannot be made, "online" once the
 *   namespace is connected again. Socket.IO reconnects by itself, retrying every 0.5-2 s; if
 *   the server ends the session explicitly, this helper reconnects too.
 *
 * Options (third argument, all optional):
 *   onStatus(status)      called on every change of the connection status
 *   io                    the Socket.IO factory (default: the global `io`)
 *   url                   server origin (default: the page's own)
 *   socketOptions         merged into the Socket.IO options
 *   maxSeenCalls          how many call keys the de-duplication remembers (default 200)
 */
(function (global) {
  "use strict";

  // Events handled below, and Socket.IO's reserved ones (connect_error may be a handler too).
  var SPECIAL = { snapshot: 1, queue: 1, call: 1, connect: 1, disconnect: 1, connect_error: 1 };

  function isNumber(value) {
    return typeof value === "number" && isFinite(value);
  }

  function callKey(call) {
    return String(call && call.number) + "@" + String(call && call.at);
  }

  function safely(fn, arg, what) {
    if (typeof fn !== "function") return;
    try {
      fn(arg);
    } catch (err) {
      // One broken handler must not stop the live connection for the rest of the screen.
      if (global.console) global.console.error("Wartemarke.live: " + what + " handler failed", err);
    }
  }

  /**
   * Connect to a Socket.IO namespace and deliver its events in order.
   * @param {string} namespace  "/display" or "/staff"
   * @param {Object<string, function(Object)>} handlers  by event name
   * @param {{onStatus?: function(string), io?: Function, url?: string,
   *          socketOptions?: Object, maxSeenCalls?: number}} [options]
   * @returns {{socket: Object, requestSnapshot: function(), close: function(),
   *            seq: ?number, status: string}}
   */
  function live(namespace, handlers, options) {
    handlers = handlers || {};
    options = options || {};
    var ioFactory = options.io || global.io;
    if (typeof ioFactory !== "function") {
      throw new Error("Wartemarke.live needs the Socket.IO client (/static/vendor/socket.io.min.js)");
    }
    var socketOptions = Object.assign(
      {
        transports: ["websocket"],
        reconnectionDelay: 500,
        reconnectionDelayMax: 2000,
        randomizationFactor: 0.3,
        timeout: 8000,
      },
      options.socketOptions || {}
    );
    var target = options.url ? options.url.replace(/\/+$/, "") + namespace : namespace;
    var socket = ioFactory(target, socketOptions);

    var lastSeq = null; // null: nothing seen since the last (re)connect
    var snapshotPending = false;
    var seenCalls = [];
    var seenSet = Object.create(null);
    var maxSeen = options.maxSeenCalls || 200;
    var closed = false;

    var conn = {
      socket: socket,
      seq: null,
      status: "connecting",
      requestSnapshot: requestSnapshot,
      close: close,
    };

    function setStatus(status) {
      if (conn.status === status) return;
      conn.status = status;
      safely(options.onStatus, status, "onStatus");
    }

    function remember(call) {
      var key = callKey(call);
      if (seenSet[key]) return false;
      seenSet[key] = true;
      seenCalls.push(key);
      while (seenCalls.length > maxSeen) delete seenSet[seenCalls.shift()];
      return true;
    }

    function requestSnapshot() {
      if (closed || !socket.connected) return;
      snapshotPending = true;
      socket.emit("snapshot");
    }

    /** Track seq; returns false when the event is stale. */
    function advance(seq) {
      if (!isNumber(seq)) return true; // an event without seq cannot be ordered: pass it on
      if (lastSeq !== null && seq < lastSeq) return false;
      var gap = lastSeq === null || seq > lastSeq + 1;
      lastSeq = Math.max(lastSeq === null ? seq : lastSeq, seq);
      conn.seq = lastSeq;
      if (gap && !snapshotPending) requestSnapshot();
      return true;
    }

    socket.on("snapshot", function (state) {
      state = state || {};
      snapshotPending = false;
      if (isNumber(state.seq)) {
        if (lastSeq !== null && state.seq < lastSeq) return; // overtaken by a newer event
        lastSeq = state.seq;
        conn.seq = lastSeq;
      }
      (state.calls || []).forEach(remember);
      safely(handlers.snapshot, state, "snapshot");
    });

    socket.on("queue", function (queue) {
      queue = queue || {};
      if (!advance(queue.seq)) return;
      safely(handlers.queue, queue, "queue");
    });

    socket.on("call", function (call) {
      call = call || {};
      if (isNumber(call.seq) && (lastSeq === null || call.seq >= lastSeq)) advance(call.seq);
      if (!remember(call)) return;
      safely(handlers.call, call, "call");
    });

    Object.keys(handlers).forEach(function (name) {
      if (SPECIAL[name]) return;
      socket.on(name, function (data) {
        if (data && isNumber(data.seq) && !advance(data.seq)) return;
        safely(handlers[name], data, name);
      });
    });

    socket.on("connect", function () {
      setStatus("online");
    });

    socket.on("disconnect", function (reason) {
      lastSeq = null;
      conn.seq = null;
      snapshotPending = false;
      setStatus("offline");
      if (reason === "io server disconnect" && !closed) {
        // The server ended this session (Socket.IO does not retry that by itself).
        global.setTimeout(function () {
          if (!closed && !socket.connected) socket.connect();
        }, socketOptions.reconnectionDelay);
      }
    });

    socket.on("connect_error", function (err) {
      setStatus("offline");
      safely(handlers.connect_error, err, "connect_error");
    });

    function close() {
      closed = true;
      socket.close();
    }

    return conn;
  }

  global.Wartemarke = global.Wartemarke || {};
  global.Wartemarke.live = live;
})(typeof window !== "undefined" ? window : this);
