// Package schema holds pacer's versioned PostgreSQL migrations. Each
// NNNN_name.up.sql runs once, in order, in one transaction with its
// version row; the store applies them at start (see internal/store/migrate.go).
package schema

import "embed"

// Files contains every migration.
//
//go:embed *.sql
var Files embed.FS
