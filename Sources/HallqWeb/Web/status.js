// A ticket's own status page (/t/<day>/<label>.<token>): where the ticket is, how many are
// ahead, the likely wait and the latest calls, live; and, once it is finished, the 好差评
// rating (levels 1 and 2 ask why). The page's address is the ticket's keyed URL; the same path
// under /api gives its JSON.
//
// "Your turn is near": when `notify.ahead` or fewer are ahead, or the likely wait is
// `notify.min` minutes or less ([eta] in the config), the page chimes, vibrates, flashes its
// title and shows 即将叫号 — once per ticket (remembered across reloads), and once more when the
// ticket is called. Over the hall's Wi-Fi with no third party: the chime is made in the page
// (Web Audio), after the one touch browsers require before a page may sound.
import { hallqLive, hallqMinutes, hallqAddCall } from "/assets/live.js";
import { sentences } from "/assets/vocabulary.js";

const page = {
  api: "/api" + location.pathname,
  ticket: null,
  levels: [],
  score: null,
  refetchTimer: null,
  calls: [],
  notify: null,
};

// The alert's own state, for the person and for the browser test.
const near = { audio: null, chimes: 0, alerts: { near: 0, called: 0 }, titleTimer: null, title: "" };
window.hallqNear = near;

// The first touch (or key) makes the page's sound: browsers allow sound only after one.
function armSound() {
  if (near.audio) return;
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    near.audio = new Ctx();
    near.audio.resume();
    document.getElementById("sound-hint").hidden = true;
  } catch (e) {
    near.audio = null;
  }
}
document.addEventListener("pointerdown", armSound);
document.addEventListener("keydown", armSound);

// Two short tones, made here: no file to fetch, nothing from outside the hall.
function chime() {
  if (!near.audio) return;
  const ctx = near.audio;
  for (const [i, hz] of [880, 660].entries()) {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    const at = ctx.currentTime + i * 0.35;
    o.frequency.value = hz;
    g.gain.setValueAtTime(0.0001, at);
    g.gain.exponentialRampToValueAtTime(0.5, at + 0.03);
    g.gain.exponentialRampToValueAtTime(0.0001, at + 0.3);
    o.connect(g).connect(ctx.destination);
    o.start(at);
    o.stop(at + 0.32);
  }
  near.chimes += 1;
}

// The tab's title blinks until the page is looked at (touched) or for a minute.
function flashTitle(word) {
  clearInterval(near.titleTimer);
  near.title = document.title;
  let on = false;
  let left = 60;
  near.titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? "【" + word + "】" + near.title : near.title;
    if (--left <= 0) stopTitle();
  }, 1000);
}
function stopTitle() {
  clearInterval(near.titleTimer);
  near.titleTimer = null;
  if (near.title) document.title = near.title;
}
document.addEventListener("pointerdown", stopTitle);

// Once per ticket and kind ("near", "called"), across reloads of the page.
function alertOnce(kind) {
  const key = "hallq-alert:" + location.pathname + ":" + kind;
  try {
    if (localStorage.getItem(key)) return;
    localStorage.setItem(key, "1");
  } catch (e) {
    if (near.alerts[kind]) return;
  }
  near.alerts[kind] += 1;
  document.body.dataset[kind + "Alerts"] = String(near.alerts[kind]);
  chime();
  if (navigator.vibrate) navigator.vibrate([300, 100, 300]);
  flashTitle(kind === "near" ? "即将叫号" : "请到窗口");
}

