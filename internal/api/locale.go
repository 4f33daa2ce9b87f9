package api

import (
	"encoding/json"

	"pixelpals/internal/domain"
	"pixelpals/internal/locale"
)

// optionalLocale is a JSON field that may be left out (no change), null
// (none chosen: the browser's language decides) or a language we speak.
type optionalLocale struct {
	raw    json.RawMessage
	Set    bool
	Locale *string
}

func (o *optionalLocale) UnmarshalJSON(b []byte) error {
	o.raw = append(json.RawMessage(nil), b...)
	return nil
}

// parse checks the field, named name, once decoded.
func (o *optionalLocale) parse(name string) error {
	if o.raw == nil {
		return nil
	}
	o.Set = true
	if string(o.raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(o.raw, &s); err != nil || !locale.Valid(s) {
		return domain.Invalid(name, `must be "en", "de" or "es", or null for the browser's language`)
	}
	o.Locale = &s
	return nil
}
