package audit

import (
	"bytes"
	"encoding/json"
	"slices"
)

// userKeys are the keys of Before and After whose numbers are accounts
// (entries name other ids too: reports, messages, conversations).
var userKeys = map[string]bool{"child_id": true, "other_child_id": true, "sender_id": true, "parent_id": true}

// UserIDs lists the accounts records name: their actors, the accounts
// they act on, and the accounts their Before and After name (userKeys, at
// any depth), so that a reader can put names to them. Sorted, distinct.
func UserIDs(records []Record) []int64 {
	var ids []int64
	for _, r := range records {
		ids = append(ids, r.ActorID)
		if r.EntityType == "user" && r.EntityID != nil {
			ids = append(ids, *r.EntityID)
		}
		ids = appendUserIDs(ids, r.Before)
		ids = appendUserIDs(ids, r.After)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func appendUserIDs(ids []int64, raw json.RawMessage) []int64 {
	if len(raw) == 0 {
		return ids
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return ids // not an object this code wrote: nothing to name
	}
	return walkUserIDs(ids, v)
}

func walkUserIDs(ids []int64, v any) []int64 {
	obj, ok := v.(map[string]any)
	if !ok {
		return ids
	}
	for k, val := range obj {
		if n, isNum := val.(json.Number); isNum && userKeys[k] {
			if id, err := n.Int64(); err == nil && id > 0 {
				ids = append(ids, id)
			}
			continue
		}
		ids = walkUserIDs(ids, val)
	}
	return ids
}
