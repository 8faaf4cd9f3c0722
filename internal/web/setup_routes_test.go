package web_test

// The invitation routes are public: they are used before the account
// exists, and the link's token is the credential. They touch no one's
// personal data; accounts audits every attempt (as invitation-accept, and
// account-create when the link works). The route walk's list of exempt
// routes belongs to routes_test.go; until these reasons are moved there,
// they are added here so the walk knows why.
func init() {
	exempt["GET /invitation/{token}"] = "the staff invitation form: before the account exists; no one's data"
	exempt["POST /invitation/{token}"] = "staff invitation token check: audited by accounts as invitation-accept and account-create"
}
