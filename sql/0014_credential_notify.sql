-- 0014_credential_notify: every api-server instance keeps the service keys and access
-- tokens it resolved in memory (credcache.h), trusted only while it hears about every change
-- that could make one wrong. These triggers tell it, on channel freecoop_credentials, as
-- the change commits (NOTIFY is delivered at commit, and not at all on rollback):
--   "t:<hex>,<hex>,..."  the SHA-256 hashes of access tokens just revoked (by their holder,
--                        or as the oldest past max_access_tokens);
--   "all"                anything else that could change what a credential stands for: a
--                        service disabled, enabled or changed, an account renamed or gone,
--                        or more revocations than fit in one notification.
-- Expiry needs no notification: an instance keeps a token no longer than it lives.

CREATE FUNCTION decision.notify_tokens_revoked() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    hashes text[];
BEGIN
    SELECT array_agg(encode(n.token_hash, 'hex')) INTO hashes
      FROM new_rows n JOIN old_rows o ON o.token_hash = n.token_hash
     WHERE o.revoked_at IS NULL AND n.revoked_at IS NOT NULL;
    IF hashes IS NULL THEN
        RETURN NULL;
    END IF;
    -- A payload holds at most 8000 bytes: 65 a hash.
    IF cardinality(hashes) > 100 THEN
        PERFORM pg_notify('freecoop_credentials', 'all');
    ELSE
        PERFORM pg_notify('freecoop_credentials', 't:' || array_to_string(hashes, ','));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION decision.notify_credentials_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
BEGIN
    PERFORM pg_notify('freecoop_credentials', 'all');
    RETURN NULL;
END
$fn$;

CREATE TRIGGER access_tokens_revoked AFTER UPDATE ON decision.access_tokens
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION decision.notify_tokens_revoked();
-- Every change of a service (its key, name, disabling); an account's name, service or
-- removal (not the no-op update that serialises an account's issuances).
CREATE TRIGGER services_changed AFTER UPDATE OR DELETE ON decision.services
    FOR EACH STATEMENT EXECUTE FUNCTION decision.notify_credentials_changed();
CREATE TRIGGER accounts_changed AFTER UPDATE OF id, name, service_id OR DELETE
    ON decision.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION decision.notify_credentials_changed();

ALTER FUNCTION decision.notify_tokens_revoked() OWNER TO freecoop_owner;
ALTER FUNCTION decision.notify_credentials_changed() OWNER TO freecoop_owner;
-- Only ever called as triggers (which need no EXECUTE privilege): no one may call them.
REVOKE ALL ON FUNCTION decision.notify_tokens_revoked(), decision.notify_credentials_changed()
    FROM PUBLIC;