function isNear(t) {
  const n = page.notify;
  return t.state === "waiting" && n && (t.ahead <= n.ahead || (t.eta_min !== null && t.eta_min <= n.min));
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

// The sentence for the ticket's state, Chinese first.
function describe(t) {
  if (t.state === "waiting") {
    if (t.ahead === 0) return ["即将叫到您，请留意叫号", "You are next"];
    return ["前面还有 " + t.ahead + " 人，预计等候约 " + hallqMinutes(t) + " 分钟", t.ahead + " ahead of you, about " + hallqMinutes(t) + " min"];
  }
  if (t.state === "called") return ["请到 " + t.window + " 号窗口办理", "Please go to window " + t.window];
  if (t.state === "serving") return ["正在 " + t.window + " 号窗口办理", "Being served at window " + t.window];
  const ends = {
    served: ["已办结，感谢您的耐心等候", "Done, thank you"],
    noshow: ["已过号，请到服务台咨询", "Missed: please ask at the help desk"],
    incomplete: ["本次未办结", "Not completed"],
    referred: ["已转其他部门办理", "Referred elsewhere"],
    cancelled: ["已取消", "Cancelled"],
  };
  return ends[t.outcome] || ["已结束", "Finished"];
}

function render() {
  const t = page.ticket;
  text("ticket", t.ticket);
  text("service", t.service_name);
  const [zh, en] = describe(t);
  text("state", zh);
  text("state-en", en);
  const card = document.getElementById("ticket-card");
  card.dataset.state = t.state;
  card.classList.toggle("flash", t.state === "called");
  document.getElementById("near").hidden = !isNear(t);
  if (isNear(t)) alertOnce("near");
  if (t.state === "called") alertOnce("called");
  if (t.state !== "waiting") document.getElementById("sound-hint").hidden = true;
  document.getElementById("rate-card").hidden = !t.can_rate;
  // A second rating after the return visit (评价次数 2) replaces the thanks with the form.
  if (t.can_rate && t.rate_count === 2) text("rate-error", "欢迎再次评价 · You may rate once more");
  const rated = document.getElementById("rated");
  rated.hidden = t.rating === null || t.rating === undefined || t.can_rate;
  if (!rated.hidden) {
    const level = page.levels.find((l) => l.score === t.rating);
    rated.textContent = "感谢您的评价：" + (level ? level.name : t.rating) + " · Thank you for your rating";
    rated.dataset.score = String(t.rating);
  }
}

function renderLevels() {
  const box = document.getElementById("levels");
  box.replaceChildren();
  for (const l of page.levels) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "level";
    b.dataset.score = String(l.score);
    b.append(document.createTextNode(l.name), document.createElement("br"));
    const small = document.createElement("small");
    small.textContent = l.english;
    b.append(small);
    b.addEventListener("click", () => choose(l));
    box.append(b);
  }
}

function choose(level) {
  page.score = level.score;
  for (const b of document.querySelectorAll("#levels .level")) {
    b.classList.toggle("chosen", b.dataset.score === String(level.score));
  }
  // The content options (评价内容) of the level: required for 1–2 on a ticket with cases,
  // optional praise for 4–5. A ticket without cases says why in words, as before.
  const options = (page.contents || []).filter((c) => c.level === level.score);
  const box = document.getElementById("contents");
  box.replaceChildren();
  for (const c of options) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = c.code;
    label.append(input, document.createTextNode(" " + c.text));
    box.append(label);
  }
  document.getElementById("contents-box").hidden = options.length === 0;
  const withCases = page.ticket && page.ticket.cases > 0;
  document.getElementById("reason-box").hidden = !level.reason && !withCases;
  document.getElementById("rate-submit").disabled = false;
}

function chosenContents() {
  return Array.from(document.querySelectorAll("#contents input:checked")).map((i) => i.value);
}

async function submit() {
  const level = page.levels.find((l) => l.score === page.score);
  const reason = document.getElementById("reason").value.trim();
  const contents = chosenContents();
  const withCases = page.ticket && page.ticket.cases > 0;
  if (level && level.reason && withCases && contents.length === 0) {
    text("rate-error", "请选择评价内容 · Please choose what it was about");
    return;
  }
  if (level && level.reason && !withCases && !reason) {
    text("rate-error", "请填写原因 · Please tell us why");
    return;
  }
  document.getElementById("rate-submit").disabled = true;
  const r = await fetch(page.api + "/rate", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ score: page.score, reason: reason || null, contents: contents }),
  });
  const body = await r.json();
  if (body.ok) {
    text("rate-error", "");
    page.ticket = body.ticket;
    render();
  } else {
    text("rate-error", (sentences[body.error] || body.message) + " (" + body.error + ")");
    document.getElementById("rate-submit").disabled = false;
  }
}

async function load() {
  const r = await fetch(page.api, { cache: "no-store" });
  if (!r.ok) {
    text("state", "找不到该号码 · Ticket not found");
    return;
  }
  const body = await r.json();
  text("hall-name", body.hall);
  page.notify = body.notify || null;
  document.title = body.ticket.ticket + " · " + body.hall;
  if (!page.levels.length) {
    page.levels = body.levels;
    page.contents = body.contents || [];
    renderLevels();
  }
  page.ticket = body.ticket;
  render();
}

// Many events can come at once (a busy minute): one fetch for them.
function refetchSoon() {
  clearTimeout(page.refetchTimer);
  page.refetchTimer = setTimeout(load, 300);
}

function renderCalls() {
  const list = document.getElementById("calls");
  list.replaceChildren();
  for (const c of page.calls) {
    const li = document.createElement("li");
    li.dataset.ticket = c.ticket;
    li.textContent = c.ticket + " → " + c.window + " 号窗口";
    list.append(li);
  }
}

document.getElementById("rate-submit").addEventListener("click", submit);
load();
hallqLive({
  viewer: "phone",
  poll: load,
  snapshot(snap) {
    page.calls = snap.calls;
    renderCalls();
    refetchSoon();
  },
  event(name, data) {
    if (name === "call") {
      page.calls = hallqAddCall(page.calls, data, 5);
      renderCalls();
    }
    refetchSoon();
  },
});
