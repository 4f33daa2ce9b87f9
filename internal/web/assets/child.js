// A child's pages: chats, friends, game logins, and their own profile.
import { h, replace } from "./dom.js";
import { api } from "./api.js";
import { field, form, action } from "./forms.js";
import { section, empty, avatar, otherChild, convoName, icon, upperFirst, aloneAfterDeletion, deletedNameT } from "./ui.js";
import { blockButton, blockState } from "./block.js";
import { EventType, isContactEvent, isConversationEvent, isTrustedEvent } from "./events.js";
import { newGroupCard } from "./group.js";
import { unreadBadge } from "./unread.js";
import { t } from "./i18n.js";
import { languageCard } from "./language.js";

const watch = () => h("p", { class: "banner watch" }, icon("eye"), t("child.watch"));

export function childChats(ctx) {
  ctx.title = t("nav.chats");
  const me = ctx.me.user;
  const chats = section({
    title: t("child.your_chats"),
    level: "h1",
    load: () => api("GET", "/conversations"),
    render: (page) => page.items.length === 0
      ? empty(t("child.no_chats"))
      : h("ul", { class: "list" }, page.items.map(c => h("li", { class: "row spread" },
        h("span", {}, h("a", { href: `#/chat/${c.id}` }, icon("chat"), upperFirst(convoName(c, me.id)),
          c.is_group ? h("span", { class: "muted small" }, " · " + t("child.group_of", { count: c.members.length })) : null), " ", unreadBadge(c)),
        h("span", {}, c.frozen ? h("span", { class: "badge bad" }, t("parent.paused")) : null, " ", h("span", { class: "badge" }, icon("eye"), t("child.parent_can_read")),
          // A chat left alone by a deleted account can go from the list.
          aloneAfterDeletion(c, me.id) ? [" ", action(t("child.hide"), async () => { await api("POST", `/conversations/${c.id}/hide`); chats.reload(); },
            { cls: "ghost", label: t("child.hide_label", { name: deletedNameT() }) })] : null)))),
  });
  const start = section({
    title: t("child.start_chat"),
    load: () => api("GET", "/contacts"),
    render: (page) => {
      const ok = page.items.filter(k => k.status === "approved" && !k.blocked_by);
      if (!ok.length) return empty(t("child.no_friends_to_chat"));
      return h("ul", { class: "list" }, ok.map(k => {
        const other = otherChild(k, me.id);
        return h("li", { class: "row spread" },
          h("span", { class: "who" }, avatar(other.child_id), other.display_name),
          action(t("parent.chat"), async () => {
            const c = await api("POST", "/conversations", { member_ids: [other.child_id], is_group: false });
            ctx.go(`#/chat/${c.id}`);
          }, { label: t("parent.chat_with", { name: other.display_name }) }));
      }));
    },
  });
  const group = newGroupCard(ctx);
  const grownUps = parentCard(ctx);
  ctx.onevent = (ev) => {
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) chats.reload();
    if (isContactEvent(ev)) { start.reload(); group.reload(); }
    if (isTrustedEvent(ev)) grownUps.reload();
  };
  ctx.poll = () => { chats.reload(); start.reload(); grownUps.reload(); };
  ctx.refresh = () => { chats.force(); start.force(); group.force(); grownUps.force(); };
  return h("div", {}, watch(), chats, grownUps, h("div", { class: "grid" }, start, group));
}

