-- Queuing inserts one sends row per recipient, and PostgreSQL checks each
-- row's two foreign keys with a lookup of its own: about 8 of the 13 s that
-- queuing 1,000,000 recipients took. Queuing selects the subscribers and
-- locks the campaign row itself, so the keys added no safety there. The
-- cascades they gave stay, as statement triggers that delete in one join.
ALTER TABLE sends DROP CONSTRAINT sends_campaign_id_fkey;
ALTER TABLE sends DROP CONSTRAINT sends_subscriber_id_fkey;

CREATE FUNCTION sends_cascade_campaigns() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sends s USING old_campaigns o WHERE s.campaign_id = o.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER sends_cascade_campaigns AFTER DELETE ON campaigns
    REFERENCING OLD TABLE AS old_campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION sends_cascade_campaigns();

CREATE FUNCTION sends_cascade_subscribers() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sends s USING old_subscribers o WHERE s.subscriber_id = o.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER sends_cascade_subscribers AFTER DELETE ON subscribers
    REFERENCING OLD TABLE AS old_subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION sends_cascade_subscribers();
