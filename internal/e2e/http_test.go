package e2e

import (
	"net/http/httptest"
	"testing"

	"github.com/pacer-email/pacer/server/api"
)

func serveHTTP(t *testing.T, srv *api.Server) string {
	t.Helper()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}
