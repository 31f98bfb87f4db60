DROP TRIGGER IF EXISTS webhook_events ON events;
DROP TRIGGER IF EXISTS webhook_sends ON sends;
DROP TRIGGER IF EXISTS webhook_campaigns ON campaigns;
DROP FUNCTION IF EXISTS webhook_fanout_events(), webhook_fanout_sends(), webhook_fanout_campaigns();
DROP TABLE IF EXISTS webhook_deliveries, webhook_endpoints;
DROP SEQUENCE IF EXISTS webhook_campaign_event_seq;
