package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/pacer-email/pacer/internal/dnscheck"
	"github.com/pacer-email/pacer/internal/dnscheck/dnstest"
	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
	"github.com/pacer-email/pacer/server/api"
)

// domainAPI is the API on a fresh database with every log line, debug
// included, captured in logs.
type domainAPI struct {
	t     *testing.T
	url   string
	token string
	db    *store.DB
	dns   *dnstest.Server
	logs  *syncBuffer
	// bodies holds every response body, to search for keys.
	bodies bytes.Buffer
}

func newDomainAPI(t *testing.T) *domainAPI {
	t.Helper()
	db := testenv.DB(t)
	logs := &syncBuffer{}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.AddSync(logs), zap.DebugLevel)
	dns := dnstest.New(t)
	srv := &api.Server{DB: db, Log: zap.New(core), DNSResolver: dns.Addr}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	token, err := db.CreateAPIToken(context.Background(), "domains")
	if err != nil {
		t.Fatal(err)
	}
	return &domainAPI{t: t, url: hs.URL, token: token, db: db, dns: dns, logs: logs}
}

// syncBuffer is a buffer that zap may write to from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// call sends a request and returns the status; out receives the JSON body.
func (a *domainAPI) call(method, path string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	a.bodies.Write(data)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

type domainBody struct {
	ID            int64  `json:"id"`
	Domain        string `json:"domain"`
	DKIMSelector  string `json:"dkim_selector"`
	DKIMAlgorithm string `json:"dkim_algorithm"`
	DKIMRecord    struct {
		Type, Name, Value string
	} `json:"dkim_record"`
}

// assertNoKey fails when any response body or log line holds a part of
// the PEM key: its armour or any 32-character run of its base64 that is not
// public (an RSA key holds its modulus, which the DKIM record shows too).
func (a *domainAPI) assertNoKey(keyPEM string, public ...string) {
	a.t.Helper()
	haystacks := map[string]string{"API responses": a.bodies.String(), "logs": a.logs.String()}
	b64 := pemBody(keyPEM)
	for where, text := range haystacks {
		if strings.Contains(text, "PRIVATE KEY") {
			a.t.Errorf("%s hold a PEM armour line", where)
		}
		text = strings.ReplaceAll(text, `\n`, "")
		for i := 0; i+32 <= len(b64); i += 8 {
			w := b64[i : i+32]
			if strings.Contains(text, w) && !strings.Contains(strings.Join(public, " "), w) {
				a.t.Fatalf("%s hold part of the private key: %q", where, w)
			}
		}
	}
}

// pemBody returns the base64 of a PEM block without its armour.
func pemBody(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "-----") {
			b.WriteString(strings.TrimSpace(l))
		}
	}
	return b.String()
}

