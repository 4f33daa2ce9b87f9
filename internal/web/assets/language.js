// The language switch (docs/web.md "Languages"): an account's own, on a
// parent's home page and a child's "Me" page, and a child's, on their
// parent's page for them. "Automatic" stores none (null): the browser's
// language is used then.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { field, form } from "./forms.js";
import { t, languages, languageNames } from "./i18n.js";

// languageForm is the choice and its Save button; save gets the chosen
// locale, or null for automatic.
export function languageForm(current, save, label) {
  const choice = field({ name: "locale", label: t("language.label"), value: current || "",
    options: [["", t("language.auto")], ...languages.map((l) => [l, languageNames[l]])] });
  return form({
    label,
    fields: [choice],
    submit: t("language.save"),
    onsubmit: async (v, f) => {
      await save(v.locale || null);
      f.ok.textContent = t("language.saved");
    },
  });
}

// languageCard sets the account's own language and redraws the page in it.
export function languageCard(ctx) {
  const hid = uid("lang-h");
  return h("section", { class: "card", "aria-labelledby": hid },
    h("h2", { id: hid }, t("language.title")),
    h("p", { class: "muted small" }, ctx.me.user.role === "CHILD" ? t("language.own_hint_child") : t("language.own_hint")),
    languageForm(ctx.me.user.locale, async (locale) => {
      await api("PATCH", "/me/profile", { locale });
      await ctx.relocalize();
    }, t("language.title")));
}
