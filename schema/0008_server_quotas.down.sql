ALTER TABLE smtp_servers
    DROP COLUMN minute_start, DROP COLUMN minute_used, DROP COLUMN hour_start,
    DROP COLUMN hour_used, DROP COLUMN day_start, DROP COLUMN day_used;
