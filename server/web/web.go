// Package web serves pacer's campaign overview page: one HTML page, a style
// sheet and a few JavaScript modules, embedded in the binary so the page
// needs no network access beyond the pacer server itself. The page reads and
// steers campaigns only through the JSON API under /api, with the bearer
// token the user enters (or passes in a #token= URL fragment).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the page to load only its own assets and to
// talk only to its own origin. Inline scripts and style attributes are
// blocked; the scripts set styles through the CSSOM, which the policy allows.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Register adds the page at / and its assets under /ui/ to r.
func Register(r *gin.Engine) {
	assets, err := fs.Sub(static, "static")
	if err != nil {
		panic("web: embedded assets are missing: " + err.Error())
	}
	index, err := fs.ReadFile(assets, "index.html")
	if err != nil {
		panic("web: embedded index.html is missing: " + err.Error())
	}
	files := http.StripPrefix("/ui/", http.FileServerFS(assets))

	servePage := func(c *gin.Context) {
		setHeaders(c)
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
	serveAsset := func(c *gin.Context) {
		// The file server would return a generated listing for a directory
		// path, and the page loads no directories.
		if strings.HasSuffix(c.Request.URL.Path, "/") {
			c.String(http.StatusNotFound, "404 page not found")
			return
		}
		setHeaders(c)
		files.ServeHTTP(c.Writer, c.Request)
	}
	r.GET("/", servePage)
	r.HEAD("/", servePage)
	r.GET("/ui/*filepath", serveAsset)
	r.HEAD("/ui/*filepath", serveAsset)
}

func setHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// The assets change with the binary and carry no version in their
	// names, so browsers must revalidate them on every load.
	h.Set("Cache-Control", "no-cache")
}
