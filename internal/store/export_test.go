package store

// PrintCredentials lists the credentials whose fingerprints g holds, in
// order, once per fingerprint read.
func (g *SendGate) PrintCredentials() []int64 {
	var out []int64
	for _, p := range g.prints {
		out = append(out, p.credentialID)
	}
	return out
}
