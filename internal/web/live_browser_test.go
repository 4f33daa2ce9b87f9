package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"pixelpals/internal/web"
)

// TestBrowserLiveReconnect checks the page's live client (live.js) against
// the protocol of SPEC §12, in real Chromium over a real loopback
// WebSocket: it connects to /api/v1/ws, hands on each frame, shows
// "reconnecting" when the socket drops, reconnects with ?since=<id of the
// last frame>, and after a resync without cursor starts afresh. The peer
// here is a scripted socket on a server of its own (the UI's files plus
// that one route), so that the client is pinned down independently of
// the real events hub, which the family flow exercises once it is there.
func TestBrowserLiveReconnect(t *testing.T) {
	var mu sync.Mutex
	var sinces []string
	conns := make(chan *websocket.Conn, 8)
	mux := http.NewServeMux()
	web.Register(mux)
	mux.HandleFunc("GET /api/v1/ws", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sinces = append(sinces, r.URL.Query().Get("since"))
		mu.Unlock()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		conns <- c
		// Hold the connection until either side closes it.
		<-c.CloseRead(r.Context()).Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := newBrowser(t, srv.URL)
	u := b.user("live client")
	u.visit("")
	u.see("Welcome to Pixel Pals!")
	u.js(fmt.Sprintf(`import("/assets/%s/live.js").then(m => {
		window.evs = []; window.states = [];
		window.live = new m.Live(ev => window.evs.push(ev.type + ":" + ev.id), s => window.states.push(s));
		window.live.start();
		return true;
	})`, web.New().Version()), nil)

	send := func(c *websocket.Conn, frame string) {
		t.Helper()
		if err := c.Write(context.Background(), websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	c1 := <-conns
	u.until("the live state", `window.states.includes("live")`)
	send(c1, `{"id":"c-41","type":"message.created","at":"2026-12-01T10:00:00Z","data":{"id":1,"conversation_id":7}}`)
	send(c1, `{"id":"c-42","type":"contact.approved","at":"2026-12-01T10:00:01Z","data":{"id":3}}`)
	u.until("both frames handed on", `window.evs.join(",") === "message.created:c-41,contact.approved:c-42"`)

	// The socket drops: the client says so, and comes back with since.
	c1.Close(websocket.StatusGoingAway, "restart")
	u.until("reconnecting shown", `window.states[window.states.length - 1] === "reconnecting" || window.states.filter(s => s === "live").length >= 2`)
	c2 := <-conns
	u.until("live again", `window.states.filter(s => s === "live").length >= 2`)
	mu.Lock()
	got := append([]string(nil), sinces...)
	mu.Unlock()
	if len(got) != 2 || got[0] != "" || got[1] != "c-42" {
		t.Fatalf("since on each connection: %q, want [\"\" \"c-42\"]", got)
	}

	// A resync without cursor: handed on, and the next connection starts afresh.
	send(c2, `{"type":"resync","at":"2026-12-01T10:00:02Z","data":{}}`)
	u.until("the resync handed on", `window.evs.includes("resync:undefined")`)
	c2.Close(websocket.StatusGoingAway, "restart")
	<-conns
	u.until("live a third time", `window.states.filter(s => s === "live").length >= 3`)
	mu.Lock()
	defer mu.Unlock()
	if len(sinces) != 3 || sinces[2] != "" {
		t.Fatalf("since after a resync: %q, want it empty", sinces)
	}
	u.js(`window.live.stop(), true`, nil)
}
