package web_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
	"pixelpals/internal/media/mediatest"
)

// TestBrowserPhotoThumbnail: a photo in a chat is its thumbnail, in a
// box its width and height attributes reserve before it loads, and a tap
// opens the whole image in a dialog that closes back to the chat.
func TestBrowserPhotoThumbnail(t *testing.T) {
	env := apitest.New(t)
	fa, fb := env.Family(env.Admin(), 1), env.Family(env.Admin(), 1)
	ka, kb := fa.Child(), fb.Child()
	var code struct {
		FriendCode string `json:"friend_code"`
	}
	kb.Must(200, "GET", "/me/friend-code", nil, &code)
	var contact struct{ ID int64 }
	fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": code.FriendCode, "child_id": ka.UserID}, &contact)
	fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", contact.ID), nil, nil)
	var convo struct{ ID int64 }
	ka.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{kb.UserID}, "is_group": false}, &convo)
	var up struct{ ID int64 }
	r := ka.Upload("beach.jpg", "image/jpeg", mediatest.JPEGWithGPS(2400, 1800, 1)) // stored 2048 × 1536
	if r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &up); err != nil {
		t.Fatal(err)
	}
	ka.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", convo.ID),
		map[string]any{"type": "image", "media_id": up.ID, "client_id": "beach"}, nil)

	b := newBrowser(t, env.Server.URL)
	u := b.user("child B")
	u.login(kb.Login, kb.Password)
	u.visit(fmt.Sprintf("#/chat/%d", convo.ID))
	u.until("the thumbnail in the chat", `(() => { const i = document.querySelector(".messages button.photo img.media");
		return i && i.complete && i.naturalWidth === 320; })()`)
	var attrs struct {
		Width, Height string
		Src           string
		Box           float64
	}
	u.js(`(() => { const i = document.querySelector(".messages img.media");
		return {width: i.getAttribute("width"), height: i.getAttribute("height"), src: i.getAttribute("src"), box: i.getBoundingClientRect().height}; })()`, &attrs)
	if attrs.Width != "240" || attrs.Height != "180" || attrs.Src != fmt.Sprintf("/api/v1/media/%d?size=thumb", up.ID) {
		t.Errorf("chat image: %+v, want 240 × 180 from the thumbnail", attrs)
	}
	u.check("chat-photo-thumbnail")
	u.js(`document.querySelector(".messages button.photo").click(), true`, nil)
	u.until("the whole photo in a dialog", `(() => { const d = document.querySelector("dialog.photo-view[open]"); const i = d && d.querySelector("img.full");
		return i && i.complete && i.naturalWidth === 2048 && i.getAttribute("src") === "/api/v1/media/`+fmt.Sprint(up.ID)+`"; })()`)
	u.check("chat-photo-full")
	u.js(`[...document.querySelectorAll("dialog.photo-view button")].find(b => b.innerText.trim() === "Close").click(), true`, nil)
	u.until("the dialog closed and focus back on the photo", `!document.querySelector("dialog.photo-view") && document.activeElement.matches("button.photo")`)
}
