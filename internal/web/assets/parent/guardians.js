// A child's grown-ups (issue 21): the guardians who look after them, an
// invitation code for another parent, removing a guardian or leaving,
// handing over "main parent"; and the form a parent types a code into.
import { h } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { section, avatar } from "../ui.js";

// when is a time the way a parent reads it: "Mon 14 Dec, 18:30".
function when(iso) {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// grownUpsCard lists child id's guardians, with the actions the acting
// parent (me) may take. left() runs after me leaves (the child is no
// longer theirs).
export function grownUpsCard(ctx, id, name, left) {
  const me = ctx.me.user.id;
  const invite = inviteBox(id, name);
  const card = section({
    title: "Grown-ups",
    load: () => api("GET", `/children/${id}/guardians`),
    render: (gs, reload) => h("div", {},
      h("p", { class: "small" }, `Every parent here can read ${name}'s chats, approve friends and change the settings. Only the main parent can delete the account.`),
      h("ul", { class: "list" }, gs.map(g => guardianRow(g, gs, me, id, name, reload, left)))),
    footer: invite,
    cls: "grown-ups",
  });
  return card;
}

// guardianRow is one guardian g among gs: the main parent (primary)
// removes others and hands over; anyone else may leave.
function guardianRow(g, gs, me, id, name, reload, left) {
  const iAmPrimary = gs.some(x => x.primary && x.user_id === me);
  const who = g.user_id === me ? `${g.display_name} (you)` : g.display_name;
  const buttons = [];
  if (g.user_id === me && !g.primary) {
    buttons.push(action("Leave", async () => { await api("DELETE", `/children/${id}/guardians/${me}`); left(); },
      { cls: "ghost", label: `Leave: stop looking after ${name}`, confirm: `Stop looking after ${name}? You will no longer see their chats.`, yes: "Yes, leave" }));
  }
  if (iAmPrimary && g.user_id !== me) {
    buttons.push(action("Make main parent", async () => { await api("POST", `/children/${id}/guardians/${g.user_id}/primary`); reload(); },
      { cls: "ghost", label: `Make main parent: ${g.display_name}`, confirm: `Make ${g.display_name} ${name}'s main parent? Only the main parent can delete the account or remove a parent.`, yes: "Yes, hand over" }));
    buttons.push(action("Remove", async () => { await api("DELETE", `/children/${id}/guardians/${g.user_id}`); reload(); },
      { cls: "bad", label: `Remove ${g.display_name}`, confirm: `Remove ${g.display_name}? They will no longer see ${name}'s chats, and their own chat with ${name} is paused.`, yes: "Yes, remove" }));
  }
  return h("li", { class: "row spread" },
    h("span", { class: "who" }, avatar(g.user_id), h("strong", {}, who),
      g.primary ? [" ", h("span", { class: "badge" }, "main parent")] : null),
    buttons.length ? h("span", { class: "row" }, buttons) : null);
}

// inviteBox makes an invitation code for another parent of child id and
// shows it once, with its expiry and how to pass it on.
function inviteBox(id, name) {
  const out = h("div", { role: "status" });
  const box = h("div", {}, h("h3", {}, "Invite another parent"),
    h("p", { class: "small" }, `A code lets another parent (with their own approved parent account) look after ${name} with you.`),
    action("Make an invitation code", async () => {
      const inv = await api("POST", `/children/${id}/guardian-invites`);
      out.replaceChildren(
        h("p", {}, h("span", { class: "code invite-code" }, inv.code)),
        h("p", { class: "small" }, `Valid until ${when(inv.expires_at)}, for one person. Tell it yourself — in person, by phone or on paper; we never send it. They log in, and type it under “Accept an invitation” on their home page.`),
        h("p", { class: "small muted" }, "We show this code only now: write it down before you leave this page."));
    }, { label: `Make an invitation code for ${name}` }),
    out);
  return box;
}

// acceptCard is a parent's form for an invitation code from another
// parent; done(child) runs once they are a guardian.
export function acceptCard(done) {
  return h("section", { class: "card", "aria-labelledby": "accept-inv-h" },
    h("h2", { id: "accept-inv-h" }, "Accept an invitation"),
    h("p", { class: "small" }, "Another parent gave you a code to look after their child with them? Type it here."),
    form({
      label: "Accept an invitation",
      fields: [field({ name: "code", label: "Invitation code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", required: true })],
      submit: "Accept",
      busy: "Checking…",
      onsubmit: async (v, f) => {
        const r = await api("POST", "/guardian-invites/accept", { code: v.code.trim() });
        f.fields[0].input.value = "";
        f.ok.textContent = `You now look after ${r.child.display_name} too.`;
        done(r.child);
      },
    }));
}

// coGuardians says who else looks after child c, for the children list
// ("with Anna"); null when the acting parent is alone.
export async function coGuardians(c, me) {
  const gs = await api("GET", `/children/${c.user.id}/guardians`);
  const others = gs.filter(g => g.user_id !== me).map(g => g.display_name);
  return others.length ? others : null;
}
