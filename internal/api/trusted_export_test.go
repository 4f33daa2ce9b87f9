package api_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"pixelpals/internal/apitest"
)

// exportedTrusted is a trusted grown-up as the child's export lists them.
type exportedTrusted struct {
	AdultID        int64      `json:"adult_id"`
	DisplayName    string     `json:"display_name"`
	Status         string     `json:"status"`
	ProposedByName *string    `json:"proposed_by_display_name"`
	ProposedAt     time.Time  `json:"proposed_at"`
	ActiveAt       *time.Time `json:"active_at"`
	Approvals      []struct {
		DisplayName string    `json:"display_name"`
		ApprovedAt  time.Time `json:"approved_at"`
	} `json:"approvals"`
}

// TestExportHoldsTrustedAdults: the child's export (SPEC §9), for either
// guardian, lists the child's trusted grown-ups, pending and active, with
// who proposed and approved them and when; never their codes or the
// codes' hashes, nor a sibling's trusted grown-up.
func TestExportHoldsTrustedAdults(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	admin := env.Admin()
	fa := env.Family(admin, 2)
	k, sib := fa.Children[0], fa.Children[1]
	grandma, godfather, aunt := env.Family(admin, 0).Parent, env.Family(admin, 0).Parent, env.Family(admin, 0).Parent
	g2 := env.Guardian(admin, fa.Parent, k.UserID)
	names := map[*apitest.Client]string{fa.Parent: "Tom Schulz", g2: "Eva Schulz", grandma: "Oma Inge", godfather: "Pate Jan", aunt: "Tante Lea"}
	for c, name := range names {
		rename(c, name)
	}
	path := fmt.Sprintf("/children/%d/export", k.UserID)
	var empty struct {
		TrustedAdults []exportedTrusted `json:"trusted_adults"`
	}
	if r := fa.Parent.Must(200, "GET", path, nil, &empty); empty.TrustedAdults == nil || len(empty.TrustedAdults) != 0 {
		t.Fatalf("export before any trusted grown-up, want trusted_adults []: %s", r.Body)
	}

	// Grandma: proposed by Tom, approved by Eva (active). The godfather:
	// proposed by Eva, waiting for Tom. The aunt: the sibling's.
	codes := []string{trustedCode(grandma), trustedCode(godfather), trustedCode(aunt)}
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/trusted-adults", k.UserID), map[string]string{"code": codes[0]}, nil)
	g2.Must(200, "POST", fmt.Sprintf("/children/%d/trusted-adults/%d/approve", k.UserID, grandma.UserID), nil, nil)
	g2.Must(201, "POST", fmt.Sprintf("/children/%d/trusted-adults", k.UserID), map[string]string{"code": codes[1]}, nil)
	fa.Parent.Must(201, "POST", fmt.Sprintf("/children/%d/trusted-adults", sib.UserID), map[string]string{"code": codes[2]}, nil)

	for _, g := range []*apitest.Client{fa.Parent, g2} {
		var out struct {
			TrustedAdults []exportedTrusted `json:"trusted_adults"`
		}
		r := g.Must(200, "GET", path, nil, &out)
		got := out.TrustedAdults
		if len(got) != 2 {
			t.Fatalf("guardian %d: %d trusted grown-ups in the export, want 2: %s", g.UserID, len(got), r.Body)
		}
		checkExportedTrusted(t, got[0], grandma.UserID, "Oma Inge", "active", "Tom Schulz", "Tom Schulz", "Eva Schulz")
		checkExportedTrusted(t, got[1], godfather.UserID, "Pate Jan", "pending", "Eva Schulz", "Eva Schulz")
		checkExportHidesCodes(t, env, string(r.Body), codes)
		if strings.Contains(string(r.Body), "Tante Lea") {
			t.Fatalf("the export holds the sibling's trusted grown-up: %s", r.Body)
		}
	}
}

// checkExportHidesCodes: no trusted code, nor any code's hash, in body.
func checkExportHidesCodes(t *testing.T, env *apitest.Env, body string, codes []string) {
	t.Helper()
	for _, secret := range codes {
		if strings.Contains(body, secret) {
			t.Fatalf("the export holds a trusted code %q", secret)
		}
	}
	rows, err := env.DB.Pool.Query(t.Context(), `SELECT code_hash FROM trusted_invites`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(body, hex.EncodeToString(h)) || strings.Contains(strings.ToLower(body), "code_hash") {
			t.Fatalf("the export holds a code's hash")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// checkExportedTrusted compares one exported trusted grown-up with the
// names expected, and checks its dates are set and in order.
func checkExportedTrusted(t *testing.T, x exportedTrusted, adult int64, name, status, proposer string, approvers ...string) {
	t.Helper()
	var got []string
	for _, a := range x.Approvals {
		got = append(got, a.DisplayName)
		if a.ApprovedAt.Before(x.ProposedAt.Add(-time.Second)) {
			t.Errorf("approval by %s at %s, before the proposal at %s", a.DisplayName, a.ApprovedAt, x.ProposedAt)
		}
	}
	if x.AdultID != adult || x.DisplayName != name || x.Status != status || x.ProposedByName == nil ||
		*x.ProposedByName != proposer || fmt.Sprint(got) != fmt.Sprint(approvers) || x.ProposedAt.IsZero() ||
		(status == "active") != (x.ActiveAt != nil) {
		t.Errorf("exported trusted grown-up %+v, want %d %q %s proposed by %s, approved by %v", x, adult, name, status, proposer, approvers)
	}
}
