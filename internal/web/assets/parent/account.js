// A child's account as their parent manages it: rename, a new password,
// log out everywhere, download their data, delete the account.
import { h } from "../dom.js";
import { api } from "../api.js";
import { field, form, action } from "../forms.js";
import { avatar } from "../ui.js";
import { t } from "../i18n.js";
import { languageForm } from "../language.js";

// accountCard manages child c (id, named name); a rename shows in heading.
export function accountCard(ctx, c, id, name, heading) {
  return h("section", { class: "card", "aria-labelledby": "acct-h" },
    h("h2", { id: "acct-h" }, t("account.title")),
    renameForm(id, name, heading),
    passwordForm(id),
    h("h3", {}, t("language.child_title", { name })),
    h("p", { class: "small" }, t("language.child_hint", { name })),
    languageForm(c.user.locale, async (locale) => { await api("PATCH", `/children/${id}`, { locale }); },
      t("language.child_title", { name })),
    h("div", { class: "row" },
      action(t("account.logout_everywhere"), async () => { await api("POST", `/children/${id}/logout-everywhere`); }, { cls: "ghost" }),
      h("a", { class: "btn small ghost", href: `/api/v1/children/${id}/export`, download: `pixelpals-${c.user.email}.json` }, t("account.download"))),
    h("h3", {}, t("account.delete_title")),
    h("p", { class: "small" }, t("account.delete_text", { name })),
    action(t("account.delete", { name }), async () => { await api("DELETE", `/children/${id}`); ctx.go("#/"); },
      { cls: "bad", confirm: t("account.delete_confirm", { name }), yes: t("account.delete_yes") }));
}

function renameForm(id, name, heading) {
  return form({
    label: t("account.rename"),
    fields: [field({ name: "display_name", label: t("account.name"), value: name, required: true, maxlength: 100 })],
    submit: t("account.rename"),
    onsubmit: async (v, f) => {
      const r = await api("PATCH", `/children/${id}`, { display_name: v.display_name.trim() });
      const n = (r && r.profile && r.profile.display_name) || v.display_name.trim();
      heading.replaceChildren(avatar(id), " ", n);
      f.ok.textContent = t("account.renamed");
    },
  });
}

function passwordForm(id) {
  return form({
    label: t("account.new_password"),
    fields: [field({ name: "password", label: t("account.new_password"), type: "password", autocomplete: "new-password", hint: t("account.password_hint"), minlength: 6 })],
    submit: t("account.set_password"),
    onsubmit: async (v, f) => {
      await api("POST", `/children/${id}/password`, { password: v.password });
      f.fields[0].input.value = "";
      f.ok.textContent = t("account.password_changed");
    },
  });
}
