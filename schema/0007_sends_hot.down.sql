DROP INDEX IF EXISTS sends_batch_idx;
CREATE INDEX sends_batch_idx ON sends (campaign_id, batch_no, status);
ALTER TABLE sends RESET (fillfactor);
