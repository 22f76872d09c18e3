// Package db holds the database schema as golang-migrate files, embedded so
// that the binary can migrate the database it serves without extra files.
package db

import "embed"

// Migrations holds the files of db/migrations, named NNNNNN_name.{up,down}.sql.
//
//go:embed migrations/*.sql
var Migrations embed.FS
