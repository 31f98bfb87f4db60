-- Inbound mail and provider notifications for the bounce processor. A row
-- is written before the SMTP receiver replies 250 (or the API 202), so
-- nothing that reached pacer is lost. A workflow per row then classifies it
-- and applies its effects. The worker deletes rows older than
-- bounces.retention (30 days by default) unless they are still 'received'.
CREATE TABLE inbound_messages (
    id                 bigserial PRIMARY KEY,
    received_at        timestamptz NOT NULL DEFAULT now(),
    source             text NOT NULL CHECK (source IN ('smtp', 'http')),
    -- How raw is read: an RFC 5322 message, or a provider's JSON notification.
    format             text NOT NULL DEFAULT 'message'
                       CHECK (format IN ('message', 'generic', 'ses')),
    envelope_sender    text NOT NULL DEFAULT '',
    envelope_recipient text NOT NULL DEFAULT '',
    raw                bytea NOT NULL,
    size               integer NOT NULL,
    -- received:  stored, not processed yet.
    -- processed: every verdict reached its subscriber.
    -- unmatched: unparseable, or a bounce, complaint or unsubscribe request
    --            that no subscriber was found for.
    -- failed:    processing failed for good (see error).
    status             text NOT NULL DEFAULT 'received'
                       CHECK (status IN ('received', 'processed', 'unmatched', 'failed')),
    report_kind        text NOT NULL DEFAULT '',
    reason             text NOT NULL DEFAULT '',
    verdicts           jsonb NOT NULL DEFAULT '[]',
    error              text NOT NULL DEFAULT '',
    processed_at       timestamptz
);
-- The sweeper looks for rows still waiting for a workflow; few ever are.
CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at)
    WHERE status = 'received';
-- The API lists rows by status, newest first.
CREATE INDEX inbound_messages_status_idx ON inbound_messages (status, id);
-- Retention deletes by age.
CREATE INDEX inbound_messages_age_idx ON inbound_messages (received_at);
