package web

import (
	"errors"
	"io"
	"net/http"

	"hearth"
	"hearth/internal/imports"
)

// The administrator's import page: a CSV file of people, staff or care
// teams, checked whole (a dry run changes nothing), then imported all or
// nothing. Every problem is shown with its row and column.
func (s *Server) importRoutes() {
	s.handle("GET", uploadPath, Personal, s.importPage)
	s.handle("POST", uploadPath, Personal, s.importFile)
}

type importView struct {
	Kinds    []importKind
	Kind     string
	DryRun   bool
	Result   *imports.Result
	FileName string
	Origin   string
	Refused  bool
	LimitMB  int
}

type importKind struct {
	Value, Title       string
	Required, Optional []string
}

func importKinds() []importKind {
	var out []importKind
	for _, k := range []struct{ v, t string }{{imports.People, "People"}, {imports.Staff, "Staff"}, {imports.Teams, "Care teams"}} {
		req, opt := imports.Columns(k.v)
		out = append(out, importKind{Value: k.v, Title: k.t, Required: req, Optional: opt})
	}
	return out
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.People.MayImport(r.Context(), c.actor); err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "admin_import", "Import records", importView{Kinds: importKinds(), Kind: imports.People, DryRun: true,
		LimitMB: imports.MaxFileBytes >> 20})
	return nil
}

func (s *Server) importFile(w http.ResponseWriter, r *http.Request, c *call) error {
	kind, dry := r.PostFormValue("kind"), r.PostFormValue("dry_run") == "yes"
	var f imports.File
	if file, hdr, err := r.FormFile("file"); err == nil {
		defer file.Close()
		// Read one byte past the limit, so a file that is too large is
		// refused as such rather than cut short.
		data, err := io.ReadAll(io.LimitReader(file, imports.MaxFileBytes+1))
		if err != nil {
			return err
		}
		f = imports.File{Name: hdr.Filename, Data: data}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return hearth.Errorf(hearth.KindInvalid, "The file could not be read")
	}
	res, err := s.Imports.Import(r.Context(), c.actor, kind, f, imports.Options{DryRun: dry, Meta: meta(r)})
	if err != nil && !errors.Is(err, imports.ErrRefused) {
		return err
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, c, status, "admin_import", "Import records", importView{Kinds: importKinds(), Kind: kind, DryRun: dry, Result: &res,
		FileName: f.Name, Origin: s.origin(r), Refused: err != nil, LimitMB: imports.MaxFileBytes >> 20})
	return nil
}
