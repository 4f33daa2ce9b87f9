package api_test

import (
	"fmt"
	"testing"

	"pixelpals/internal/apitest"
)

// TestDeletingChildRemovesChatData deletes a child who has links, a friend
// code, conversations, messages and a report: their links and code go,
// their conversations are re-checked (and freeze where the rule breaks),
// and no row outside the audit log holds their names or words.
func TestDeletingChildRemovesChatData(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa, fb := env.Family(admin, 2), env.Family(admin, 1)
	a, sib, b := fa.Children[0], fa.Children[1], fb.Child()
	fa.Parent.Must(200, "PATCH", fmt.Sprintf("/children/%d", a.UserID), map[string]string{"display_name": "Zelda Zebrafish"}, nil)
	approveLink(fa, a, fb, b)
	approveLink(fa, a, fa, sib)
	requestLink(fa, sib, b) // pending, unrelated to a
	code := friendCode(a)
	group := createGroup(a, "pair", b.UserID).ID
	direct := createDirect(a, b.UserID).ID
	withParent := createDirect(fa.Parent, a.UserID).ID
	mustSend(t, a, group, "SECRET-WORDS of zelda")
	theirs := mustSend(t, b, direct, "hello zelda")
	a.Must(201, "POST", fmt.Sprintf("/messages/%d/report", theirs.ID), map[string]string{"reason": "REPORT-WORDS"}, nil)

	// Before: the export holds the child's links and the audit of them.
	var export struct {
		Contacts  []contactJSON
		AuditLogs []auditJSON `json:"audit_logs"`
	}
	fa.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", a.UserID), nil, &export)
	if len(export.Contacts) != 2 {
		t.Fatalf("export contacts: %+v", export.Contacts)
	}
	actions := map[string]bool{}
	for _, e := range export.AuditLogs {
		actions[e.Action] = true
	}
	if !actions["contact.request"] || !actions["contact.approve"] || !actions["report.create"] {
		t.Fatalf("export audit actions: %v", actions)
	}

	fa.Parent.Must(204, "DELETE", fmt.Sprintf("/children/%d", a.UserID), nil, nil)

	if found := leftovers(t, env.DB, "Zelda Zebrafish", a.Login, "SECRET-WORDS", "REPORT-WORDS", code); len(found) > 0 {
		t.Errorf("personal data left after deleting the child: %v", found)
	}
	s := loadChatState(t, env.DB)
	s.checkInvariants(t, "after deleting a child")
	for _, c := range s.contacts {
		if c.A == a.UserID || c.B == a.UserID {
			t.Fatalf("link %+v of the deleted child remains", c)
		}
	}
	if len(s.contacts) != 1 {
		t.Fatalf("links after deletion: %+v", s.contacts)
	}
	// The group kept b alone, now its owner; nothing breaks the rule. Both
	// direct chats are down to one member: frozen.
	g := getConversation(b, group)
	if g.Frozen || len(g.Members) != 1 || roleOf(g, b.UserID) != "owner" {
		t.Fatalf("group after deletion: %+v", g)
	}
	wantStatus(t, send(b, direct, "where did you go?"), 409, "conversation_frozen")
	if c := getConversation(fa.Parent, withParent); !c.Frozen || len(c.Members) != 1 {
		t.Fatalf("parent's chat after deletion: %+v", c)
	}
	// The report stays for the admins, without the child's words.
	var queue pageJSON[reportJSON]
	admin.Must(200, "GET", "/admin/reports", nil, &queue)
	if len(queue.Items) != 1 || queue.Items[0].Reason != nil {
		t.Fatalf("report after deletion: %+v", queue)
	}
	// The sibling's export shows only their own remaining link.
	fa.Parent.Must(200, "GET", fmt.Sprintf("/children/%d/export", sib.UserID), nil, &export)
	if len(export.Contacts) != 1 || export.Contacts[0].Status != "pending" {
		t.Fatalf("sibling's export contacts: %+v", export.Contacts)
	}

	// An admin deleting b's whole family takes b out the same way.
	admin.Must(204, "DELETE", fmt.Sprintf("/admin/users/%d", fb.Parent.UserID), nil, nil)
	s = loadChatState(t, env.DB)
	s.checkInvariants(t, "after deleting a family")
	if len(s.contacts) != 0 || len(s.members[group]) != 0 {
		t.Fatalf("after deleting b's family: links %+v, group members %v", s.contacts, s.members[group])
	}
}