func TestDomainKeysStayPrivate(t *testing.T) {
	a := newDomainAPI(t)
	var gen domainBody
	if code := a.call("POST", "/api/domains", map[string]any{"domain": "News.Example.org.", "algorithm": "rsa",
		"selector": "s1", "sending_host": "192.0.2.25"}, &gen); code != http.StatusCreated {
		t.Fatalf("POST generate: HTTP %d", code)
	}
	if gen.Domain != "news.example.org" || gen.DKIMAlgorithm != "rsa" ||
		gen.DKIMRecord.Name != "s1._domainkey.news.example.org" ||
		!strings.HasPrefix(gen.DKIMRecord.Value, "v=DKIM1; k=rsa; p=") {
		t.Errorf("created domain = %+v, want news.example.org with its DKIM record", gen)
	}

	edKey, edPEM := ed25519PEM(t)
	var imp domainBody
	if code := a.call("POST", "/api/domains", map[string]any{"domain": "mail.example.net",
		"private_key_pem": edPEM}, &imp); code != http.StatusCreated {
		t.Fatalf("POST import: HTTP %d", code)
	}
	wantP := "p=" + base64.StdEncoding.EncodeToString(edKey.Public().(ed25519.PublicKey))
	if imp.DKIMAlgorithm != "ed25519" || !strings.HasSuffix(imp.DKIMRecord.Value, wantP) ||
		!strings.HasPrefix(imp.DKIMSelector, "pacer") {
		t.Errorf("imported domain = %+v, want the ed25519 key's record and a default selector", imp)
	}
	rsaPKCS1 := pkcs1PEM(t)
	var legacy domainBody
	if code := a.call("POST", "/api/domains", map[string]any{"domain": "legacy.example.com", "algorithm": "rsa",
		"private_key_pem": rsaPKCS1}, &legacy); code != http.StatusCreated {
		t.Fatalf("POST import PKCS#1: HTTP %d", code)
	}

	rejected := []map[string]any{
		{"domain": "news.example.org"}, // exists
		{"domain": "x.example.org", "algorithm": "rsa", "private_key_pem": edPEM},
		{"domain": "y.example.org", "private_key_pem": "-----BEGIN PRIVATE KEY-----\nU0VDUkVUTUFSS0VS\n-----END PRIVATE KEY-----\n"},
		{"domain": "not a domain"},
		{"domain": "z.example.org", "algorithm": "dsa"},
	}
	for _, body := range rejected {
		code := a.call("POST", "/api/domains", body, nil)
		if code != http.StatusConflict && code != http.StatusBadRequest {
			t.Errorf("POST %v: HTTP %d, want 409 or 400", body["domain"], code)
		}
	}
	var list []domainBody
	a.call("GET", "/api/domains", nil, &list)
	if len(list) != 3 {
		t.Errorf("GET /api/domains lists %d domains, want 3", len(list))
	}
	var public []string
	for _, d := range list {
		public = append(public, d.DKIMRecord.Value)
	}
	a.call("GET", fmt.Sprintf("/api/domains/%d", gen.ID), nil, nil)
	a.call("GET", fmt.Sprintf("/api/domains/%d/check", gen.ID), nil, nil)

	for _, d := range list {
		stored, err := a.db.GetSendingDomain(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(stored.DKIMPrivateKey), "-----BEGIN PRIVATE KEY-----") {
			t.Errorf("%s: the key is not stored as PKCS#8 PEM", d.Domain)
		}
		a.assertNoKey(string(stored.DKIMPrivateKey), public...)
		text := fmt.Sprintf("%v %+v %#v %s %q", stored, stored, stored, stored.DKIMPrivateKey, stored.DKIMPrivateKey)
		if strings.Contains(text, "PRIVATE") {
			t.Errorf("fmt prints the key of %s", d.Domain)
		}
		if data, _ := json.Marshal(stored); strings.Contains(string(data), "PRIVATE") {
			t.Errorf("JSON holds the key of %s", d.Domain)
		}
	}
	a.assertNoKey(edPEM, public...)
	a.assertNoKey(rsaPKCS1, public...)
	if strings.Contains(a.bodies.String()+a.logs.String(), "U0VDUkVUTUFSS0VS") {
		t.Error("the rejected key's content is echoed")
	}
	if !strings.Contains(a.logs.String(), "/api/domains") {
		t.Error("the captured logs hold no request line: is the logger wired?")
	}
}

func TestDomainCheckAgainstDNS(t *testing.T) {
	a := newDomainAPI(t)
	var d domainBody
	a.call("POST", "/api/domains", map[string]any{"domain": "news.example.org", "selector": "s1", "algorithm": "ed25519",
		"spf_include": "_spf.relay.example", "return_path_domain": "bounces.news.example.org"}, &d)
	path := fmt.Sprintf("/api/domains/%d/check", d.ID)

	var rep dnscheck.Report
	a.call("GET", path, nil, &rep)
	if rep.OK || len(rep.Checks) != 3 {
		t.Fatalf("check with no records = %+v, want three failures", rep)
	}
	for _, c := range rep.Checks {
		if c.OK || c.Fix == "" {
			t.Errorf("%s: %+v, want a failure with a fix", c.Check, c)
		}
	}
	if !strings.Contains(rep.Checks[1].Fix, d.DKIMRecord.Value) {
		t.Errorf("DKIM fix %q does not give the record to publish", rep.Checks[1].Fix)
	}

	a.dns.SetTXT("bounces.news.example.org", "v=spf1 include:_spf.relay.example -all")
	a.dns.SetTXT("_spf.relay.example", "v=spf1 ip4:192.0.2.0/24 -all")
	a.dns.SetTXT(d.DKIMRecord.Name, d.DKIMRecord.Value)
	a.dns.SetTXT("_dmarc.news.example.org", "v=DMARC1; p=reject")
	a.call("GET", path, nil, &rep)
	if !rep.OK {
		t.Fatalf("check with the records published = %+v, want every check to pass", rep)
	}
	if rep.Checks[2].Policy != "reject" {
		t.Errorf("DMARC policy = %q, want reject", rep.Checks[2].Policy)
	}
}

func ed25519PEM(t *testing.T) (ed25519.PrivateKey, string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pkcs1PEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}
