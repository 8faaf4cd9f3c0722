// Package care owns the care record at the point of care: About Me (PRSB
// sections), care plans (versioned, co-produced, agreed, reviewed), daily
// notes, observations (fluids, food, weight, vital signs with NEWS2, falls)
// and their alerts, medicines administration (eMAR), visits for home care,
// and risk assessments and safety plans.
//
// Every read and write goes through the door. Entries are append-only: a
// correction or a new version is a new row that points at the one it
// replaces, with who, when and why; earlier versions stay readable (DESIGN.md
// invariant 3).
package care

import (
	"time"

	"hearth/internal/door"
	"hearth/internal/store"
)

// Service reads and records the care record.
type Service struct {
	db   *store.DB
	door *door.Door
	obs  ObsConfig // fluids alert time, visit grace period (observations.go); zero means the defaults
	// lateAfter: a daily note recorded more than this after the care is
	// flagged late (notes.go, SetLateNoteAfter); zero means 2 hours. Added
	// by the record half of issue 3.
	lateAfter time.Duration
}

// New returns the care service.
func New(db *store.DB, d *door.Door) *Service { return &Service{db: db, door: d} }
