package domain

import "time"

// Contact statuses. A link is approved only when both children's parents
// approved it (SPEC §4).
const (
	ContactPending  = "pending"
	ContactApproved = "approved"
	// ContactDeclined is the state a link is answered with when the child
	// it was addressed to declined it (POST /contacts/{id}/decline): the
	// link is gone, as after a parent's reject.
	ContactDeclined = "declined"
)

// Contact is a link between two children, as their families see it.
type Contact struct {
	ID          int64          `json:"id"`
	Status      string         `json:"status"`
	RequestedBy *int64         `json:"requested_by"`
	CreatedAt   time.Time      `json:"created_at"`
	ApprovedAt  *time.Time     `json:"approved_at"`
	Children    []ContactChild `json:"children"`
	// BlockedBy is the child who blocked the link (nil when not blocked):
	// conversations holding both children are frozen until their parent
	// unblocks it.
	BlockedBy *int64     `json:"blocked_by"`
	BlockedAt *time.Time `json:"blocked_at"`
	// Approval is what a parent needs to judge a pending link with another
	// family's child: only in a parent's GET /contacts, never in events.
	Approval *ContactApproval `json:"approval,omitempty"`
}

// ContactApproval describes, to a parent, the other family's child of a
// pending link: who asks, who their grown-ups are, since when it waits and
// how many friends the two children share. Nothing more of that family
// (no login names, no ids of its adults).
type ContactApproval struct {
	ChildID          int64     `json:"child_id"` // the parent's own child
	OtherChildID     int64     `json:"other_child_id"`
	OtherDisplayName string    `json:"other_display_name"`
	OtherAvatarURL   string    `json:"other_avatar_url"`
	OtherGuardians   []string  `json:"other_guardians"` // display names
	RequestedAt      time.Time `json:"requested_at"`
	CommonContacts   int       `json:"common_contacts"`
}

// ContactChild is one side of a contact link: the child and whether their
// parent has approved the link.
type ContactChild struct {
	ChildID          int64      `json:"child_id"`
	DisplayName      string     `json:"display_name"`
	ParentApproved   bool       `json:"parent_approved"`
	ParentApprovedAt *time.Time `json:"parent_approved_at"`
	// ApprovedBy is the guardian of this child who approved the link, and
	// ApprovedByName their display name (issue 21): any guardian of each
	// child may. Null before approval, for links approved before who
	// approved was recorded, and once that account is gone.
	ApprovedBy     *int64 `json:"approved_by"`
	ApprovedByName string `json:"approved_by_name,omitempty"`
}

// Conversation roles of the seed's conversation_members.role_in_convo.
const (
	ConvoOwner  = "owner"
	ConvoMember = "member"
)

