package partners

// SetMaxFileBytes makes a test's export files small, until restored.
func SetMaxFileBytes(n int) (restore func()) {
	old := maxFileBytes
	maxFileBytes = n
	return func() { maxFileBytes = old }
}
