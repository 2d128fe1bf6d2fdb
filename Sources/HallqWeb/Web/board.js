// The lobby board (/board): the newest call large, the latest calls, a tile per window, the
// waiting per service, the scrolling procedures-and-fees text, date and clock. Everything comes
// from the event stream (live.js); nothing is polled.
import { hallqLive, hallqMinutes, hallqAddCall, hallqFill, hallqClock, hallqPad } from "/assets/live.js";
import { windowStates } from "/assets/vocabulary.js";

const board = {
  snap: null,
  flashTimer: null,
};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderHall(hall) {
  document.getElementById("hall-name").textContent = hall.name;
  document.title = hall.name + " · 叫号大屏";
  const notice = document.getElementById("notice");
  notice.hidden = hall.dispensing;
  notice.textContent = hall.dispensing ? "" : hall.notice || "暂停取号";
}

// Calls of the hall's current day only: yesterday's last call is not this morning's news.
function todaysCalls() {
  const today = hallqClock.local().toISOString().slice(0, 10);
  return board.snap.calls.filter((c) => {
    const local = new Date(Date.parse(c.at) + hallqClock.offsetS * 1000);
    return local.toISOString().slice(0, 10) === today;
  });
}

function renderCurrent(flash) {
  const box = document.getElementById("current-call");
  const call = todaysCalls()[0];
  if (!call) {
    box.textContent = "欢迎光临";
    box.dataset.ticket = "";
    return;
  }
  box.textContent = hallqFill(board.snap.call_text, { ticket: " " + call.ticket + " ", window: " " + call.window + " " });
  if (box.dataset.callId !== call.id) box.dataset.shownAt = String(Date.now());
  box.dataset.callId = call.id;
  box.dataset.ticket = call.ticket;
  box.dataset.window = String(call.window);
  // A fresh call flashes for the configured hold time, counted from when it was made.
  const age = Date.now() + hallqClock.skewMs - Date.parse(call.at);
  const hold = board.snap.call_hold_s * 1000 - age;
  clearTimeout(board.flashTimer);
  if (flash && hold > 0) {
    box.classList.add("flash");
    board.flashTimer = setTimeout(() => box.classList.remove("flash"), hold);
  } else {
    box.classList.remove("flash");
  }
}

function renderRecent() {
  const list = document.getElementById("recent");
  list.replaceChildren();
  for (const c of todaysCalls().slice(1)) {
    const li = el("li");
    li.dataset.ticket = c.ticket;
    li.append(el("span", "ticket", c.ticket), el("span", "arrow", "→"), el("span", "win", c.window + " 号窗口"));
    list.append(li);
  }
}

function renderWindows() {
  const box = document.getElementById("windows");
  box.replaceChildren();
  // Six tiles to a row; 7 to 12 windows in two even rows.
  const n = board.snap.windows.length;
  box.style.setProperty("--cols", String(n <= 6 ? Math.max(n, 1) : Math.ceil(n / 2)));
  for (const w of board.snap.windows) {
    const tile = el("div", "tile " + w.state);
    tile.dataset.window = String(w.window);
    tile.dataset.state = w.state;
    const num = el("div", "num", String(w.window));
    num.append(el("small", null, "号"));
    tile.append(num, el("div", "ticket", w.ticket || "—"), el("div", "state", windowStates[w.state] || w.state));
    if (w.green_channel) tile.append(el("div", "green", "绿色通道"));
    box.append(tile);
  }
}

function renderServices() {
  const body = document.querySelector("#services tbody");
  body.replaceChildren();
  document.getElementById("services").style.setProperty("--rows", String(board.snap.services.length));
  for (const s of board.snap.services) {
    const tr = el("tr");
    tr.dataset.service = s.id;
    tr.append(el("td", "name", s.name), el("td", "waiting", s.waiting + " 人"), el("td", "eta", s.waiting ? "约 " + hallqMinutes(s) + " 分钟" : "无需等候"));
    body.append(tr);
  }
}

