// The admin dashboard (/admin): the live hall, device health, statistics for a date range as
// tables and the server's SVG charts, the CSV export, the printable monthly report, a ticket's
// history, opening and closing the hall, reloading the config, the staff accounts, and the
// enrolled kiosk screens. Every action is one op through POST /api/ops (or a GET of the export,
// charts and report; the screens have routes of their own, /api/screens…).
import { hallqClock, hallqPad } from "/assets/live.js";
import { hallqStaff, hallqStaffStream, hallqSentence, hallqRequireLogin } from "/assets/staff.js";
import { windowStates } from "/assets/vocabulary.js";

function $(id) {
  return document.getElementById(id);
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  tr.append(td);
  return td;
}

function fill(table, rows) {
  const tbody = table.querySelector("tbody");
  tbody.textContent = "";
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const v of r) cell(tr, v);
    tbody.append(tr);
  }
  return tbody;
}

function say(reply, what) {
  $("message").textContent = reply.ok ? what + " ✓" : what + "：" + hallqSentence(reply);
}

function ago(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() + hallqClock.skewMs - Date.parse(iso)) / 1000));
  return Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
}


// Services by id, from the live status: tables say "A 检验检测机构资质认定", not "A".
const serviceNames = new Map();

// A ticket's steps in Chinese (the log's event types).
const STEPS = {
  take: "取号", call: "叫号", recall: "重呼", noshow: "过号", requeue: "重新排队", start: "开始办理",
  finish: "办结", transfer: "转办", pause: "暂停", resume: "恢复", signin: "签到", signout: "签退",
  rate: "评价", hall: "取号开关", print: "打印", device: "设备", clock: "时钟", announce: "语音播报",
};

// Seconds as 3分12秒 (a duration a person reads), "–" for none.
function duration(s) {
  if (s == null) return "–";
  const t = Math.round(s);
  return t >= 60 ? Math.floor(t / 60) + "分" + (t % 60) + "秒" : t + "秒";
}

// "2026-11-30T08:53:20+08:00" (the hall's local time) as 11-30 08:53:20.
function localTime(iso) {
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
  return m ? m[1] + " " + m[2] : iso || "";
}

// The live tab, drawn from a `status` of the staff stream.
function live(r) {
  if (!r.ok) return;
  $("hall-name").textContent = r.hall.name;
  $("mode").textContent = (r.hall.dispensing ? "开放中 " : "暂停中 ") + "(" + r.hall.mode + ")";
  const hand = new Map((r.in_hand || []).map((t) => [t.window, t]));
  const views = new Map((r.window_views || []).map((v) => [v.window, v]));
  fill($("win-table"), r.windows.map((w) => {
    const t = hand.get(w.window);
    const v = views.get(w.window);
    return [w.window + "号", w.clerk || "—", v ? windowStates[v.state] : "", t ? t.label + " " + ago(t.started_at || t.called_at) : ""];
  }));
  const oldest = new Map();
  for (const t of r.waiting_tickets || []) {
    if (!oldest.has(t.service) || t.queued_at < oldest.get(t.service)) oldest.set(t.service, t.queued_at);
  }
  for (const s of r.services) serviceNames.set(s.id, s.name);
  fill($("queues"), r.services.map((s) => [s.id + " " + s.name, s.waiting, oldest.has(s.id) ? ago(oldest.get(s.id)) : "", s.next || ""]));
  const d = r.devices || {};
  // Each printer, with the kiosks it serves.
  const rows = (d.printers || [d.printer || {}]).map((p) => {
    const kiosks = (d.kiosks || []).filter((k) => k.printer === p.name).map((k) => k.name);
    return ["打印机 printer " + (p.name && p.name !== "printer" ? p.name + " " : "") + "(" + p.kind + ")" + (kiosks.length ? " · 取号机 " + kiosks.join(", ") : ""), p.health];
  });
  for (const b of d.buses || []) rows.push(["线路 bus " + b.name, b.health]);
  for (const k of d.keypads || []) rows.push(["键盘 keypad " + k.use, k.health]);
  if (d.voice) rows.push(["语音 voice", d.voice.health]);
  fill($("devices"), rows);
}

