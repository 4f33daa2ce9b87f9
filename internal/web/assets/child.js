// A child's pages: chats, friends, game logins, and their own profile.
import { h, replace } from "./dom.js";
import { api } from "./api.js";
import { field, form, action } from "./forms.js";
import { section, empty, avatar, otherChild, convoName, icon, upperFirst, aloneAfterDeletion, deletedName } from "./ui.js";
import { blockButton, blockState } from "./block.js";
import { EventType, isContactEvent, isConversationEvent } from "./events.js";
import { newGroupCard } from "./group.js";
import { unreadBadge } from "./unread.js";

const watch = () => h("p", { class: "banner watch" }, icon("eye"), "Your parent can read all your chats.");

export function childChats(ctx) {
  ctx.title = "Chats";
  const me = ctx.me.user;
  const chats = section({
    title: "Your chats",
    level: "h1",
    load: () => api("GET", "/conversations"),
    render: (page) => page.items.length === 0
      ? empty("No chats yet. Pick a friend below to start one, or add a friend on the Friends page.")
      : h("ul", { class: "list" }, page.items.map(c => h("li", { class: "row spread" },
        h("span", {}, h("a", { href: `#/chat/${c.id}` }, icon("chat"), upperFirst(convoName(c, me.id)),
          c.is_group ? h("span", { class: "muted small" }, ` · group of ${c.members.length}`) : null), " ", unreadBadge(c)),
        h("span", {}, c.frozen ? h("span", { class: "badge bad" }, "paused") : null, " ", h("span", { class: "badge" }, icon("eye"), "parent can read"),
          // A chat left alone by a deleted account can go from the list.
          aloneAfterDeletion(c, me.id) ? [" ", action("Hide", async () => { await api("POST", `/conversations/${c.id}/hide`); chats.reload(); },
            { cls: "ghost", label: `Hide the chat with ${deletedName}` })] : null)))),
  });
  const start = section({
    title: "Start a chat with a friend",
    load: () => api("GET", "/contacts"),
    render: (page) => {
      const ok = page.items.filter(k => k.status === "approved" && !k.blocked_by);
      if (!ok.length) return empty("When both parents have approved a friend, they show up here.");
      return h("ul", { class: "list" }, ok.map(k => {
        const other = otherChild(k, me.id);
        return h("li", { class: "row spread" },
          h("span", { class: "who" }, avatar(other.child_id), other.display_name),
          action("Chat", async () => {
            const c = await api("POST", "/conversations", { member_ids: [other.child_id], is_group: false });
            ctx.go(`#/chat/${c.id}`);
          }, { label: `Chat with ${other.display_name}` }));
      }));
    },
  });
  const group = newGroupCard(ctx);
  ctx.onevent = (ev) => {
    if (isConversationEvent(ev) || ev.type === EventType.messageCreated) chats.reload();
    if (isContactEvent(ev)) { start.reload(); group.reload(); }
  };
  ctx.poll = () => { chats.reload(); start.reload(); };
  ctx.refresh = () => { chats.force(); start.force(); group.force(); };
  return h("div", {}, watch(), chats, parentCard(ctx), h("div", { class: "grid" }, start, group));
}

// parentCard starts (or opens) the child's direct chat with their parent,
// which is allowed at any time (SPEC §4).
function parentCard(ctx) {
  const parentID = ctx.me.user.parent_id;
  return section({
    title: "Chat with your parent",
    load: () => api("GET", `/profiles/${parentID}`),
    render: (p) => h("div", { class: "row spread" },
      h("span", { class: "who" }, avatar(parentID), h("strong", {}, p.display_name)),
      action(`Chat with ${p.display_name}`, async () => {
        const c = await api("POST", "/conversations", { member_ids: [parentID], is_group: false });
        ctx.go(`#/chat/${c.id}`);
      })),
  });
}

