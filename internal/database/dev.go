package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LocalServerURL is where a developer's (and CI's) PostgreSQL usually
// answers: trust authentication for the postgres user.
const LocalServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DevServer is a PostgreSQL server for development and tests: either one
// already running on this machine, or an embedded one this process started.
type DevServer struct {
	// AdminURL connects to the server's maintenance database as a superuser.
	AdminURL string
	// Embedded tells whether this process started the server.
	Embedded bool
	stop     func() error
}

// Stop stops an embedded server; it does nothing for a server found running.
func (s *DevServer) Stop() error {
	if s.stop == nil {
		return nil
	}
	return s.stop()
}

// FindOrStartDevServer uses the PostgreSQL at 127.0.0.1:5432 when one
// answers, and otherwise starts an embedded one with its data in dataDir.
func FindOrStartDevServer(ctx context.Context, dataDir string, logOutput io.Writer) (*DevServer, error) {
	if answers(ctx, LocalServerURL) {
		return &DevServer{AdminURL: LocalServerURL}, nil
	}
	return StartEmbedded(ctx, dataDir, logOutput)
}

func answers(ctx context.Context, connString string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx) == nil
}

// StartEmbedded starts a PostgreSQL server of its own, with its data in
// dataDir/pgdata, on port 5432 when that is free and on a free port
// otherwise. It uses the machine's PostgreSQL binaries when it finds them
// and lets embedded-postgres download them otherwise.
//
// initdb and postgres refuse to run as root; as root the binaries are run
// through small wrapper scripts as the unprivileged postgres (or nobody) user.
func StartEmbedded(ctx context.Context, dataDir string, logOutput io.Writer) (*DevServer, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	port, err := choosePort(5432)
	if err != nil {
		return nil, err
	}
	runtimeDir := filepath.Join(dataDir, "runtime") // embedded-postgres empties it at every start
	// initdb creates the data folder itself, so its parent must be writable
	// by the user PostgreSQL runs as.
	pgHome := filepath.Join(dataDir, "postgres")
	pgData := filepath.Join(pgHome, "data")
	if err := os.MkdirAll(pgHome, 0o755); err != nil {
		return nil, err
	}
	cfg := embeddedpostgres.DefaultConfig().
		Port(uint32(port)).
		RuntimePath(runtimeDir).
		DataPath(pgData).
		Logger(logOutput).
		StartTimeout(60 * time.Second).
		// The default socket directory may be missing or not writable; TCP is enough.
		StartParameters(map[string]string{"unix_socket_directories": ""})

	if binDir, version, ok := installedPostgres(); ok {
		cfg = cfg.Version(embeddedpostgres.PostgresVersion(version + ".0.0"))
		binaries := filepath.Dir(binDir)
		if os.Geteuid() == 0 {
			account, err := unprivilegedUser()
			if err != nil {
				return nil, err
			}
			binaries, err = writeRunAsWrappers(filepath.Join(dataDir, "bin"), binDir, account.Username)
			if err != nil {
				return nil, err
			}
			if err := chownTree(dataDir, account, pgHome); err != nil {
				return nil, err
			}
		}
		cfg = cfg.BinariesPath(binaries)
	} else {
		cfg = cfg.CachePath(filepath.Join(dataDir, "cache")).BinariesPath(filepath.Join(dataDir, "binaries"))
	}

	pg := embeddedpostgres.NewDatabase(cfg)
	if err := pg.Start(); err != nil {
		return nil, fmt.Errorf("start embedded PostgreSQL in %s: %w", dataDir, err)
	}
	return &DevServer{
		AdminURL: fmt.Sprintf("postgres://postgres:postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Embedded: true,
		stop:     pg.Stop,
	}, nil
}

// choosePort returns preferred when nothing listens on it, else a free port.
func choosePort(preferred int) (int, error) {
	for _, addr := range []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(preferred)), "127.0.0.1:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free TCP port for the embedded PostgreSQL")
}

// installedPostgres finds the newest PostgreSQL binaries on this machine:
// pg_ctl on PATH, or Debian's /usr/lib/postgresql/N/bin.
func installedPostgres() (binDir, majorVersion string, ok bool) {
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	slices.SortFunc(candidates, func(a, b string) int { return majorOf(b) - majorOf(a) })
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		candidates = append(candidates, p)
	}
	for _, pgCtl := range candidates {
		dir := filepath.Dir(pgCtl)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
			continue
		}
		out, err := exec.Command(pgCtl, "--version").Output() // "pg_ctl (PostgreSQL) 15.20 (Debian …)"
		if err != nil {
			continue
		}
		fields := strings.Fields(string(out))
		if len(fields) < 3 {
			continue
		}
		major, _, _ := strings.Cut(fields[2], ".")
		return dir, major, true
	}
	return "", "", false
}

func majorOf(pgCtlPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgCtlPath))))
	return n
}

func unprivilegedUser() (*user.User, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, errors.New("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// writeRunAsWrappers writes dir/bin/{initdb,pg_ctl,postgres}, each running
// the real binary as account, and returns dir.
func writeRunAsWrappers(dir, realBinDir, account string) (string, error) {
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return "", errors.New("running as root, and runuser is missing: cannot start PostgreSQL as an unprivileged user")
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		// initdb reads the password file embedded-postgres wrote, as root, with mode 0600.
		script := fmt.Sprintf(`#!/bin/sh
for arg in "$@"; do case "$arg" in --pwfile=*) chown %[2]s "${arg#--pwfile=}" ;; esac; done
exec %[1]s -u %[2]s -- %[3]s "$@"
`, runuser, account, filepath.Join(realBinDir, name))
		if err := os.WriteFile(filepath.Join(dir, "bin", name), []byte(script), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// chownTree gives account the folders dirs (created if missing) and all
// they hold, and lets it reach them through dataDir.
func chownTree(dataDir string, account *user.User, dirs ...string) error {
	uid, _ := strconv.Atoi(account.Uid)
	gid, _ := strconv.Atoi(account.Gid)
	if err := os.Chmod(dataDir, 0o755); err != nil {
		return err
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, uid, gid)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// EnsureDatabase creates the database name on the server at adminURL when
// it is missing, and returns a connection string for it.
func EnsureDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", Redact(adminURL), err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return WithDatabase(adminURL, name)
}

// DropDatabase drops the database name on the server at adminURL, if it
// exists, closing its sessions first.
func DropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", Redact(adminURL), err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// WithDatabase returns connString pointed at another database.
func WithDatabase(connString, name string) (string, error) {
	u, err := url.Parse(connString)
	if err != nil {
		return "", errors.New("connection string is not a URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}
