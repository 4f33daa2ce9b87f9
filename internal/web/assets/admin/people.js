// How a moderator sees a person: name, login and family in one line.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { deletedNameT } from "../ui.js";

// personName is p's display name, or what is left of a deleted account.
export function personName(p) {
  if (!p) return deletedNameT();
  return p.deleted ? t("audit.deleted_id", { id: p.id }) : p.display_name;
}

// personLine is p with their login, family and state: "Ben Weber · ben7 ·
// child of Anna Weber · suspended".
export function personLine(p) {
  if (!p || p.deleted) return h("span", { class: "muted" }, personName(p));
  const family = p.role === "CHILD" ? t("admin.child_of", { name: p.parent_display_name || deletedNameT() })
    : p.role === "PARENT" ? t("admin.role_parent") : t("admin.role_admin");
  return h("span", { class: "person" },
    h("strong", {}, p.display_name), " ", h("span", { class: "muted small" }, `· ${p.login} · ${family}`),
    p.suspended ? [" ", h("span", { class: "badge bad" }, t("admin.suspended"))] : null);
}
