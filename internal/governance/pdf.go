package governance

import (
	"bytes"
	"fmt"

	"codeberg.org/go-pdf/fpdf"

	"hearth/internal/tech"
)

// document is a plain A4 PDF in DejaVu Sans (full Latin coverage, so
// names such as Siân and Ó Briain come through), built the way a person's
// copy of a technology use is (internal/tech/copies.go).
type document struct {
	f *fpdf.Fpdf
}

func newDocument(title string) *document {
	regular, bold := tech.Fonts()
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle(title, true)
	f.SetAuthor("Hearth", true)
	f.SetLang("en-GB")
	f.AddUTF8FontFromBytes("DejaVu", "", regular)
	f.AddUTF8FontFromBytes("DejaVu", "B", bold)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont("DejaVu", "", 9)
		f.CellFormat(0, 10, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont("DejaVu", "B", 18)
	f.MultiCell(0, 9, title, "", "L", false)
	f.Ln(2)
	return &document{f: f}
}

func (d *document) heading(s string) {
	d.f.Ln(3)
	d.f.SetFont("DejaVu", "B", 13)
	d.f.MultiCell(0, 7, s, "", "L", false)
}

func (d *document) para(s string) {
	d.f.SetFont("DejaVu", "", 11)
	d.f.MultiCell(0, 6, s, "", "L", false)
}

// row is a label and its value on one line, for figures.
func (d *document) row(label, value string) {
	d.f.SetFont("DejaVu", "B", 11)
	d.f.MultiCell(0, 6, label, "", "L", false)
	d.f.SetFont("DejaVu", "", 11)
	d.f.MultiCell(0, 6, value, "", "L", false)
	d.f.Ln(1)
}

func (d *document) bytes() ([]byte, error) {
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("governance: PDF: %w", err)
	}
	return buf.Bytes(), nil
}
