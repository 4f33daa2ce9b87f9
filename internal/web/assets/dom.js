// Tiny DOM helpers. Text always goes in as text nodes (never as HTML), so
// nothing a user typed can become markup.
import { formatTime, formatDate } from "./i18n.js";


// h builds an element: h("p", {class: "x", onclick: fn}, "text", child...).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace swaps every child of el for the given ones.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
// uid makes a unique id for label/aria wiring.
export function uid(prefix) { return `${prefix || "id"}-${++seq}`; }

// when formats an RFC 3339 time for people, in the page's language.
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? formatTime(d) : formatDate(d, { dateStyle: "medium", timeStyle: "short" });
}
