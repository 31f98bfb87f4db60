-- Sends granted in the current minute, hour and day of each server, kept in
-- the row every worker already locks to take tokens, so quotas hold across
-- workers at no extra write.
ALTER TABLE smtp_servers
    ADD COLUMN minute_start timestamptz, ADD COLUMN minute_used integer NOT NULL DEFAULT 0,
    ADD COLUMN hour_start   timestamptz, ADD COLUMN hour_used   integer NOT NULL DEFAULT 0,
    ADD COLUMN day_start    timestamptz, ADD COLUMN day_used    integer NOT NULL DEFAULT 0;
