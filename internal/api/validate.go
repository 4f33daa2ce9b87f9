package api

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"pixelpals/internal/domain"
	"pixelpals/internal/usertext"
)

// cleanText is how every field of text a person writes is checked:
// usertext decides what is visible, stored and refused (invisible-only
// text, tag characters, direction overrides, control characters), then its
// length in characters after cleaning must be min..max. Line breaks and
// tabs are kept when multiline. A refusal names the field.
func cleanText(field, s string, min, max int, multiline bool) (string, error) {
	clean := usertext.Clean
	if multiline {
		clean = usertext.CleanLines
	}
	s, err := clean(s)
	if err != nil {
		var ue *usertext.Error
		if errors.As(err, &ue) {
			return "", domain.Invalid(field, ue.Format, ue.Args...)
		}
		return "", domain.Invalid(field, "%s", err.Error())
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < min && min == 1:
		return "", domain.Invalid(field, "must not be empty")
	case n < min:
		return "", domain.Invalid(field, "must be at least %d characters", min)
	case n > max:
		return "", domain.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// DisplayName validates a display name (profiles.display_name
// VARCHAR(100)); the admin CLI's --name uses it too.
func DisplayName(field, s string) (string, error) { return cleanText(field, s, 1, 100, false) }

// maxBio bounds profiles.bio (TEXT in the seed).
const maxBio = 500

// checkEmail validates and normalizes an adult's email.
func checkEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", domain.Invalid("email", "must not be empty")
	}
	if len(s) > 254 {
		return "", domain.Invalid("email", "must be at most 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", domain.Invalid("email", "must be an email address like name@example.com")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return "", domain.Invalid("email", "must be an email address like name@example.com")
		}
	}
	return s, nil
}

// childLogin is a child's login name: lower-case letters, digits and . _ -,
// 3 to 32 long. It never contains "@", so it can never equal an adult's email
// in the shared users.email column.
var childLogin = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

func checkChildLogin(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !childLogin.MatchString(s) {
		return "", domain.Invalid("login", "must be 3 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit")
	}
	return s, nil
}
