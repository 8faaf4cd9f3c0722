package tech

// Fonts returns the embedded DejaVu Sans regular and bold, for other
// packages' PDFs (a breach letter, a disposal certificate): one copy of the
// font in the binary, with the same coverage of names as a person's copy.
func Fonts() (regular, bold []byte) { return fontRegular, fontBold }
