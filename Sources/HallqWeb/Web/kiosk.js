// The kiosk touchscreen (/kiosk): one large button per service with its waiting count and
// estimate, live from the event stream. A press issues a ticket through POST /api/ops/take with
// an idempotency key (a second tap of the same button within a few seconds reuses it, so it is
// one ticket), then shows the number, the people ahead, the estimate and the status page's QR
// for a few seconds. Refusals become notices: not issuing now, printer out of paper.
//
// An ID card on the kiosk's reader (hardware/HARDWARE.md) shows as the masked name (张*), 绿色通道
// when the holder's age gives it, and each service this person may not take greyed with the
// reason; the next press takes the ticket for that person (hallqd holds the card for hold_s).
// The page asks hallqd for the held card every second (`card` op): nothing of the card is kept
// here beyond what is on screen.
//
// 预约签到: a booked visitor types the code from their SMS on a large pad (or scans its QR on the
// kiosk's scanner, which hallqd reads itself) and gets the booked ticket. A service whose
// quota (放号量) for the period is used up is greyed: 今日上午号已发完, with when the next opens.
//
// A kiosk is a public screen: it never shows a staff login form. It runs on its enrolment (the
// hallq_screen cookie, ScreenEnrolment) or on a session a member of staff already has in this
// browser; otherwise it asks for an enrolment code, and once revoked it says only 请联系工作人员.
import { hallqLive, hallqMinutes, hallqClock, hallqPad, hallqHourMinute } from "/assets/live.js";
import { hallqStaff, hallqSentence } from "/assets/staff.js";
import { doublePressSeconds } from "/assets/vocabulary.js";

let services = [];
let lastLive = null;
let heldCard = null;
let lastPress = null;
let hideTimer = null;

function $(id) {
  return document.getElementById(id);
}

// Two reasons not to issue, shown in one notice, the printer's first: the hall not issuing
// (hours, 暂停取号) and this kiosk's printer (checked every few seconds, so the notice goes
// within seconds of the paper going back in).
let hallNotice = "";
let printerNotice = "";
let greenNote = "";

function notice(text) {
  hallNotice = text || "";
  showNotice();
}

function showNotice() {
  const text = printerNotice || hallNotice;
  $("notice").hidden = !text;
  $("notice").textContent = text;
  document.body.dataset.printer = printerNotice ? "out" : "ok";
}

// This kiosk's name: an enrolled screen is "screen:<kiosk>"; a staff browser is the first kiosk.
function kioskName() {
  const a = hallqStaff.account;
  return a && a.name.startsWith("screen:") ? a.name.slice(7) : null;
}

// Asks how this kiosk's printer is (status: devices.kiosks) and says where else to go.
async function checkPrinter() {
  const r = await hallqStaff.op("status");
  if (!r.ok) return;
  const kiosks = (r.devices && r.devices.kiosks) || [];
  const mine = kiosks.find((k) => k.name === kioskName()) || kiosks[0];
  const ok = (h) => h === "online" || h === "paper-near-end" || h === "none";
  if (!mine || ok(mine.health)) {
    printerNotice = "";
  } else {
    const others = kiosks.filter((k) => k !== mine && k.health !== "none" && ok(k.health)).map((k) => k.name);
    const cause = mine.health === "paper-out" ? "本机缺纸" : "本机打印机故障";
    printerNotice = others.length
      ? cause + "，请到取号机 " + others.join("、") + " 取号。This kiosk cannot print; please use kiosk " + others.join(", ") + "."
      : cause + "，请到服务台咨询。This kiosk cannot print; please ask at the service desk.";
  }
  showNotice();
}

// The card held at this kiosk now (or none), shown above the buttons.
async function checkCard() {
  const r = await hallqStaff.op("card");
  if (!r.ok) return;
  const before = JSON.stringify(heldCard);
  const arrived = !heldCard && r.card;
  heldCard = r.card || null;
  // A new card is a new visitor: the last one's ticket leaves the screen.
  if (arrived) $("issued").hidden = true;
  $("card").hidden = !heldCard;
  document.body.dataset.card = heldCard ? "held" : "none";
  if (heldCard) {
    $("card-name").textContent = heldCard.name;
    $("card-green").hidden = !heldCard.green_channel;
    $("card-left").textContent = heldCard.hold_s;
    // This person booked (the portal sent their ID number): check in with the card itself.
    const b = heldCard.booking;
    $("card-checkin").hidden = !b;
    if (b) $("card-checkin").textContent = "预约签到 · " + b.service_name + " " + b.slot + " · Check in";
  }
  if (JSON.stringify(heldCard) !== before) render(lastLive);
}

