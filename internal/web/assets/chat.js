// One conversation: history (oldest at the top), live updates, sending
// text (and images and voice clips when the server has media), reporting.
// A parent reads their child's conversation here read-only; a child always
// sees that their parent can read it.
import { h, replace, when, uid } from "./dom.js";
import { api, feature } from "./api.js";
import { field, form, action, clearErrors } from "./forms.js";
import { avatar, convoName, icon, deletedName, aloneAfterDeletion, upperFirst } from "./ui.js";
import { sleepWatch, sleepScreen } from "./sleep.js";

export function chatView(ctx, cid, back, childID) {
  const me = ctx.me.user;
  const isChild = me.role === "CHILD";
  const msgs = new Map();
  let convo = null;
  let older = null; // cursor of the next older page
  let drawn = "";

  const title = h("h1", { id: uid("chat") }, "Chat");
  const banners = h("div");
  const loadErr = h("p", { class: "error box", role: "alert" });
  const list = h("ol", { class: "messages", "aria-label": "Messages", tabindex: "0" }, h("li", { class: "loading" }, "Loading messages…"));
  const olderBtn = h("button", { class: "btn small ghost", type: "button", hidden: true }, "Show older messages");
  const reportSlot = h("div");
  const composerSlot = h("div");
  const root = h("section", { class: "card chat", "aria-labelledby": title.id },
    h("p", {}, h("a", { href: back }, "← Back")), title, banners, loadErr, h("div", { class: "row" }, olderBtn), list, reportSlot, composerSlot);

  // names maps the people of the chat to their names, former members whose
  // account was deleted included ("A deleted account", never "Someone").
  const gone = () => new Set(convo ? convo.deleted_member_ids || [] : []);
  const names = () => new Map([
    ...[...gone()].map(id => [id, upperFirst(deletedName)]),
    ...(convo ? convo.members : []).map(m => [m.user_id, m.display_name])]);

  // systemText says in words what a server-written message records (its
  // content is {"event": ..., "user_id"?: ...}, naming people by id only).
  function systemText(m, who) {
    let e = {};
    try { e = JSON.parse(m.content || "{}"); } catch { return m.content || ""; }
    const name = e.user_id === me.id ? "You" : who.get(e.user_id) || "Someone";
    switch (e.event) {
      case "conversation_frozen": return "The chat was paused.";
      case "conversation_unfrozen": return "The chat is back on: both parents approve again.";
      case "member_added": return `${name} joined the chat.`;
      case "member_removed": return `${name} was removed from the chat.`;
      case "member_left": return `${name} left the chat.`;
      default: return "Something changed in this chat.";
    }
  }

  function draw() {
    const items = [...msgs.values()].sort((a, b) => a.id - b.id);
    const sig = JSON.stringify(items.map(m => [m.id, m.deleted, m.content, m.media_url])) + (convo ? convo.frozen : "") + [...gone()];
    if (sig === drawn) return;
    drawn = sig;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const who = names();
    if (!items.length) {
      replace(list, h("li", { class: "empty" }, isChild ? "No messages yet. Say hello!" : "No messages in this chat yet."));
    } else {
      replace(list, items.map(m => bubble(m, who)));
    }
    if (atBottom || items.length <= 50) list.scrollTop = list.scrollHeight;
  }

  function bubble(m, who) {
    const mine = m.sender_id === me.id;
    const sender = mine ? "You" : who.get(m.sender_id) || "Someone";
    if (m.type === "system") return h("li", { class: "msg system" }, h("p", { class: "body" }, systemText(m, who)));
    // Members get neither the media nor the words of a deleted message;
    // a parent reading their child's chat still gets both (media_url
    // included) and sees them marked deleted.
    let body;
    const hasMedia = (m.type === "image" || m.type === "audio") && m.media_url;
    const was = m.deleted ? "Deleted " : "";
    if (hasMedia && m.type === "image") body = h("img", { class: "media" + (m.deleted ? " deleted" : ""), src: m.media_url, alt: `${was}Photo from ${sender}` });
    else if (hasMedia) body = h("audio", { controls: true, src: m.media_url, "aria-label": `${was}Voice message from ${sender}` });
    else if (m.deleted && !m.content) body = h("p", { class: "body tomb" }, "This message was deleted.");
    else body = h("p", { class: "body" }, m.content || "");
    const caption = hasMedia && m.content ? h("p", { class: "body" }, m.content) : null;
    const acts = h("div", { class: "actions" });
    if (!m.deleted) {
      if (!mine) acts.append(h("button", { class: "linkish", type: "button", onclick: () => openReport(m, sender) }, "Report"));
      // The sender, or (reading read-only) the sender's parent, may delete.
      if ((mine && !convo.read_only) || (childID && m.sender_id === childID)) {
        acts.append(h("button", { class: "linkish", type: "button", onclick: () => del(m), "aria-label": mine ? null : `Delete ${sender}'s message` }, "Delete"));
      }
    }
    return h("li", { class: "msg" + (mine ? " mine" : "") },
      h("div", { class: "meta" }, m.sender_id ? avatar(gone().has(m.sender_id) ? 0 : m.sender_id) : null, h("strong", {}, sender),
        h("time", { datetime: m.created_at }, when(m.created_at)), m.deleted ? h("span", { class: "badge bad" }, "deleted") : null),
      body, caption, acts);
  }

  async function del(m) {
    try {
      await api("DELETE", `/messages/${m.id}`);
      await loadLatest();
    } catch (e) { loadErr.textContent = e.message; }
  }

  function openReport(m, sender) {
    const quote = m.content ? `“${m.content.slice(0, 80)}”` : "this message";
    const f = form({
      label: "Report a message",
      fields: [field({ name: "reason", label: "What is wrong with it?", multiline: true, maxlength: 500, hint: "A moderator will read this. Your parent is told too." })],
      submit: "Send report",
      busy: "Sending…",
      onsubmit: async (v) => {
        await api("POST", `/messages/${m.id}/report`, { reason: v.reason.trim() });
        replace(reportSlot, h("p", { class: "ok-msg", role: "status" }, "Thanks for telling us. A moderator will look at it."));
      },
    });
    const cancel = h("button", { class: "btn small ghost", type: "button", onclick: () => replace(reportSlot) }, "Cancel");
    replace(reportSlot, h("div", { class: "card" }, h("h2", {}, `Report ${sender}'s message`), h("p", {}, quote), f, cancel));
    f.querySelector("textarea").focus();
  }

  function drawHeader() {
    if (childID) {
      const child = convo.members.find(m => m.user_id === childID);
      title.textContent = `${child ? child.display_name : "Your child"}'s chat with ${convoName(convo, childID)}`;
    } else {
      title.textContent = convo.is_group ? convoName(convo, me.id) : `Chat with ${convoName(convo, me.id)}`;
    }
    const b = [];
    if (isChild) b.push(h("p", { class: "banner watch" }, icon("eye"), "Your parent can read this chat."));
    if (convo.read_only) b.push(h("p", { class: "banner readonly" }, "Read-only: you can read this chat of your child, but not write in it."));
    if (convo.frozen) b.push(h("p", { class: "banner frozen", role: "status", id: uid("frozen") },
      icon("pause"), frozenWhy || "This chat is paused. Both parents need to approve this friendship before anyone can send messages here again."));
    if (canHide()) b.push(h("div", { class: "row" }, action("Hide this chat", async () => {
      await api("POST", `/conversations/${cid}/hide`);
      ctx.go(back);
    }, { cls: "ghost" }),
    h("span", { class: "muted small" }, isChild ? "It goes from your list of chats. Your parent can still read it." : "It goes from your list of chats.")));
    replace(banners, b);
    ctx.title = title.textContent;
    document.title = title.textContent + " · Pixel Pals";
    drawComposer();
  }

  let composer = null;
  function drawComposer() {
    if (convo.read_only || me.role !== "CHILD" && !convo.members.some(m => m.user_id === me.id)) {
      replace(composerSlot);
      composer = null;
      return;
    }
    if (!composer) {
      composer = buildComposer();
      replace(composerSlot, sleepSlot, composer);
    }
    composer.setFrozen(convo.frozen, banners.querySelector(".banner.frozen"));
    drawSleep(sleepWatch.state);
  }

  function buildComposer() {
    // autocomplete off: what a child types (maybe a password the leak
    // guard stops) is never kept by the browser's form memory either.
    const text = field({ name: "content", label: "Your message", multiline: true, maxlength: 2000, autocomplete: "off" });
    const leak = h("div", { class: "leak", role: "alert", id: uid("leak") });
    leak.hidden = true;
    const clearLeak = () => {
      leak.hidden = true;
      leak.replaceChildren();
      text.input.removeAttribute("aria-invalid");
      text.input.setAttribute("aria-describedby", text.err.id);
    };
    const f = form({
      label: "Send a message",
      cls: "composer",
      fields: [text],
      submit: "Send",
      busy: "Sending…",
      onsubmit: async (v) => {
        const content = v.content.trim();
        if (!content) { const e = new Error("Type a message first."); e.field = "content"; throw e; }
        clearLeak();
        try {
          await send({ type: "text", content });
        } catch (e) {
          if (e.status === 423 && e.code === "sleep_mode") { sleepRefused(e); return; }
          if (e.code === "password_in_message") {
            // The words stay only in the box, for the child to take the
            // password out; nothing of them is stored anywhere.
            leak.replaceChildren(icon("shield"), h("strong", {}, "Not sent. "), e.message);
            leak.hidden = false;
            text.input.setAttribute("aria-invalid", "true");
            text.input.setAttribute("aria-describedby", leak.id + " " + text.err.id);
            text.input.focus();
            return;
          }
          throw e;
        }
        text.input.value = "";
        text.input.focus();
      },
    });
    f.prepend(leak);
    text.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); f.requestSubmit(); }
    });
    const tools = h("div", { class: "tools" });
    f.append(tools);
    feature("media").then(ok => { if (ok) mediaTools(tools, f); });
    f.setFrozen = (frozen, banner) => {
      for (const el of f.querySelectorAll("textarea, button, input")) el.disabled = frozen;
      if (frozen && banner) text.input.setAttribute("aria-describedby", banner.id);
    };
    return f;
  }

  // Sleep mode (child only): while asleep the composer gives way to the
  // sleep screen, except in the direct chat with their own parent, which
  // the schedule may allow; a send refused there (423) shows it too.
  const sleepSlot = h("div");
  let refusal = null; // the 423 of this chat while it holds
  const parentChat = () => !!convo && !convo.is_group && convo.members.length === 2 &&
    convo.members.some(m => m.user_id === ctx.me.user.parent_id);
  function sleepRefused(e) {
    refusal = e;
    sleepWatch.refused(e);
    drawSleep(sleepWatch.state);
    sleepSlot.scrollIntoView({ block: "nearest" });
  }
  function drawSleep(st) {
    if (!isChild || !convo) return;
    if (!st.asleep) refusal = null;
    const hold = st.asleep && (!parentChat() || refusal);
    if (composer) composer.hidden = !!hold;
    if (hold) {
      replace(sleepSlot, sleepScreen(st, { compact: true, message: refusal ? refusal.message : "" }));
    } else if (st.asleep) {
      replace(sleepSlot, h("p", { class: "banner night", role: "status" }, icon("moon"),
        "Quiet time is on. If your parent allows it, you can still write to them here."));
    } else {
      replace(sleepSlot);
    }
  }
  if (isChild) {
    const unsub = sleepWatch.subscribe(drawSleep);
    const prev = ctx.cleanup;
    ctx.cleanup = () => { unsub(); if (prev) prev(); };
  }

  async function send(body) {
    const m = await api("POST", `/conversations/${cid}/messages`, { ...body, client_id: crypto.randomUUID() });
    msgs.set(m.id, m);
    draw();
  }

  function mediaTools(tools, f) {
    const fileId = uid("photo");
    const pick = h("input", { id: fileId, type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
    const rec = h("button", { class: "btn small ghost", type: "button" }, icon("mic"), "Record a voice clip");
    const status = h("span", { class: "muted small", role: "status" });
    tools.append(h("span", { class: "filepick" }, h("label", { for: fileId, class: "btn small ghost" }, icon("camera"), "Send a photo"), pick), rec, status);
    const upload = async (blob, name, type) => {
      const fd = new FormData();
      fd.append("file", blob, name);
      status.textContent = "Uploading…";
      try {
        const media = await api("POST", "/media", fd);
        await send({ type, media_id: media.id });
        status.textContent = "";
        clearErrors(f); // an old "Type a message first." no longer holds
      } catch (e) {
        status.textContent = "";
        if (e.status === 423 && e.code === "sleep_mode") sleepRefused(e);
        else f.status.textContent = e.message;
      }
    };
    pick.addEventListener("change", async () => {
      if (pick.files[0]) await upload(pick.files[0], pick.files[0].name, "image");
      pick.value = "";
    });
    let recorder = null;
    rec.addEventListener("click", async () => {
      if (recorder) { recorder.stop(); return; }
      if (!window.MediaRecorder || !navigator.mediaDevices) { f.status.textContent = "This browser cannot record sound."; return; }
      let stream;
      try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); }
      catch { f.status.textContent = "Pixel Pals may not use the microphone. Allow it in the browser to record."; return; }
      const chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = (e) => chunks.push(e.data);
      recorder.onstop = async () => {
        stream.getTracks().forEach(t => t.stop());
        recorder = null;
        replace(rec, icon("mic"), "Record a voice clip");
        const blob = new Blob(chunks, { type: chunks[0] ? chunks[0].type : "audio/webm" });
        await upload(blob, "voice.webm", "audio");
      };
      recorder.start();
      replace(rec, icon("mic"), "Stop and send");
      status.textContent = "Recording…";
    });
  }

  // canHide: a member left alone after the others' accounts were deleted
  // may hide the chat (POST /conversations/{id}/hide).
  const canHide = () => !convo.read_only && aloneAfterDeletion(convo, me.id);

  // frozenWhy says why a frozen chat is paused: the other's deleted
  // account, or a block between the viewer's child (or the viewer) and a
  // member.
  let frozenWhy = "";
  function deletedReason() {
    if (!aloneAfterDeletion(convo, childID || me.id)) return "";
    return childID
      ? "This chat is paused because the friend's account was deleted. Nobody can write in it any more."
      : "This chat is paused because the other account was deleted. Nobody can write here any more, but you can still read it.";
  }
  async function blockReason() {
    const kid = childID || me.id;
    let page;
    try { page = await api("GET", "/contacts" + (childID ? `?child_id=${childID}` : "")); } catch { return ""; }
    const members = new Set(convo.members.map(m => m.user_id));
    for (const k of page.items) {
      if (!k.blocked_by) continue;
      const other = k.children.find(c => c.child_id !== kid);
      const mine = k.children.find(c => c.child_id === kid);
      if (!other || !mine || !members.has(other.child_id)) continue;
      if (!childID) {
        return k.blocked_by === me.id
          ? `This chat is paused because you blocked ${other.display_name}. Only your parent can unblock them.`
          : `This chat is paused because ${other.display_name} blocked it. Only ${other.display_name}'s parent can undo that.`;
      }
      return k.blocked_by === childID
        ? `This chat is paused because ${mine.display_name} blocked ${other.display_name}. You can unblock them on ${mine.display_name}'s page.`
        : `This chat is paused because ${other.display_name} blocked ${mine.display_name}. Only ${other.display_name}'s parent can unblock.`;
    }
    return "";
  }

  async function loadConvo() {
    convo = await api("GET", `/conversations/${cid}`);
    frozenWhy = convo.frozen ? deletedReason() || await blockReason() : "";
    drawHeader();
    if (haveHistory) draw(); // names may have changed (a deleted account)
  }

  let haveHistory = false; // until then the list says "Loading messages…"
  async function loadLatest() {
    const page = await api("GET", `/conversations/${cid}/messages?limit=50`);
    haveHistory = true;
    if (older === null && msgs.size === 0) { older = page.next_cursor; olderBtn.hidden = !older; }
    const fresh = new Set(page.items.map(m => m.id));
    // A newer page replaces what it covers (deletions show), keeps older.
    const minID = page.items.length ? Math.min(...fresh) : Infinity;
    for (const id of [...msgs.keys()]) if (id >= minID && !fresh.has(id)) msgs.delete(id);
    for (const m of page.items) msgs.set(m.id, m);
    draw();
  }

  olderBtn.addEventListener("click", async () => {
    olderBtn.disabled = true;
    try {
      const page = await api("GET", `/conversations/${cid}/messages?limit=50&cursor=${encodeURIComponent(older)}`);
      for (const m of page.items) msgs.set(m.id, m);
      older = page.next_cursor;
      olderBtn.hidden = !older;
      const top = list.scrollHeight;
      draw();
      list.scrollTop = list.scrollHeight - top;
    } catch (e) { loadErr.textContent = e.message; }
    olderBtn.disabled = false;
  });

  async function refresh() {
    try {
      await loadConvo();
      await loadLatest();
      loadErr.textContent = "";
    } catch (e) {
      loadErr.textContent = e.message;
      if (!convo) replace(list);
    }
  }

  ctx.refresh = refresh;
  ctx.poll = refresh;
  ctx.onevent = (ev) => {
    const d = ev.data || {};
    const m = d.message || d;
    if (ev.type === "message.created" && m.conversation_id === cid) { msgs.set(m.id, m); draw(); }
    else if (ev.type === "message.deleted" && (m.conversation_id === cid || d.conversation_id === cid)) loadLatest();
    else if (ev.type.startsWith("conversation.")) {
      const c = d.conversation || d;
      if (c.id === cid || d.conversation_id === cid) loadConvo();
    }
  };
  refresh();
  return root;
}
