// The parent's leak-guard notices, above every page (docs/controls.md).
import { h, replace, when } from "./dom.js";
import { api } from "./api.js";
import { icon } from "./ui.js";
import { EventType } from "./events.js";
import { t } from "./i18n.js";

// noticeText says what the guard stopped, once however often it did.
function noticeText(n, name) {
  const p = { count: n.count, name, when: when(n.last_at) };
  return [icon("shield"), h("strong", {}, t("notice.guard") + " "),
    t("notice.before", p), h("strong", {}, n.game_name), t("notice.after", p),
    " " + t("notice.advice")];
}

// leakNotices shows a parent's notices (GET /me/notices): one box per
// child and game, kept by the server until the parent dismisses it, so
// they survive a reload and follow the parent to another device. They are
// read again on leak_guard.blocked, notice.dismissed (another tab or
// device dismissed one) and resync.
export function leakNotices(getMe) {
  const el = h("aside", { class: "notices", "aria-label": t("notice.label") });
  let names = new Map();
  let shown = "";
  let seen = new Set();
  let gen = 0;
  const isParent = () => { const me = getMe(); return !!me && me.user.role === "PARENT" && me.user.approved_by_admin; };

  function box(n) {
    const name = names.get(n.child_id) || t("notice.your_child");
    const err = h("span", { class: "error small", role: "alert" });
    const dismiss = h("button", { class: "btn small ghost", type: "button", "aria-label": t("notice.dismiss_label", { game: n.game_name, name }) }, t("notice.dismiss"));
    // Only a notice not shown before is announced.
    const b = h("div", { class: "notice leak", role: seen.has(n.id) ? null : "alert", "data-notice": n.id },
      h("p", {}, noticeText(n, name)),
      h("div", { class: "row" }, h("a", { class: "btn small", href: `#/child/${n.child_id}/activity` }, t("parent.see_activity", { name })), dismiss, err));
    dismiss.addEventListener("click", async () => {
      dismiss.disabled = true;
      err.textContent = "";
      try {
        await api("DELETE", `/me/notices/${n.id}`);
      } catch (e) {
        if (e.status !== 404) { err.textContent = e.message; dismiss.disabled = false; return; }
      }
      b.remove();
      load();
    });
    return b;
  }

  async function load() {
    if (!isParent()) return;
    const mine = ++gen;
    try {
      const page = await api("GET", "/me/notices");
      if (page.items.some(n => !names.has(n.child_id))) {
        names = new Map((await api("GET", "/children")).items.map(c => [c.user.id, c.profile.display_name]));
      }
      if (mine !== gen || !isParent()) return;
      const sig = JSON.stringify(page.items);
      if (sig === shown) return;
      shown = sig;
      replace(el, page.items.map(box));
      seen = new Set(page.items.map(n => n.id));
    } catch (e) {
      if (mine === gen && e.status !== 401) replace(el, h("p", { class: "notice error", role: "alert" }, t("notice.load_failed") + " ", e.message));
      shown = "";
    }
  }

  return {
    el,
    load,
    onevent(ev) {
      if (ev.type === EventType.leakGuardBlocked || ev.type === EventType.noticeDismissed || ev.type === EventType.resync) load();
    },
    clear() { gen++; el.replaceChildren(); shown = ""; seen = new Set(); names = new Map(); },
  };
}
