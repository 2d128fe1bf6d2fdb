// hallq's live connection, shared by the lobby board and the ticket status page, and the small
// helpers every page imports (an ES module: each page imports what it uses).
//
// One EventSource on /api/events. The first event of every connection is a full snapshot; the
// page redraws from it, so a reconnect never leaves stale tiles. A watchdog makes sure a page
// left on for days never freezes: when neither an event nor a heartbeat has arrived for three
// heartbeat periods (45 s by default) it opens a new connection; if that stalls too and the
// server answers plain requests, it reloads the page. It never reloads while the server is
// unreachable (a browser error page would never recover by itself).
//
// When the server refuses the stream (503: too many live pages at once, a busy morning's
// phones), EventSource gives up; a page with a `poll` handler then calls it every 15 s and asks
// for the stream again every minute, and the watchdog does not reload it. `viewer` names the kind
// of page (the status page says "phone": phones share the streams short of a reserve kept for
// the board and the staff pages).
export function hallqLive(handlers) {
  let source = null;
  let lastId = null;
  let lastSeen = Date.now();
  let stallMs = 45000;
  let stalls = 0;
  let snapshots = 0;
  let pollTimer = null;
  let retryTimer = null;
  let polling = false;

  function refused() {
    polling = true;
    status("polling");
    if (handlers.poll && !pollTimer) pollTimer = setInterval(handlers.poll, 15000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(open, 60000);
  }

  function streaming() {
    polling = false;
    clearInterval(pollTimer);
    pollTimer = null;
    clearTimeout(retryTimer);
  }

  function status(state) {
    document.body.dataset.live = state;
    if (handlers.status) handlers.status(state);
  }

  function seen(e) {
    lastSeen = Date.now();
    stalls = 0;
    if (e && e.lastEventId) lastId = e.lastEventId;
  }

  function open() {
    if (source) source.close();
    const query = [];
    if (handlers.viewer) query.push("viewer=" + encodeURIComponent(handlers.viewer));
    if (lastId) query.push("last_event_id=" + encodeURIComponent(lastId));
    source = new EventSource("/api/events" + (query.length ? "?" + query.join("&") : ""));
    lastSeen = Date.now();
    source.addEventListener("snapshot", (e) => {
      seen(e);
      const snap = JSON.parse(e.data);
      stallMs = Math.max(3, 3 * (snap.heartbeat_s || 15)) * 1000;
      snapshots += 1;
      document.body.dataset.snapshots = String(snapshots);
      streaming();
      status("connected");
      handlers.snapshot(snap);
    });
    for (const name of ["call", "window", "counts", "hall"]) {
      source.addEventListener(name, (e) => {
        seen(e);
        handlers.event(name, JSON.parse(e.data));
      });
    }
    source.addEventListener("heartbeat", (e) => {
      seen(null);
      if (handlers.heartbeat) handlers.heartbeat(JSON.parse(e.data));
    });
    source.onerror = () => {
      // CLOSED: the server answered, but not with a stream (refused); CONNECTING: the browser
      // retries by itself.
      if (source.readyState === EventSource.CLOSED) refused();
      else status("reconnecting");
    };
  }

  async function watchdog() {
    if (polling) return; // refused: the retry timer asks again, no reload
    if (Date.now() - lastSeen < stallMs) return;
    stalls += 1;
    status("stalled");
    if (stalls >= 2) {
      try {
        const r = await fetch("/api/board", { cache: "no-store" });
        if (r.ok) {
          location.reload();
          return;
        }
      } catch (_) {
        // The server is away: keep trying to connect, never reload onto an error page.
      }
    }
    open();
  }

  open();
  setInterval(watchdog, 1000);
}

// A wait in minutes as people read it: "12–20" from `eta_range_min`, or one number when the
// band is a minute wide (a take reply, a ticket, a service of `services` or `counts`).
export function hallqMinutes(x) {
  const r = x.eta_range_min;
  return r && r[0] !== r[1] ? r[0] + "–" + r[1] : String(Math.max(1, x.eta_min || 0));
}

// A call added to a newest-first list of at most `limit`: a recall moves its call to the top
// rather than listing it twice (as hallqd's RecentCalls does).
export function hallqAddCall(calls, call, limit) {
  return [call].concat(calls.filter((c) => !(c.ticket === call.ticket && c.window === call.window))).slice(0, limit);
}

// "请{ticket}号到{window}号窗口" with its fields filled.
export function hallqFill(template, fields) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in fields ? String(fields[k]) : m));
}

// The hall's wall clock: the server's time and zone, whatever the screen's own clock says.
export const hallqClock = {
  skewMs: 0,
  offsetS: 8 * 3600,
  sync(nowMs, offsetS) {
    this.skewMs = nowMs - Date.now();
    this.offsetS = offsetS;
  },
  // A Date whose UTC fields are the hall's local time.
  local() {
    return new Date(Date.now() + this.skewMs + this.offsetS * 1000);
  },
};

export function hallqPad(n) {
  return String(n).padStart(2, "0");
}

// "09:00" in the hall's time of a UTC ISO time from hallqd.
export function hallqHourMinute(iso) {
  const t = new Date(Date.parse(iso) + hallqClock.offsetS * 1000);
  return hallqPad(t.getUTCHours()) + ":" + hallqPad(t.getUTCMinutes());
}
