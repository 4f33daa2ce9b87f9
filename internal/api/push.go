package api

import (
	"crypto/ecdh"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"pixelpals/internal/domain"
	"pixelpals/internal/store"
)

// vapidPublicKey answers the key a browser subscribes to Web Push with
// (docs/notifications.md "Push"). It is public by nature; only parents
// subscribe, so only they are answered.
func (a *API) vapidPublicKey(w http.ResponseWriter, _ *http.Request, _ *domain.Actor) error {
	if a.pushPublicKey == "" {
		return domain.Errorf(domain.CodeUnavailable, "push notifications are not set up on this server")
	}
	writeJSON(w, http.StatusOK, map[string]string{"public_key": a.pushPublicKey})
	return nil
}

// savePushSubscription turns push on for the acting parent on one device:
// the body is the browser's PushSubscription.toJSON().
func (a *API) savePushSubscription(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req pushSubscriptionRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	id, err := a.db.SavePushSubscription(r.Context(), actor, req.sub)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
	return nil
}

// deletePushSubscription turns push off on the device whose endpoint is
// given. It answers 204 whether or not there was such a subscription of
// the parent's, so it can be repeated and tells nothing of others'.
func (a *API) deletePushSubscription(w http.ResponseWriter, r *http.Request, actor *domain.Actor) error {
	var req endpointRequest
	if err := decodeValid(r, &req); err != nil {
		return err
	}
	if err := a.db.DeletePushSubscription(r.Context(), actor, req.Endpoint); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxEndpoint bounds an endpoint URL; the push services' are a few hundred
// characters.
const maxEndpoint = 2048

type pushSubscriptionRequest struct {
	Endpoint string `json:"endpoint"`
	// ExpirationTime is what browsers send (null); it is not kept.
	ExpirationTime *float64 `json:"expirationTime"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
	sub store.PushSubscription
}

// validate checks the subscription as RFC 8291 needs it: an https
// endpoint, a P-256 public key (65 bytes, on the curve) and a 16-byte auth
// secret, each base64url.
func (req *pushSubscriptionRequest) validate() error {
	if err := validEndpoint(req.Endpoint); err != nil {
		return err
	}
	p256dh, err := decodeKey(req.Keys.P256dh)
	if err != nil || len(p256dh) != 65 {
		return domain.Invalid("keys.p256dh", "must be the browser's P-256 public key: 65 bytes, base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return domain.Invalid("keys.p256dh", "is not a point on the P-256 curve")
	}
	auth, err := decodeKey(req.Keys.Auth)
	if err != nil || len(auth) != 16 {
		return domain.Invalid("keys.auth", "must be the browser's auth secret: 16 bytes, base64url")
	}
	req.sub = store.PushSubscription{Endpoint: req.Endpoint, P256dh: p256dh, Auth: auth}
	return nil
}

type endpointRequest struct {
	Endpoint string `json:"endpoint"`
}

func (req *endpointRequest) validate() error { return validEndpoint(req.Endpoint) }

// validEndpoint accepts an absolute https URL without credentials. Where
// it points is checked when a push is sent (notify.PublicClient dials
// public addresses only).
func validEndpoint(s string) error {
	if s == "" {
		return domain.Invalid("endpoint", "is required")
	}
	if len(s) > maxEndpoint {
		return domain.Invalid("endpoint", "must be at most %d characters", maxEndpoint)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return domain.Invalid("endpoint", "must be an https URL of a push service")
	}
	return nil
}

// decodeKey decodes a key as browsers give it: base64url, padded or not.
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
