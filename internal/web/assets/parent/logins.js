// A child's game logins as their parent keeps them: the list, a new
// password for one, delete, and "Add a game login". The passwords are
// never shown to the parent; only the child can reveal them.
import { h, replace, when } from "../dom.js";
import { api } from "../api.js";
import { field, form, action, titled } from "../forms.js";
import { section, empty } from "../ui.js";
import { t, relative } from "../i18n.js";

// loginsCard is the game-logins card of child id.
export function loginsCard(id) {
  const logins = section({
    title: t("nav.game_logins"),
    load: () => api("GET", `/children/${id}/game-credentials`),
    render: (page, reload) => page.items.length === 0 ? empty(t("logins.none"))
      : h("ul", { class: "list" }, page.items.map(g => h("li", {},
        h("p", {}, h("strong", {}, g.game_name), " — ", g.username, h("span", { class: "muted small", title: when(g.updated_at) }, " " + t("logins.changed", { when: relative(new Date(g.updated_at)) }))),
        h("div", { class: "row" },
          passwordChanger(g),
          action(t("logins.delete"), async () => { await api("DELETE", `/game-credentials/${g.id}`); reload(); },
            { cls: "ghost", confirm: t("logins.delete_confirm", { game: g.game_name }), yes: t("logins.delete_yes"), label: t("logins.delete_label", { game: g.game_name }) }))))),
    footer: titled(t("logins.add"), {
      label: t("logins.add"),
      fields: [
        field({ name: "game_name", label: t("logins.game"), required: true, maxlength: 100 }),
        field({ name: "username", label: t("logins.username"), autocomplete: "off", required: true }),
        field({ name: "password", label: t("logins.password"), type: "password", autocomplete: "new-password", required: true, hint: t("logins.password_hint") }),
      ],
      submit: t("logins.save"),
      busy: t("logins.saving"),
      onsubmit: async (v, f) => {
        await api("POST", `/children/${id}/game-credentials`, { game_name: v.game_name.trim(), username: v.username.trim(), password: v.password });
        for (const fl of f.fields) fl.input.value = "";
        f.ok.textContent = t("language.saved");
        logins.reload();
      },
    }),
  });
  return logins;
}

// passwordChanger edits a game login's password in place.
function passwordChanger(g) {
  const wrap = h("span");
  const open = h("button", { class: "btn small ghost", type: "button", "aria-label": t("logins.change_label", { game: g.game_name }) }, t("logins.change"));
  open.addEventListener("click", () => {
    const f = form({
      label: t("logins.new_password", { game: g.game_name }),
      fields: [field({ name: "password", label: t("logins.new_password", { game: g.game_name }), type: "password", autocomplete: "new-password" })],
      submit: t("logins.save_short"),
      onsubmit: async (v) => {
        await api("PATCH", `/game-credentials/${g.id}`, { password: v.password });
        replace(wrap, h("span", { class: "ok-msg", role: "status" }, t("account.password_changed")), open);
      },
    });
    replace(wrap, f);
    f.querySelector("input").focus();
  });
  wrap.append(open);
  return wrap;
}