async function stats(from, to) {
  const q = "from=" + from + "&to=" + to;
  $("csv").href = "/api/export.csv?" + q;
  const charts = await fetch("/api/charts?" + q, { cache: "no-store" }).then((r) => r.json());
  const box = $("charts");
  box.textContent = "";
  if (charts.ok) {
    for (const c of charts.charts) {
      const div = document.createElement("div");
      div.className = "chart-box";
      div.dataset.chart = c.id;
      // The server's own SVG (every text in it escaped there).
      div.innerHTML = c.svg;
      box.append(div);
    }
  } else {
    say(charts, "图表");
  }
  const tables = $("tables");
  tables.textContent = "";
  for (const [by, title] of [["service", "按事项"], ["window", "按窗口"], ["clerk", "按工作人员"], ["day", "按日"], ["hour", "按时段"]]) {
    const r = await hallqStaff.op("stats", { from, to, by });
    if (!r.ok) continue;
    const h = document.createElement("h3");
    h.textContent = title;
    const t = document.createElement("table");
    t.id = "stats-" + by;
    t.innerHTML = "<thead><tr><th></th><th>取号</th><th>办结</th><th>过号</th><th>等候中位数</th><th>等候P90</th><th>办理中位数</th><th>满意度</th><th>满意率</th></tr></thead><tbody></tbody>";
    // By window or clerk, tickets not yet at any window have no key ("-"): they are counted in
    // the other tables, not shown as a row of their own here.
    const rows = by === "window" || by === "clerk" ? r.rows.filter((x) => x.key !== "-") : r.rows;
    const key = (k) => (by === "service" && serviceNames.has(k) ? k + " " + serviceNames.get(k) : by === "window" ? k + "号窗口" : k);
    // 满意率: ratings of 4 or 5 among all ratings.
    const satisfied = (x) => {
      const l = x.rating_levels || {};
      const n = x.ratings || 0;
      return n ? Math.round((100 * ((l["4"] || 0) + (l["5"] || 0))) / n) + "%" : "–";
    };
    fill(t, rows.map((x) => [key(x.key), x.issued, x.served, x.noshows, duration(x.wait.median_s), duration(x.wait.p90_s), duration(x.service.median_s), x.rating_mean == null ? "–" : x.rating_mean.toFixed(2), satisfied(x)]));
    tables.append(h, t);
  }
}

async function users() {
  const r = await hallqStaff.op("users");
  if (!r.ok) return;
  const tbody = fill($("users"), []);
  for (const u of r.users) {
    const tr = document.createElement("tr");
    cell(tr, u.name);
    cell(tr, u.role);
    const td = cell(tr, "");
    const pw = document.createElement("button");
    pw.type = "button";
    pw.textContent = "改密码";
    pw.addEventListener("click", async () => {
      const p = prompt("新密码 (8位以上) · New password for " + u.name);
      if (p) say(await hallqStaff.op("passwd", { name: u.name, password: p }), "改密码 " + u.name);
    });
    const rm = document.createElement("button");
    rm.type = "button";
    rm.textContent = "删除";
    rm.addEventListener("click", async () => {
      if (!confirm("删除账号 " + u.name + "?")) return;
      say(await hallqStaff.op("userdel", { name: u.name }), "删除 " + u.name);
      users();
    });
    td.append(pw, rm);
    tbody.append(tr);
  }
}

// The enrolled kiosk screens, each with a button to revoke it.
async function screens() {
  const r = await fetch("/api/screens", { cache: "no-store" }).then((x) => x.json()).catch(() => null);
  if (!r || !r.ok) return;
  const tbody = fill($("screens"), []);
  for (const s of r.screens) {
    const tr = document.createElement("tr");
    tr.dataset.screen = s.name;
    cell(tr, s.name);
    cell(tr, new Date(s.enrolled_at).toLocaleString("zh-CN"));
    cell(tr, s.revoked_at ? "已撤销 Revoked" : "使用中 Enrolled");
    const td = cell(tr, "");
    if (!s.revoked_at) {
      const rm = document.createElement("button");
      rm.type = "button";
      rm.textContent = "撤销 Revoke";
      rm.addEventListener("click", async () => {
        if (!confirm("撤销取号机 " + s.name + "?")) return;
        say(await hallqStaff.op(null, { name: s.name }, "/api/screens/revoke"), "撤销 " + s.name);
        screens();
      });
      td.append(rm);
    }
    tbody.append(tr);
  }
}

