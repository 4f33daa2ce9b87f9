// The installable app, page side (docs/web.md "Installable app"): the
// service worker's registration, and the page shown when the server cannot
// be reached (the worker serves the kept app shell; every API call fails).
import { h } from "./dom.js";
import { t } from "./i18n.js";

// registerWorker installs /sw.js for the whole site. Where there is no
// service worker (an old browser, a page not served over https) the app
// works as before, only not offline.
export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

// offlineView says the app cannot reach its server; retry tries again,
// and so does the browser coming back online.
export function offlineView(ctx, retry) {
  ctx.title = t("offline.tab");
  const again = h("button", { class: "btn", type: "button", onclick: retry }, t("offline.again"));
  window.addEventListener("online", retry);
  ctx.cleanup = () => window.removeEventListener("online", retry);
  return h("section", { class: "card narrow hero offline", "aria-labelledby": "offline-h" },
    h("img", { class: "sprite", src: new URL("./logo.svg", import.meta.url).href, alt: "", width: 72, height: 72 }),
    h("h1", { id: "offline-h" }, t("offline.title")),
    h("p", {}, navigator.onLine ? t("offline.server") : t("offline.device")),
    h("p", {}, t("offline.nothing_lost")),
    h("div", { class: "row" }, again));
}
