// Package care owns the care record at the point of care: About Me (PRSB
// sections), care plans (versioned, co-produced, agreed, reviewed), daily
// notes, observations (fluids, food, weight, vital signs with NEWS2, falls)
// and their alerts, medicines administration (eMAR), visits for home care,
// and risk assessments and safety plans.
//
// Every read and write goes through the door. Entries are append-only: a
// correction or a new version is a new row that points at the one it
// replaces, with who, when and why; earlier versions stay readable (docs/architecture.md,
// invariant 3).
package care

import (
	"time"

	"hearth/internal/accounts"
	"hearth/internal/door"
	"hearth/internal/tech"
)

// Service reads and records the care record.
type Service struct {
	door *door.Door
	obs  ObsConfig // fluids alert time, visit grace period (observations.go); zero means the defaults
	// lateAfter: a daily note recorded more than this after the care is
	// flagged late (notes.go, SetLateNoteAfter); zero means 2 hours.
	lateAfter time.Duration
	// accounts confirms a controlled drug witness's password, counting
	// wrong ones towards their lockout (WithAccounts); tech says whether a
	// technology use covers location at a person's visits (WithTech).
	accounts *accounts.Service
	tech     *tech.Service
}

// WithAccounts sets the accounts service (used while wiring the app).
func (s *Service) WithAccounts(a *accounts.Service) *Service { s.accounts = a; return s }

// WithTech sets the technology service (used while wiring the app).
func (s *Service) WithTech(t *tech.Service) *Service { s.tech = t; return s }

// New returns the care service.
func New(d *door.Door) *Service { return &Service{door: d} }
