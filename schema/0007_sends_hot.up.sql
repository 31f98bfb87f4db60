-- Every send is updated twice (claimed, then its outcome). With status out
-- of the batch index and free space left in each page, both updates can be
-- heap-only (HOT): PostgreSQL writes no index entries for them, which is
-- most of the write cost of sending. Batch reads filter the status of at
-- most one batch's rows.
DROP INDEX IF EXISTS sends_batch_idx;
CREATE INDEX sends_batch_idx ON sends (campaign_id, batch_no);
ALTER TABLE sends SET (fillfactor = 70);
