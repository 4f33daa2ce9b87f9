package audit

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestUserIDs: the accounts an audit page names are its actors, the users
// acted on, and the user keys of before and after at any depth; other ids
// (reports, messages, conversations, a contact's own id) are not accounts.
func TestUserIDs(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	records := []Record{
		{ActorID: 1, EntityType: "user", EntityID: id(7), Before: json.RawMessage(`{"id":7,"parent_id":6}`)},
		{ActorID: 2, EntityType: "contact", EntityID: id(99), After: json.RawMessage(`{"contact_id":99,"child_id":3,"other_child_id":4}`)},
		{ActorID: 1, EntityType: "report", EntityID: id(50), After: json.RawMessage(`{"report_id":50,"message_id":80,"conversation_id":9,"sender_id":5,"note":"x"}`)},
		{ActorID: 6, EntityType: "user", EntityID: id(8), After: json.RawMessage(`{"user":{"id":8,"parent_id":6},"display_name":"Mia"}`)},
		{ActorID: 1, EntityType: "vault", After: json.RawMessage(`not json`)},
	}
	if got, want := UserIDs(records), []int64{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
		t.Errorf("UserIDs = %v, want %v", got, want)
	}
}
