-- 0001_foundation: roles, schemas, pgcrypto, the identity tables and the
-- api-server's privileges.
--
-- Applied by the migration runner as the superuser inside one transaction
-- (no BEGIN/COMMIT here). public.schema_migrations already exists.
-- Every object is created by the superuser and handed to freecoop_owner;
-- PUBLIC is left with nothing in schemas decision and admin.

-- Roles are cluster-wide: another database on this cluster may already have
-- made them. Create the missing ones; for existing ones re-assert only what
-- matters for security (no LOGIN for the owner and the operator group) and
-- the operator login's membership.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'freecoop_owner') THEN
        CREATE ROLE freecoop_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'freecoop_server') THEN
        CREATE ROLE freecoop_server LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'decision_operator') THEN
        CREATE ROLE decision_operator NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'freecoop_operator') THEN
        CREATE ROLE freecoop_operator LOGIN IN ROLE decision_operator;
    END IF;

    ALTER ROLE freecoop_owner NOLOGIN;
    ALTER ROLE decision_operator NOLOGIN;
    IF NOT pg_catalog.pg_has_role('freecoop_operator', 'decision_operator', 'MEMBER') THEN
        GRANT decision_operator TO freecoop_operator;
    END IF;
END
$roles$;

CREATE SCHEMA decision AUTHORIZATION freecoop_owner;
CREATE SCHEMA admin AUTHORIZATION freecoop_owner;
REVOKE ALL ON SCHEMA decision FROM PUBLIC;
REVOKE ALL ON SCHEMA admin FROM PUBLIC;
COMMENT ON SCHEMA decision IS
    'Decision API data. Read and written by freecoop_server only; operators go through schema admin.';
COMMENT ON SCHEMA admin IS
    'Operator interface: SECURITY DEFINER functions and views, usable by members of decision_operator.';

-- pgcrypto lives in decision so that only roles with USAGE on decision
-- (freecoop_owner, freecoop_server) can reach it. Its functions belong to the
-- superuser (extension members); PUBLIC loses EXECUTE and the owner gets back
-- the one function the admin functions use.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA decision;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA decision FROM PUBLIC;
GRANT EXECUTE ON FUNCTION decision.gen_random_bytes(integer) TO freecoop_owner;

-- Services: the API clients. key_hash = SHA-256 of the UTF-8 key text "svc_...".
CREATE TABLE decision.services (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

-- Accounts: made by a service; claimed once by exchanging the id for an
-- authorization token (its hash and claimed_at are set together).
CREATE TABLE decision.accounts (
    id          uuid PRIMARY KEY,
    service_id  uuid NOT NULL REFERENCES decision.services (id),
    name        text CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    authorization_token_hash bytea UNIQUE CHECK (length(authorization_token_hash) = 32),
    claimed_at  timestamptz,
    CHECK ((authorization_token_hash IS NULL) = (claimed_at IS NULL))
);
CREATE INDEX accounts_service_id_created_at_id_idx
    ON decision.accounts (service_id, created_at, id);

-- Access tokens: short-lived, many per account; token_hash = SHA-256 of "acc_...".
CREATE TABLE decision.access_tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id  uuid NOT NULL REFERENCES decision.accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX access_tokens_account_id_idx ON decision.access_tokens (account_id);
CREATE INDEX access_tokens_expires_at_idx ON decision.access_tokens (expires_at);

-- Authorities: Ed25519 public keys (raw 32 bytes); id is the JWKS kid.
CREATE TABLE decision.authorities (
    id          uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    public_key  bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
    decision_authority boolean NOT NULL,
    code_auditor       boolean NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (decision_authority OR code_auditor)
);

ALTER TABLE decision.services OWNER TO freecoop_owner;
ALTER TABLE decision.accounts OWNER TO freecoop_owner;
ALTER TABLE decision.access_tokens OWNER TO freecoop_owner;
ALTER TABLE decision.authorities OWNER TO freecoop_owner;

COMMENT ON TABLE decision.services IS
    'API clients. key_hash is SHA-256 of the UTF-8 service key "svc_..."; the key itself is never stored.';
COMMENT ON TABLE decision.accounts IS
    'Accounts made by a service. authorization_token_hash and claimed_at are set together, once.';
COMMENT ON TABLE decision.access_tokens IS
    'Access tokens "acc_...", stored as SHA-256 of the token text.';
COMMENT ON TABLE decision.authorities IS
    'Ed25519 public keys (raw 32 bytes) of decision authorities and code auditors; id is the JWKS kid.';

-- Tables get no PUBLIC privileges by default; say so anyway, then grant the
-- api-server exactly its DML.
REVOKE ALL ON ALL TABLES IN SCHEMA decision FROM PUBLIC;
GRANT USAGE ON SCHEMA decision TO freecoop_server;
GRANT SELECT, INSERT, UPDATE
    ON decision.services, decision.accounts, decision.access_tokens, decision.authorities
    TO freecoop_server;
GRANT DELETE ON decision.access_tokens TO freecoop_server;
GRANT SELECT ON public.schema_migrations TO freecoop_server;
