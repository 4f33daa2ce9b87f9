package api_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// Web Push is a parent's own: every approved parent reads the VAPID key
// and turns push on and off for their devices; nobody else may.
var _ = addMatrix(
	matrixCase{method: "GET", route: "/push/vapid-public-key", path: path("/push/vapid-public-key"),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 200, otherParent: 200})},
	matrixCase{method: "POST", route: "/me/push-subscriptions", path: path("/me/push-subscriptions"),
		body: func(w *world) any { return newPushSubscription(fmt.Sprintf("m%d", w.a.Parent.UserID)) },
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 201, otherParent: 201})},
	matrixCase{method: "DELETE", route: "/me/push-subscriptions", path: path("/me/push-subscriptions"),
		body: fixedBody(map[string]string{"endpoint": "https://push.example.org/send/gone"}),
		want: statuses(403, map[role]int{anonymous: 401, suspendedParent: 401, parent: 204, otherParent: 204})},
)

// pushSub is a browser's PushSubscription.toJSON().
type pushSub struct {
	Endpoint string            `json:"endpoint"`
	Keys     map[string]string `json:"keys"`
}

// newPushSubscription makes a subscription with fresh, valid keys whose
// endpoint ends in name.
func newPushSubscription(name string) pushSub {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	enc := base64.RawURLEncoding.EncodeToString
	return pushSub{Endpoint: "https://push.example.org/send/" + name,
		Keys: map[string]string{"p256dh": enc(k.PublicKey().Bytes()), "auth": enc(auth)}}
}
