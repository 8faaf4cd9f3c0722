package portal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/store/storetest"
)

// Ann keeps a receipt for a care worker's read of her record. Someone who
// can write to the database then cuts the audit log back to an earlier
// checkpoint, deleting the later events and checkpoints, so the database
// alone looks whole. When Ann checks her receipt on the portal, it still
// verifies on its own, but today's log no longer extends its checkpoint:
// the check fails and says the log was cut back.
func TestAReceiptIssuedBeforeARollbackFailsThePortalCheckAfterIt(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	if _, err := f.People.Get(f.Ctx, f.Carer.Actor, f.Ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Audit.Seal(f.Ctx); err != nil {
		t.Fatal(err)
	}
	var cut int64
	if err := f.DB.QueryRow(f.Ctx, `SELECT MAX(tree_size) FROM audit_checkpoints`).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if _, err := f.People.Get(f.Ctx, f.Carer.Actor, f.Ann.ID); err != nil {
		t.Fatal(err)
	}
	read := f.lastEvent(f.Carer.ID)
	if _, err := f.Audit.Seal(f.Ctx); err != nil {
		t.Fatal(err)
	}
	r, err := f.Portal.Receipt(f.Ctx, ann, f.Ann.ID, read.ID)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := json.Marshal(r)
	if checked, err := f.Portal.CheckReceipt(f.Ctx, ann, f.Ann.ID, text); err != nil || !checked.OK {
		t.Fatalf("before the rollback: %+v %v", checked, err)
	}
	if _, err := f.Audit.Seal(f.Ctx); err != nil {
		t.Fatal(err)
	}

	storetest.Tamper(t, f.DB, `DELETE FROM audit_pending`)
	storetest.Tamper(t, f.DB, `DELETE FROM audit_leaves WHERE leaf_index >= ?`, cut)
	storetest.Tamper(t, f.DB, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, cut))
	storetest.Tamper(t, f.DB, `DELETE FROM audit_events WHERE id NOT IN (SELECT event_id FROM audit_leaves)`)
	storetest.Tamper(t, f.DB, `DELETE FROM audit_checkpoints WHERE tree_size > ?`, cut)

	checked, err := f.Portal.CheckReceipt(f.Ctx, ann, f.Ann.ID, text)
	if err != nil {
		t.Fatal(err)
	}
	if checked.OK || !strings.Contains(checked.Problem, "cut back") {
		t.Fatalf("after the rollback the receipt checks %t, problem %q; want it to say the log was cut back", checked.OK, checked.Problem)
	}
	if e := f.lastEvent(ann.ID); !strings.Contains(e.Detail, "failed") || !strings.Contains(e.Detail, "cut back") {
		t.Errorf("the failed check was not audited with its reason: %+v", e)
	}
}