function localDay(offsetDays) {
  const t = hallqClock.local();
  t.setUTCDate(t.getUTCDate() + offsetDays);
  return t.getUTCFullYear() + "-" + hallqPad(t.getUTCMonth() + 1) + "-" + hallqPad(t.getUTCDate());
}

async function start(account) {
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  $("account").textContent = account.name;
  $("logout").addEventListener("click", async () => {
    await hallqStaff.logout();
    location.reload();
  });
  for (const b of document.querySelectorAll("[data-mode]")) {
    b.addEventListener("click", async () => {
      say(await hallqStaff.op("hall", { mode: b.dataset.mode }), "取号 " + b.dataset.mode);
    });
  }
  $("reload").addEventListener("click", async () => say(await hallqStaff.op("reload"), "重载配置"));
  $("range").addEventListener("submit", (e) => {
    e.preventDefault();
    stats($("range").elements.from.value, $("range").elements.to.value);
  });
  $("report").addEventListener("submit", (e) => {
    e.preventDefault();
    window.open("/admin/report?month=" + $("report").elements.month.value, "_blank");
  });
  $("history-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = $("history-form").elements;
    const fields = { ticket: f.ticket.value.trim().toUpperCase() };
    if (f.day.value) fields.day = f.day.value;
    const r = await hallqStaff.op("history", fields);
    if (!r.ok) return say(r, "查询 " + fields.ticket);
    fill($("history"), r.events.map((e) => [localTime(e.local) || e.at, STEPS[e.event] || e.event, e.window ? e.window + "号" : "", e.clerk || "", (e.account || e.role || "") + (e.client ? " " + e.client : "")]));
  });
  $("add-user").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = $("add-user").elements;
    const r = await hallqStaff.op("useradd", { name: f.name.value.trim(), role: f.role.value, password: f.password.value });
    f.password.value = "";
    say(r, "添加 " + f.name.value);
    users();
  });
  $("screen-code").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("screen-code").elements.name.value.trim();
    const r = await hallqStaff.op(null, { name }, "/api/screens/code");
    say(r, "登记码 " + name);
    $("screen-code-out").textContent = r.ok ? r.code.slice(0, 4) + " " + r.code.slice(4) : "";
    screens();
  });
  // Live from the staff stream (no polling): the tab redraws from each `status`; the orders
  // list is read again after a change, at most once every 2 s.
  let ordersDue = null;
  hallqStaffStream((r) => {
    const f = $("range").elements;
    if (!f.from.value) {
      f.from.value = localDay(0).slice(0, 8) + "01";
      f.to.value = localDay(0);
      $("report").elements.month.value = localDay(0).slice(0, 7);
      // The form is filled in: show its numbers at once, not after 查询.
      stats(f.from.value, f.to.value);
    }
    live(r);
    if (!ordersDue) {
      ordersDue = setTimeout(() => {
        ordersDue = null;
        orders();
      }, 2000);
    }
  });
  orders();
  users();
  screens();
}

// The 差评 tab: counts, the upload to the province, per window and clerk, and each order with
// the steps its state allows (docs/HAOCHA.md).
const ORDER_STEPS = {
  open: [["verify", "核实有效"], ["claim_invalid", "申请无效"]],
  invalid_claimed: [["approve", "批准"], ["reject", "驳回"]],
  verified: [["rectify", "开始整改"]],
  rectifying: [["rectified", "整改完成"], ["postpone", "延期"], ["claim_cannot", "申请无法整改"]],
  postponed: [["rectified", "整改完成"], ["postpone", "延期"], ["claim_cannot", "申请无法整改"]],
  cannot_claimed: [["approve", "批准"], ["reject", "驳回"]],
  rectified: [["revisit", "回访"]],
  cannot_rectify: [["revisit", "回访"]],
  revisited: [["close", "办结"]],
};

