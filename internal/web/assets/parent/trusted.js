// Trusted grown-ups (issue 21.3): a grandparent or godparent of another
// family whom every parent of a child approved may chat with that child,
// one to one. Two sides: on a child's "Grown-ups" card their parents
// propose one by the code the grown-up gave them, approve, and end it
// (trustedPart); on a parent's home page the grown-up makes that code and
// finds the children who trust them (trustCard).
import { h, replace } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { empty, avatar, section } from "../ui.js";
import { t, k, formatDate, list } from "../i18n.js";

const day = (iso) => formatDate(new Date(iso), { day: "numeric", month: "long", year: "numeric" });
const until = (iso) => formatDate(new Date(iso), { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

// trustedPart is the trusted grown-ups of child id (name) inside their
// "Grown-ups" card: each one, who approved and who has still to, the
// acting parent's buttons, and the form for a grown-up's code. reload()
// reads them again (a live trusted.* or guardian.* event).
export function trustedPart(ctx, id, name) {
  const me = ctx.me.user.id;
  const err = h("p", { class: "error box", role: "alert" });
  const body = h("div", {}, h("p", { class: "loading" }, t("ui.loading")));
  let last = null;
  const reload = async () => {
    try {
      const [gs, ts] = await Promise.all([api("GET", `/children/${id}/guardians`), api("GET", `/children/${id}/trusted-adults`)]);
      err.textContent = "";
      const sig = JSON.stringify([gs, ts]);
      if (sig === last) return;
      last = sig;
      replace(body, ts.length === 0 ? empty(t("trusted.none", { name }))
        : h("ul", { class: "list" }, ts.map(tr => trustedRow(tr, gs, { me, id, name, reload }))));
    } catch (e) {
      err.textContent = e.message || String(e);
    }
  };
  const el = h("div", { class: "trusted" },
    h("h3", {}, t("trusted.title")),
    h("p", { class: "small" }, t("trusted.intro", { name })),
    err, body, proposeForm(id, name, reload));
  el.reload = reload;
  reload();
  return el;
}

// trustedRow is one trusted grown-up tr of child id, with the guardians
// gs: active since when, or whose yes is still missing.
function trustedRow(tr, gs, { me, id, name, reload }) {
  const approved = new Set(tr.approvals.map(a => a.guardian_id));
  const you = (uid, name) => uid === me ? t("guardians.you", { name }) : name;
  const waiting = gs.filter(g => !approved.has(g.user_id)).map(g => you(g.user_id, g.display_name));
  const by = tr.approvals.map(a => you(a.guardian_id, a.display_name));
  const them = { adult: tr.display_name, name };
  const status = tr.status === "active"
    ? [h("span", { class: "badge" }, t("trusted.active")), " ", t("trusted.since", { date: day(tr.active_at) })]
    : [h("span", { class: "badge wait" }, t("trusted.pending")), " ", t("trusted.waiting_for", { names: list(waiting) })];
  const buttons = [];
  if (tr.status !== "active" && !approved.has(me)) {
    buttons.push(action(t("trusted.approve"), async () => { await api("POST", `/children/${id}/trusted-adults/${tr.adult_id}/approve`); reload(); },
      { cls: "good", label: t("trusted.approve_label", them) }));
  }
  buttons.push(action(t("trusted.revoke"), async () => { await api("DELETE", `/children/${id}/trusted-adults/${tr.adult_id}`); reload(); },
    { cls: "bad", label: t("trusted.revoke_label", them), yes: t("trusted.revoke_yes"),
      confirm: tr.status === "active" ? t("trusted.revoke_confirm", them) : t("trusted.withdraw_confirm", them) }));
  return h("li", { class: "trusted-adult" },
    h("div", { class: "who" }, avatar(tr.adult_id),
      h("div", {}, h("strong", {}, tr.display_name), h("br"),
        h("span", { class: "small" }, status), h("br"),
        h("span", { class: "small muted" }, t("trusted.approved_by", { names: list(by) })))),
    h("div", { class: "row" }, buttons));
}

// proposeForm takes the code a grown-up gave the parent and proposes
// them for child id.
function proposeForm(id, name, reload) {
  return h("div", {}, h("h3", {}, t("trusted.add_title")),
    h("p", { class: "small" }, t("trusted.add_text", { name })),
    form({
      label: t("trusted.add_title"),
      fields: [field({ name: "code", label: t("trusted.code"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false", required: true })],
      submit: t("trusted.add"),
      busy: t("guardians.checking"),
      onsubmit: async (v, f) => {
        let tr;
        try {
          tr = await api("POST", `/children/${id}/trusted-adults`, { code: v.code.trim() });
        } catch (e) {
          throw codeError(e, name);
        }
        f.fields[0].input.value = "";
        f.ok.textContent = tr.status === "active" ? t("trusted.added_active", { adult: tr.display_name, name })
          : t("trusted.added_pending", { adult: tr.display_name, name });
        reload();
      },
    }));
}

// codeError words a refused code for the parent who typed it: the API's
// kind words speak of invitations between parents, this code came from
// the grown-up. A 429 (too many wrong codes) keeps its own words.
function codeError(e, name) {
  const words = { 400: k("trusted.code_invalid"), 404: k("trusted.code_unknown"), 409: k("trusted.code_conflict") }[e.status];
  if (!words) return e;
  const out = new Error(t(words, { name }));
  out.field = e.status === 409 ? "" : "code";
  return out;
}

// trustCard is an approved parent's side: a code to give another family's
// parent, and the children who trust them, with a chat button and a way
// to end it. reload() reads the children again.
export function trustCard(ctx) {
  const children = section({
    title: t("trusted.children_title"),
    level: "h3",
    cls: "trusting",
    load: () => api("GET", "/me/trusted-children"),
    render: (cs, again) => cs.length === 0 ? empty(t("trusted.no_children"))
      : h("ul", { class: "list" }, cs.map(c => h("li", { class: "row spread" },
        h("span", { class: "who" }, avatar(c.id), h("strong", {}, c.display_name)),
        h("span", { class: "row" },
          action(t("parent.chat"), async () => {
            const cv = await api("POST", "/conversations", { member_ids: [c.id], is_group: false });
            ctx.go(`#/chat/${cv.id}`);
          }, { label: t("parent.chat_with", { name: c.display_name }) }),
          action(t("trusted.end"), async () => { await api("DELETE", `/children/${c.id}/trusted-adults/${ctx.me.user.id}`); again(); },
            { cls: "ghost", label: t("trusted.end_label", { name: c.display_name }), confirm: t("trusted.end_confirm", { name: c.display_name }), yes: t("trusted.end_yes") }))))),
  });
  const el = h("section", { class: "card trust", "aria-labelledby": "trust-h" },
    h("h2", { id: "trust-h" }, t("trusted.be_title")),
    h("p", { class: "small" }, t("trusted.be_text")),
    codeBox(), children);
  el.reload = children.reload;
  el.force = children.force;
  return el;
}

// codeBox makes the grown-up's one-time code and shows it once, with its
// expiry and how to pass it on. Nothing keeps it.
function codeBox() {
  const out = h("div", { role: "status" });
  return h("div", {},
    action(t("trusted.code_make"), async () => {
      const inv = await api("POST", "/me/trusted-invites");
      out.replaceChildren(
        h("p", {}, h("span", { class: "code trusted-code" }, inv.code)),
        h("p", { class: "small" }, t("trusted.code_valid", { time: until(inv.expires_at) })),
        h("p", { class: "small muted" }, t("guardians.invite_once")));
    }),
    out);
}
