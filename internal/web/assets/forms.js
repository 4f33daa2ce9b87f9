// Forms and buttons that show every API error where it belongs: a field
// error under its field (linked with aria-describedby), anything else in
// the form's own alert line.
import { h, uid } from "./dom.js";
import { t } from "./i18n.js";

// field makes a labelled input. opts: name, label, type, hint, and any
// input attributes (autocomplete, required, minlength, maxlength, value).
export function field(opts) {
  const id = uid(opts.name);
  const errId = id + "-err";
  const hintId = opts.hint ? id + "-hint" : null;
  const { name, label, hint, type, multiline, options, ...attrs } = opts;
  let input;
  if (options) {
    input = h("select", { id, name, ...attrs }, options.map(([v, t]) => h("option", { value: v }, t)));
    if (attrs.value !== undefined) input.value = attrs.value;
  } else if (multiline) {
    input = h("textarea", { id, name, rows: 2, ...attrs });
  } else {
    input = h("input", { id, name, type: type || "text", ...attrs });
  }
  input.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  const err = h("p", { class: "field-error", id: errId });
  const wrap = h("div", { class: "field" },
    h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null, err);
  wrap.input = input;
  wrap.err = err;
  return wrap;
}

// form builds a <form>. fields: field() results; submit: button text;
// onsubmit(values, form) may throw an ApiError, shown next to its field.
export function form({ label, fields, submit, onsubmit, extra, cls, busy }) {
  const status = h("p", { class: "error box", role: "alert" });
  const ok = h("p", { class: "ok-msg", role: "status" });
  const button = h("button", { class: "btn", type: "submit" }, submit);
  const f = h("form", { class: cls || "", "aria-label": label, novalidate: true }, fields, extra || null,
    h("div", { class: "row" }, button), status, ok);
  f.status = status;
  f.ok = ok;
  f.fields = fields;
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(f);
    const values = {};
    for (const fl of fields) values[fl.input.name] = fl.input.value;
    button.disabled = true;
    const text = button.textContent;
    button.textContent = busy || t("forms.working");
    try {
      await onsubmit(values, f);
    } catch (err) {
      showError(f, err);
    } finally {
      button.disabled = false;
      button.textContent = text;
    }
  });
  return f;
}

export function clearErrors(f) {
  f.status.textContent = "";
  f.ok.textContent = "";
  for (const fl of f.fields) {
    fl.err.textContent = "";
    fl.input.removeAttribute("aria-invalid");
  }
}

// showError puts err's message next to the field it names, or in the
// form's alert line.
export function showError(f, err) {
  const message = (err && err.message) || String(err);
  const target = err && err.field && f.fields.find(fl => fl.input.name === err.field);
  if (target) {
    target.err.textContent = message;
    target.input.setAttribute("aria-invalid", "true");
    target.input.focus();
  } else {
    f.status.textContent = message;
  }
}

// action is a button that runs fn and shows its failure right after it.
// opts.confirm asks first, in place ("Really …?"), instead of a dialog.
export function action(text, fn, opts = {}) {
  const err = h("span", { class: "error", role: "alert" });
  const button = h("button", { class: "btn small " + (opts.cls || ""), type: "button", "aria-label": opts.label }, text);
  const wrap = h("span", { class: "action" }, button, err);
  const run = async () => {
    err.textContent = "";
    button.disabled = true;
    try {
      await fn();
    } catch (e) {
      err.textContent = " " + ((e && e.message) || String(e));
    } finally {
      button.disabled = false;
    }
  };
  if (!opts.confirm) {
    button.addEventListener("click", run);
    return wrap;
  }
  const yes = h("button", { class: "btn small bad", type: "button" }, opts.yes || t("forms.yes"));
  const no = h("button", { class: "btn small ghost", type: "button" }, t("forms.cancel"));
  const box = h("div", { class: "confirm", role: "group", "aria-label": t("forms.confirm") }, h("p", {}, opts.confirm), h("div", { class: "row" }, yes, no));
  box.hidden = true;
  button.addEventListener("click", () => { box.hidden = false; yes.focus(); });
  no.addEventListener("click", () => { box.hidden = true; button.focus(); });
  yes.addEventListener("click", async () => { box.hidden = true; await run(); });
  wrap.append(box);
  return wrap;
}

// titled is a form under its own small heading.
export function titled(heading, opts) {
  return h("div", {}, h("h3", {}, heading), form(opts));
}