// Conversation is a direct chat or a group, as one viewer sees it.
type Conversation struct {
	ID        int64     `json:"id"`
	IsGroup   bool      `json:"is_group"`
	Title     *string   `json:"title"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Frozen is true while the conversation breaks the contact rule: no
	// new messages until it holds again.
	Frozen   bool       `json:"frozen"`
	FrozenAt *time.Time `json:"frozen_at"`
	Members  []Member   `json:"members"`
	// VisibleToParents tells a child's client that the children's parents
	// can read this conversation (SPEC §5).
	VisibleToParents bool `json:"visible_to_parents"`
	// ReadOnly is true for a viewer who is not a member: a parent of a
	// member, or an admin reading a reported conversation.
	ReadOnly bool `json:"read_only"`
	// ChildIDs are the viewer's own children among the members: which of
	// their children a parent's listed conversation belongs to (empty for
	// a child's or an admin's view).
	ChildIDs []int64 `json:"child_ids"`
	// DeletedMemberIDs are the former members whose account was deleted:
	// the others see "a deleted account" and why the chat is paused.
	DeletedMemberIDs []int64 `json:"deleted_member_ids"`
	// Unread and LastReadMessageID are the viewer's own read state
	// (ReadState), only for a member: a parent or admin who only reads
	// has no marker, and live events (one payload per conversation) leave
	// both out.
	Unread            *int   `json:"unread,omitempty"`
	LastReadMessageID *int64 `json:"last_read_message_id,omitempty"`
}

// ReadState is how far a member has read a conversation: the last message
// they marked read (nil: none yet) and how many messages after it others
// sent that are not deleted.
type ReadState struct {
	ConversationID    int64  `json:"conversation_id"`
	LastReadMessageID *int64 `json:"last_read_message_id"`
	Unread            int    `json:"unread"`
}

// Member is one member of a conversation.
type Member struct {
	UserID      int64     `json:"user_id"`
	Role        Role      `json:"role"`
	RoleInConvo string    `json:"role_in_convo"`
	DisplayName string    `json:"display_name"`
	JoinedAt    time.Time `json:"joined_at"`
}

// Message types of the seed's messages.type CHECK.
const (
	MessageText   = "text"
	MessageImage  = "image"
	MessageAudio  = "audio"
	MessageSystem = "system"
)

// Message is one message as one viewer sees it: a deleted message shows
// members a tombstone (no content), while parents and admins still see it.
type Message struct {
	ID             int64   `json:"id"`
	ConversationID int64   `json:"conversation_id"`
	SenderID       int64   `json:"sender_id"`
	Type           string  `json:"type"`
	Content        *string `json:"content"`
	// MediaID is the upload an image or audio message carries (null for
	// text and system messages, and on a tombstone, as MediaURL is).
	MediaID  *int64  `json:"media_id"`
	MediaURL *string `json:"media_url"`
	// MediaThumbURL, MediaWidth and MediaHeight are an image message's
	// thumbnail and the stored image's size (null otherwise, and on a
	// tombstone): chats show the thumbnail in a box of the image's
	// proportions, and open MediaURL on a tap.
	MediaThumbURL *string `json:"media_thumb_url"`
	MediaWidth    *int    `json:"media_width"`
	MediaHeight   *int    `json:"media_height"`
	// ClientID is shown to the sender only.
	ClientID  *string    `json:"client_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Deleted   bool       `json:"deleted"`
	DeletedAt *time.Time `json:"deleted_at"`
	// Reactions are the message's reactions as its reader sees them
	// (counts, and whether they reacted): filled in by history; a new
	// message has none, nor has a deleted one (for parents too: its
	// reactions are kept, but they are about a message that is gone).
	Reactions Reactions `json:"reactions"`
}

// Report statuses and resolutions.
const (
	ReportOpen           = "open"
	ReportResolved       = "resolved"
	ResolutionDismissed  = "dismissed"
	ResolutionMsgDeleted = "message_deleted"
)

// How a report concerns the child or parent who reads it (their GET
// /reports and the activity dashboard; admins' queue has none).
const (
	ReportFiledByYou   = "filed_by_you"   // they filed it
	ReportFiledByChild = "filed_by_child" // their child filed it
	ReportAboutChild   = "about_child"    // it is about their child's message: no reporter, no reason
)

// Report is a report of a message. Message is filled in for admins;
// Relation and ChildID for the families it concerns.
type Report struct {
	ID             int64      `json:"id"`
	MessageID      int64      `json:"message_id"`
	ConversationID int64      `json:"conversation_id"`
	ReporterID     *int64     `json:"reporter_id"`
	Reason         *string    `json:"reason"`
	Status         string     `json:"status"`
	Resolution     *string    `json:"resolution"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	CreatedAt      time.Time  `json:"created_at"`
	Message        *Message   `json:"message,omitempty"`
	Relation       string     `json:"relation,omitempty"`
	// ChildID is the reader's child the report is about: the reporting
	// child, the reported child, or for a parent's own report their child
	// in the conversation.
	ChildID *int64 `json:"child_id,omitempty"`
}
