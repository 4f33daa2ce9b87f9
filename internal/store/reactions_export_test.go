package store

// ReactionCountsSQL is history's query of a page's reactions, for
// TestReactionCountsPlan.
const ReactionCountsSQL = reactionCountsSQL
