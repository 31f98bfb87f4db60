-- Pacing reserves send slots instead of taking tokens from a bucket:
-- slot_at is when the server's next free slot starts. Workers reserve a
-- few slots at a time from it, so no slot is lost when no worker requests one for a
-- moment, and all workers together keep to the rate exactly.
ALTER TABLE smtp_servers DROP COLUMN bucket_tokens;
ALTER TABLE smtp_servers RENAME COLUMN bucket_at TO slot_at;
