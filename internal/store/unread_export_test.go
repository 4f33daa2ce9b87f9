package store

// ReadStatesSQL is the query of GET /conversations' unread counts, for
// TestReadStatesPlan.
const ReadStatesSQL = readStatesSQL