function renderScroll() {
  const text = document.getElementById("scroll-text");
  text.textContent = board.snap.scroll || "";
  // About 8 characters a second, whatever the text's length.
  text.style.animationDuration = Math.max(20, (board.snap.scroll || "").length / 8) + "s";
}

function tick() {
  const d = hallqClock.local();
  // At midnight (the hall's), the calls of the day before leave the board.
  const day = d.toISOString().slice(0, 10);
  if (board.snap && board.day && board.day !== day) {
    renderCurrent(false);
    renderRecent();
  }
  board.day = day;
  const days = ["日", "一", "二", "三", "四", "五", "六"];
  document.getElementById("date").textContent =
    d.getUTCFullYear() + "年" + (d.getUTCMonth() + 1) + "月" + d.getUTCDate() + "日 星期" + days[d.getUTCDay()];
  document.getElementById("time").textContent =
    hallqPad(d.getUTCHours()) + ":" + hallqPad(d.getUTCMinutes()) + ":" + hallqPad(d.getUTCSeconds());
}

// Voice on the board, for halls whose speakers hang off the TV (opt-in: /board?voice=1, and
// hallqd's [voice] with its clip pack). Each call's announcement is the same sound the sound
// card plays, fetched from /api/announcements/<id>.wav; they play in call order, one at a time; a
// call that a newer one at its window superseded, or older than max_backlog_s, is skipped.
const voice = {
  wanted: new URLSearchParams(location.search).get("voice") === "1",
  queue: [],
  playing: false,
  audio: new Audio(),
};

function voiceMark(call, what) {
  document.body.dataset[what] = ((document.body.dataset[what] || "") + " " + call.ticket).trim();
}

function voiceEnqueue(call) {
  if (!voice.wanted || !board.snap || !board.snap.voice) return;
  voice.queue.push(call);
  voicePlayNext();
}

async function voicePlayNext() {
  if (voice.playing) return;
  voice.playing = true;
  while (voice.queue.length) {
    const call = voice.queue.shift();
    const ageS = (Date.now() + hallqClock.skewMs - Date.parse(call.at)) / 1000;
    if (voice.queue.some((q) => q.window === call.window) || ageS > board.snap.voice.max_backlog_s) {
      voiceMark(call, "dropped");
      continue;
    }
    voice.audio.src = "/api/announcements/" + call.id + ".wav";
    try {
      await voice.audio.play();
    } catch (_) {
      // The browser wants a touch before it plays sound (autoplay policy): ask for one.
      voice.queue.unshift(call);
      document.getElementById("voice-on").hidden = false;
      break;
    }
    await new Promise((done) => {
      voice.audio.onended = done;
      voice.audio.onerror = done;
    });
    voiceMark(call, "spoken");
  }
  voice.playing = false;
}

document.getElementById("voice-on").addEventListener("click", () => {
  document.getElementById("voice-on").hidden = true;
  voicePlayNext();
});

hallqLive({
  snapshot(snap) {
    board.snap = snap;
    hallqClock.sync(snap.now, snap.utc_offset_s);
    renderHall(snap.hall);
    renderCurrent(true);
    renderRecent();
    renderWindows();
    renderServices();
    renderScroll();
    tick();
  },
  event(name, data) {
    const snap = board.snap;
    if (!snap) return;
    if (name === "call") {
      snap.calls = hallqAddCall(snap.calls, data, snap.recent);
      renderCurrent(true);
      renderRecent();
      voiceEnqueue(data);
    } else if (name === "window") {
      snap.windows = snap.windows.map((w) => (w.window === data.window ? data : w));
      renderWindows();
    } else if (name === "counts") {
      snap.services = data.services;
      renderServices();
    } else if (name === "hall") {
      snap.hall = data;
      renderHall(data);
    }
  },
  heartbeat(beat) {
    hallqClock.sync(beat.now, beat.utc_offset_s);
  },
});
setInterval(tick, 1000);
