DROP TRIGGER sends_cascade_subscribers ON subscribers;
DROP FUNCTION sends_cascade_subscribers();
DROP TRIGGER sends_cascade_campaigns ON campaigns;
DROP FUNCTION sends_cascade_campaigns();
DELETE FROM sends s WHERE NOT EXISTS (SELECT 1 FROM subscribers sub WHERE sub.id = s.subscriber_id)
    OR NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = s.campaign_id);
ALTER TABLE sends ADD CONSTRAINT sends_campaign_id_fkey
    FOREIGN KEY (campaign_id) REFERENCES campaigns(id) ON DELETE CASCADE;
ALTER TABLE sends ADD CONSTRAINT sends_subscriber_id_fkey
    FOREIGN KEY (subscriber_id) REFERENCES subscribers(id) ON DELETE CASCADE;
