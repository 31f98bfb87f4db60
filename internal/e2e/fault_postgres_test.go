package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// pgBinDir holds the PostgreSQL server binaries; PACER_TEST_PG_BIN
// overrides it.
func pgBinDir() string {
	if d := os.Getenv("PACER_TEST_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// privatePostgres creates a PostgreSQL cluster of the test's own in dir and
// returns the process that serves it, not yet started, and its URL. The
// fault test crashes it with SIGKILL, which the shared test cluster must
// not suffer. PostgreSQL refuses to run as root, so as root the cluster
// belongs to the postgres user and its processes run with that user's ids.
func privatePostgres(t *testing.T, dir string) (*process, string) {
	t.Helper()
	bin := pgBinDir()
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Skipf("PostgreSQL server binaries not found in %s (set PACER_TEST_PG_BIN): %v", bin, err)
	}
	data := filepath.Join(dir, "pg")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, data} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		// The test's temporary directories are root's and private; the
		// postgres user only needs to pass through them.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	if cred != nil {
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	p := &process{t: t, name: "postgres", log: filepath.Join(dir, "postgres.log"), cred: cred, args: []string{
		filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=100"}}
	return p, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}
