package cli

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A workbook of text cells, written directly as Office Open XML (ECMA-376):
// what the clerks' export needs and nothing more. Not excelize: its writer
// reaches reflection that keeps every method of every type in the binary
// (+13 MB, and about 4 MiB more resident in each bot replica and each
// document checker, which are this same binary), for a file that is a zip
// of six small XML parts. Cells are inline strings, so a value starting
// with = + - @ stays text, never a formula.

// sheet is one worksheet: its name and its rows of cells.
type sheet struct {
	name string
	rows [][]string
}

// writeXLSX writes the sheets as a workbook to w.
func writeXLSX(w io.Writer, sheets []sheet) error {
	z := zip.NewWriter(w)
	var types, sheetsXML, rels strings.Builder
	for i, s := range sheets {
		n := strconv.Itoa(i + 1)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%s.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		fmt.Fprintf(&sheetsXML, `<sheet name="%s" sheetId="%s" r:id="rId%s"/>`, escapeXML(s.name), n, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%s" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%s.xml"/>`, n, n)
	}
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			types.String() + `</Types>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + sheetsXML.String() + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			rels.String() + `</Relationships>`},
	}
	for _, p := range parts {
		if err := writePart(z, p.name, p.body); err != nil {
			return err
		}
	}
	for i, s := range sheets {
		if err := writePart(z, "xl/worksheets/sheet"+strconv.Itoa(i+1)+".xml", sheetXML(s.rows)); err != nil {
			return err
		}
	}
	return z.Close()
}

func writePart(z *zip.Writer, name, body string) error {
	f, err := z.Create(name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, body)
	return err
}

// sheetXML is a worksheet of inline-string cells.
func sheetXML(rows [][]string) string {
	var b strings.Builder
	b.WriteString(xml.Header + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range rows {
		fmt.Fprintf(&b, `<row r="%d">`, r+1)
		for c, v := range row {
			if v == "" {
				continue
			}
			fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, columnName(c), r+1, escapeXML(v))
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.String()
}

// columnName is a 0-based column's letters: A … Z, AA, AB, …
func columnName(c int) string {
	var s []byte
	for c++; c > 0; c = (c - 1) / 26 {
		s = append([]byte{byte('A' + (c-1)%26)}, s...)
	}
	return string(s)
}

// escapeXML escapes text for XML character data and attribute values;
// characters XML cannot carry (controls other than tab and line breaks)
// are dropped.
func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)))
	return b.String()
}

// writeFileAtomic writes name (mode 0600) through write, beside it first
// and renamed into place: the file is whole or absent.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
