// A parent's pages: their children, and one child's friends, chats, game
// logins and account.
import { h, replace, when } from "./dom.js";
import { api, q, feature } from "./api.js";
import { field, form, action } from "./forms.js";
import { section, empty, avatar, otherChild, convoName, icon, upperFirst } from "./ui.js";
import { sleepSettings, blockState } from "./controls.js";
import { reportList, isReportEvent } from "./reports.js";

export function parentHome(ctx) {
  ctx.title = "My children";
  const kids = section({
    title: "Your children",
    load: () => api("GET", "/children"),
    render: (page) => page.items.length === 0
      ? empty("No children yet. Create an account for your child below — then they can log in.")
      : h("ul", { class: "list" }, page.items.map(c => h("li", { class: "row spread" },
        h("div", { class: "who" }, avatar(c.user.id),
          h("div", {}, h("strong", {}, c.profile.display_name), h("br"), h("span", { class: "muted small" }, "Logs in as ", h("code", {}, c.user.email)))),
        h("a", { class: "btn small", href: `#/child/${c.user.id}`, "aria-label": `Open ${c.profile.display_name}` }, "Open")))),
  });
  const requests = section({
    title: "Friend requests to approve",
    load: async () => {
      const page = await api("GET", "/children");
      const out = [];
      for (const c of page.items) {
        const contacts = await api("GET", "/contacts" + q({ child_id: c.user.id }));
        for (const k of contacts.items) {
          const mine = k.children.find(x => x.child_id === c.user.id);
          if (k.status === "pending" && mine && !mine.parent_approved) out.push({ child: c, contact: k });
        }
      }
      return out;
    },
    render: (items, reload) => items.length === 0 ? empty("No friend requests waiting for you.")
      : h("ul", { class: "list" }, items.map(({ child, contact }) => requestRow(child.user.id, child.profile.display_name, contact, reload))),
  });
  const add = h("section", { class: "card", "aria-labelledby": "add-child-h" },
    h("h2", { id: "add-child-h" }, "Add a child"),
    form({
      label: "Add a child",
      fields: [
        field({ name: "display_name", label: "Child's name", hint: "Shown to their friends.", required: true, maxlength: 100 }),
        field({ name: "login", label: "Login name", hint: "Your child types this to log in. It need not be an email.", autocomplete: "off", autocapitalize: "none", spellcheck: "false", required: true }),
        field({ name: "password", label: "Password for your child", type: "password", autocomplete: "new-password", hint: "At least 6 characters.", required: true, minlength: 6 }),
      ],
      submit: "Create account",
      busy: "Creating…",
      onsubmit: async (v, f) => {
        const c = await api("POST", "/children", { login: v.login.trim(), password: v.password, display_name: v.display_name.trim() });
        for (const fl of f.fields) fl.input.value = "";
        f.ok.textContent = `${c.profile.display_name}'s account is ready: they log in as “${c.user.email}”.`;
        kids.reload();
      },
    }));
  ctx.onevent = (ev) => { if (ev.type.startsWith("contact.")) requests.reload(); };
  ctx.poll = () => { requests.reload(); };
  ctx.refresh = () => { kids.force(); requests.force(); };
  return h("div", {},
    h("h1", {}, `Hello, ${ctx.me.profile.display_name}!`),
    h("p", {}, "Here you make accounts for your children, approve their friends, and read their chats."),
    h("div", { class: "grid" }, kids, add), requests);
}

