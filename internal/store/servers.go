package store

import (
	"context"
	"fmt"
)

const serverColumns = `id, name, host, port, username, password, tls, helo_name,
	rate_per_second, quota_per_minute, quota_per_hour, quota_per_day,
	max_connections, weight, task_queue, throttle_factor`

func scanServer(row interface{ Scan(...any) error }) (Server, error) {
	var s Server
	err := row.Scan(&s.ID, &s.Name, &s.Host, &s.Port, &s.Username, &s.Password, &s.TLS,
		&s.HeloName, &s.RatePerSecond, &s.QuotaPerMinute, &s.QuotaPerHour, &s.QuotaPerDay,
		&s.MaxConnections, &s.Weight, &s.TaskQueue, &s.ThrottleFactor)
	return s, err
}

// UpsertServer inserts a sending server, or updates the one with that name.
func (db *DB) UpsertServer(ctx context.Context, s Server) (Server, error) {
	row := db.pool.QueryRow(ctx, `
		INSERT INTO smtp_servers (name, host, port, username, password, tls, helo_name,
			rate_per_second, quota_per_minute, quota_per_hour, quota_per_day,
			max_connections, weight, task_queue)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (name) DO UPDATE SET
			host = EXCLUDED.host, port = EXCLUDED.port, username = EXCLUDED.username,
			password = EXCLUDED.password, tls = EXCLUDED.tls, helo_name = EXCLUDED.helo_name,
			rate_per_second = EXCLUDED.rate_per_second,
			slot_at = LEAST(smtp_servers.slot_at, now()),
			quota_per_minute = EXCLUDED.quota_per_minute,
			quota_per_hour = EXCLUDED.quota_per_hour, quota_per_day = EXCLUDED.quota_per_day,
			max_connections = EXCLUDED.max_connections, weight = EXCLUDED.weight,
			task_queue = EXCLUDED.task_queue, updated_at = now()
		RETURNING `+serverColumns,
		s.Name, s.Host, s.Port, s.Username, s.Password, s.TLS, s.HeloName, s.RatePerSecond,
		s.QuotaPerMinute, s.QuotaPerHour, s.QuotaPerDay, s.MaxConnections, s.Weight, s.TaskQueue)
	out, err := scanServer(row)
	if err != nil {
		return Server{}, fmt.Errorf("store: save server %q: %w", s.Name, err)
	}
	return out, nil
}

// GetServer returns one sending server, password included.
func (db *DB) GetServer(ctx context.Context, id int64) (Server, error) {
	s, err := scanServer(db.pool.QueryRow(ctx, `SELECT `+serverColumns+` FROM smtp_servers WHERE id = $1`, id))
	if err != nil {
		return Server{}, notFound(err, "server", id)
	}
	return s, nil
}

// ListServers returns every sending server.
func (db *DB) ListServers(ctx context.Context) ([]Server, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+serverColumns+` FROM smtp_servers ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	servers := []Server{}
	for rows.Next() {
		s, err := scanServer(rows)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, rows.Err()
}

// SetServerRate changes a server's rate in messages per second. Workers read
// it at every slot reservation, so it takes effect within about a second
// (the slots already reserved). Slots reserved at a very low old rate may
// reach far ahead, so the next free slot moves back to now.
func (db *DB) SetServerRate(ctx context.Context, id int64, rate float64) error {
	tag, err := db.pool.Exec(ctx, `
		UPDATE smtp_servers SET rate_per_second = $2, slot_at = LEAST(slot_at, now()), updated_at = now()
		WHERE id = $1`, id, rate)
	if err != nil {
		return fmt.Errorf("store: set server %d rate: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("server %d: %w", id, ErrNotFound)
	}
	return nil
}
