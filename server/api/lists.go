package api

import (
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pacer-email/pacer/internal/importer"
	"github.com/pacer-email/pacer/internal/store"
)

func (s *Server) listLists(c *gin.Context) (any, error) {
	return s.DB.ListLists(c.Request.Context())
}

// maxNameBytes bounds the names of lists, campaigns and servers, which
// every listing returns.
const maxNameBytes = 200

func (s *Server) createList(c *gin.Context) (any, error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, invalid(`list name is empty: send {"name": "Newsletter"}`)
	}
	if n := len(strings.TrimSpace(req.Name)); n > maxNameBytes {
		return nil, invalid("list name is %d bytes long: use at most %d", n, maxNameBytes)
	}
	l, err := s.DB.CreateList(c.Request.Context(), strings.TrimSpace(req.Name))
	if err != nil {
		return nil, err
	}
	return created{l}, nil
}

func (s *Server) getList(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.DB.GetList(c.Request.Context(), id)
}

func (s *Server) getSubscriber(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.DB.GetSubscriber(c.Request.Context(), id)
}

// maxReportedRowErrors bounds the row errors an import response lists; the
// count covers all of them.
const maxReportedRowErrors = 1000

// ImportReport is the answer to a CSV import.
type ImportReport struct {
	store.ImportResult
	Invalid   int                  `json:"invalid"`
	RowErrors []*importer.RowError `json:"row_errors"`
}

// importCSV streams a CSV body (text/csv, or a multipart form field "file")
// into a list. Invalid rows are reported with their line numbers and the
// rest is imported; duplicates within the file are merged, last row wins.
func (s *Server) importCSV(c *gin.Context) (any, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	if _, err := s.DB.GetList(c.Request.Context(), id); err != nil {
		return nil, err
	}
	body, err := csvBody(c)
	if err != nil {
		return nil, err
	}
	var opts importer.Options
	if d := c.Query("delimiter"); d != "" {
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if len([]rune(d)) != 1 {
			return nil, invalid("delimiter %q: give one character such as , ; | or tab", d)
		}
		opts.Delimiter = []rune(d)[0]
	}
	rd, err := importer.NewReader(body, opts)
	if err != nil {
		return nil, invalid("%v", err)
	}
	report := ImportReport{RowErrors: []*importer.RowError{}}
	next := func() (store.ImportRow, bool, error) {
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return store.ImportRow{}, false, nil
			}
			var rowErr *importer.RowError
			if errors.As(err, &rowErr) {
				report.Invalid++
				if len(report.RowErrors) < maxReportedRowErrors {
					report.RowErrors = append(report.RowErrors, rowErr)
				}
				continue
			}
			if err != nil {
				return store.ImportRow{}, false, invalid("reading CSV: %v", err)
			}
			return store.ImportRow{Line: row.Line, Email: row.Email, Key: row.Key, Name: row.Name, Attribs: row.Attribs}, true, nil
		}
	}
	res, err := s.DB.ImportSubscribers(c.Request.Context(), id, next)
	if err != nil {
		var inv *InvalidError
		if errors.As(err, &inv) {
			return nil, inv
		}
		return nil, err
	}
	report.ImportResult = res
	return report, nil
}

func csvBody(c *gin.Context) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "multipart/form-data" {
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, invalid(`multipart import needs the CSV in a field named "file": %v`, err)
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return c.Request.Body, nil
}
