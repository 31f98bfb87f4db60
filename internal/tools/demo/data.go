package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken",
		"Frances", "Edsger", "Radia", "Tim", "Sophie", "Donald", "Hedy", "John", "Katherine",
		"Niklaus", "Shafi", "Leslie", "Mary", "Bjarne", "Anita", "Guido", "Joan", "Yukihiro",
		"Lena", "Omar", "Chloé", "Zoë", "José", "Björn", "Aiko", "Priya", "Mateo", "Ines"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie",
		"Liskov", "Thompson", "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Wilson", "Knuth",
		"Lamarr", "McCarthy", "Johnson", "Wirth", "Goldwasser", "Lamport", "Keller", "Stroustrup",
		"Borg", "van Rossum", "Clarke", "Matsumoto", "Müller", "Haddad", "Dubois", "Nakamura",
		"Sharma", "García", "O'Brien"}
	cities  = []string{"Berlin", "Lisbon", "Kraków", "Nairobi", "Osaka", "Toronto", "Lyon", "Porto", "Zürich", "Austin", "Seoul", "Bogotá"}
	plans   = []string{"free", "pro", "team", "enterprise"}
	domains = []string{"example.com", "example.net", "example.org", "mail.example.com", "post.example.net"}
)

type generated struct{ duplicates, invalid int }

// writeCSV writes n distinct subscribers plus case-variant duplicates and
// invalid rows that the import must report. The file is the same for the
// same n, so a second demo run updates the same people.
func writeCSV(path string, n int) (generated, error) {
	f, err := os.Create(path)
	if err != nil {
		return generated{}, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	w := csv.NewWriter(bw)
	r := rand.New(rand.NewPCG(42, uint64(n)))
	_ = w.Write([]string{"email", "name", "city", "plan", "signup_year"})
	var g generated
	dupEvery := max(n/5, 1)
	for i := 1; i <= n; i++ {
		first := firstNames[r.IntN(len(firstNames))]
		last := lastNames[r.IntN(len(lastNames))]
		local := strings.ToLower(asciiOnly(first) + "." + asciiOnly(last) + strconv.Itoa(i))
		email := local + "@" + domains[r.IntN(len(domains))]
		row := []string{email, first + " " + last, cities[r.IntN(len(cities))],
			plans[r.IntN(len(plans))], strconv.Itoa(2015 + r.IntN(11))}
		if err := w.Write(row); err != nil {
			return g, err
		}
		if i%dupEvery == 0 {
			// The same person again, typed in capitals with stray spaces.
			row[0] = " " + strings.ToUpper(email) + " "
			if err := w.Write(row); err != nil {
				return g, err
			}
			g.duplicates++
		}
	}
	for _, bad := range []string{"not-an-email", "bob@", "carol smith@example.com", "dave@@example.com", ""} {
		if err := w.Write([]string{bad, "Broken Row", "Nowhere", "free", "2020"}); err != nil {
			return g, err
		}
		g.invalid++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return g, err
	}
	if err := bw.Flush(); err != nil {
		return g, fmt.Errorf("write %s: %w", path, err)
	}
	return g, nil
}

func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case strings.ContainsRune("éè", r):
			b.WriteByte('e')
		case strings.ContainsRune("öóô", r):
			b.WriteByte('o')
		case strings.ContainsRune("üú", r):
			b.WriteByte('u')
		case r == 'á':
			b.WriteByte('a')
		case r == 'ë':
			b.WriteByte('e')
		case r == 'í':
			b.WriteByte('i')
		}
	}
	return b.String()
}
