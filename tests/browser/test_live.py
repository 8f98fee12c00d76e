"""wartemarke/static/js/live.js, the shared live connection, driven with a scripted socket.

The real connection is exercised by the kiosk tests (live counts, server restart); here the
ordering rules are checked event by event: stale events dropped, gaps answered with one snapshot
request, calls de-duplicated, a fresh start accepted after a disconnect.
"""

from __future__ import annotations

from tests.browser.test_kiosk import SITE

SCRIPT = """
async () => {
  const log = [];
  let socket;
  function fakeIo(url, options) {
    const handlers = {};
    socket = {
      connected: false,
      on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); return socket; },
      emit(name) { log.push("emit " + name); return socket; },
      connect() { log.push("connect"); return socket; },
      close() { log.push("close"); },
      fire(name, data) {
        if (name === "connect") socket.connected = true;
        if (name === "disconnect") socket.connected = false;
        (handlers[name] || []).forEach(fn => fn(data));
      },
    };
    log.push("io " + url + " " + options.transports.join(","));
    return socket;
  }
  const got = [];
  const statuses = [];
  const conn = Wartemarke.live("/display", {
    snapshot: s => got.push("snapshot " + s.seq),
    queue: q => got.push("queue " + q.seq),
    call: c => got.push("call " + c.number),
    ticket: t => got.push("ticket " + t.seq),
    printer: p => got.push("printer " + p.paper),
  }, {io: fakeIo, onStatus: s => statuses.push(s)});

  socket.fire("snapshot", {seq: 5, calls: [{number: "A001", at: "t1"}]});  // sent before connect
  socket.fire("connect");
  socket.fire("queue", {seq: 4});                               // stale: dropped
  socket.fire("queue", {seq: 6});
  socket.fire("call", {seq: 7, number: "A001", at: "t1"});      // in the snapshot already
  socket.fire("call", {seq: 7, number: "A002", at: "t2"});
  socket.fire("call", {seq: 7, number: "A002", at: "t2"});      // the same call twice
  socket.fire("queue", {seq: 7});                               // same change as the call
  socket.fire("call", {seq: 3, number: "A001", at: "t9"});      // a recall: new time, passes
  socket.fire("queue", {seq: 10});                              // gap: delivered, snapshot asked
  socket.fire("queue", {seq: 12});                              // still waiting: no second ask
  socket.fire("snapshot", {seq: 11, calls: []});                // overtaken: dropped
  socket.fire("snapshot", {seq: 12, calls: []});
  socket.fire("ticket", {seq: 11});                             // stale custom event
  socket.fire("printer", {paper: "out"});                       // no seq: passes
  const seqBefore = conn.seq;
  socket.fire("disconnect", "transport close");
  socket.fire("snapshot", {seq: 2, calls: []});                 // restarted with a fresh database
  socket.fire("connect");
  socket.fire("queue", {seq: 3});
  socket.fire("disconnect", "io server disconnect");            // ended by the server
  await new Promise(resolve => setTimeout(resolve, 650));
  return {got, statuses, log, seqBefore, seq: conn.seq};
}
"""


def test_live_orders_and_dedupes_events(server_pool, open_page):
    server = server_pool.take(SITE)
    page = open_page(server.url + "/kiosk/")
    result = page.evaluate(SCRIPT)
    assert result["got"] == [
        "snapshot 5",
        "queue 6",
        "call A002",
        "queue 7",
        "call A001",
        "queue 10",
        "queue 12",
        "snapshot 12",
        "printer out",
        "snapshot 2",
        "queue 3",
    ]
    assert result["log"] == ["io /display websocket", "emit snapshot", "connect"]
    assert result["statuses"] == ["online", "offline", "online", "offline"]
    assert result["seqBefore"] == 12
    assert result["seq"] is None  # forgotten after the disconnect
