package store

import (
	"context"
	"fmt"
	"time"
)

// WorkerSeen records that a worker process is alive and which task queues
// it polls.
func (db *DB) WorkerSeen(ctx context.Context, instanceID, host string, pid int, queues []string) error {
	_, err := db.pool.Exec(ctx, `
		INSERT INTO workers (instance_id, host, pid, task_queues) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance_id) DO UPDATE SET task_queues = EXCLUDED.task_queues, last_seen = now()`,
		instanceID, host, pid, queues)
	if err != nil {
		return fmt.Errorf("store: record worker %s: %w", instanceID, err)
	}
	return nil
}

// WorkerGone removes a worker that stops.
func (db *DB) WorkerGone(ctx context.Context, instanceID string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM workers WHERE instance_id = $1`, instanceID)
	return err
}

// LiveWorkers counts the workers seen within maxAge that poll queue.
func (db *DB) LiveWorkers(ctx context.Context, queue string, maxAge time.Duration) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `
		SELECT count(*) FROM workers
		WHERE $1 = ANY(task_queues) AND last_seen > now() - make_interval(secs => $2)`,
		queue, maxAge.Seconds()).Scan(&n)
	return n, err
}
