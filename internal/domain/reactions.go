package domain

import (
	"encoding/json"
	"slices"
)

// ReactionKinds are the pixel-art reactions a member may put on a message
// (issue 23.4, docs/chat.md "Reactions"), in the order clients show them.
// The list is fixed: the web UI has a picture for each, and migration
// 00024's CHECK holds the same names.
var ReactionKinds = []string{"heart", "star", "laugh", "wow", "sad", "thumbs_up"}

// IsReactionKind tells whether kind is one of ReactionKinds.
func IsReactionKind(kind string) bool { return slices.Contains(ReactionKinds, kind) }

// Reaction is how many readers put one kind of reaction on a message, and
// whether the viewer is one of them. Who the others are is not told:
// counts are all a child needs to see that their friends liked it.
type Reaction struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine"`
}

// Reactions are a message's reactions, one per kind with a count above
// zero, in ReactionKinds order. Nil (none, or not loaded) is written as
// [], so that every message a client gets has the list.
type Reactions []Reaction

// MarshalJSON writes nil as [].
func (r Reactions) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Reaction(r))
}

// MessageReactions is the data of the message.reactions event and the
// answer of setting or removing a reaction: a message's reactions as its
// reader sees them.
type MessageReactions struct {
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	Reactions      Reactions `json:"reactions"`
}
