// A child's account as their parent manages it: rename, a new password,
// log out everywhere, download their data, delete the account.
import { h } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { avatar } from "../ui.js";

// accountCard manages child c (id, named name); a rename shows in heading.
export function accountCard(ctx, c, id, name, heading) {
  return h("section", { class: "card", "aria-labelledby": "acct-h" },
    h("h2", { id: "acct-h" }, "Account"),
    renameForm(id, name, heading),
    passwordForm(id),
    h("div", { class: "row" },
      action("Log out everywhere", async () => { await api("POST", `/children/${id}/logout-everywhere`); }, { cls: "ghost" }),
      h("a", { class: "btn small ghost", href: `/api/v1/children/${id}/export`, download: `pixelpals-${c.user.email}.json` }, "Download their data")),
    h("h3", {}, "Delete account"),
    h("p", { class: "small" }, `Deletes ${name}'s profile, game logins, chats memberships and the words of every message they sent. It cannot be undone.`),
    action(`Delete ${name}'s account`, async () => { await api("DELETE", `/children/${id}`); ctx.go("#/"); },
      { cls: "bad", confirm: `Really delete ${name}'s account for good?`, yes: "Yes, delete for good" }));
}

function renameForm(id, name, heading) {
  return form({
    label: "Rename",
    fields: [field({ name: "display_name", label: "Name", value: name, required: true, maxlength: 100 })],
    submit: "Rename",
    onsubmit: async (v, f) => {
      const r = await api("PATCH", `/children/${id}`, { display_name: v.display_name.trim() });
      const n = (r && r.profile && r.profile.display_name) || v.display_name.trim();
      heading.replaceChildren(avatar(id), " ", n);
      f.ok.textContent = "Renamed.";
    },
  });
}

function passwordForm(id) {
  return form({
    label: "New password",
    fields: [field({ name: "password", label: "New password", type: "password", autocomplete: "new-password", hint: "At least 6 characters. Logs them out everywhere.", minlength: 6 })],
    submit: "Set password",
    onsubmit: async (v, f) => {
      await api("POST", `/children/${id}/password`, { password: v.password });
      f.fields[0].input.value = "";
      f.ok.textContent = "Password changed.";
    },
  });
}
