package database

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/posts-api/posts/db"
)

// Migrate runs one migration command against the database: "up",
// "down N", "version" or "force N". It reports what it did in a sentence.
//
// golang-migrate holds a session-level advisory lock while it works, so two
// deploys migrating at once take turns. It refuses to move a schema that a
// failed migration left dirty; "force N" records version N as clean once
// the schema has been repaired by hand.
func Migrate(connString string, args []string) (string, error) {
	cmd, n, err := parseMigrateArgs(args)
	if err != nil {
		return "", err
	}
	m, closeAll, err := newMigrator(connString)
	if err != nil {
		return "", err
	}
	defer closeAll()

	switch cmd {
	case "up":
		err = m.Up()
	case "down":
		err = m.Steps(-n)
	case "force":
		err = m.Force(n)
	case "version":
		// reported below
	}
	var dirtyErr migrate.ErrDirty
	switch {
	case errors.As(err, &dirtyErr):
		return "", fmt.Errorf("the schema is dirty at version %d: a migration failed part-way. "+
			"Repair the schema by hand, then run `posts migrate force %d` (or the version it is really at)",
			dirtyErr.Version, dirtyErr.Version)
	case errors.Is(err, migrate.ErrNoChange):
		err = nil
	case err != nil:
		return "", fmt.Errorf("migrate %s: %w", cmd, err)
	}
	version, dirty, err := m.Version()
	switch {
	case errors.Is(err, migrate.ErrNilVersion):
		return "schema version: none (no migrations applied)", nil
	case err != nil:
		return "", fmt.Errorf("read schema version: %w", err)
	case dirty:
		return fmt.Sprintf("schema version: %d (dirty)", version), nil
	}
	return fmt.Sprintf("schema version: %d", version), nil
}

func parseMigrateArgs(args []string) (cmd string, n int, err error) {
	const usage = "usage: posts migrate up | down N | version | force N"
	if len(args) == 0 {
		return "", 0, errors.New(usage)
	}
	cmd = args[0]
	switch cmd {
	case "up", "version":
		if len(args) != 1 {
			return "", 0, errors.New(usage)
		}
		return cmd, 0, nil
	case "down", "force":
		if len(args) != 2 {
			return "", 0, errors.New(usage)
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 || (cmd == "down" && n == 0) {
			return "", 0, fmt.Errorf("migrate %s: %q is not a valid number; %s", cmd, args[1], usage)
		}
		return cmd, n, nil
	}
	return "", 0, fmt.Errorf("unknown migrate command %q; %s", cmd, usage)
}

// MigrateUp applies every pending migration.
func MigrateUp(connString string) error {
	_, err := Migrate(connString, []string{"up"})
	return err
}

func newMigrator(connString string) (*migrate.Migrate, func(), error) {
	cfg, err := ParseURL(connString)
	if err != nil {
		return nil, nil, err
	}
	sqlDB := stdlib.OpenDB(*cfg.ConnConfig)
	driver, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{})
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("connect to %s: %w", Redact(connString), err)
	}
	source, err := iofs.New(db.Migrations, "migrations")
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", source, "postgres", driver)
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return m, func() { m.Close() }, nil // closes sqlDB too
}