function render(live) {
  lastLive = live;
  const byId = new Map((live || []).map((s) => [s.id, s]));
  const forCard = new Map(((heldCard && heldCard.services) || []).map((s) => [s.id, s]));
  const box = $("service-buttons");
  const green = $("green-buttons");
  box.textContent = "";
  green.textContent = "";
  for (const s of services) {
    const l = byId.get(s.id) || s;
    for (const priority of s.priority ? [false, true] : [false]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = priority ? "service green" : "service";
      b.dataset.service = s.id;
      if (priority) b.dataset.priority = "1";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = (priority ? "绿色通道 · " : "") + s.name;
      const info = document.createElement("span");
      info.className = "info";
      // The board's words: nobody waiting is 无需等候, never "约 0 分钟".
      info.textContent = l.waiting ? "等候 " + l.waiting + " 人 · 约 " + hallqMinutes(l) + " 分钟" : "无需等候 · No wait";
      b.append(name, info);
      // With a card held: a service this person may not take is greyed with the reason, and
      // one they get 绿色通道 for says so (the ticket becomes priority by itself).
      const c = forCard.get(s.id);
      if (c && !c.allowed) {
        b.disabled = true;
        b.classList.add("refused");
        info.textContent = hallqSentence({ error: c.error, message: c.message });
      } else if (c && c.green_channel && !priority) {
        name.textContent = "绿色通道 · " + s.name;
        b.classList.add("green");
      }
      if (priority && greenNote) {
        const note = document.createElement("span");
        note.className = "note";
        note.textContent = greenNote;
        b.append(note);
      }
      // The period's walk-in tickets are all issued: greyed, saying when the next period opens.
      if (!priority && l.quota_left === 0 && !b.disabled) {
        b.disabled = true;
        b.classList.add("refused", "quota");
        const morning = Number((l.quota_period || "00").slice(0, 2)) < 12;
        info.textContent =
          (morning ? "今日上午号已发完" : "今日下午号已发完") +
          (l.quota_next ? " · " + l.quota_next + " 起放号" : "") +
          " · All tickets for this period are issued";
      }
      b.addEventListener("click", () => take(s, priority));
      // 绿色通道 buttons go below the others, apart, with who may use them.
      (priority ? green : box).append(b);
    }
  }
}

function key(service, priority) {
  const now = Date.now();
  if (lastPress && lastPress.service === service && lastPress.priority === priority && now - lastPress.at < doublePressSeconds * 1000) {
    return lastPress.key;
  }
  const k = "kiosk-" + (crypto.randomUUID ? crypto.randomUUID() : String(now) + Math.random()).slice(0, 40);
  lastPress = { service, priority, key: k, at: now };
  return k;
}

async function take(s, priority) {
  const fields = { service: s.id, key: key(s.id, priority) };
  if (priority) fields.priority = true;
  const r = await hallqStaff.op("take", fields);
  checkCard().catch(() => {});
  if (!r.ok) {
    if (r.error === "PRINTER-PAPER-OUT" || r.error === "PRINTER-OFFLINE") {
      await checkPrinter();
      if (!printerNotice) notice("取号机暂时不能出票，请到服务台咨询。The printer cannot print; please ask at the service desk.");
    } else if (r.error === "HALL-CLOSED") {
      notice("现在暂停取号。Tickets are not being issued now.");
    } else {
      notice(hallqSentence(r));
    }
    return;
  }
  notice("");
  showIssued(r.ticket, (priority ? "绿色通道 · " : "") + s.name);
}

// The issued ticket, for a few seconds: number, people ahead, the estimate and its QR.
function showIssued(t, serviceName) {
  $("issued-service").textContent = serviceName;
  $("issued-ticket").textContent = t.label;
  $("issued-green").hidden = !t.green_channel;
  $("issued-booked").hidden = !t.booked;
  if (t.booked) {
    $("issued-booked").textContent = "预约 " + hallqHourMinute(t.slot_start) + "-" + hallqHourMinute(t.slot_end) + " · Booked";
  }
  $("issued-ahead").textContent = "前面还有 " + t.ahead + " 人 · " + t.ahead + " ahead";
  $("issued-eta").textContent = t.ahead ? "预计等候约 " + hallqMinutes(t) + " 分钟 · about " + hallqMinutes(t) + " min" : "无需等候 · No wait";
  const qr = $("issued-qr");
  qr.textContent = "";
  if (t.status_url) {
    const img = document.createElement("img");
    img.alt = "扫码查看进度 · Scan to follow your ticket";
    img.src = "/api/qr.svg?text=" + encodeURIComponent(t.status_url);
    qr.append(img);
  }
  document.body.dataset.issued = t.label;
  $("issued").hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => ($("issued").hidden = true), 8000);
}

