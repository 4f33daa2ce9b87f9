// pager lists the pages of an admin endpoint into target, with a "More"
// button while there are more.
import { h, replace } from "../dom.js";
import { api } from "../api.js";
import { t } from "../i18n.js";

// pager loads path's first page (path has its query already: "?…"),
// handing each page to render(body, page, first).
export function pager(target, path, render, moreText) {
  let cursor = null;
  const err = h("p", { class: "error box", role: "alert" });
  const more = h("button", { class: "btn small ghost", type: "button", hidden: true }, moreText || t("admin.load_more"));
  const body = h("div", {}, h("p", { class: "loading" }, t("ui.loading")));
  const load = async (first) => {
    more.disabled = true;
    try {
      const page = await api("GET", path + (cursor && !first ? "&cursor=" + encodeURIComponent(cursor) : ""));
      err.textContent = "";
      render(body, page, first);
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      err.textContent = e.message;
      if (first) replace(body);
    }
    more.disabled = false;
  };
  more.addEventListener("click", () => load(false));
  replace(target, err, body, more);
  return load(true);
}

// listIn is body's list, new when first (or not there yet).
export function listIn(body, first, cls) {
  let ul = body.querySelector(":scope > ul");
  if (first || !ul) { ul = h("ul", { class: cls || "list" }); replace(body, ul); }
  return ul;
}