// parentCard starts (or opens) the child's direct chat with each of their
// parents (every vetted guardian: SPEC §4 allows it at any time), or with
// one of their trusted grown-ups (issue 21.3: every parent of theirs said
// yes to them).
function parentCard(ctx) {
  return section({
    title: t("child.chat_with_parent"),
    load: async () => {
      const [parents, trusted] = await Promise.all([api("GET", "/me/guardians"), api("GET", "/me/trusted-adults")]);
      return { parents, trusted };
    },
    render: ({ parents, trusted }) => h("div", {},
      h("ul", { class: "list" }, parents.map(p => h("li", { class: "row spread" },
        h("span", { class: "who" }, avatar(p.id), h("strong", {}, p.display_name)),
        chatButton(ctx, p.id, p.display_name)))),
      trusted.length ? [h("h3", {}, t("child.trusted_title")), h("p", { class: "small" }, t("child.trusted_text")),
        h("ul", { class: "list" }, trusted.map(a => h("li", { class: "row spread" },
          h("span", { class: "who" }, avatar(a.id), h("span", { class: "trusted-name" }, h("strong", {}, a.display_name), h("br"),
            h("span", { class: "badge" }, t("child.trusted_badge")))),
          chatButton(ctx, a.id, a.display_name))))] : null),
  });
}

// chatButton starts (or opens) the child's direct chat with grown-up id.
function chatButton(ctx, id, name) {
  return action(t("parent.chat_with", { name }), async () => {
    const c = await api("POST", "/conversations", { member_ids: [id], is_group: false });
    ctx.go(`#/chat/${c.id}`);
  });
}

