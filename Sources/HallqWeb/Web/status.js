// A ticket's own status page (/t/<day>/<label>.<token>): where the ticket is, how many are
// ahead, the estimated wait and the latest calls, live; and, once it is finished, the 好差评
// rating (levels 1 and 2 ask why). The page's address is the ticket's keyed URL; the same path
// under /api gives its JSON.
"use strict";

const page = {
  api: "/api" + location.pathname,
  ticket: null,
  levels: [],
  score: null,
  refetchTimer: null,
  calls: [],
};

function text(id, value) {
  document.getElementById(id).textContent = value;
}

// The sentence for the ticket's state, Chinese first.
function describe(t) {
  if (t.state === "waiting") {
    if (t.ahead === 0) return ["即将叫到您，请留意叫号", "You are next"];
    return ["前面还有 " + t.ahead + " 人，预计等候约 " + t.eta_min + " 分钟", t.ahead + " ahead of you, about " + t.eta_min + " min"];
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
  document.getElementById("rate-card").hidden = !t.can_rate;
  const rated = document.getElementById("rated");
  rated.hidden = t.rating === null || t.rating === undefined;
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
  document.getElementById("reason-box").hidden = !level.reason;
  document.getElementById("rate-submit").disabled = false;
}

async function submit() {
  const level = page.levels.find((l) => l.score === page.score);
  const reason = document.getElementById("reason").value.trim();
  if (level && level.reason && !reason) {
    text("rate-error", "请填写原因 · Please tell us why");
    return;
  }
  document.getElementById("rate-submit").disabled = true;
  const r = await fetch(page.api + "/rate", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ score: page.score, reason: reason || null }),
  });
  const body = await r.json();
  if (body.ok) {
    text("rate-error", "");
    page.ticket = body.ticket;
    render();
  } else {
    const why = { "ALREADY-RATED": "该号码已评价过", "NOTHING-TO-RATE": "已超过评价时间" };
    text("rate-error", (why[body.error] || body.message) + " (" + body.error + ")");
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
  document.title = body.ticket.ticket + " · " + body.hall;
  if (!page.levels.length) {
    page.levels = body.levels;
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
      if (page.ticket && data.ticket === page.ticket.ticket && navigator.vibrate) navigator.vibrate([300, 100, 300]);
    }
    refetchSoon();
  },
});
