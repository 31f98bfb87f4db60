package message

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

var (
	keysOnce    sync.Once
	testKeys    map[string]*DKIMKey
	testSigners map[string]crypto.Signer
)

// dkimKeys returns one RSA and one Ed25519 key for news.example.org,
// generated once per test binary.
func dkimKeys(t testing.TB) map[string]*DKIMKey {
	t.Helper()
	keysOnce.Do(func() {
		testKeys = map[string]*DKIMKey{}
		testSigners = map[string]crypto.Signer{}
		for _, alg := range []string{"rsa", "ed25519"} {
			signer, err := GenerateKey(alg)
			if err != nil {
				panic(err)
			}
			testSigners[alg] = signer
			k, err := NewDKIMKey("news.example.org", "pacer-"+alg, signer)
			if err != nil {
				panic(err)
			}
			testKeys[alg] = k
		}
	})
	return testKeys
}

// verify checks raw's DKIM signature against the keys' DNS records, held in
// a map instead of DNS.
func verify(raw []byte, keys map[string]*DKIMKey) error {
	records := map[string]string{}
	for _, k := range keys {
		records[k.DNSName()] = k.DNSRecord()
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if r, ok := records[name]; ok {
				return []string{r}, nil
			}
			return nil, fmt.Errorf("no TXT record at %s", name)
		},
	})
	if err != nil {
		return err
	}
	if len(vs) != 1 {
		return fmt.Errorf("%d signatures, want 1", len(vs))
	}
	return vs[0].Err
}

func TestDKIMSignatureVerifies(t *testing.T) {
	for alg, key := range dkimKeys(t) {
		t.Run(alg, func(t *testing.T) {
			for _, html := range []string{testMessage().HTML, ""} {
				m := testMessage()
				m.HTML = html
				raw := build(t, m, key)
				if err := verify(raw, dkimKeys(t)); err != nil {
					t.Fatalf("verify: %v\n%s", err, raw)
				}
				sig := headerLines(raw)[0]
				for _, tag := range []string{"a=" + alg + "-sha256", "c=relaxed/relaxed", "d=news.example.org",
					"s=pacer-" + alg, "List-Unsubscribe:List-Unsubscribe-Post"} {
					if !strings.Contains(sig, tag) {
						t.Errorf("signature lacks %q: %s", tag, sig)
					}
				}
			}
		})
	}
}

// alterField changes the value of the first header field called name.
func alterField(raw []byte, name string) ([]byte, bool) {
	for _, prefix := range []string{"\r\n" + name + ": ", "\r\n" + strings.ToLower(name) + ": "} {
		i := bytes.Index(raw, []byte(prefix))
		if i < 0 {
			continue
		}
		at := i + len(prefix)
		out := append(append(bytes.Clone(raw[:at]), 'X'), raw[at:]...)
		return out, true
	}
	return nil, false
}

func TestDKIMDetectsChanges(t *testing.T) {
	for alg, key := range dkimKeys(t) {
		t.Run(alg, func(t *testing.T) {
			m := testMessage()
			m.ReplyTo.Address = "desk@news.example.org"
			raw := build(t, m, key)
			for _, name := range SignedFields {
				name = strings.Replace(name, "-ID", "-Id", 1)
				name = strings.Replace(name, "MIME-", "Mime-", 1)
				if name == "Content-Transfer-Encoding" {
					continue // multipart: only the parts have one
				}
				altered, ok := alterField(raw, name)
				if !ok {
					t.Errorf("no %s field in the message", name)
					continue
				}
				if err := verify(altered, dkimKeys(t)); err == nil {
					t.Errorf("changing %s kept the signature valid", name)
				}
			}
			body := bytes.Replace(raw, []byte("Hello Ana"), []byte("Hello Bob"), 1)
			if err := verify(body, dkimKeys(t)); err == nil {
				t.Error("changing the body kept the signature valid")
			}
			// Fields that are not signed may change, and hops add fields.
			ok, _ := alterField(raw, "X-Pacer-Id")
			hop := append([]byte("Received: from relay.example.net\r\n"), raw...)
			for _, still := range [][]byte{ok, hop} {
				if err := verify(still, dkimKeys(t)); err != nil {
					t.Errorf("an unsigned change broke the signature: %v", err)
				}
			}
		})
	}
}

