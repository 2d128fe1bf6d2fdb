// What the staff pages (kiosk, window terminal, admin) share: the session, the op API with its
// CSRF token, the login form, and a plain sentence for every refusal token.
"use strict";

const hallqStaff = {
  account: null,
  csrf: null,

  // The current session, or null (not logged in, or expired).
  async session() {
    const r = await fetch("/api/session", { cache: "no-store" });
    if (!r.ok) return this.forget();
    const j = await r.json();
    this.account = j.account;
    this.csrf = j.csrf;
    return j.account;
  },

  forget() {
    this.account = null;
    this.csrf = null;
    return null;
  },

  async login(name, password) {
    const r = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name, password }),
    });
    const j = await r.json();
    if (j.ok) {
      this.account = j.account;
      this.csrf = j.csrf;
    }
    return j;
  },

  async logout() {
    await this.op(null, null, "/api/logout");
    this.forget();
  },

  // One op through POST /api/ops/<op>: the socket protocol's reply ({ok:true,…} or
  // {ok:false,error,message}); a lost session calls onExpired.
  async op(name, fields, path) {
    let r;
    try {
      r = await fetch(path || "/api/ops/" + name, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf || "" },
        body: JSON.stringify(fields || {}),
      });
    } catch (_) {
      return { ok: false, error: "OFFLINE", message: "" };
    }
    const j = await r.json().catch(() => ({ ok: false, error: "INTERNAL", message: "" }));
    if (r.status === 401 && this.onExpired) this.onExpired();
    return j;
  },

  onExpired: null,
};

// The staff pages' live view: GET /api/staff/events sends `status` (the status op's reply with
// the waiting list, plus the hall clock's `now` and `utc_offset_s`) at once and after every
// round of commits; the page draws from it and never asks for the status itself, so a click is
// one request (its op). EventSource reconnects by itself; a stream refused outright (the session
// ended) asks whether the session lives and shows the login if not. Quiet for three heartbeats:
// a new connection.
function hallqStaffStream(onStatus) {
  let source = null;
  let lastSeen = Date.now();
  let retry = null;
  function seen() {
    lastSeen = Date.now();
  }
  function open() {
    if (source) source.close();
    clearTimeout(retry);
    source = new EventSource("/api/staff/events");
    seen();
    source.addEventListener("status", (e) => {
      seen();
      const r = JSON.parse(e.data);
      hallqStaff.latest = r;
      if (typeof r.now === "number") hallqClock.sync(r.now, r.utc_offset_s);
      document.body.dataset.staffLive = "connected";
      onStatus(r);
    });
    source.addEventListener("heartbeat", seen);
    source.addEventListener("error", async () => {
      document.body.dataset.staffLive = "reconnecting";
      if (source.readyState !== EventSource.CLOSED) return;
      if (!(await hallqStaff.session())) {
        if (hallqStaff.onExpired) hallqStaff.onExpired();
        return;
      }
      retry = setTimeout(open, 5000);
    });
  }
  open();
  setInterval(() => {
    if (document.body.dataset.session === "open" && Date.now() - lastSeen > 50000) open();
  }, 5000);
}

