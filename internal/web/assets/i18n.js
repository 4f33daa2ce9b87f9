// The page's words in the reader's language: English, German or Spanish.
// The catalogs are plain JSON (locales/en.json, de.json, es.json): a key
// names a string, "{name}" in it is filled from t()'s params, and a string
// that counts has plural forms "key.one", "key.other" (and "key.zero"…,
// as Intl.PluralRules names them), chosen by params.count. A key missing
// from a catalog falls back on English, then on the key itself.
//
// The language: the account's choice (GET /me's user.locale), else the
// browser's (navigator.languages), else English. Dates and times follow it
// through Intl.

export const languages = ["en", "de", "es"];

// names are the languages as their own speakers call them: the switch
// shows them untranslated, so anyone can find their own.
export const languageNames = { en: "English", de: "Deutsch", es: "Español" };

let lang = "en";
let words = {};
let english = {};
const loaded = {};

async function fetchCatalog(l) {
  if (!loaded[l]) {
    loaded[l] = fetch(new URL(`./locales/${l}.json`, import.meta.url), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}));
  }
  return loaded[l];
}

// browserLanguage is the first of the browser's languages we speak.
export function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (languages.includes(base)) return base;
  }
  return "en";
}

// chooseLanguage is the language for an account's stored choice (null:
// none).
export function chooseLanguage(locale) {
  return languages.includes(locale) ? locale : browserLanguage();
}

// setLanguage loads l's catalog (and English, the fallback) and marks the
// page with it; the caller redraws.
export async function setLanguage(l) {
  const want = languages.includes(l) ? l : "en";
  const [en, w] = await Promise.all([fetchCatalog("en"), fetchCatalog(want)]);
  english = en;
  words = w;
  lang = want;
  document.documentElement.lang = want;
}

export function language() { return lang; }

function lookup(key, params) {
  if (params && typeof params.count === "number") {
    const form = new Intl.PluralRules(lang).select(params.count);
    const hit = words[`${key}.${form}`] ?? words[`${key}.other`] ?? english[`${key}.${form}`] ?? english[`${key}.other`];
    if (hit !== undefined) return hit;
  }
  return words[key] ?? english[key];
}

// t is the string of key in the page's language, with params filled in.
export function t(key, params) {
  const s = lookup(key, params);
  if (s === undefined) return key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined ? m : String(params[name])));
}

// k marks a key written down to be translated later (a table of words
// built before the catalog is loaded): it returns the key. The catalog
// test finds keys by t("…") and k("…").
export function k(key) { return key; }

// formatTime and formatDate write a time or a day as the page's
// language does.
// Formatters are made once per language and options: building one costs
// a phone a long task when a chat draws a hundred messages.
const formatters = new Map();
function dateFormat(opts) {
  const key = lang + JSON.stringify(opts);
  let f = formatters.get(key);
  if (!f) { f = new Intl.DateTimeFormat(lang, opts); formatters.set(key, f); }
  return f;
}

const TIME = { hour: "2-digit", minute: "2-digit" };

// warmFormats makes the default time formatter before it is needed. The
// page's first Intl formatter loads the browser's locale data, some
// 130 ms on a phone (Lighthouse's 4× slower CPU); made in a task of its
// own while a chat waits for its messages, it is not added to the long
// task that draws them.
export function warmFormats() { dateFormat(TIME); }

export function formatTime(d, opts) {
  return dateFormat(opts || TIME).format(d);
}

export function formatDate(d, opts) {
  return dateFormat(opts || { dateStyle: "medium" }).format(d);
}

// relative says how long ago (or until) d is: "just now", "5 minutes
// ago", "vor 5 Minuten", "hace 5 minutos".
export function relative(d, now = new Date()) {
  const secs = Math.round((d.getTime() - now.getTime()) / 1000);
  if (Math.abs(secs) < 60) return t("time.just_now");
  const steps = [[60, "minute"], [24, "hour"], [7, "day"], [4.35, "week"], [12, "month"], [Infinity, "year"]];
  let v = secs / 60;
  for (const [size, unit] of steps) {
    if (Math.abs(v) < size) return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(Math.round(v), unit);
    v /= size;
  }
  return "";
}

// list joins names as the language does: "Zoe, Ben and Mia", "Zoe, Ben
// und Mia", "Zoe, Ben y Mia" (no serial comma, which Intl.ListFormat's
// English puts in).
export function list(names) {
  if (names.length < 2) return names.join("");
  return names.slice(0, -1).join(", ") + " " + t("list.and") + " " + names[names.length - 1];
}
