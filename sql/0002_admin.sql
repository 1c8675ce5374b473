-- 0002_admin: the operator interface in schema admin.
--
-- Operators (members of decision_operator) have no privilege on schema
-- decision; they act only through these SECURITY DEFINER functions, owned by
-- freecoop_owner, and read through these plain views (which run with the
-- owner's rights and never expose a hash column).
-- Every function pins search_path and still schema-qualifies every name.

CREATE FUNCTION admin.create_service(name text) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_key text;
    v_id  uuid;
BEGIN
    IF create_service.name IS NULL THEN
        RAISE EXCEPTION 'service name must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.length(create_service.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid service name'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A service name must be 1 to 200 characters long.';
    END IF;

    -- 32 random bytes, base64url without padding: 43 characters.
    v_key := 'svc_' || pg_catalog.translate(
        pg_catalog.encode(decision.gen_random_bytes(32), 'base64'), E'+/=\n', '-_');

    INSERT INTO decision.services (name, key_hash)
    VALUES (create_service.name,
            pg_catalog.sha256(pg_catalog.convert_to(v_key, 'UTF8')))
    ON CONFLICT (name) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'service "%" already exists', create_service.name
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN v_key;
END
$fn$;

COMMENT ON FUNCTION admin.create_service(text) IS
$c$Create a service and return its key "svc_..." (shown this once; only its SHA-256 is stored).
Usage: SELECT admin.create_service('name');  -- name: 1..200 characters, unique.
Hand the key to the service over a secure channel; a lost key cannot be recovered (create a new service).$c$;


-- Private helpers (not granted to anyone; the SECURITY DEFINER functions below run as
-- their owner): find a service or an authority by id (when the text is a UUID) or by
-- name, lock its row, and raise a clear error when there is none.
CREATE FUNCTION decision.find_service(service text) RETURNS decision.services
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v decision.services;
BEGIN
    IF find_service.service IS NULL THEN
        RAISE EXCEPTION 'service must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF find_service.service ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO v FROM decision.services s
         WHERE s.id = find_service.service::uuid FOR UPDATE;
    END IF;
    IF v.id IS NULL THEN
        SELECT * INTO v FROM decision.services s WHERE s.name = find_service.service FOR UPDATE;
    END IF;
    IF v.id IS NULL THEN
        RAISE EXCEPTION 'service "%" does not exist', find_service.service
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN v;
END
$fn$;

CREATE FUNCTION decision.find_authority(authority text) RETURNS decision.authorities
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v decision.authorities;
BEGIN
    IF find_authority.authority IS NULL THEN
        RAISE EXCEPTION 'authority must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF find_authority.authority ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO v FROM decision.authorities a
         WHERE a.id = find_authority.authority::uuid FOR UPDATE;
    END IF;
    IF v.id IS NULL THEN
        SELECT * INTO v FROM decision.authorities a
         WHERE a.name = find_authority.authority FOR UPDATE;
    END IF;
    IF v.id IS NULL THEN
        RAISE EXCEPTION 'authority "%" does not exist', find_authority.authority
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN v;
END
$fn$;

ALTER FUNCTION decision.find_service(text) OWNER TO freecoop_owner;
ALTER FUNCTION decision.find_authority(text) OWNER TO freecoop_owner;
REVOKE ALL ON FUNCTION decision.find_service(text), decision.find_authority(text) FROM PUBLIC;


CREATE FUNCTION admin.disable_service(service text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v decision.services := decision.find_service(disable_service.service);
BEGIN
    IF v.disabled_at IS NOT NULL THEN
        RAISE NOTICE 'service "%" is already disabled', disable_service.service;
        RETURN;
    END IF;
    UPDATE decision.services SET disabled_at = pg_catalog.now() WHERE id = v.id;
END
$fn$;

COMMENT ON FUNCTION admin.disable_service(text) IS
$c$Disable a service, given its id or its name: its key is refused from then on (its accounts and tokens stay).
Usage: SELECT admin.disable_service('name-or-id');  -- already disabled: a notice, nothing changes.$c$;


CREATE FUNCTION admin.enable_service(service text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v decision.services := decision.find_service(enable_service.service);
BEGIN
    IF v.disabled_at IS NULL THEN
        RAISE NOTICE 'service "%" is not disabled', enable_service.service;
        RETURN;
    END IF;
    UPDATE decision.services SET disabled_at = NULL WHERE id = v.id;
END
$fn$;

COMMENT ON FUNCTION admin.enable_service(text) IS
$c$Enable a disabled service again, given its id or its name; its existing key works again.
Usage: SELECT admin.enable_service('name-or-id');  -- not disabled: a notice, nothing changes.$c$;


CREATE FUNCTION admin.add_authority(name text, public_key text,
                                    decision_authority boolean, code_auditor boolean)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    -- DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410).
    c_spki_prefix constant bytea := '\x302a300506032b6570032100';
    v_text  text;
    v_label text;
    v_b64   text;
    v_bytes bytea;
    v_id    uuid;
    v_other text;
BEGIN
    IF add_authority.name IS NULL THEN
        RAISE EXCEPTION 'authority name must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.length(add_authority.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid authority name'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'An authority name must be 1 to 200 characters long.';
    END IF;
    IF add_authority.public_key IS NULL THEN
        RAISE EXCEPTION 'public key must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF add_authority.decision_authority IS NULL OR add_authority.code_auditor IS NULL THEN
        RAISE EXCEPTION 'decision_authority and code_auditor must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (add_authority.decision_authority OR add_authority.code_auditor) THEN
        RAISE EXCEPTION 'an authority must have at least one ability'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set decision_authority or code_auditor (or both) to true.';
    END IF;

    -- Never echo the input in a message: a private key pasted by mistake
    -- must not end up in logs.
    v_text := pg_catalog.btrim(add_authority.public_key, E' \t\r\n');
    IF v_text LIKE '-----BEGIN %' THEN
        v_label := pg_catalog.substring(v_text, '^-----BEGIN ([A-Z0-9 ]+)-----');
        IF v_label IS DISTINCT FROM 'PUBLIC KEY' THEN
            RAISE EXCEPTION 'PEM block is "%", expected "PUBLIC KEY"', coalesce(v_label, '?')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give the public key as printed by: openssl pkey -in key.pem -pubout';
        END IF;
        v_b64 := pg_catalog.substring(v_text,
            '^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=[:space:]]*)-----END PUBLIC KEY-----$');
        IF v_b64 IS NOT NULL THEN
            v_b64 := pg_catalog.regexp_replace(v_b64, '[[:space:]]', '', 'g');
        END IF;
        IF v_b64 IS NULL
           OR v_b64 !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' THEN
            RAISE EXCEPTION 'malformed PEM public key'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'Expected base64 between "-----BEGIN PUBLIC KEY-----" and "-----END PUBLIC KEY-----".';
        END IF;
        v_bytes := pg_catalog.decode(v_b64, 'base64');
        IF pg_catalog.length(v_bytes) <> 44
           OR pg_catalog.substring(v_bytes, 1, 12) <> c_spki_prefix THEN
            RAISE EXCEPTION 'PEM public key is not an Ed25519 key'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('Expected the 44-byte SubjectPublicKeyInfo of an Ed25519 key; got %s bytes of another key type.',
                                                 pg_catalog.length(v_bytes)),
                      HINT = 'Make the key with: openssl genpkey -algorithm ed25519';
        END IF;
        v_bytes := pg_catalog.substring(v_bytes, 13);
    ELSE
        -- base64 or base64url of the raw 32 bytes, padding optional.
        IF v_text !~ '^[A-Za-z0-9_-]+={0,2}$' AND v_text !~ '^[A-Za-z0-9+/]+={0,2}$' THEN
            RAISE EXCEPTION 'public key is neither PEM nor base64'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give a PEM "PUBLIC KEY" (openssl pkey -pubout) or the base64url of the raw 32-byte Ed25519 key.';
        END IF;
        v_b64 := pg_catalog.translate(pg_catalog.rtrim(v_text, '='), '-_', '+/');
        IF pg_catalog.length(v_b64) % 4 = 1 THEN
            RAISE EXCEPTION 'public key is not valid base64' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_bytes := pg_catalog.decode(
            v_b64 || pg_catalog.repeat('=', (4 - pg_catalog.length(v_b64) % 4) % 4), 'base64');
        IF pg_catalog.length(v_bytes) = 44
           AND pg_catalog.substring(v_bytes, 1, 12) = c_spki_prefix THEN
            RAISE EXCEPTION 'public key is a DER SubjectPublicKeyInfo without PEM armour'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Give the PEM as printed by openssl pkey -pubout, or the raw 32 bytes.';
        END IF;
        IF pg_catalog.length(v_bytes) <> 32 THEN
            RAISE EXCEPTION 'raw Ed25519 public key must be 32 bytes, got %', pg_catalog.length(v_bytes)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    INSERT INTO decision.authorities (name, public_key, decision_authority, code_auditor)
    VALUES (add_authority.name, v_bytes,
            add_authority.decision_authority, add_authority.code_auditor)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        IF EXISTS (SELECT FROM decision.authorities a WHERE a.name = add_authority.name) THEN
            RAISE EXCEPTION 'authority "%" already exists', add_authority.name
                USING ERRCODE = 'unique_violation';
        END IF;
        SELECT a.name INTO v_other FROM decision.authorities a WHERE a.public_key = v_bytes;
        RAISE EXCEPTION 'this public key is already registered as authority "%"', v_other
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN v_id;
END
$fn$;

COMMENT ON FUNCTION admin.add_authority(text, text, boolean, boolean) IS
$c$Register an Ed25519 public key as an authority and return its id (the JWKS kid).
public_key: a PEM "-----BEGIN PUBLIC KEY-----" block as printed by `openssl pkey -in key.pem -pubout`,
or the base64/base64url of the raw 32-byte key. At least one ability must be true. Names and keys are unique.
Usage in psql:  \set pk `openssl pkey -in key.pem -pubout`
                SELECT admin.add_authority('name', :'pk', decision_authority => true, code_auditor => false);$c$;


CREATE FUNCTION admin.revoke_authority(authority text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v decision.authorities := decision.find_authority(revoke_authority.authority);
BEGIN
    IF v.revoked_at IS NOT NULL THEN
        RAISE NOTICE 'authority "%" is already revoked', revoke_authority.authority;
        RETURN;
    END IF;
    UPDATE decision.authorities SET revoked_at = pg_catalog.now() WHERE id = v.id;
END
$fn$;

COMMENT ON FUNCTION admin.revoke_authority(text) IS
$c$Revoke an authority, given its id or its name: it leaves the JWKS and its signatures are no longer accepted.
Revocation is final (the key cannot be registered again). Usage: SELECT admin.revoke_authority('name-or-id');$c$;


CREATE VIEW admin.services AS
SELECT s.id, s.name, s.created_at, s.disabled_at,
       (SELECT pg_catalog.count(*) FROM decision.accounts a WHERE a.service_id = s.id) AS accounts
  FROM decision.services s
 ORDER BY s.created_at, s.id;

COMMENT ON VIEW admin.services IS
    'Services with their number of accounts; disabled_at is set while a service is disabled. Never shows key hashes.';

CREATE VIEW admin.accounts AS
SELECT a.id, a.service_id, s.name AS service_name, a.name, a.created_at, a.claimed_at,
       (SELECT pg_catalog.count(*) FROM decision.access_tokens t
         WHERE t.account_id = a.id
           AND t.revoked_at IS NULL
           AND t.expires_at > pg_catalog.now()) AS active_access_tokens
  FROM decision.accounts a
  JOIN decision.services s ON s.id = a.service_id
 ORDER BY a.created_at, a.id;

COMMENT ON VIEW admin.accounts IS
$c$Accounts with their service, claim time (NULL: not yet claimed) and number of unexpired, unrevoked access tokens.
The id of an unclaimed account is a claim secret: do not share it. Never shows token hashes.$c$;

CREATE VIEW admin.authorities AS
SELECT a.id, a.name,
       pg_catalog.translate(pg_catalog.encode(a.public_key, 'base64'), E'+/=\n', '-_') AS public_key,
       a.decision_authority, a.code_auditor, a.created_at, a.revoked_at
  FROM decision.authorities a
 ORDER BY a.created_at, a.id;

COMMENT ON VIEW admin.authorities IS
    'Authorities (Ed25519 keys); id is the JWKS kid, public_key the base64url of the raw 32-byte key, revoked_at set once revoked.';

ALTER FUNCTION admin.create_service(text) OWNER TO freecoop_owner;
ALTER FUNCTION admin.disable_service(text) OWNER TO freecoop_owner;
ALTER FUNCTION admin.enable_service(text) OWNER TO freecoop_owner;
ALTER FUNCTION admin.add_authority(text, text, boolean, boolean) OWNER TO freecoop_owner;
ALTER FUNCTION admin.revoke_authority(text) OWNER TO freecoop_owner;
ALTER VIEW admin.services OWNER TO freecoop_owner;
ALTER VIEW admin.accounts OWNER TO freecoop_owner;
ALTER VIEW admin.authorities OWNER TO freecoop_owner;

-- Functions are executable by PUBLIC by default: take that away, then grant
-- the operator group exactly the interface.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA admin FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA admin FROM PUBLIC;
GRANT USAGE ON SCHEMA admin TO decision_operator;
GRANT EXECUTE ON FUNCTION
    admin.create_service(text),
    admin.disable_service(text),
    admin.enable_service(text),
    admin.add_authority(text, text, boolean, boolean),
    admin.revoke_authority(text)
    TO decision_operator;
GRANT SELECT ON admin.services, admin.accounts, admin.authorities TO decision_operator;
