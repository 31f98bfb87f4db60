package store

import (
	"context"
	"fmt"
)

// CreateList inserts a list, or returns the existing list of that name.
func (db *DB) CreateList(ctx context.Context, name string) (List, error) {
	var l List
	err := db.pool.QueryRow(ctx, `
		INSERT INTO lists (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
		RETURNING id, name, created_at`, name).Scan(&l.ID, &l.Name, &l.CreatedAt)
	if err != nil {
		return List{}, fmt.Errorf("store: create list %q: %w", name, err)
	}
	return l, nil
}

// GetList returns a list with its member count.
func (db *DB) GetList(ctx context.Context, id int64) (List, error) {
	var l List
	err := db.pool.QueryRow(ctx, `
		SELECT l.id, l.name, l.created_at,
		       (SELECT count(*) FROM list_subscribers ls WHERE ls.list_id = l.id)
		FROM lists l WHERE l.id = $1`, id).Scan(&l.ID, &l.Name, &l.CreatedAt, &l.Subscribers)
	if err != nil {
		return List{}, notFound(err, "list", id)
	}
	return l, nil
}

// ListLists returns every list with its member count, newest first.
func (db *DB) ListLists(ctx context.Context) ([]List, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT l.id, l.name, l.created_at,
		       (SELECT count(*) FROM list_subscribers ls WHERE ls.list_id = l.id)
		FROM lists l ORDER BY l.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	lists := []List{}
	for rows.Next() {
		var l List
		if err := rows.Scan(&l.ID, &l.Name, &l.CreatedAt, &l.Subscribers); err != nil {
			return nil, err
		}
		lists = append(lists, l)
	}
	return lists, rows.Err()
}