// requestRow is one contact link from the side of childID, with the
// actions its parent may take.
function requestRow(childID, childName, k, reload) {
  const other = otherChild(k, childID);
  const mine = k.children.find(x => x.child_id === childID) || {};
  let state, acts = [];
  if (k.blocked_by) {
    state = h("span", { class: "badge bad" }, icon("block"), k.blocked_by === childID ? `blocked by ${childName}` : `blocked by ${other.display_name}`);
    if (k.blocked_by === childID) {
      acts.push(action("Unblock", async () => { await api("POST", `/contacts/${k.id}/unblock`); reload(); },
        { cls: "good", label: `Unblock ${other.display_name}`, confirm: `Unblock ${other.display_name}? ${childName} blocked them; after this they can chat again (shared groups too).`, yes: "Yes, unblock" }));
    }
    acts.push(action("Remove friend", async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
      { cls: "ghost", confirm: `Remove ${other.display_name} as ${childName}'s friend?`, yes: "Yes, remove" }));
    return h("li", {},
      h("p", {}, h("strong", {}, other.display_name), ` and ${childName} `, state),
      h("p", { class: "small" }, blockState(k, childID, true)),
      h("div", { class: "row" }, acts));
  }
  if (k.status === "approved") {
    state = h("span", { class: "badge" }, "friends");
    acts.push(action("Remove friend", async () => { await api("DELETE", `/contacts/${k.id}`); reload(); },
      { cls: "ghost", confirm: `Remove ${other.display_name} as ${childName}'s friend? Their chats will pause.`, yes: "Yes, remove" }));
  } else if (!mine.parent_approved) {
    state = h("span", { class: "badge wait" }, "needs your OK");
    acts.push(action("Approve", async () => { await api("POST", `/contacts/${k.id}/approve`); reload(); }, { cls: "good", label: `Approve ${other.display_name} as ${childName}'s friend` }));
    acts.push(action("Reject", async () => { await api("POST", `/contacts/${k.id}/reject`); reload(); }, { cls: "ghost", label: `Reject ${other.display_name}` }));
  } else {
    state = h("span", { class: "badge wait" }, "waiting for the other parent");
  }
  return h("li", {},
    h("p", {}, h("strong", {}, other.display_name), ` and ${childName} `, state),
    h("div", { class: "row" }, acts));
}

