// This file tests the image, voice-clip and avatar controls, which the UI
// shows only when the server's OpenAPI document lists /media.

package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pixelpals/internal/apitest"
)

// TestBrowserMedia: a child sends a photo and a voice clip (recorded with
// MediaRecorder from Chromium's fake microphone), the other child sees
// both, the parent sees the photo in the gallery, and the child changes
// their avatar.
func TestBrowserMedia(t *testing.T) {
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 1), env.Family(admin, 1)
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

	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(t.TempDir(), "castle.png")
	if err := os.WriteFile(pic, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, env.Server.URL,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true))
	a := b.user("child A")
	a.login(ka.Login, ka.Password)
	a.visit(fmt.Sprintf("#/chat/%d", convo.ID))
	a.see("Send a photo")
	a.run(chromedp.SetUploadFiles(chromedp.CSS(`.tools input[type=file]`), []string{pic}))
	a.until("the photo in the chat", `[...document.querySelectorAll(".messages img.media")].some(i => i.complete && i.naturalWidth === 32)`)
	a.click("", "Record a voice clip")
	time.Sleep(1500 * time.Millisecond)
	a.click("", "Stop and send")
	a.until("the voice clip in the chat", `document.querySelector(".messages audio[src*='/api/v1/media/']")`)
	a.check("chat-media")

	bb := b.user("child B")
	bb.login(kb.Login, kb.Password)
	bb.visit(fmt.Sprintf("#/chat/%d", convo.ID))
	bb.until("the photo at the other child", `[...document.querySelectorAll(".messages img.media")].some(i => i.complete && i.naturalWidth === 32)`)
	bb.until("the voice clip at the other child", `document.querySelector(".messages audio")`)
	// The clip as the service cleaned it (docs/media.md) still decodes:
	// Chromium reads its metadata without a media error.
	bb.until("the cleaned voice clip to load", `(() => { const a = document.querySelector(".messages audio"); return a && !a.error && a.readyState >= 1; })()`)

	p := b.user("parent A")
	p.login(fa.Parent.Login, fa.Parent.Password)
	p.visit(fmt.Sprintf("#/child/%d", ka.UserID))
	p.see("Photos and voice messages")
	p.until("the photo in the gallery", `[...document.querySelectorAll(".gallery img.media")].some(i => i.complete && i.naturalWidth > 0)`)
	p.until("the voice clip as a player in the gallery", `document.querySelector(".gallery audio[controls][src*='/api/v1/media/']")`)
	var broken int
	p.js(`[...document.querySelectorAll(".gallery img")].filter(i => !i.complete || i.naturalWidth === 0).length`, &broken)
	if broken != 0 {
		t.Errorf("%d broken images in the gallery", broken)
	}
	// The parent deletes the photo from the gallery: it stays, marked.
	p.js(`(() => { const li = document.querySelector(".gallery img.media").closest("li");
		[...li.querySelectorAll("button")].find(b => b.innerText.trim() === "Delete").click();
		[...li.querySelectorAll("button")].find(b => b.innerText.trim() === "Yes, delete").click(); return true; })()`, nil)
	p.until("the photo marked deleted in the gallery", `document.querySelector(".gallery img.media.deleted")`)
	p.check("parent-gallery")
	// In the chat the parent still sees the deleted photo, marked.
	p.visit(fmt.Sprintf("#/child/%d/chat/%d", ka.UserID, convo.ID))
	p.until("the deleted photo in the parent's chat view", `[...document.querySelectorAll(".messages img.media.deleted")].some(i => i.complete && i.naturalWidth === 32)`)

	// Avatar: shown from the generated default, then the uploaded picture.
	a.click("", "Me")
	a.until("the default avatar", `(() => { const i = document.querySelector("img.avatar.big"); return i && !i.hidden && i.complete && i.naturalWidth > 0; })()`)
	a.run(chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{pic}))
	a.click("", "Use this picture")
	a.see("Picture changed!")
	a.until("the new avatar", `(() => { const i = document.querySelector("img.avatar.big"); return i.src.includes("?v=") && i.complete && i.naturalWidth > 0; })()`)
	a.check("child-me-avatar")
}
