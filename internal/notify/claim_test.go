package notify_test

import "testing"

// TestSignupTakenUnverifiedClaim: someone signs up with a stranger's
// address first; when the address's owner signs up, their mail's link
// does not verify the squatter's account as it stands (the owner would
// vouch for an account whose password someone else chose): it has the
// owner choose the password, which verifies the address and logs the
// squatter out.
func TestSignupTakenUnverifiedClaim(t *testing.T) {
	r := newRecoveryRig(t)
	admin := r.env.Admin()
	squatter := r.env.PendingParent()
	r.newMails(t) // the first verification link: the owner never opens it
	anon := r.env.Anonymous()
	anon.Must(201, "POST", "/auth/signup", map[string]string{"email": squatter.Login, "password": "the-owners-password", "display_name": "Owner"}, nil)
	m := onlyMail(t, r.newMails(t), squatter.Login, "Finish signing up: choose your password")
	token := linkToken(t, r.env, m, "reset-password")
	if resp := anon.Do("POST", "/auth/verify-email", map[string]string{"token": token}); resp.Status != 400 || resp.ErrorField() != "token" {
		t.Fatalf("the claim link as a verification link: %d %s, want 400 token", resp.Status, resp.Body)
	}
	if verified(t, admin, squatter.UserID) {
		t.Fatal("verified before the owner chose the password")
	}
	anon.Must(200, "POST", "/auth/password-reset/confirm", map[string]string{"token": token, "password": "the-owners-password"}, nil)
	if !verified(t, admin, squatter.UserID) {
		t.Fatal("choosing the password did not verify the address")
	}
	if resp := squatter.Do("GET", "/me", nil); resp.Status != 401 {
		t.Fatalf("the squatter's session after the owner's claim: %d, want 401", resp.Status)
	}
	if resp := anon.Do("POST", "/auth/login", map[string]string{"login": squatter.Login, "password": squatter.Password}); resp.Status != 401 {
		t.Fatalf("the squatter's password after the claim: %d, want 401", resp.Status)
	}
	anon.Must(200, "POST", "/auth/login", map[string]string{"login": squatter.Login, "password": "the-owners-password"}, nil)
	r.noSecretsStored(t, token, "the-owners-password")
}
