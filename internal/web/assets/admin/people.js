// How a moderator sees a person: name, login and family in one line.
import { h } from "../dom.js";

// personName is p's display name, or what is left of a deleted account.
export function personName(p) {
  if (!p) return "a deleted account";
  return p.deleted ? `a deleted account (#${p.id})` : p.display_name;
}

// personLine is p with their login, family and state: "Ben Weber · ben7 ·
// child of Anna Weber · suspended".
export function personLine(p) {
  if (!p || p.deleted) return h("span", { class: "muted" }, personName(p));
  const family = p.role === "CHILD" ? `child of ${p.parent_display_name || "a deleted account"}`
    : p.role === "PARENT" ? "parent" : "admin";
  return h("span", { class: "person" },
    h("strong", {}, p.display_name), " ", h("span", { class: "muted small" }, `· ${p.login} · ${family}`),
    p.suspended ? [" ", h("span", { class: "badge bad" }, "suspended")] : null);
}