function orderStep(o) {
  const box = document.createElement("form");
  box.className = "order-step";
  box.dataset.order = String(o.order);
  const steps = ORDER_STEPS[o.state] || [];
  if (!steps.length) return box;
  const sel = document.createElement("select");
  sel.name = "action";
  for (const [v, t] of steps) sel.append(new Option(t, v));
  const note = document.createElement("input");
  note.name = "note";
  note.placeholder = "说明 Note";
  const extra = document.createElement("span");
  const fillExtra = () => {
    extra.textContent = "";
    if (sel.value === "claim_invalid") {
      const r = document.createElement("select");
      r.name = "reason";
      r.append(new Option("误评", "mistaken"), new Option("恶意差评", "malicious"));
      extra.append(r);
    } else if (sel.value === "postpone") {
      const d = document.createElement("input");
      d.name = "due";
      d.type = "date";
      extra.append(d);
    } else if (sel.value === "revisit") {
      const c = document.createElement("select");
      c.name = "contact";
      c.append(new Option("电话", "phone"), new Option("短信", "sms"), new Option("上门", "visit"), new Option("其他", "other"));
      const res = document.createElement("input");
      res.name = "result";
      res.placeholder = "回访结果 Result";
      const s = document.createElement("select");
      s.name = "satisfied";
      s.append(new Option("满意", "true"), new Option("不满意", "false"));
      extra.append(c, res, s);
    }
  };
  sel.addEventListener("change", fillExtra);
  fillExtra();
  const go = document.createElement("button");
  go.type = "submit";
  go.textContent = "执行";
  box.append(sel, extra, note, go);
  box.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = box.elements;
    const fields = { order: o.order, action: f.action.value };
    if (f.note.value.trim()) fields.note = f.note.value.trim();
    for (const k of ["reason", "due", "contact", "result"]) if (f[k] && f[k].value) fields[k] = f[k].value;
    if (f.satisfied) fields.satisfied = f.satisfied.value === "true";
    const r = await hallqStaff.op("order_update", fields);
    say(r, "工单 " + o.order + " " + sel.selectedOptions[0].textContent);
    if (document.activeElement) document.activeElement.blur();
    orders();
  });
  return box;
}

let lastOrders = "";
async function orders() {
  const r = await hallqStaff.op("orders", {});
  if (!r.ok) return;
  const c = r.counts;
  $("order-counts").textContent =
    "未办结 Open " + c.open + " · 逾期 Overdue " + c.overdue + " · 已办结 Closed " + c.closed + " · 无效 Invalid " + c.invalid +
    " · 回访率 Return visits " + (c.revisit_rate === null ? "—" : Math.round(c.revisit_rate * 100) + "%");
  const status = hallqStaff.latest;
  const u = status && status.ok ? status.haocha : null;
  $("upload-state").textContent = u
    ? "上报省好差评系统 Upload: 待上报 pending " + u.pending + " · 已上报 sent " + u.sent + (u.last_error ? " · 错误 " + u.last_error : "")
    : "上报省好差评系统：未配置 Upload not configured ([haocha])";
  const people = {};
  for (const o of r.orders) {
    const k = (o.window || "") + "|" + (o.clerk || "");
    const p = (people[k] = people[k] || [o.window ? o.window + "号" : "", o.clerk || "", 0, 0, 0]);
    p[2] += 1;
    if (o.overdue) p[3] += 1;
    if (o.revisit_contact) p[4] += 1;
  }
  fill($("order-people"), Object.values(people).map((p) => p.map(String)));
  // Redrawn only when an order changed and nobody is typing in a step's form.
  const key = JSON.stringify(r.orders);
  if (key === lastOrders || $("orders").contains(document.activeElement)) return;
  lastOrders = key;
  const tbody = $("orders").querySelector("tbody");
  tbody.textContent = "";
  for (const o of r.orders.slice(0, 200)) {
    const tr = document.createElement("tr");
    tr.dataset.order = String(o.order);
    tr.dataset.state = o.state;
    if (o.overdue) tr.className = "overdue";
    const cells = [String(o.order), o.day + " " + o.ticket, o.window ? o.window + "号 " + (o.clerk || "") : "", o.level_name,
      o.contents.join(",") + (o.reason ? " " + o.reason : ""), o.due + (o.overdue ? " 逾期" : ""), o.state_name];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    td.append(orderStep(o));
    tr.append(td);
    tbody.append(tr);
  }
}

hallqRequireLogin($("login"), "admin", start);
