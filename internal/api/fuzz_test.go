package api

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"

	"pixelpals/internal/domain"
	"pixelpals/internal/respond"
)

// requestBodies are fresh values of every request body type. New features
// add theirs here, so the fuzzer covers every decoder.
var requestBodies = []func() validator{
	func() validator { return &signupRequest{} },
	func() validator { return &loginRequest{} },
	func() validator { return &profilePatchRequest{} },
	func() validator { return &createChildRequest{} },
	func() validator { return &patchChildRequest{} },
	func() validator { return &passwordRequest{} },
	func() validator { return &credentialRequest{} },
	func() validator { return &credentialPatchRequest{} },
	func() validator { return &contactRequest{} },
	func() validator { return &createConversationRequest{} },
	func() validator { return &addMemberRequest{} },
	func() validator { return &sendRequest{} },
	func() validator { return &reportRequest{} },
	func() validator { return &resolveRequest{} },
}

// FuzzRequestDecoders feeds arbitrary bodies to every request decoder and
// validator: each must accept or return a client error (4xx), never panic
// or fail internally.
func FuzzRequestDecoders(f *testing.F) {
	for _, seed := range []string{
		`{"email":"a@example.com","password":"long-enough","display_name":"A"}`,
		`{"login":"kid.one","password":"kidpass","display_name":"K\u0000"}`,
		`{"display_name":null,"bio":"x\n\ty","avatar_media_id":1}`,
		`{"member_ids":[2,3],"is_group":true,"title":"club"}`, `{"type":"text","content":"hi","client_id":"c-1"}`,
		`{"friend_code":"ABCD-EFGH-JK","child_id":4}`, `{"resolution":"dismissed"}`, `{"user_id":2147483648}`,
		`{"password":12}`, `[]`, `{} {}`, `{"a":`, "\x00", `{"display_name":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mk := range requestBodies {
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			err := decodeValid(req, mk())
			if err == nil {
				continue
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("%T: not a client error: %v", mk(), err)
			}
			if s, _ := respond.StatusOf(de.Code); s < 400 || s >= 500 {
				t.Fatalf("%T: status %d for %v", mk(), s, err)
			}
		}
	})
}
