-- 0007_coop: FreeCoop (DESIGN §10), the service inside the api-server, in a schema of its
-- own. FreeCoop reaches the Decision API only through its interface; its SQL touches only
-- schema coop. This migration holds its people; groups, charters, decisions and the log
-- follow in their own migrations.

CREATE SCHEMA coop AUTHORIZATION freecoop_owner;
COMMENT ON SCHEMA coop IS
    'FreeCoop data. Read and written by freecoop_server only; operators go through schema admin.';
REVOKE ALL ON SCHEMA coop FROM PUBLIC;

-- One row: whether strangers may sign up.
CREATE TABLE coop.settings (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    signup_open boolean NOT NULL DEFAULT true
);
INSERT INTO coop.settings DEFAULT VALUES;

-- A person is a core account of FreeCoop's service: its id is the account's. FreeCoop
-- stores the id and the name, never a token (people claim theirs at the core).
CREATE TABLE coop.people (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE coop.settings OWNER TO freecoop_owner;
ALTER TABLE coop.people OWNER TO freecoop_owner;
REVOKE ALL ON ALL TABLES IN SCHEMA coop FROM PUBLIC;
GRANT USAGE ON SCHEMA coop TO freecoop_server;
GRANT SELECT ON coop.settings TO freecoop_server;
GRANT SELECT, INSERT ON coop.people TO freecoop_server;


-- Operator functions.

CREATE FUNCTION admin.set_signup(open boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, coop, pg_temp
AS $fn$
BEGIN
    IF set_signup.open IS NULL THEN
        RAISE EXCEPTION 'open must be true or false' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE coop.settings SET signup_open = set_signup.open;
END
$fn$;
COMMENT ON FUNCTION admin.set_signup(boolean) IS
$c$Open or close FreeCoop's sign-up (POST /coop/v1/people); people who signed up are not affected.
Usage: SELECT admin.set_signup(false);$c$;

CREATE VIEW admin.people AS
SELECT p.id, p.name, p.created_at FROM coop.people p ORDER BY p.created_at, p.id;
COMMENT ON VIEW admin.people IS 'The people who signed up to FreeCoop (their core account ids and names).';

ALTER FUNCTION admin.set_signup(boolean) OWNER TO freecoop_owner;
ALTER VIEW admin.people OWNER TO freecoop_owner;
REVOKE ALL ON FUNCTION admin.set_signup(boolean) FROM PUBLIC;
REVOKE ALL ON admin.people FROM PUBLIC;
GRANT EXECUTE ON FUNCTION admin.set_signup(boolean) TO decision_operator;
GRANT SELECT ON admin.people TO decision_operator;
