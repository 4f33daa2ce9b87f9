// "Notifications on this device" (docs/notifications.md "Push"): a
// parent's switch that subscribes this browser to Web Push with the
// server's VAPID key and hands the subscription to the server, or takes it
// back. The service worker (sw.js) shows what arrives.
import { h, uid } from "./dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

// pushCard is the switch and what it says about this device.
export function pushCard() {
  const id = uid("push");
  const input = h("input", { type: "checkbox", role: "switch", id, disabled: true });
  const status = h("p", { class: "small", role: "status" });
  const card = h("section", { class: "card", "aria-labelledby": id + "-h" },
    h("h2", { id: id + "-h" }, t("push.title")),
    h("p", {}, t("push.text")),
    h("div", { class: "check" }, input, h("label", { for: id }, t("push.switch"))),
    status);
  if (!supported()) {
    status.textContent = t("push.unsupported");
    return card;
  }
  subscription().then((sub) => {
    input.checked = !!sub && Notification.permission === "granted";
    input.disabled = false;
  }, () => { status.textContent = t("push.unavailable"); });
  input.addEventListener("change", async () => {
    input.disabled = true;
    status.textContent = input.checked ? t("push.turning_on") : t("push.turning_off");
    try {
      status.textContent = input.checked ? await turnOn() : await turnOff();
    } catch (e) {
      input.checked = !input.checked;
      status.textContent = (e && e.message) || t("push.failed");
    } finally {
      input.disabled = false;
    }
  });
  return card;
}

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// subscription is this browser's push subscription, or null (also when no
// service worker is registered: ready would wait for ever).
async function subscription() {
  const reg = await navigator.serviceWorker.getRegistration("/");
  return reg ? reg.pushManager.getSubscription() : null;
}

// forgetDevice turns push off on this device, at logout: a shared device
// must not go on showing a parent's notifications to the next person. A
// failure does not stop the logout (the subscription then goes when its
// push service reports it gone).
export async function forgetDevice() {
  if (!supported()) return;
  try { await turnOff(); } catch { /* logging out all the same */ }
}

async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new Error(t("push.blocked"));
  }
  const { public_key: key } = await api("GET", "/push/vapid-public-key");
  const reg = await navigator.serviceWorker.ready;
  let sub;
  try {
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
  } catch (e) {
    // A subscription made with an older server key must go first.
    const old = await reg.pushManager.getSubscription();
    if (!old) throw new Error(t("push.subscribe_failed", { reason: e.message }));
    await old.unsubscribe();
    sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
  }
  await api("POST", "/me/push-subscriptions", sub.toJSON());
  return t("push.on");
}

async function turnOff() {
  const sub = await subscription();
  if (sub) {
    await api("DELETE", "/me/push-subscriptions", { endpoint: sub.endpoint });
    await sub.unsubscribe();
  }
  return t("push.off");
}

// bytes decodes unpadded base64url, the form of the VAPID key.
function bytes(b64url) {
  const s = atob(b64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
