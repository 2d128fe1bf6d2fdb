// The window terminal (/window/<n>): a clerk logs in, the account signs in at this window, and
// every button runs one op through POST /api/ops (one request per click: its reply says how it
// went). The window's state comes from the staff stream (hallqStaffStream), pushed after every
// change. F1–F6 as on hardware callers: call, recall, no-show, finish, transfer, pause/resume.
import { hallqClock, hallqPad, hallqHourMinute } from "/assets/live.js";
import { hallqStaff, hallqStaffStream, hallqSentence, hallqRequireLogin } from "/assets/staff.js";
import { levelNames, windowStates } from "/assets/vocabulary.js";

const windowNumber = Number(location.pathname.split("/").pop());
let state = null;
let inHand = null;

function $(id) {
  return document.getElementById(id);
}

function log(text, ok) {
  const li = document.createElement("li");
  const t = hallqClock.local();
  li.textContent = hallqPad(t.getUTCHours()) + ":" + hallqPad(t.getUTCMinutes()) + ":" + hallqPad(t.getUTCSeconds()) + " " + text;
  li.className = ok ? "ok" : "refused";
  $("log").prepend(li);
  while ($("log").children.length > 50) $("log").lastChild.remove();
}

function say(reply, what) {
  if (reply.ok) {
    $("message").textContent = "";
    log(what, true);
  } else {
    $("message").textContent = hallqSentence(reply);
    log(what + " — " + hallqSentence(reply), false);
  }
}

// Draws the window from a `status` of the staff stream.
function render(r) {
  if (!r.ok) return;
  state = r;
  const w = r.windows.find((x) => x.window === windowNumber);
  if (!w) return;
  $("hall-name").textContent = r.hall.name;
  inHand = (r.in_hand || []).find((x) => x.window === windowNumber) || null;
  $("ticket").textContent = inHand ? inHand.label + (inHand.green_channel ? " ★" : "") : "—";
  // The window as the sign and the board show it (WindowView), in the vocabulary's words.
  const view = (r.window_views || []).find((v) => v.window === windowNumber);
  $("ticket-state").textContent = inHand && view ? windowStates[view.state] : "";
  document.body.dataset.windowState = view ? view.state : "";
  document.body.dataset.ticket = inHand ? inHand.label : "";
  renderCases(inHand ? inHand.cases || [] : []);
  if (r.rating_contents) contents = r.rating_contents;
  document.body.dataset.paused = w.paused ? "1" : "0";
  $("pause").firstChild.textContent = w.paused ? "恢复 " : "暂停 ";
  $("clerk-name").textContent = (w.clerk || "") + " @ " + windowNumber + "号窗口";
  const mine = (t) => (t.target_window === windowNumber) || (t.target_window === null && w.services.includes(t.service));
  const waiting = (r.waiting_tickets || []).filter(mine);
  const tbody = $("queue-lengths").querySelector("tbody");
  tbody.textContent = "";
  for (const s of r.services.filter((s) => w.services.includes(s.id))) {
    const tr = document.createElement("tr");
    for (const text of [s.id + " " + s.name, String(s.waiting)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tbody.append(tr);
  }
  const ol = $("waiting");
  ol.textContent = "";
  for (const t of waiting.slice(0, 30)) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "叫 " + t.label + (t.green_channel ? " ★" : "");
    // A booked ticket shows its slot: 预约 09:00-09:30.
    if (t.booked) {
      const slot = document.createElement("span");
      slot.className = "booked";
      slot.textContent = " 预约 " + hallqHourMinute(t.slot_start) + "-" + hallqHourMinute(t.slot_end);
      b.append(slot);
      li.dataset.booked = "1";
    }
    b.addEventListener("click", () => act("call", { ticket: t.label }, "叫号 " + t.label));
    li.append(b);
    ol.append(li);
  }
}

function tick() {
  if (!inHand || !inHand.called_at) {
    $("elapsed").textContent = "";
    return;
  }
  const since = Date.parse(inHand.started_at || inHand.called_at);
  const s = Math.max(0, Math.round((Date.now() + hallqClock.skewMs - since) / 1000));
  $("elapsed").textContent = (inHand.started_at ? "已办理 " : "已叫号 ") + Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
}

async function act(op, fields, what) {
  const reply = await hallqStaff.op(op, Object.assign({ window: windowNumber }, fields || {}));
  say(reply, what);
  if (reply.ok && reply.ticket) $("ticket").textContent = reply.ticket.label;
  return reply;
}

// Cases (办件) on the ticket in hand, or on the one just finished while it can be rated.
let lastCases = [];
function renderCases(list) {
  if (list.length || inHand) lastCases = list;
  const ul = $("cases");
  ul.textContent = "";
  for (const c of lastCases) {
    const li = document.createElement("li");
    li.textContent = c.case_no + (c.item_name ? " " + c.item_name : "") + (c.kind === "promised" ? " · 承诺件" : " · 即办件");
    ul.append(li);
  }
}

async function attachCase(e) {
  e.preventDefault();
  const fields = { case_no: $("case-no").value.trim(), kind: $("case-kind").value };
  if ($("item-code").value.trim()) fields.item_code = $("item-code").value.trim();
  if ($("item-name").value.trim()) fields.item_name = $("item-name").value.trim();
  const reply = await act("case", fields, "关联办件 " + fields.case_no);
  if (reply.ok) {
    $("case-no").value = "";
    renderCases(reply.ticket.cases || []);
  }
}

// The visitor rates the ticket this window just finished (channel "window"): a level, then the
// content options of that level (required for 1–2), optional words.
let contents = [];
let score = null;
function renderLevels() {
  const box = $("rate-levels");
  box.textContent = "";
  for (const s of [5, 4, 3, 2, 1]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "level";
    b.dataset.score = String(s);
    b.textContent = levelNames[s];
    b.addEventListener("click", () => chooseLevel(s));
    box.append(b);
  }
}

function chooseLevel(s) {
  score = s;
  for (const b of $("rate-levels").children) b.classList.toggle("chosen", b.dataset.score === String(s));
  const box = $("rate-contents");
  box.textContent = "";
  for (const c of contents.filter((c) => c.level === s)) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = c.code;
    label.append(input, document.createTextNode(" " + c.text));
    box.append(label);
  }
  $("rate-submit").disabled = false;
}