export function childFriends(ctx) {
  ctx.title = "Friends";
  const me = ctx.me.user;
  const code = section({
    title: "Your friend code",
    load: () => api("GET", "/me/friend-code"),
    render: (d) => h("div", {},
      h("p", { class: "code", "aria-label": "Your friend code" }, d.friend_code),
      h("p", {}, "Give this code only to friends you know in real life. Your parent has to say OK before you can chat.")),
  });
  const list = section({
    title: "Friends",
    load: () => api("GET", "/contacts"),
    render: (page) => page.items.length === 0 ? empty("No friends yet. Ask a friend for their code and type it below.")
      : h("ul", { class: "list" }, page.items.map(k => {
        const other = otherChild(k, me.id);
        const waiting = k.children.filter(c => !c.parent_approved).length;
        const who = h("span", { class: "who" }, avatar(other.child_id), h("strong", {}, other.display_name));
        if (askedMe(k, me)) return askRow(k, other, () => list.reload());
        if (k.blocked_by) {
          return h("li", { class: "row spread blocked" }, who,
            h("span", { class: "row" }, h("span", { class: "badge bad" }, icon("block"), "blocked"),
              h("span", { class: "small" }, blockState(k, me.id, false))));
        }
        return h("li", { class: "row spread" }, who,
          h("span", { class: "row" },
            k.status === "approved" ? [h("span", { class: "badge" }, "friends ✔"),
              action("Chat", async () => {
                const c = await api("POST", "/conversations", { member_ids: [other.child_id], is_group: false });
                ctx.go(`#/chat/${c.id}`);
              }, { label: `Chat with ${other.display_name}` })]
              : h("span", { class: "badge wait" }, waiting === 2 ? "waiting for both parents" : "waiting for a parent"),
            blockButton(k, other, () => list.reload())));
      })),
    footer: h("div", {}, h("h3", {}, "Add a friend"), form({
      label: "Add a friend",
      fields: [field({ name: "friend_code", label: "Friend's code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false" })],
      submit: "Add friend",
      busy: "Sending…",
      onsubmit: async (v, f) => {
        await api("POST", "/contacts", { friend_code: v.friend_code.trim() });
        f.fields[0].input.value = "";
        f.ok.textContent = "Sent! Now both parents need to say OK.";
        list.reload();
      },
    })),
  });
  ctx.onevent = (ev) => { if (isContactEvent(ev)) list.reload(); };
  ctx.poll = () => list.reload();
  ctx.refresh = () => list.force();
  return h("div", {}, h("h1", {}, "Friends"), h("div", { class: "grid" }, code, list));
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
  const yes = h("button", { class: "btn small good", type: "button", "aria-label": `Yes, be friends with ${other.display_name}` }, "Yes");
  const buttons = h("span", { class: "row" }, yes,
    action("Not now", async () => { await api("POST", `/contacts/${k.id}/decline`); reload(); },
      { cls: "ghost", label: `Not now: say no to ${other.display_name}` }),
    blockButton(k, other, reload));
  yes.addEventListener("click", () => { buttons.hidden = true; note.textContent = "Great! Now your parent says OK too."; });
  return h("li", { class: "ask" },
    h("div", { class: "who" }, avatar(other.child_id), h("p", {}, h("strong", {}, other.display_name), " wants to be friends with you!")),
    buttons, note);
}

export function childLogins(ctx) {
  ctx.title = "Game logins";
  const logins = section({
    title: "Your game logins",
    level: "h1",
    load: () => api("GET", "/me/game-credentials"),
    render: (page) => page.items.length === 0 ? empty("No game logins yet. Your parent can add them for you.")
      : h("ul", { class: "list" }, page.items.map(g => h("li", {},
        h("p", {}, icon("game"), h("strong", {}, g.game_name), " — username ", h("code", {}, g.username)), revealer(g)))),
  });
  return h("div", {}, logins, h("p", { class: "muted" }, "Keep your passwords secret: only tell them to your parent."));
}

function revealer(g) {
  const out = h("span", { "aria-live": "polite" });
  const btn = action("Show password", async () => {
    const r = await api("POST", `/game-credentials/${g.id}/reveal`);
    const hide = h("button", { class: "btn small ghost", type: "button" }, "Hide");
    hide.addEventListener("click", () => { replace(out); btn.hidden = false; btn.querySelector("button").focus(); });
    replace(out, "Password: ", h("span", { class: "secret" }, r.password), " ", hide);
    btn.hidden = true;
  }, { label: `Show password for ${g.game_name}` });
  return h("div", { class: "row" }, btn, out);
}

export function childMe(ctx) {
  ctx.title = "Me";
  const me = ctx.me;
  const card = h("section", { class: "card narrow", "aria-labelledby": "me-h" },
    h("h1", { id: "me-h", class: "who" }, avatar(me.user.id, true), " ", me.profile.display_name),
    h("p", {}, "You log in as ", h("code", {}, me.user.email), "."),
    watch());
  card.append(avatarPicker(me.user.id, card));
  return card;
}

// avatarPicker uploads a picture and makes it the profile's avatar.
export function avatarPicker(userID, card) {
  const f = form({
    label: "Change your picture",
    fields: [field({ name: "file", label: "New picture", type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" })],
    submit: "Use this picture",
    busy: "Uploading…",
    onsubmit: async (_v, f) => {
      const input = f.fields[0].input;
      if (!input.files[0]) { const e = new Error("Choose a picture first."); e.field = "file"; throw e; }
      const fd = new FormData();
      fd.append("file", input.files[0], input.files[0].name);
      const media = await api("POST", "/media", fd);
      await api("PATCH", "/me/profile", { avatar_media_id: media.id });
      input.value = "";
      for (const img of card.querySelectorAll("img.avatar")) img.src = `/api/v1/profiles/${userID}/avatar?v=${media.id}&size=thumb`;
      f.ok.textContent = "Picture changed!";
    },
  });
  return h("div", {}, h("h2", {}, "Change your picture"), f);
}
