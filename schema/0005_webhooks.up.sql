-- Webhooks: endpoints that subscribe to event types, and an outbox with one
-- row per (endpoint, event) that the worker's dispatcher hands to a delivery
-- workflow. Triggers fill the outbox, so no code path that records an event,
-- a delivery or a campaign status has to remember webhooks.

CREATE TABLE webhook_endpoints (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL,
    -- HMAC-SHA256 key of the X-Pacer-Signature header. Kept in clear text
    -- because every delivery needs it; the API shows it once, at creation.
    secret      text NOT NULL,
    -- Event types the endpoint receives; empty means every type.
    event_types text[] NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- event_id is the key receivers de-duplicate on. The unique key keeps one
-- row per event and endpoint, however often a trigger fires for the event.
-- created_at is when the event happened, not when the row was written.
CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    endpoint_id      bigint NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    last_status_code integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
-- The dispatcher's scan: pending rows in id order, whatever the table's size.
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (id) WHERE status = 'pending';
-- The API lists one endpoint's deliveries by status, newest first.
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, status, id);

-- Numbers campaign status changes, which have no row of their own to name them.
CREATE SEQUENCE webhook_campaign_event_seq;

-- The fan-out functions run once per statement, over its transition table.
-- Each starts with the same check: with no enabled endpoint, sends updated
-- thousands of times a second pay one lookup in a tiny table per statement.

-- Events rows: bounces, opens, clicks, unsubscribes and complaints. data is
-- the event's detail (url of a click, type and status of a bounce, ...) with
-- the campaign, the subscriber and the address on top.
CREATE FUNCTION webhook_fanout_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, created_at)
    SELECT ep.id, 'ev_' || n.id, k.type,
           n.detail || jsonb_build_object('campaign_id', n.campaign_id,
               'subscriber_id', n.subscriber_id, 'email', sub.email, 'machine', n.machine),
           n.created_at
    FROM new_events n
    JOIN (VALUES ('bounce', 'bounced'), ('open', 'opened'), ('click', 'clicked'),
                 ('unsubscribe', 'unsubscribed'), ('complaint', 'complained')) AS k (kind, type)
      ON k.kind = n.kind
    LEFT JOIN subscribers sub ON sub.id = n.subscriber_id
    JOIN webhook_endpoints ep ON ep.enabled AND (ep.event_types = '{}' OR k.type = ANY (ep.event_types))
    ON CONFLICT (endpoint_id, event_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_events AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_fanout_events();

-- Sends that became delivered. Only the new rows are captured, to keep the
-- trigger cheap. A send reaches 'delivered' once, because only queued, retry
-- and committing rows take an outcome. The event id names the send, so a
-- later update of a delivered row adds nothing.
CREATE FUNCTION webhook_fanout_sends() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, created_at)
    SELECT ep.id, 'sent_' || n.campaign_id || '_' || n.subscriber_id, 'sent',
           jsonb_build_object('campaign_id', n.campaign_id, 'subscriber_id', n.subscriber_id,
               'email', sub.email, 'status', n.status, 'smtp_code', n.smtp_code, 'reply', n.reply),
           COALESCE(n.done_at, now())
    FROM new_sends n
    JOIN subscribers sub ON sub.id = n.subscriber_id
    JOIN webhook_endpoints ep ON ep.enabled AND (ep.event_types = '{}' OR 'sent' = ANY (ep.event_types))
    WHERE n.status = 'delivered'
    ON CONFLICT (endpoint_id, event_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_sends AFTER UPDATE ON sends
    REFERENCING NEW TABLE AS new_sends
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_fanout_sends();

-- Campaign status changes. PostgreSQL allows no column list (UPDATE OF
-- status) on a trigger with transition tables, so the old and new rows are
-- compared here. Campaigns are updated a few times per run, so capturing
-- both is cheap.
CREATE FUNCTION webhook_fanout_campaigns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) THEN
        RETURN NULL;
    END IF;
    WITH changed AS MATERIALIZED (
        SELECT n.id, n.name, n.status, n.status_reason, o.status AS previous_status,
               nextval('webhook_campaign_event_seq') AS seq
        FROM new_campaigns n JOIN old_campaigns o ON o.id = n.id
        WHERE n.status IS DISTINCT FROM o.status
    )
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload)
    SELECT ep.id, 'cs_' || c.id || '_' || c.seq, 'campaign_status',
           jsonb_build_object('campaign_id', c.id, 'name', c.name, 'status', c.status,
               'previous_status', c.previous_status, 'reason', c.status_reason)
    FROM changed c
    JOIN webhook_endpoints ep ON ep.enabled
        AND (ep.event_types = '{}' OR 'campaign_status' = ANY (ep.event_types))
    ON CONFLICT (endpoint_id, event_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_campaigns AFTER UPDATE ON campaigns
    REFERENCING OLD TABLE AS old_campaigns NEW TABLE AS new_campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_fanout_campaigns();