func TestDKIMDetectsAddedReplyTo(t *testing.T) {
	key := dkimKeys(t)["ed25519"]
	raw := build(t, testMessage(), key)
	i := bytes.Index(raw, []byte("\r\nFrom: ")) + 2
	added := append(append(bytes.Clone(raw[:i]), "Reply-To: evil@example.net\r\n"...), raw[i:]...)
	if err := verify(added, dkimKeys(t)); err == nil {
		t.Error("adding Reply-To kept the signature valid")
	}
}

func TestDNSRecord(t *testing.T) {
	keys := dkimKeys(t)
	if got := keys["rsa"].DNSName(); got != "pacer-rsa._domainkey.news.example.org" {
		t.Errorf("DNSName = %q", got)
	}
	if r := keys["rsa"].DNSRecord(); !strings.HasPrefix(r, "v=DKIM1; k=rsa; p=MII") {
		t.Errorf("RSA record = %q", r)
	}
	if r := keys["ed25519"].DNSRecord(); !strings.HasPrefix(r, "v=DKIM1; k=ed25519; p=") || len(r) != 66 {
		t.Errorf("Ed25519 record = %q", r)
	}
}

func TestPrivateKeyPEM(t *testing.T) {
	for _, alg := range []string{"rsa", "ed25519"} {
		key, err := GenerateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		data, err := MarshalPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePrivateKey(data)
		if err != nil {
			t.Fatalf("%s: ParsePrivateKey: %v", alg, err)
		}
		if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(back.Public()) {
			t.Errorf("%s: key changed in a PEM round trip", alg)
		}
	}
	rsaKey, _ := GenerateKey("rsa")
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Bytes: x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))})
	if _, err := ParsePrivateKey(pkcs1); err != nil {
		t.Errorf("PKCS#1: %v", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	for name, data := range map[string][]byte{
		"garbage": []byte("not a key"),
		"ecdsa":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}),
		"broken":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"public":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}),
	} {
		if _, err := ParsePrivateKey(data); err == nil {
			t.Errorf("%s: ParsePrivateKey succeeded", name)
		}
	}
	if _, err := GenerateKey("dsa"); err == nil {
		t.Error("GenerateKey(dsa) succeeded")
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := NewDKIMKey("example.org", "s", small); err == nil {
		t.Error("NewDKIMKey accepted RSA 1024")
	}
	if _, err := NewDKIMKey("example.org", "s; x=1", rsaKey); err == nil {
		t.Error("NewDKIMKey accepted a selector with a tag separator")
	}
}

func TestDKIMKeyIsNeverPrinted(t *testing.T) {
	for alg, key := range dkimKeys(t) {
		pemData, _ := MarshalPrivateKey(testSigners[alg])
		block, _ := pem.Decode(pemData)
		var secrets []string
		switch k := testSigners[alg].(type) {
		case *rsa.PrivateKey:
			secrets = []string{k.D.String(), k.D.Text(16), fmt.Sprint(k.Primes[0])}
		default:
			secrets = []string{fmt.Sprint(k)[:40], fmt.Sprintf("%x", k)[:40]}
		}
		secrets = append(secrets, fmt.Sprintf("%x", block.Bytes)[:40], strings.Split(string(pemData), "\n")[1])

		type holder struct {
			Key     DKIMKey
			key     DKIMKey
			Pointer *DKIMKey
		}
		values := []any{key, *key, holder{*key, *key, key}, &holder{*key, *key, key}, []*DKIMKey{key}}
		var out strings.Builder
		for _, v := range values {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q", "%o", "%b"} {
				fmt.Fprintf(&out, verb+"\n", v)
			}
		}
		js, _ := json.Marshal(holder{*key, *key, key})
		out.Write(js)
		for _, s := range secrets {
			if i := strings.Index(out.String(), s); i >= 0 {
				t.Errorf("%s: the private key shows in formatted output: %q in %q", alg, s, out.String()[max(0, i-300):i+len(s)])
			}
		}
		if !strings.Contains(key.String(), "redacted") || key.GoString() != key.String() {
			t.Errorf("String = %q, GoString = %q", key.String(), key.GoString())
		}
	}
}