// The check-in pad: digits and letters as on a phone's SMS; the field takes a keyboard too.
function setUpCheckin() {
  const form = $("checkin");
  const field = $("checkin-code");
  const pad = $("checkin-pad");
  for (const k of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "清空", "0", "删除"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = k;
    b.addEventListener("click", () => {
      if (k === "清空") field.value = "";
      else if (k === "删除") field.value = field.value.slice(0, -1);
      else field.value += k;
      $("checkin-message").textContent = "";
    });
    pad.append(b);
  }
  const close = () => {
    form.hidden = true;
    field.value = "";
    $("checkin-message").textContent = "";
  };
  $("checkin-open").addEventListener("click", () => {
    $("issued").hidden = true;
    form.hidden = false;
    field.focus();
  });
  $("checkin-cancel").addEventListener("click", close);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const code = field.value.replace(/\s/g, "").toUpperCase();
    if (code) checkin({ code });
  });
  // A scanner hallqd does not read itself ([[scanner]]) types into this page: a burst of letters
  // and digits, each within 60 ms of the last (no person types that fast), then Enter, is a
  // scanned booking code. Typing on the pad's field is left to the form.
  let burst = { text: "", at: 0 };
  document.addEventListener("keydown", (ev) => {
    if (document.activeElement === field) return;
    const now = performance.now();
    if (now - burst.at > 60) burst.text = "";
    burst.at = now;
    if (ev.key === "Enter") {
      const code = burst.text;
      burst.text = "";
      if (code.length >= 4) checkin({ code });
    } else if (/^[0-9A-Za-z]$/.test(ev.key)) {
      burst.text += ev.key.toUpperCase();
    }
  });
}

// Checks a booking in (by its code, or the card on the reader); the refusal goes on the pad when
// it is open, else in the notice.
async function checkin(fields) {
  const r = await hallqStaff.op("checkin", fields);
  if (fields.card) checkCard().catch(() => {});
  const form = $("checkin");
  if (!r.ok) {
    // TOO-EARLY's message says when check-in opens: show that time too.
    const when = r.error === "TOO-EARLY" && (r.message || "").match(/opens at (\d\d:\d\d)/);
    const text = hallqSentence(r) + (when ? " " + when[1] + " 起可签到。" : "");
    if (form.hidden) notice(text);
    else $("checkin-message").textContent = text;
    return;
  }
  form.hidden = true;
  $("checkin-code").value = "";
  $("checkin-message").textContent = "";
  notice("");
  const s = services.find((x) => x.id === r.ticket.service);
  showIssued(r.ticket, (s ? s.name : r.ticket.service) + " · 预约");
}

async function start() {
  $("kiosk").hidden = false;
  setUpCheckin();
  const r = await hallqStaff.op("services");
  if (r.ok) {
    services = r.services;
    greenNote = r.green_channel_note || "";
  }
  render(services);
  checkPrinter();
  setInterval(() => checkPrinter().catch(() => {}), 3000);
  setInterval(() => checkCard().catch(() => {}), 1000);
  $("card-checkin").addEventListener("click", () => checkin({ card: true }));
  $("card-cancel").addEventListener("click", async () => {
    await hallqStaff.op("card", { drop: true });
    checkCard().catch(() => {});
  });
  $("issued-close").addEventListener("click", () => ($("issued").hidden = true));
  hallqLive({
    snapshot(snap) {
      hallqClock.sync(snap.now, snap.utc_offset_s);
      $("hall-name").textContent = snap.hall.name + " · 自助取号";
      notice(snap.hall.dispensing ? "" : snap.hall.notice || "暂停取号");
      render(snap.services);
    },
    event(name, data) {
      if (name === "counts") render(data.services);
      if (name === "hall") notice(data.dispensing ? "" : data.notice || "暂停取号");
    },
  });
  // A kiosk stands all day: keep its session alive, and if it has been revoked (a 401), start
  // over, which shows 请联系工作人员. hallqd down or restarting is not a 401: nothing changes.
  setInterval(async () => {
    try {
      const r = await fetch("/api/session", { cache: "no-store" });
      if (r.status === 401) location.reload();
    } catch (_) {}
  }, 60000);
  setInterval(() => {
    const t = hallqClock.local();
    $("time").textContent = hallqPad(t.getUTCHours()) + ":" + hallqPad(t.getUTCMinutes());
  }, 1000);
}

// Which face to show: the kiosk, the enrolment code form, or only 请联系工作人员.
async function begin() {
  let account = null;
  try {
    account = await hallqStaff.session();
  } catch (_) {}
  if (account && (account.role === "kiosk" || account.role === "admin")) {
    document.body.dataset.session = "open";
    hallqStaff.onExpired = () => location.reload();
    return start();
  }
  let state = "offline";
  try {
    const r = await fetch("/api/screen", { cache: "no-store" }).then((x) => x.json());
    state = r.screen.state;
  } catch (_) {}
  document.body.dataset.session = state;
  if (state === "offline") return setTimeout(begin, 5000);
  if (state === "revoked" && !location.search.includes("enrol")) {
    $("revoked").hidden = false;
    return;
  }
  const form = $("enrol");
  form.hidden = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = form.elements.code.value.replace(/\s/g, "");
    let j;
    try {
      const r = await fetch("/api/enrol", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code }),
      });
      j = await r.json();
    } catch (_) {
      j = { ok: false, error: "OFFLINE" };
    }
    form.elements.code.value = "";
    if (!j.ok) {
      form.querySelector(".login-message").textContent =
        j.error === "UNAUTHORIZED" ? "登记码不对或已过期。Wrong or expired code." : hallqSentence(j);
      return;
    }
    location.replace("/kiosk");
  });
}

begin();
