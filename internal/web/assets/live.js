// The live-events client (SPEC §12). One WebSocket per page; on a drop it
// reconnects with ?since=<last event id> so nothing is missed, backing off
// up to 15 s. While it is not connected it says so (onstatus) and the page
// refreshes what is on screen by REST instead (see app.js), so chat keeps
// working without a reload.
import { EventType } from "./events.js";

export class Live {
  constructor(onevent, onstatus) {
    this.onevent = onevent;
    this.onstatus = onstatus;
    this.last = "";
    this.delay = 1000;
    this.ws = null;
    this.timer = 0;
    this.stopped = true;
    this.connected = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  // stop ends the connection for good (logout): the cursor belongs to the
  // user who is leaving, so it is forgotten.
  stop() {
    this.stopped = true;
    this.last = "";
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(); }
    this.ws = null;
    this.setConnected(false, "off");
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.last ? "?since=" + encodeURIComponent(this.last) : "";
    return `${scheme}//${location.host}/api/v1/ws${since}`;
  }

  connect() {
    if (this.stopped) return;
    let ws;
    try { ws = new WebSocket(this.url()); } catch { this.retry(); return; }
    this.ws = ws;
    ws.onopen = () => { this.delay = 1000; this.setConnected(true, "live"); };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (!ev || typeof ev.type !== "string") return;
      if (ev.id) this.last = ev.id;
      // A resync without a cursor: start afresh (the page reloads by REST).
      else if (ev.type === EventType.resync) this.last = "";
      this.onevent(ev);
    };
    ws.onclose = () => { this.ws = null; this.retry(); };
    ws.onerror = () => {}; // onclose follows
  }

  retry() {
    this.setConnected(false, "reconnecting");
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 15000);
  }

  setConnected(ok, state) {
    this.connected = ok;
    this.onstatus(state);
  }
}