async function submitRating() {
  const chosen = Array.from($("rate-contents").querySelectorAll("input:checked")).map((i) => i.value);
  const fields = { score: score, contents: chosen, channel: "window" };
  if ($("rate-reason").value.trim()) fields.reason = $("rate-reason").value.trim();
  const reply = await act("rate", fields, "评价 " + levelNames[score]);
  if (reply.ok) {
    score = null;
    $("rate-reason").value = "";
    $("rate-contents").textContent = "";
    $("rate-submit").disabled = true;
    for (const b of $("rate-levels").children) b.classList.remove("chosen");
    lastCases = [];
    renderCases([]);
  }
}

const actions = {
  call: () => act("call", {}, "叫号"),
  recall: () => act("recall", {}, "重呼 " + (inHand ? inHand.label : "")),
  noshow: () => act("noshow", {}, "过号 " + (inHand ? inHand.label : "")),
  start: () => act("start", {}, "开始办理 " + (inHand ? inHand.label : "")),
  finish: () => act("finish", { outcome: $("outcome").value }, "办结 " + (inHand ? inHand.label : "")),
  transfer: () => {
    const to = $("transfer-to").value;
    const fields = to.startsWith("w") ? { to_window: Number(to.slice(1)) } : { service: to.slice(1) };
    return act("transfer", fields, "转办 " + (inHand ? inHand.label : "") + " → " + $("transfer-to").selectedOptions[0].textContent);
  },
  pause: () => (document.body.dataset.paused === "1" ? act("resume", {}, "恢复") : act("pause", {}, "暂停")),
};
const keys = { F1: "call", F2: "recall", F3: "noshow", F4: "finish", F5: "transfer", F6: "pause" };

function fillTransfer(r) {
  const sel = $("transfer-to");
  sel.textContent = "";
  for (const s of r.services) {
    const o = document.createElement("option");
    o.value = "s" + s.id;
    o.textContent = s.id + " " + s.name;
    sel.append(o);
  }
  for (const w of r.windows.filter((w) => w.window !== windowNumber)) {
    const o = document.createElement("option");
    o.value = "w" + w.window;
    o.textContent = w.window + "号窗口";
    sel.append(o);
  }
}

async function start(account) {
  $("window-title").textContent = windowNumber + "号窗口 · Window " + windowNumber;
  const r = await hallqStaff.op("signin", { window: windowNumber, clerk: account.name });
  if (!r.ok && r.error !== "TICKET-OPEN") say(r, "签到");
  else log("签到 " + account.name, true);
  $("terminal").hidden = false;
  $("signout").hidden = false;
  renderLevels();
  $("case-form").addEventListener("submit", attachCase);
  $("rate-submit").addEventListener("click", submitRating);
  for (const b of document.querySelectorAll("#actions button[data-op]")) {
    b.addEventListener("click", () => actions[b.dataset.op]());
  }
  document.addEventListener("keydown", (e) => {
    if (keys[e.key] && !$("terminal").hidden) {
      e.preventDefault();
      actions[keys[e.key]]();
    }
  });
  $("signout").addEventListener("click", async () => {
    const reply = await hallqStaff.op("signout", { window: windowNumber });
    say(reply, "签退");
    if (reply.ok) {
      await hallqStaff.logout();
      location.reload();
    }
  });
  let first = true;
  hallqStaffStream((r) => {
    if (first && r.ok) fillTransfer(r);
    first = false;
    render(r);
  });
  setInterval(tick, 1000);
}

hallqRequireLogin($("login"), "clerk", start);
