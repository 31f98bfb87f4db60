-- Lists, subscribers, sending servers, campaigns and one row per
-- (campaign, subscriber) send: the core of pacer.

CREATE TABLE lists (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- email keeps the address as imported; email_key is its lower-cased form,
-- the one identity used for deduplication, suppression and bounce matching.
CREATE TABLE subscribers (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    email_key   text NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    attribs     jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained')),
    status_reason text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE list_subscribers (
    list_id       bigint NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    subscriber_id bigint NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, subscriber_id)
);
-- Queuing a campaign scans a list's members in subscriber order.
CREATE INDEX list_subscribers_subscriber_idx ON list_subscribers (subscriber_id);

-- A sending server is an SMTP relay with its own pace. rate_per_second = 0
-- means no limit. Quotas of 0 are unset.
CREATE TABLE smtp_servers (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    host            text NOT NULL,
    port            integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    username        text NOT NULL DEFAULT '',
    password        text NOT NULL DEFAULT '',
    tls             text NOT NULL DEFAULT 'none' CHECK (tls IN ('none', 'starttls', 'tls')),
    helo_name       text NOT NULL DEFAULT 'localhost',
    rate_per_second double precision NOT NULL DEFAULT 0 CHECK (rate_per_second >= 0),
    quota_per_minute integer NOT NULL DEFAULT 0 CHECK (quota_per_minute >= 0),
    quota_per_hour  integer NOT NULL DEFAULT 0 CHECK (quota_per_hour >= 0),
    quota_per_day   integer NOT NULL DEFAULT 0 CHECK (quota_per_day >= 0),
    max_connections integer NOT NULL DEFAULT 8 CHECK (max_connections BETWEEN 1 AND 1000),
    weight          integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
    -- Activity task queue whose workers send through this server.
    task_queue      text NOT NULL DEFAULT 'pacer-send',
    -- Throttle replies lower the pace by this factor (1 = full pace); it
    -- recovers over time. Shared by every worker through this row.
    throttle_factor double precision NOT NULL DEFAULT 1,
    throttled_at    timestamptz,
    -- Token bucket shared by all workers: see internal/store/pacing.go.
    bucket_tokens   double precision NOT NULL DEFAULT 0,
    bucket_at       timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaigns (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    subject       text NOT NULL,
    from_name     text NOT NULL DEFAULT '',
    from_email    text NOT NULL,
    reply_to      text NOT NULL DEFAULT '',
    html_body     text NOT NULL DEFAULT '',
    text_body     text NOT NULL DEFAULT '',
    list_ids      bigint[] NOT NULL,
    server_ids    bigint[] NOT NULL,
    track         boolean NOT NULL DEFAULT true,
    status        text NOT NULL DEFAULT 'Draft',
    status_reason text NOT NULL DEFAULT '',
    send_at       timestamptz,
    total         integer NOT NULL DEFAULT 0,
    batch_size    integer NOT NULL DEFAULT 1000,
    batches       integer NOT NULL DEFAULT 0,
    queued_at     timestamptz,
    started_at    timestamptz,
    finished_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per (campaign, subscriber): the idempotency key of every send.
-- status moves queued -> committing -> delivered | soft_bounced | ... and a
-- row is claimed ("committing") right before the final dot of DATA, so a
-- retry, a reset or a second worker never sends it twice.
CREATE TABLE sends (
    campaign_id    bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subscriber_id  bigint NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    batch_no       integer NOT NULL,
    status         text NOT NULL DEFAULT 'queued',
    attempts       integer NOT NULL DEFAULT 0,
    next_try_at    timestamptz,
    claim          text NOT NULL DEFAULT '',
    server_id      bigint,
    smtp_code      integer NOT NULL DEFAULT 0,
    enhanced_code  text NOT NULL DEFAULT '',
    reply          text NOT NULL DEFAULT '',
    first_try_at   timestamptz,
    last_try_at    timestamptz,
    done_at        timestamptz,
    PRIMARY KEY (campaign_id, subscriber_id)
);
-- A batch child reads its rows by (campaign, batch); progress counts by
-- status use the same index. One index keeps queuing 1M rows fast.
CREATE INDEX sends_batch_idx ON sends (campaign_id, batch_no, status);

-- Sends whose retries are exhausted or that failed for good, for operators to
-- inspect and re-dispatch. The sends row keeps the same outcome.
CREATE TABLE failed_sends (
    campaign_id    bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subscriber_id  bigint NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    reason         text NOT NULL,
    smtp_code      integer NOT NULL DEFAULT 0,
    enhanced_code  text NOT NULL DEFAULT '',
    reply          text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0,
    first_try_at   timestamptz,
    last_try_at    timestamptz,
    redispatched_at timestamptz,
    PRIMARY KEY (campaign_id, subscriber_id)
);

CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Campaign events: bounces, complaints, opens, clicks, unsubscribes,
-- throttle replies. Reports aggregate them.
CREATE TABLE events (
    id            bigserial PRIMARY KEY,
    campaign_id   bigint,
    subscriber_id bigint,
    kind          text NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}',
    machine       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_campaign_idx ON events (campaign_id, kind, created_at);
CREATE INDEX events_subscriber_idx ON events (subscriber_id, created_at);

