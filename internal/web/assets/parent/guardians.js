// A child's grown-ups (issue 21): the guardians who look after them, an
// invitation code for another parent, removing a guardian or leaving,
// handing over "main parent"; and the form a parent types a code into.
import { h } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { section, avatar } from "../ui.js";
import { t, formatDate, list } from "../i18n.js";
import { trustedPart } from "./trusted.js";

// grownUpsCard lists child id's guardians, with the actions the acting
// parent may take, and the child's trusted grown-ups (parent/trusted.js).
// left() runs after they leave (the child is no longer theirs). The
// card's trusted.reload() reads the trusted grown-ups again.
export function grownUpsCard(ctx, id, name, left) {
  const me = ctx.me.user.id;
  const trusted = trustedPart(ctx, id, name);
  const card = section({
    title: t("guardians.title"),
    load: () => api("GET", `/children/${id}/guardians`),
    render: (gs, reload) => h("div", {},
      h("p", { class: "small" }, t("guardians.intro", { name })),
      h("ul", { class: "list" }, gs.map(g => guardianRow(g, gs, { me, id, name, reload, left })))),
    footer: h("div", {}, inviteBox(id, name), trusted),
    cls: "grown-ups",
  });
  card.trusted = trusted;
  return card;
}

// guardianRow is one guardian g among gs: the main parent (primary)
// removes others and hands over; anyone else may leave.
function guardianRow(g, gs, { me, id, name, reload, left }) {
  const iAmPrimary = gs.some(x => x.primary && x.user_id === me);
  const who = g.user_id === me ? t("guardians.you", { name: g.display_name }) : g.display_name;
  const buttons = [];
  if (g.user_id === me && !g.primary) {
    buttons.push(action(t("guardians.leave"), async () => { await api("DELETE", `/children/${id}/guardians/${me}`); left(); },
      { cls: "ghost", label: t("guardians.leave_label", { name }), confirm: t("guardians.leave_confirm", { name }), yes: t("guardians.leave_yes") }));
  }
  if (iAmPrimary && g.user_id !== me) {
    const them = { name: g.display_name, child: name };
    buttons.push(action(t("guardians.make_primary"), async () => { await api("POST", `/children/${id}/guardians/${g.user_id}/primary`); reload(); },
      { cls: "ghost", label: t("guardians.make_primary_label", them), confirm: t("guardians.make_primary_confirm", them), yes: t("guardians.make_primary_yes") }));
    buttons.push(action(t("guardians.remove"), async () => { await api("DELETE", `/children/${id}/guardians/${g.user_id}`); reload(); },
      { cls: "bad", label: t("guardians.remove_label", them), confirm: t("guardians.remove_confirm", them), yes: t("guardians.remove_yes") }));
  }
  return h("li", { class: "row spread" },
    h("span", { class: "who" }, avatar(g.user_id), h("strong", {}, who),
      g.primary ? [" ", h("span", { class: "badge" }, t("guardians.main_parent"))] : null),
    buttons.length ? h("span", { class: "row" }, buttons) : null);
}

// inviteBox makes an invitation code for another parent of child id and
// shows it once, with its expiry and how to pass it on. Nothing keeps it.
function inviteBox(id, name) {
  const out = h("div", { role: "status" });
  return h("div", {}, h("h3", {}, t("guardians.invite_title")),
    h("p", { class: "small" }, t("guardians.invite_text", { name })),
    action(t("guardians.invite_make"), async () => {
      const inv = await api("POST", `/children/${id}/guardian-invites`);
      const time = formatDate(new Date(inv.expires_at), { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
      out.replaceChildren(
        h("p", {}, h("span", { class: "code invite-code" }, inv.code)),
        h("p", { class: "small" }, t("guardians.invite_valid", { time })),
        h("p", { class: "small muted" }, t("guardians.invite_once")));
    }, { label: t("guardians.invite_make_label", { name }) }),
    out);
}

// acceptCard is a parent's form for an invitation code from another
// parent; done(child) runs once they are a guardian.
export function acceptCard(done) {
  return h("section", { class: "card", "aria-labelledby": "accept-inv-h" },
    h("h2", { id: "accept-inv-h" }, t("guardians.accept_title")),
    h("p", { class: "small" }, t("guardians.accept_text")),
    form({
      label: t("guardians.accept_title"),
      fields: [field({ name: "code", label: t("guardians.code"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false", required: true })],
      submit: t("guardians.accept"),
      busy: t("guardians.checking"),
      onsubmit: async (v, f) => {
        const r = await api("POST", "/guardian-invites/accept", { code: v.code.trim() });
        f.fields[0].input.value = "";
        f.ok.textContent = t("guardians.accepted", { name: r.child.display_name });
        done(r.child);
      },
    }));
}

// coGuardians says who else looks after child c ("With Anna" in the
// children list): null when the acting parent me is alone.
export async function coGuardians(c, me) {
  const gs = await api("GET", `/children/${c.user.id}/guardians`);
  const others = gs.filter(g => g.user_id !== me).map(g => g.display_name);
  return others.length ? others : null;
}

// withLine is the children list's "With Anna and Bert" under a child.
export function withLine(names) {
  return names ? [h("br"), h("span", { class: "small" }, t("guardians.with", { names: list(names) }))] : null;
}
