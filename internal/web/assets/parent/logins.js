// A child's game logins as their parent keeps them: the list, a new
// password for one, delete, and "Add a game login". The passwords are
// never shown to the parent; only the child can reveal them.
import { h, replace, when } from "../dom.js";
import { api } from "../api.js";
import { field, form, action, titled } from "../forms.js";
import { section, empty } from "../ui.js";

// loginsCard is the game-logins card of child id.
export function loginsCard(id) {
  const logins = section({
    title: "Game logins",
    load: () => api("GET", `/children/${id}/game-credentials`),
    render: (page, reload) => page.items.length === 0 ? empty("No game logins saved yet.")
      : h("ul", { class: "list" }, page.items.map(g => h("li", {},
        h("p", {}, h("strong", {}, g.game_name), " — ", g.username, h("span", { class: "muted small" }, ` (changed ${when(g.updated_at)})`)),
        h("div", { class: "row" },
          passwordChanger(g),
          action("Delete", async () => { await api("DELETE", `/game-credentials/${g.id}`); reload(); },
            { cls: "ghost", confirm: `Delete the ${g.game_name} login?`, yes: "Yes, delete", label: `Delete ${g.game_name} login` }))))),
    footer: titled("Add a game login", {
      label: "Add a game login",
      fields: [
        field({ name: "game_name", label: "Game", required: true, maxlength: 100 }),
        field({ name: "username", label: "Username in the game", autocomplete: "off", required: true }),
        field({ name: "password", label: "Password in the game", type: "password", autocomplete: "new-password", required: true, hint: "Stored encrypted. Only your child can reveal it." }),
      ],
      submit: "Save game login",
      busy: "Saving…",
      onsubmit: async (v, f) => {
        await api("POST", `/children/${id}/game-credentials`, { game_name: v.game_name.trim(), username: v.username.trim(), password: v.password });
        for (const fl of f.fields) fl.input.value = "";
        f.ok.textContent = "Saved.";
        logins.reload();
      },
    }),
  });
  return logins;
}

// passwordChanger edits a game login's password in place.
function passwordChanger(g) {
  const wrap = h("span");
  const open = h("button", { class: "btn small ghost", type: "button", "aria-label": `Change password for ${g.game_name}` }, "Change password");
  open.addEventListener("click", () => {
    const f = form({
      label: `New ${g.game_name} password`,
      fields: [field({ name: "password", label: `New ${g.game_name} password`, type: "password", autocomplete: "new-password" })],
      submit: "Save",
      onsubmit: async (v) => {
        await api("PATCH", `/game-credentials/${g.id}`, { password: v.password });
        replace(wrap, h("span", { class: "ok-msg", role: "status" }, "Password changed."), open);
      },
    });
    replace(wrap, f);
    f.querySelector("input").focus();
  });
  wrap.append(open);
  return wrap;
}
