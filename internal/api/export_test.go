package api

// Routes lists "METHOD /path" of every route, for tests in api_test.
func Routes() []string {
	var out []string
	for _, rt := range (&API{}).routes() {
		out = append(out, rt.pattern)
	}
	return out
}
