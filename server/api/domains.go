package api

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pacer-email/pacer/internal/dnscheck"
	"github.com/pacer-email/pacer/internal/message"
	"github.com/pacer-email/pacer/internal/store"
)

// domainRoutes registers the sending-domain endpoints. No answer and no log
// line carries a private key: the store keeps it in a [store.Secret].
func (s *Server) domainRoutes(api *gin.RouterGroup) {
	api.GET("/domains", s.handle(s.listDomains))
	api.POST("/domains", s.handle(s.createDomain))
	api.GET("/domains/:id", s.handle(s.getDomain))
	api.GET("/domains/:id/check", s.handle(s.checkDomain))
}

// domainRequest is the body of POST /api/domains. PrivateKeyPEM is
// write-only: give it to import a key, leave it out to generate one.
type domainRequest struct {
	Domain           string `json:"domain"`
	Selector         string `json:"selector"`
	Algorithm        string `json:"algorithm"`
	PrivateKeyPEM    string `json:"private_key_pem"`
	SPFInclude       string `json:"spf_include"`
	SendingHost      string `json:"sending_host"`
	ReturnPathDomain string `json:"return_path_domain"`
}

// domainView is a sending domain as the API shows it, with the DKIM record
// to publish.
type domainView struct {
	store.SendingDomain
	DKIMRecord dnsRecord `json:"dkim_record"`
}

// dnsRecord is one record to publish.
type dnsRecord struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (s *Server) createDomain(c *gin.Context) (any, error) {
	var req domainRequest
	if err := bindJSON(c, &req); err != nil {
		return nil, err
	}
	if err := req.normalize(); err != nil {
		return nil, err
	}
	signer, err := req.signer()
	if err != nil {
		return nil, err
	}
	key, err := message.NewDKIMKey(req.Domain, req.Selector, signer)
	if err != nil {
		return nil, invalid("%v", err)
	}
	pem, err := message.MarshalPrivateKey(signer)
	if err != nil {
		return nil, err
	}
	d, err := s.DB.CreateSendingDomain(c.Request.Context(), store.SendingDomain{
		Domain: req.Domain, DKIMSelector: req.Selector, DKIMAlgorithm: key.Algorithm(),
		DKIMPrivateKey: store.Secret(pem), SPFInclude: req.SPFInclude, SendingHost: req.SendingHost,
		ReturnPathDomain: req.ReturnPathDomain,
	})
	if errors.Is(err, store.ErrDomainExists) {
		return nil, &ConflictError{Msg: "sending domain " + req.Domain + " already exists: see GET /api/domains"}
	}
	if err != nil {
		return nil, err
	}
	return created{viewWithKey(d, key)}, nil
}

// normalize lower-cases the names, fills in defaults and checks them.
func (r *domainRequest) normalize() error {
	r.Domain = dnsName(r.Domain)
	r.Selector = dnsName(r.Selector)
	r.SPFInclude = dnsName(r.SPFInclude)
	r.SendingHost = dnsName(r.SendingHost)
	r.ReturnPathDomain = dnsName(r.ReturnPathDomain)
	r.Algorithm = strings.ToLower(strings.TrimSpace(r.Algorithm))
	if r.Selector == "" {
		// A dated selector lets the next key be published beside this one.
		r.Selector = "pacer" + time.Now().UTC().Format("200601")
	}
	if !validHost(r.Domain, true) {
		return invalid(`domain %q is not a domain name: `+
			`send {"domain": "news.example.org", "algorithm": "rsa"}`, r.Domain)
	}
	if !validHost(r.Selector, false) {
		return invalid("selector %q: use letters, digits, hyphens and dots, such as pacer202612", r.Selector)
	}
	if r.ReturnPathDomain != "" && !validHost(r.ReturnPathDomain, true) {
		return invalid("return_path_domain %q is not a domain name: use a subdomain such as bounces.%s",
			r.ReturnPathDomain, r.Domain)
	}
	if r.SPFInclude != "" && !validHost(r.SPFInclude, true) {
		return invalid("spf_include %q is not a domain name: "+
			"give the relay's SPF domain, such as _spf.relay.example", r.SPFInclude)
	}
	_, err := netip.ParseAddr(r.SendingHost)
	if r.SendingHost != "" && err != nil && !validHost(r.SendingHost, true) {
		return invalid("sending_host %q: give the IP address or host name mail leaves from", r.SendingHost)
	}
	switch r.Algorithm {
	case "", "rsa", "ed25519":
		return nil
	}
	return invalid("algorithm %q: use rsa (verified everywhere) or ed25519", r.Algorithm)
}

