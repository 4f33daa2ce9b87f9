package api_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"pixelpals/internal/apitest"
)

// Helpers for the contacts and chat tests: each drives the API as a client
// would and fails the test when an answer is not the expected one.

type contactJSON struct {
	ID       int64
	Status   string
	Children []struct {
		ChildID        int64  `json:"child_id"`
		DisplayName    string `json:"display_name"`
		ParentApproved bool   `json:"parent_approved"`
	}
}

type memberJSON struct {
	UserID      int64  `json:"user_id"`
	Role        string `json:"role"`
	RoleInConvo string `json:"role_in_convo"`
	DisplayName string `json:"display_name"`
}

type conversationJSON struct {
	ID               int64
	IsGroup          bool `json:"is_group"`
	Title            *string
	Frozen           bool
	Members          []memberJSON
	VisibleToParents bool `json:"visible_to_parents"`
	ReadOnly         bool `json:"read_only"`
}

type messageJSON struct {
	ID             int64
	ConversationID int64 `json:"conversation_id"`
	SenderID       int64 `json:"sender_id"`
	Type           string
	Content        *string
	ClientID       *string `json:"client_id"`
	Deleted        bool
}

type pageJSON[T any] struct {
	Items      []T
	NextCursor *string `json:"next_cursor"`
}

func friendCode(c *apitest.Client) string {
	var out struct {
		FriendCode string `json:"friend_code"`
	}
	c.Must(200, "GET", "/me/friend-code", nil, &out)
	return out.FriendCode
}

// requestLink has child a's parent ask for a link with child b; the link is
// then pending on b's side.
func requestLink(fa *apitest.Family, a, b *apitest.Client) contactJSON {
	var c contactJSON
	fa.Parent.Must(201, "POST", "/contacts", map[string]any{"friend_code": friendCode(b), "child_id": a.UserID}, &c)
	return c
}

// approveLink makes a and b approved contacts: a's parent asks, b's parent
// approves.
func approveLink(fa *apitest.Family, a *apitest.Client, fb *apitest.Family, b *apitest.Client) int64 {
	c := requestLink(fa, a, b)
	if fa != fb {
		fb.Parent.Must(200, "POST", fmt.Sprintf("/contacts/%d/approve", c.ID), nil, &c)
	}
	if c.Status != "approved" {
		panic(fmt.Sprintf("link %d not approved: %+v", c.ID, c))
	}
	return c.ID
}

func createDirect(c *apitest.Client, other int64) conversationJSON {
	var conv conversationJSON
	c.Must(201, "POST", "/conversations", map[string]any{"member_ids": []int64{other}, "is_group": false}, &conv)
	return conv
}

func createGroup(c *apitest.Client, title string, members ...int64) conversationJSON {
	var conv conversationJSON
	c.Must(201, "POST", "/conversations", map[string]any{"member_ids": members, "is_group": true, "title": title}, &conv)
	return conv
}

var clientSeq atomic.Int64

func nextClientID() string { return fmt.Sprintf("c-%d", clientSeq.Add(1)) }

func send(c *apitest.Client, convID int64, text string) *apitest.Response {
	return c.Do("POST", fmt.Sprintf("/conversations/%d/messages", convID),
		map[string]any{"type": "text", "content": text, "client_id": nextClientID()})
}

func mustSend(t *testing.T, c *apitest.Client, convID int64, text string) messageJSON {
	t.Helper()
	var m messageJSON
	c.Must(201, "POST", fmt.Sprintf("/conversations/%d/messages", convID),
		map[string]any{"type": "text", "content": text, "client_id": nextClientID()}, &m)
	return m
}

func history(c *apitest.Client, convID int64) []messageJSON {
	var p pageJSON[messageJSON]
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d/messages?limit=200", convID), nil, &p)
	return p.Items
}

func getConversation(c *apitest.Client, convID int64) conversationJSON {
	var conv conversationJSON
	c.Must(200, "GET", fmt.Sprintf("/conversations/%d", convID), nil, &conv)
	return conv
}

func wantStatus(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.ErrorCode() != code) {
		t.Fatalf("status %d %s, want %d %s: %s", r.Status, r.ErrorCode(), status, code, r.Body)
	}
}

func jsonInto(r *apitest.Response, v any) error { return json.Unmarshal(r.Body, v) }
