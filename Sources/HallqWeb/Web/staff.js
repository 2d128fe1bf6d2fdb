// What the staff pages (kiosk, window terminal, admin) share: the session, the op API with its
// CSRF token, the login form, and a plain sentence for every refusal token.
import { hallqClock } from "/assets/live.js";
import { sentences } from "/assets/vocabulary.js";

export const hallqStaff = {
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
export function hallqStaffStream(onStatus) {
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


// A refusal as a sentence for the person at the screen (Chinese first), from the vocabulary
// hallqd serves (Swift's Vocabulary: one table for every face).
export function hallqSentence(reply) {
  const s = sentences[reply.error] || "操作失败。";
  return reply.error === "BAD-REQUEST" || !sentences[reply.error] ? s + " " + (reply.message || "") : s;
}

// Shows `form` (a <form> with name and password inputs) until a session exists, then calls
// `ready(account)`. `role` is the role the page needs ("clerk" also admits an admin).
export async function hallqRequireLogin(form, role, ready) {
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
