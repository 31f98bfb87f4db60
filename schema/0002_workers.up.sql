-- Live worker processes, written every few seconds by each worker, so the
-- API can tell that nobody serves a task queue within seconds.
CREATE TABLE workers (
    instance_id  text PRIMARY KEY,
    host         text NOT NULL,
    pid          integer NOT NULL,
    task_queues  text[] NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now()
);
