package domain

import (
	"bufio"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/fault"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/validate"
)

// This file calls pdfcpu's core packages the way its pkg/api does (pdfcpu
// v0.15.0), without importing pkg/api: that links pkg/pdfcpu/form and with
// it github.com/mattn/go-runewidth, whose init fills a 2.2 MB table at every
// start of the bot. Each function names the api function it mirrors; check
// them against api's source when pdfcpu is upgraded.

func init() {
	// api.DisableConfigDir: without it model.NewDefaultConfiguration writes a
	// config directory under the user's home on first use, which fails on
	// read-only file systems.
	model.ConfigPath = "disable"
}

// readAndValidate is api.ReadAndValidate: api.ReadContext, then
// api.ValidateContext with api.validationError's wrapping. Left out: nil
// checks, the PDF 2.0 disclaimer (logged only when pdfcpu's loggers are on)
// and signature removal (only for the merge, optimise and remove-signatures
// commands, never for the default VALIDATE).
func readAndValidate(rs io.ReadSeeker, conf *model.Configuration) (ctx *model.Context, err error) {
	defer fault.Catch(&err) // pdfcpu reports some errors by panicking with a fault.Panic
	if ctx, err = pdfcpu.Read(rs, conf); err != nil {
		return nil, fmt.Errorf("read context: %w", err)
	}
	if err := validate.XRefTable(ctx); err != nil {
		// api.validationError adds "(try --mode=relaxed)" in strict mode only.
		return nil, fmt.Errorf("validation error (obj#:%d): %w", ctx.CurObj, err)
	}
	return ctx, nil
}

// importImages is api.ImportImages(nil, w, imgs, nil, conf): a new PDF
// with one page per image of pdfcpu.DefaultImportConfig (each page the
// size of its image), in order, written to w. Left out: the default
// import configuration's validation (api.PrepareImportConfiguration; it is
// constant) and nil checks of a page tree that pdfcpu has just created.
func importImages(w io.Writer, imgs []io.Reader, conf *model.Configuration) (err error) {
	defer fault.Catch(&err)
	imp := pdfcpu.DefaultImportConfig()
	conf.Cmd = model.IMPORTIMAGES
	ctx, err := pdfcpu.CreateContextWithXRefTable(conf, imp.PageDim)
	if err != nil {
		return fmt.Errorf("import images: create PDF context: %w", err)
	}
	pagesIndRef, err := ctx.Pages()
	if err != nil {
		return fmt.Errorf("import images: access page tree: %w", err)
	}
	pagesDict, err := ctx.DereferenceDict(*pagesIndRef)
	if err != nil {
		return fmt.Errorf("import images: dereference page tree: %w", err)
	}
	for i, img := range imgs {
		indRefs, err := pdfcpu.NewPagesForImage(ctx.XRefTable, img, pagesIndRef, imp)
		if err != nil {
			return fmt.Errorf("import images: image %d: create pages: %w", i+1, err)
		}
		for j, indRef := range indRefs {
			if err := ctx.SetValid(*indRef); err != nil {
				return fmt.Errorf("import images: image %d page %d: mark valid: %w", i+1, j+1, err)
			}
			if err := model.AppendPageTree(indRef, 1, pagesDict); err != nil {
				return fmt.Errorf("import images: image %d page %d: append page tree: %w", i+1, j+1, err)
			}
			ctx.PageCount++
		}
	}
	// api.Write → api.WriteContext: pdfcpu writes through a bufio.Writer.
	bw := bufio.NewWriter(w)
	ctx.Write.Writer = bw
	if err := pdfcpu.WriteContext(ctx); err != nil {
		return fmt.Errorf("import images: write output: %w", err)
	}
	return bw.Flush()
}