// signer generates a key of the requested algorithm or parses the
// imported one. Errors never quote the key.
func (r *domainRequest) signer() (crypto.Signer, error) {
	if strings.TrimSpace(r.PrivateKeyPEM) == "" {
		if r.Algorithm == "" {
			r.Algorithm = "rsa"
		}
		return message.GenerateKey(r.Algorithm)
	}
	signer, err := message.ParsePrivateKey([]byte(r.PrivateKeyPEM))
	if err != nil {
		return nil, invalid("private_key_pem: %v", err)
	}
	if r.Algorithm != "" && r.Algorithm != algorithmOf(signer) {
		return nil, invalid("private_key_pem holds no %s key: leave algorithm out to take the key's", r.Algorithm)
	}
	return signer, nil
}

func algorithmOf(signer crypto.Signer) string {
	switch signer.Public().(type) {
	case *rsa.PublicKey:
		return "rsa"
	case ed25519.PublicKey:
		return "ed25519"
	}
	return ""
}

// dnsName trims, lower-cases and drops a trailing dot.
func dnsName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// validHost reports whether s is a DNS name of letters, digits, hyphens
// and underscores (as in _spf) in labels of 1 to 63 octets; multi asks for
// at least two labels.
func validHost(s string, multi bool) bool {
	labels := strings.Split(s, ".")
	if s == "" || len(s) > 253 || (multi && len(labels) < 2) {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func (s *Server) listDomains(c *gin.Context) (any, error) {
	ds, err := s.DB.ListSendingDomains(c.Request.Context())
	if err != nil {
		return nil, err
	}
	out := make([]domainView, 0, len(ds))
	for _, d := range ds {
		v, err := view(d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) getDomain(c *gin.Context) (any, error) {
	d, err := s.domain(c)
	if err != nil {
		return nil, err
	}
	return view(d)
}

// checkDomain looks the domain's SPF, DKIM and DMARC records up live.
func (s *Server) checkDomain(c *gin.Context) (any, error) {
	d, err := s.domain(c)
	if err != nil {
		return nil, err
	}
	v, err := view(d)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	r := &dnscheck.Resolver{Server: s.DNSResolver}
	return dnscheck.Check(ctx, r, dnscheck.Domain{
		Name: d.Domain, DKIMSelector: d.DKIMSelector, DKIMRecord: v.DKIMRecord.Value,
		SPFInclude: d.SPFInclude, SendingHost: d.SendingHost, ReturnPathDomain: d.ReturnPathDomain,
	}), nil
}

func (s *Server) domain(c *gin.Context) (store.SendingDomain, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return store.SendingDomain{}, err
	}
	return s.DB.GetSendingDomain(c.Request.Context(), id)
}

// view derives the public DKIM record from the stored key.
func view(d store.SendingDomain) (domainView, error) {
	signer, err := message.ParsePrivateKey([]byte(d.DKIMPrivateKey))
	if err != nil {
		return domainView{}, err
	}
	key, err := message.NewDKIMKey(d.Domain, d.DKIMSelector, signer)
	if err != nil {
		return domainView{}, err
	}
	return viewWithKey(d, key), nil
}

func viewWithKey(d store.SendingDomain, key *message.DKIMKey) domainView {
	record := dnsRecord{Type: "TXT", Name: key.DNSName(), Value: key.DNSRecord()}
	return domainView{SendingDomain: d, DKIMRecord: record}
}