export function childFriends(ctx) {
  ctx.title = t("nav.friends");
  const me = ctx.me.user;
  const code = section({
    title: t("child.your_code"),
    load: () => api("GET", "/me/friend-code"),
    render: (d) => h("div", {},
      h("p", { class: "code", "aria-label": t("child.your_code") }, d.friend_code),
      h("p", {}, t("child.code_hint"))),
  });
  const list = section({
    title: t("nav.friends"),
    load: () => api("GET", "/contacts"),
    render: (page) => page.items.length === 0 ? empty(t("child.no_friends"))
      : h("ul", { class: "list" }, page.items.map(k => {
        const other = otherChild(k, me.id);
        const waiting = k.children.filter(c => !c.parent_approved).length;
        const who = h("span", { class: "who" }, avatar(other.child_id), h("strong", {}, other.display_name));
        if (askedMe(k, me)) return askRow(k, other, () => list.reload());
        if (k.blocked_by) {
          return h("li", { class: "row spread blocked" }, who,
            h("span", { class: "row" }, h("span", { class: "badge bad" }, icon("block"), t("child.blocked")),
              h("span", { class: "small" }, blockState(k, me.id, false))));
        }
        return h("li", { class: "row spread" }, who,
          h("span", { class: "row" },
            k.status === "approved" ? [h("span", { class: "badge" }, t("child.friends_ok")),
              action(t("parent.chat"), async () => {
                const c = await api("POST", "/conversations", { member_ids: [other.child_id], is_group: false });
                ctx.go(`#/chat/${c.id}`);
              }, { label: t("parent.chat_with", { name: other.display_name }) })]
              : h("span", { class: "badge wait" }, waiting === 2 ? t("child.waiting_both") : t("child.waiting_one")),
            blockButton(k, other, () => list.reload())));
      })),
    footer: h("div", {}, h("h3", {}, t("child.add_friend")), form({
      label: t("child.add_friend"),
      fields: [field({ name: "friend_code", label: t("child.friend_code"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false" })],
      submit: t("child.add_friend_submit"),
      busy: t("child.sending"),
      onsubmit: async (v, f) => {
        await api("POST", "/contacts", { friend_code: v.friend_code.trim() });
        f.fields[0].input.value = "";
        f.ok.textContent = t("child.request_sent");
        list.reload();
      },
    })),
  });
  ctx.onevent = (ev) => { if (isContactEvent(ev)) list.reload(); };
  ctx.poll = () => list.reload();
  ctx.refresh = () => list.force();
  return h("div", {}, h("h1", {}, t("nav.friends")), h("div", { class: "grid" }, code, list));
}

// askedMe: link k is a request someone else sent to the child me, still
// open (the other child or their parent asked; the server decides who
// may decline, this only picks the buttons).
function askedMe(k, me) {
  return k.status === "pending" && !k.blocked_by && k.requested_by !== me.id && k.requested_by !== me.parent_id;
}

// askRow is a friend request sent to the child: "Yes" (their parent still
// says OK: only parents approve), "Not now", which declines it, or Block
// for a request they never want again.
function askRow(k, other, reload) {
  const note = h("p", { class: "small", "aria-live": "polite" });
  const name = other.display_name;
  const yes = h("button", { class: "btn small good", type: "button", "aria-label": t("ask.yes_label", { name }) }, t("ask.yes"));
  const buttons = h("span", { class: "row" }, yes,
    action(t("ask.not_now"), async () => { await api("POST", `/contacts/${k.id}/decline`); reload(); },
      { cls: "ghost", label: t("ask.not_now_label", { name }) }),
    blockButton(k, other, reload));
  yes.addEventListener("click", () => { buttons.hidden = true; note.textContent = t("ask.great"); });
  return h("li", { class: "ask" },
    h("div", { class: "who" }, avatar(other.child_id), h("p", {}, h("strong", {}, name), " " + t("ask.wants"))),
    buttons, note);
}

export function childLogins(ctx) {
  ctx.title = t("nav.game_logins");
  const logins = section({
    title: t("child.your_logins"),
    level: "h1",
    load: () => api("GET", "/me/game-credentials"),
    render: (page) => page.items.length === 0 ? empty(t("child.no_logins"))
      : h("ul", { class: "list" }, page.items.map(g => h("li", {},
        h("p", {}, icon("game"), h("strong", {}, g.game_name), " — " + t("child.username") + " ", h("code", {}, g.username)), revealer(g)))),
  });
  return h("div", {}, logins, h("p", { class: "muted" }, t("child.keep_secret")));
}

function revealer(g) {
  const out = h("span", { "aria-live": "polite" });
  const btn = action(t("child.show_password"), async () => {
    const r = await api("POST", `/game-credentials/${g.id}/reveal`);
    const hide = h("button", { class: "btn small ghost", type: "button" }, t("child.hide"));
    hide.addEventListener("click", () => { replace(out); btn.hidden = false; btn.querySelector("button").focus(); });
    replace(out, t("child.password") + " ", h("span", { class: "secret" }, r.password), " ", hide);
    btn.hidden = true;
  }, { label: t("child.show_password_for", { game: g.game_name }) });
  return h("div", { class: "row" }, btn, out);
}

export function childMe(ctx) {
  ctx.title = t("nav.me");
  const me = ctx.me;
  const card = h("section", { class: "card narrow", "aria-labelledby": "me-h" },
    h("h1", { id: "me-h", class: "who" }, avatar(me.user.id, true), " ", me.profile.display_name),
    h("p", {}, t("child.you_log_in_as"), " ", h("code", {}, me.user.email), "."),
    watch());
  card.append(avatarPicker(me.user.id, card));
  return h("div", {}, card, languageCard(ctx));
}

// avatarPicker uploads a picture and makes it the profile's avatar.
export function avatarPicker(userID, card) {
  const f = form({
    label: t("child.change_picture"),
    fields: [field({ name: "file", label: t("child.new_picture"), type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" })],
    submit: t("child.use_picture"),
    busy: t("child.uploading"),
    onsubmit: async (_v, f) => {
      const input = f.fields[0].input;
      if (!input.files[0]) { const e = new Error(t("child.choose_first")); e.field = "file"; throw e; }
      const fd = new FormData();
      fd.append("file", input.files[0], input.files[0].name);
      const media = await api("POST", "/media", fd);
      await api("PATCH", "/me/profile", { avatar_media_id: media.id });
      input.value = "";
      for (const img of card.querySelectorAll("img.avatar")) img.src = `/api/v1/profiles/${userID}/avatar?v=${media.id}&size=thumb`;
      f.ok.textContent = t("child.picture_changed");
    },
  });
  return h("div", {}, h("h2", {}, t("child.change_picture")), f);
}