// A refusal as a sentence for the person at the screen (Chinese first).
const hallqSentences = {
  "QUEUE-EMPTY": "没有等候的号。No one is waiting.",
  "NO-ACTIVE-TICKET": "当前没有在办的号。No ticket in hand.",
  "NOT-SIGNED-IN": "本窗口还没有工作人员签到。No clerk is signed in here.",
  "WINDOW-PAUSED": "本窗口已暂停，请先恢复。The window is paused.",
  "TICKET-OPEN": "还有在办的号，请先办结或转办。Finish or transfer the ticket in hand first.",
  "CLERK-ELSEWHERE": "您已在其他窗口签到。You are signed in at another window.",
  "NOT-YOUR-WINDOW": "不是您签到的窗口，请先在本窗口签到。You are not signed in at this window.",
  "ALREADY-STARTED": "已经开始办理。Already being served.",
  "NOT-WAITING": "该号不在等候中。That ticket is not waiting.",
  "UNKNOWN-TICKET": "没有这个号。No such ticket.",
  "UNKNOWN-SERVICE": "没有这个事项。No such service.",
  "UNKNOWN-WINDOW": "没有这个窗口。No such window.",
  "HALL-CLOSED": "现在暂停取号。Tickets are not being issued now.",
  "RANGE-EXHAUSTED": "今日号码已发完。Today's numbers are used up.",
  "PERSON-HAS-TICKET": "您已有本事项的号，请留意叫号。You already have a ticket for this service.",
  "PERSON-DAILY-LIMIT": "您今日取号已达上限。You have taken today's maximum of tickets.",
  "ID-REQUIRED": "本事项须刷身份证取号，请将身份证放在读卡区。This service needs your ID card on the reader.",
  "QUOTA-EXHAUSTED": "本时段号已发完。This period's tickets are all issued.",
  "TOO-EARLY": "还未到签到时间。Check-in is not open yet.",
  "TOO-LATE": "已过签到时间，请重新取号。Check-in has closed; please take a ticket.",
  "BOOKING-UNKNOWN": "没有找到这个预约码，请核对。No booking has this code.",
  "BOOKING-CANCELLED": "该预约已取消。This booking was cancelled.",
  "ALREADY-CHECKED-IN": "该预约已签到。This booking is already checked in.",
  "PRINTER-PAPER-OUT": "取号机缺纸。The printer is out of paper.",
  "PRINTER-OFFLINE": "取号机打印机故障。The printer is not working.",
  "RATE-LIMITED": "操作太频繁，请稍后再试。Too many requests; try again shortly.",
  "NOTHING-TO-RATE": "没有可评价的号。Nothing to rate.",
  "ALREADY-RATED": "已经评价过了。Already rated.",
  "UNKNOWN-ORDER": "没有这个工单。No such work order.",
  "ORDER-STATE": "工单当前状态不能进行这一步。Not a step from the order's state.",
  "NOT-ALLOWED": "没有权限。Not allowed.",
  "UNAUTHORIZED": "请重新登录。Please log in again.",
  "BAD-REQUEST": "请求有误。",
  "NOT-FOUND": "没有找到。Not found.",
  "OFFLINE": "连接不上服务器。The server cannot be reached.",
};

function hallqSentence(reply) {
  const s = hallqSentences[reply.error] || "操作失败。";
  return reply.error === "BAD-REQUEST" || !hallqSentences[reply.error] ? s + " " + (reply.message || "") : s;
}

// Shows `form` (a <form> with name and password inputs) until a session exists, then calls
// `ready(account)`. `role` is the role the page needs ("clerk" also admits an admin).
async function hallqRequireLogin(form, role, ready) {
  const message = form.querySelector(".login-message");
  const fits = (a) => a && (a.role === role || a.role === "admin");
  const show = (text) => {
    form.hidden = false;
    document.body.dataset.session = "none";
    if (message) message.textContent = text || "";
  };
  hallqStaff.onExpired = () => show("会话已过期，请重新登录。Session expired.");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = form.elements.name.value.trim();
    const j = await hallqStaff.login(name, form.elements.password.value);
    form.elements.password.value = "";
    if (!j.ok) return show(hallqSentence(j) + (j.error === "UNAUTHORIZED" ? " 用户名或密码错误。" : ""));
    if (!fits(j.account)) return show("此账号不能使用本页面。This account cannot use this page.");
    form.hidden = true;
    document.body.dataset.session = "open";
    ready(j.account);
  });
  const a = await hallqStaff.session();
  if (fits(a)) {
    form.hidden = true;
    document.body.dataset.session = "open";
    ready(a);
  } else {
    show("");
  }
}