export function childPage(ctx, id) {
  ctx.title = "Child";
  const root = h("div", {}, h("p", {}, h("a", { href: "#/" }, "← All children")));
  const heading = h("h1", {}, "…");
  const headErr = h("p", { class: "error box", role: "alert" });
  root.append(heading, headErr);
  api("GET", "/children").then(page => {
    const c = page.items.find(x => x.user.id === id);
    if (!c) { headErr.textContent = "This child is not in your family (any more)."; return; }
    if (!ctx.alive) return;
    build(c);
  }).catch(e => { headErr.textContent = e.message; });

  function build(c) {
    const name = c.profile.display_name;
    heading.replaceChildren(avatar(id), " ", name);
    heading.className = "who";
    ctx.title = name;
    document.title = name + " · Pixel Pals";

    const code = section({
      title: "Friend code",
      load: () => api("GET", `/children/${id}/friend-code`),
      render: (d, reload) => h("div", {},
        h("p", {}, `Share this code with a friend's parent, offline. There is no way to search for children.`),
        h("p", {}, h("span", { class: "code", "aria-label": "Friend code" }, d.friend_code)),
        action("Make a new code", async () => { await api("POST", `/children/${id}/friend-code`); reload(); },
          { cls: "ghost", confirm: "The old code will stop working. Make a new one?", yes: "Yes, new code" })),
    });

    const friends = section({
      title: "Friends",
      load: () => api("GET", "/contacts" + q({ child_id: id })),
      render: (page, reload) => page.items.length === 0 ? empty(`${name} has no friends here yet. Add one with their friend code below.`)
        : h("ul", { class: "list" }, page.items.map(k => requestRow(id, name, k, reload))),
      footer: titled("Add a friend by code", {
        label: "Add a friend by code",
        fields: [field({ name: "friend_code", label: "Friend's code", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", hint: "Asking for it approves it on your side." })],
        submit: "Send friend request",
        busy: "Sending…",
        onsubmit: async (v, f) => {
          await api("POST", "/contacts", { friend_code: v.friend_code.trim(), child_id: id });
          f.fields[0].input.value = "";
          f.ok.textContent = "Request sent. The other parent must approve it too.";
          friends.reload();
        },
      }),
    });

    const chats = section({
      title: "Chats (read-only)",
      load: () => api("GET", "/conversations" + q({ child_id: id })),
      render: (page) => page.items.length === 0 ? empty(`${name} has no chats yet.`)
        : h("ul", { class: "list" }, page.items.map(cv => h("li", { class: "row spread" },
          h("span", {}, h("strong", {}, upperFirst(convoName(cv, id))), cv.frozen ? [" ", h("span", { class: "badge bad" }, "paused")] : null),
          h("a", { class: "btn small ghost", href: `#/child/${id}/chat/${cv.id}`, "aria-label": `Read chat with ${convoName(cv, id)}` }, "Read")))),
    });

    const logins = section({
      title: "Game logins",
      load: () => api("GET", `/children/${id}/game-credentials`),
      render: (page, reload) => page.items.length === 0 ? empty("No game logins saved yet.")
        : h("ul", { class: "list" }, page.items.map(g => h("li", {},
          h("p", {}, h("strong", {}, g.game_name), " — ", g.username, h("span", { class: "muted small" }, ` (changed ${when(g.updated_at)})`)),
          h("div", { class: "row" },
            passwordChanger(g),
            action("Delete", async () => { await api("DELETE", `/game-credentials/${g.id}`); reload(); },
              { cls: "ghost", confirm: `Delete the ${g.game_name} login?`, yes: "Yes, delete", label: `Delete ${g.game_name} login` }))))),
      footer: titled("Add a game login", {
        label: "Add a game login",
        fields: [
          field({ name: "game_name", label: "Game", required: true, maxlength: 100 }),
          field({ name: "username", label: "Username in the game", autocomplete: "off", required: true }),
          field({ name: "password", label: "Password in the game", type: "password", autocomplete: "new-password", required: true, hint: "Stored encrypted. Only your child can reveal it." }),
        ],
        submit: "Save game login",
        busy: "Saving…",
        onsubmit: async (v, f) => {
          await api("POST", `/children/${id}/game-credentials`, { game_name: v.game_name.trim(), username: v.username.trim(), password: v.password });
          for (const fl of f.fields) fl.input.value = "";
          f.ok.textContent = "Saved.";
          logins.reload();
        },
      }),
    });

    const reports = section({
      title: "Reports",
      load: () => api("GET", "/reports" + q({ child_id: id })),
      render: (page) => reportList(page.items, id, name, `No reports by or about ${name}.`),
    });

    // The gallery (SPEC §6): every photo and voice clip the child sent or
    // received, deleted ones marked, each with report and (for what the
    // child sent: only a sender's parent may delete) delete controls.
    const gallery = h("div");
    const galleryReport = h("div");
    let photos;
    const galleryItem = (m) => {
      const what = m.type === "audio" ? "Voice message" : "Photo";
      const label = `${m.deleted ? "Deleted " : ""}${what.toLowerCase()} ${m.sent ? "sent" : "received"} ${when(m.created_at)}`;
      const src = m.media_url || `/api/v1/media/${m.media_id}`;
      const media = m.type === "audio"
        ? h("audio", { controls: true, preload: "metadata", src, "aria-label": label[0].toUpperCase() + label.slice(1) })
        : h("img", { class: "media" + (m.deleted ? " deleted" : ""), src, alt: label[0].toUpperCase() + label.slice(1), width: 120 });
      const acts = h("div", { class: "row" },
        h("button", { class: "btn small ghost", type: "button", "aria-label": `Report ${label}`, onclick: () => openGalleryReport(m, label) }, "Report"));
      if (m.sent && !m.deleted) {
        acts.append(action("Delete", async () => { await api("DELETE", `/messages/${m.message_id}`); photos.reload(); },
          { cls: "ghost", confirm: `Delete this ${what.toLowerCase()}? Its chat will show it as deleted.`, yes: "Yes, delete", label: `Delete ${label}` }));
      }
      return h("li", { class: "gallery-item" }, media,
        h("p", { class: "small" }, m.deleted ? h("span", { class: "badge bad" }, "deleted") : null, " ", m.sent ? "Sent" : "Received", " · ", when(m.created_at)),
        m.caption ? h("p", { class: "small" }, m.caption) : null, acts);
    };
    function openGalleryReport(m, label) {
      const f = form({
        label: "Report",
        fields: [field({ name: "reason", label: "What is wrong with it?", multiline: true, maxlength: 500, hint: "A moderator will read this." })],
        submit: "Send report",
        busy: "Sending…",
        onsubmit: async (v) => {
          await api("POST", `/messages/${m.message_id}/report`, { reason: v.reason.trim() });
          replace(galleryReport, h("p", { class: "ok-msg", role: "status" }, "Reported. A moderator will look at it."));
          reports.reload();
        },
      });
      const cancel = h("button", { class: "btn small ghost", type: "button", onclick: () => replace(galleryReport) }, "Cancel");
      replace(galleryReport, h("div", { class: "card" }, h("h3", {}, `Report the ${label}`), f, cancel));
      f.querySelector("textarea").focus();
    }
    feature("media").then(ok => {
      if (!ok || !ctx.alive) return;
      photos = section({
        title: "Photos and voice messages",
        load: () => api("GET", `/children/${id}/media`),
        render: (page) => page.items.length === 0 ? empty("No photos or voice messages yet.")
          : h("ul", { class: "list row gallery" }, page.items.map(galleryItem)),
      });
      gallery.append(photos, galleryReport);
    });

    const account = h("section", { class: "card", "aria-labelledby": "acct-h" },
      h("h2", { id: "acct-h" }, "Account"),
      form({
        label: "Rename",
        fields: [field({ name: "display_name", label: "Name", value: name, required: true, maxlength: 100 })],
        submit: "Rename",
        onsubmit: async (v, f) => {
          const r = await api("PATCH", `/children/${id}`, { display_name: v.display_name.trim() });
          const n = (r && r.profile && r.profile.display_name) || v.display_name.trim();
          heading.replaceChildren(avatar(id), " ", n);
          f.ok.textContent = "Renamed.";
        },
      }),
      form({
        label: "New password",
        fields: [field({ name: "password", label: "New password", type: "password", autocomplete: "new-password", hint: "At least 6 characters. Logs them out everywhere.", minlength: 6 })],
        submit: "Set password",
        onsubmit: async (v, f) => {
          await api("POST", `/children/${id}/password`, { password: v.password });
          f.fields[0].input.value = "";
          f.ok.textContent = "Password changed.";
        },
      }),
      h("div", { class: "row" },
        action("Log out everywhere", async () => { await api("POST", `/children/${id}/logout-everywhere`); }, { cls: "ghost" }),
        h("a", { class: "btn small ghost", href: `/api/v1/children/${id}/export`, download: `pixelpals-${c.user.email}.json` }, "Download their data")),
      h("h3", {}, "Delete account"),
      h("p", { class: "small" }, `Deletes ${name}'s profile, game logins, chats memberships and the words of every message they sent. It cannot be undone.`),
      action(`Delete ${name}'s account`, async () => { await api("DELETE", `/children/${id}`); ctx.go("#/"); },
        { cls: "bad", confirm: `Really delete ${name}'s account for good?`, yes: "Yes, delete for good" }));

    const sleep = sleepSettings(ctx, id, name);
    const activity = h("section", { class: "card", "aria-labelledby": "act-link-h" },
      h("h2", { id: "act-link-h" }, "Activity"),
      h("p", {}, `Who ${name} chatted with in the last 30 days, new friends, reports, photos, sleep-mode changes and what the password guard stopped.`),
      h("a", { class: "btn", href: `#/child/${id}/activity` }, `See ${name}'s activity`));
    root.append(h("div", { class: "grid" }, code, friends), h("div", { class: "grid" }, chats, logins),
      h("div", { class: "grid" }, sleep, activity), gallery, h("div", { class: "grid" }, account, reports));
    ctx.onevent = (ev) => {
      if (ev.type.startsWith("contact.")) friends.reload();
      if (ev.type.startsWith("conversation.") || ev.type === "message.created") chats.reload();
      if (isReportEvent(ev)) reports.reload();
      if (ev.type === "sleep_mode.changed") sleep.reload();
    };
    ctx.poll = () => { friends.reload(); chats.reload(); reports.reload(); sleep.reload(); };
    ctx.refresh = () => { friends.force(); chats.force(); reports.force(); logins.force(); if (photos) photos.force(); };
  }
  return root;
}

// passwordChanger edits a game login's password in place.
function passwordChanger(g) {
  const wrap = h("span");
  const open = h("button", { class: "btn small ghost", type: "button", "aria-label": `Change password for ${g.game_name}` }, "Change password");
  open.addEventListener("click", () => {
    const f = form({
      label: `New ${g.game_name} password`,
      fields: [field({ name: "password", label: `New ${g.game_name} password`, type: "password", autocomplete: "new-password" })],
      submit: "Save",
      onsubmit: async (v) => {
        await api("PATCH", `/game-credentials/${g.id}`, { password: v.password });
        replace(wrap, h("span", { class: "ok-msg", role: "status" }, "Password changed."), open);
      },
    });
    replace(wrap, f);
    f.querySelector("input").focus();
  });
  wrap.append(open);
  return wrap;
}

// titled is a form under its own small heading.
function titled(heading, opts) {
  return h("div", {}, h("h3", {}, heading), form(opts));
}
