// Blocking (docs/controls.md): a child blocks a contact after a modal
// dialog; how a blocked link reads for the child and for their parent.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { icon } from "./ui.js";
import { t } from "./i18n.js";

// confirmDialog asks in a modal <dialog> (Escape or Cancel closes it) and
// runs run() on yes, showing its failure inside the dialog.
export function confirmDialog({ title, lines, yes, run, opener }) {
  const hid = uid("dlg");
  const err = h("p", { class: "error box", role: "alert" });
  const yesBtn = h("button", { class: "btn bad", type: "button" }, yes);
  const noBtn = h("button", { class: "btn ghost", type: "button" }, t("forms.cancel"));
  const d = h("dialog", { class: "card dialog", "aria-labelledby": hid },
    h("h2", { id: hid }, title), lines.map(line => h("p", {}, line)), err, h("div", { class: "row" }, yesBtn, noBtn));
  document.body.append(d);
  noBtn.addEventListener("click", () => d.close());
  d.addEventListener("close", () => { d.remove(); if (opener && opener.isConnected) opener.focus(); });
  yesBtn.addEventListener("click", async () => {
    yesBtn.disabled = true;
    err.textContent = "";
    try {
      await run();
      d.close();
    } catch (e) {
      err.textContent = (e && e.message) || String(e);
    } finally {
      yesBtn.disabled = false;
    }
  });
  d.showModal();
  noBtn.focus();
  return d;
}

// blockButton lets a child block contact k with the other child other.
export function blockButton(k, other, done) {
  const name = other.display_name;
  const btn = h("button", { class: "btn small ghost", type: "button", "aria-label": t("block.label", { name }) }, icon("block"), t("block.button"));
  btn.addEventListener("click", () => confirmDialog({
    title: t("block.title", { name }),
    lines: [t("block.line1", { name }), t("block.line2", { name })],
    yes: t("block.yes", { name }),
    opener: btn,
    run: async () => { await api("POST", `/contacts/${k.id}/block`); done(); },
  }));
  return btn;
}

// blockState is how a blocked link reads for viewerChild (the child
// themself, or the child whose parent is looking).
export function blockState(k, viewerChild, asParent) {
  const other = k.children.find(c => c.child_id !== viewerChild) || k.children[0];
  const mine = k.children.find(c => c.child_id === viewerChild) || {};
  if (k.blocked_by === viewerChild) {
    return asParent ? t("block.parent_mine", { mine: mine.display_name, other: other.display_name })
      : t("block.child_mine", { other: other.display_name });
  }
  return asParent ? t("block.parent_other", { mine: mine.display_name, other: other.display_name })
    : t("block.child_other", { other: other.display_name });
}
