// A parent's pages other than a chat, in one module app.js loads by
// import() when a parent opens one: a child's chat never needs them.
import { parentHome, childPage } from "./parent.js";
import { activityPage } from "./activity.js";
import { notificationSettingsPage } from "./notify-settings.js";

// parentView is the parent's page for the route's parts.
export function parentView(ctx, parts) {
  if (parts[0] === "child" && parts[2] === "activity") return activityPage(ctx, Number(parts[1]));
  if (parts[0] === "child") return childPage(ctx, Number(parts[1]));
  if (parts[0] === "notifications") return notificationSettingsPage(ctx);
  return parentHome(ctx);
}
