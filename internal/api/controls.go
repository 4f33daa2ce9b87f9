package api

import (
	"context"
	"net/http"
	"time"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// Parental controls (issue 12): sleep mode. docs/controls.md.

type sleepModeRequest struct {
	TimeZone    string           `json:"time_zone"`
	Weekday     *store.ClockSpan `json:"weekday"`
	Weekend     *store.ClockSpan `json:"weekend"`
	AllowParent *bool            `json:"allow_parent_messages"`

	weekday, weekend *store.SleepSpan
}

// parseClock reads "HH:MM" (24-hour, zero-padded) as minutes after midnight.
func parseClock(field, s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, domain.Invalid(field, "must be a time of day HH:MM, 00:00 to 23:59")
	}
	return t.Hour()*60 + t.Minute(), nil
}

func parseSpan(field string, c *store.ClockSpan) (*store.SleepSpan, error) {
	if c == nil {
		return nil, nil
	}
	start, err := parseClock(field+".start", c.Start)
	if err != nil {
		return nil, err
	}
	end, err := parseClock(field+".end", c.End)
	if err != nil {
		return nil, err
	}
	if start == end {
		return nil, domain.Invalid(field+".end", "must differ from start (use null for no quiet time)")
	}
	return &store.SleepSpan{Start: start, End: end}, nil
}

func (req *sleepModeRequest) validate() (err error) {
	if !store.ValidTimeZone(req.TimeZone) {
		return domain.Invalid("time_zone", "must be an IANA time zone name such as Europe/Berlin")
	}
	if req.weekday, err = parseSpan("weekday", req.Weekday); err != nil {
		return err
	}
	if req.weekend, err = parseSpan("weekend", req.Weekend); err != nil {
		return err
	}
	if req.weekday == nil && req.weekend == nil {
		return domain.Invalid("weekday", "give a weekday or a weekend span (DELETE turns sleep mode off)")
	}
	if req.AllowParent == nil {
		return domain.Invalid("allow_parent_messages", "must be true or false")
	}
	return nil
}

// sleepModeView is a schedule with its state now: the view the parent's
// sleep_mode.changed event carries, and the state.
type sleepModeView struct {
	store.SleepScheduleView
	sleepStateView
}

// sleepStateView is where a child stands now: the UI's "sleeping until".
type sleepStateView struct {
	Asleep    bool       `json:"asleep"`
	EndsAt    *time.Time `json:"ends_at"`
	NextStart *time.Time `json:"next_start"`
}

func stateView(st store.SleepState) sleepStateView {
	v := sleepStateView{Asleep: st.Asleep}
	if st.Asleep {
		t := st.Until.UTC()
		v.EndsAt = &t
	} else if !st.Next.IsZero() {
		t := st.Next.UTC()
		v.NextStart = &t
	}
	return v
}

func (a *API) viewSleep(s store.SleepSchedule) sleepModeView {
	return sleepModeView{s.View(), stateView(s.State(a.now()))}
}

// childSleepMode: GET /children/{id}/sleep-mode; 404 while none is set.
func (a *API) childSleepMode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := a.db.ChildSleepSchedule(r.Context(), actor, id)
	if err != nil {
		return err
	}
	if s == nil {
		return domain.Errorf(domain.CodeNotFound, "this child has no sleep mode set")
	}
	writeJSON(w, http.StatusOK, a.viewSleep(*s))
	return nil
}

// setSleepMode: PUT /children/{id}/sleep-mode sets the whole schedule.
func (a *API) setSleepMode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req sleepModeRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	s, err := a.db.SetSleepSchedule(r.Context(), actor, id, store.SleepSchedule{
		TimeZone: req.TimeZone, Weekday: req.weekday, Weekend: req.weekend, AllowParent: *req.AllowParent})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.viewSleep(s))
	return nil
}

// clearSleepMode: DELETE /children/{id}/sleep-mode turns it off.
func (a *API) clearSleepMode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.db.ClearSleepSchedule(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mySleepMode: GET /me/sleep-mode, the child's own state and the family's
// time zone, so the "sleeping until 7:00" screen can name the end in the
// family's local time (no other schedule details: those are the parent's).
func (a *API) mySleepMode(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	st, s, err := a.db.SleepStateOf(r.Context(), actor.UserID, a.now())
	if err != nil {
		return err
	}
	v := mySleepView{sleepStateView: stateView(st)}
	if s != nil {
		v.TimeZone = &s.TimeZone
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// mySleepView is GET /me/sleep-mode: the state and the schedule's time
// zone (null without a schedule).
type mySleepView struct {
	sleepStateView
	TimeZone *string `json:"time_zone"`
}

// leakField is one text a child writes outside a conversation: the
// request field and its value (nil: not being set).
type leakField struct {
	name  string
	value *string
}

// checkLeakFields refuses a child's texts outside a conversation (their
// display name, bio, a group's title) that hold one of their own kept
// game passwords, like a message; others' are not checked.
func (a *API) checkLeakFields(ctx context.Context, actor *domain.Actor, fields ...leakField) error {
	if !actor.IsChild() {
		return nil
	}
	var names, texts []string
	for _, f := range fields {
		if f.value != nil {
			names, texts = append(names, f.name), append(texts, *f.value)
		}
	}
	if len(texts) == 0 {
		return nil
	}
	hit, i, err := a.keeper.CheckLeakTexts(ctx, actor, texts...)
	if err != nil || hit == nil {
		return err
	}
	return a.sender.RefuseLeak(ctx, actor, 0, names[i], *hit)
}

// blockContact: POST /contacts/{id}/block, by a child of the link.
func (a *API) blockContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (domain.Contact, error) { return a.db.BlockContact(r.Context(), actor, id) })
}

// unblockContact: POST /contacts/{id}/unblock, by the blocker's parent.
func (a *API) unblockContact(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	return one(w, r, "id", func(id int64) (domain.Contact, error) { return a.db.UnblockContact(r.Context(), actor, id) })
}

// childActivity: GET /children/{id}/activity, the child's last 30 days.
func (a *API) childActivity(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	act, err := a.db.ChildActivity(r.Context(), actor, id, a.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, act)
	return nil
}
