ALTER TABLE smtp_servers RENAME COLUMN slot_at TO bucket_at;
ALTER TABLE smtp_servers ADD COLUMN bucket_tokens double precision NOT NULL DEFAULT 0;
