package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"pixelpals/internal/domain"
	"pixelpals/internal/notify"
)

// notificationSettings is a parent's delivery per kind of notification
// (docs/notifications.md): "now", "daily" or "off".
func (a *API) notificationSettings(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	s, err := a.db.NotificationSettings(r.Context(), actor)
	if err != nil {
		return err
	}
	prefs, err := a.db.NotificationPrefs(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(s, prefs))
	return nil
}

// setNotificationSettings takes {"kind": "delivery", ...}; kinds not named
// keep their setting. It answers every setting.
func (a *API) setNotificationSettings(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var body settingsBody
	if err := decodeValid(r, &body); err != nil {
		return err
	}
	s, err := a.db.SetNotificationSettings(r.Context(), actor, body.set)
	if err != nil {
		return err
	}
	prefs, err := a.db.SetNotificationPrefs(r.Context(), actor, body.timeZone, body.weekly)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(s, prefs))
	return nil
}

// settingsBody is the PUT's body: an object of kind to delivery, checked
// here so that an unknown kind or delivery is a 400 naming it.
type settingsBody struct {
	raw map[string]any
	set map[notify.Kind]string
	// The preferences besides the kinds (notifyprefs.go); nil: unchanged.
	timeZone *string
	weekly   *bool
}

func (b *settingsBody) UnmarshalJSON(data []byte) error { return json.Unmarshal(data, &b.raw) }

func (b *settingsBody) validate() error {
	b.set = map[notify.Kind]string{}
	for _, k := range slices.Sorted(maps.Keys(b.raw)) { // the first bad one, every time
		if isPref, err := b.pref(k); isPref {
			if err != nil {
				return err
			}
			continue
		}
		if !slices.Contains(notify.Settable, notify.Kind(k)) {
			return domain.Invalid(k, "not a kind of notification you can choose for")
		}
		d, ok := b.raw[k].(string)
		if !ok || !slices.Contains(notify.Deliveries, d) {
			return domain.Invalid(k, `must be "now", "daily" or "off"`)
		}
		b.set[notify.Kind(k)] = d
	}
	return nil
}
