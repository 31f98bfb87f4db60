package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/pacer-email/pacer/internal/store"
	"github.com/pacer-email/pacer/internal/testenv"
)

func TestSendingDomainFor(t *testing.T) {
	db := testenv.DB(t)
	ctx := context.Background()
	for _, name := range []string{"example.org", "news.example.org", "xample.org"} {
		_, err := db.CreateSendingDomain(ctx, store.SendingDomain{Domain: name, DKIMSelector: "s",
			DKIMAlgorithm: "ed25519", DKIMPrivateKey: "pem"})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateSendingDomain(ctx, store.SendingDomain{Domain: "example.org", DKIMSelector: "t",
		DKIMAlgorithm: "rsa", DKIMPrivateKey: "pem"}); !errors.Is(err, store.ErrDomainExists) {
		t.Errorf("second example.org: err = %v, want ErrDomainExists", err)
	}
	tests := map[string]string{
		"example.org":             "example.org",
		"news.example.org":        "news.example.org",
		"eu.news.example.org":     "news.example.org", // the closest parent
		"shop.example.org":        "example.org",
		"xample.org":              "xample.org",
		"anotherexample.org":      "", // a suffix that is not a parent
		"example.org.example.net": "",
	}
	for from, want := range tests {
		d, err := db.SendingDomainFor(ctx, from)
		if want == "" {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SendingDomainFor(%q) = %q, %v; want ErrNotFound", from, d.Domain, err)
			}
			continue
		}
		if err != nil || d.Domain != want {
			t.Errorf("SendingDomainFor(%q) = %q, %v; want %q", from, d.Domain, err, want)
		}
	}
}

func TestSecretIsNeverShown(t *testing.T) {
	d := store.SendingDomain{Domain: "example.org", DKIMPrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n"}
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)
	log.Info("domain", zap.Any("domain", d), zap.Stringer("key", d.DKIMPrivateKey),
		zap.Any("secret", d.DKIMPrivateKey))
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	key := d.DKIMPrivateKey
	out := []string{string(data), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%d", d, d, d, key, key, key, key)}
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			out = append(out, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for _, s := range out {
		if strings.Contains(s, "PRIVATE") || strings.Contains(s, "AAAA") {
			t.Errorf("the key shows in %s", s)
		}
	}
}
