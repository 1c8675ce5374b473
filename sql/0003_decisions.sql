-- 0003_decisions: voting methods and their auditor signatures, decisions with their
-- franchises, proposals, secret ballots and signed results (DESIGN §4, §5, §7), and the
-- operator functions for them.
--
-- Secrecy at rest: a ballot row holds only a keyed slot (HMAC of the voter's account id
-- under the decision's slot key) and the sealed ballot (AES-256-GCM of its random id and
-- payload under the decision's ballot key). Both keys derive from the decision's data
-- key, stored here only wrapped by the server's master key, which never enters the
-- database. Who voted is franchise.voted_at; nothing in the clear links it to a slot.

-- Voting methods: id is the lowercase hex SHA-256 of the exact UTF-8 code.
CREATE TABLE decision.voting_methods (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- An auditor's Ed25519 signature over the exact code bytes, verified by the server.
CREATE TABLE decision.method_signatures (
    method_id    text NOT NULL REFERENCES decision.voting_methods (id),
    authority_id uuid NOT NULL REFERENCES decision.authorities (id),
    signature    bytea NOT NULL CHECK (length(signature) = 64),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method_id, authority_id)
);

-- The instance's settings that every server shares.
CREATE TABLE decision.settings (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    retention_days  integer NOT NULL DEFAULT 365 CHECK (retention_days BETWEEN 1 AND 36500)
);
INSERT INTO decision.settings DEFAULT VALUES;

-- Decisions. The phase states follow the database clock (decision.state); outcome,
-- set by the conclusion job, ends them. closed_at is set when an instance first claims
-- the conclusion: from then on no ballot is accepted (see decision.cast_ballot).
CREATE TABLE decision.decisions (
    id                 uuid PRIMARY KEY,
    service_id         uuid NOT NULL REFERENCES decision.services (id),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    method_id          text NOT NULL REFERENCES decision.voting_methods (id),
    metadata           jsonb CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object'),
    proposal_opens_at  timestamptz NOT NULL,
    proposal_closes_at timestamptz NOT NULL,
    voting_opens_at    timestamptz NOT NULL,
    voting_closes_at   timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    data_key           bytea NOT NULL CHECK (length(data_key) = 60),
    closed_at          timestamptz,
    outcome            text CHECK (outcome IN ('concluded', 'failed')),
    lease_owner        uuid,
    lease_until        timestamptz,
    attempts           integer NOT NULL DEFAULT 0,
    last_error         text,
    concluded_at       timestamptz,
    purged_at          timestamptz,
    CHECK (proposal_opens_at < proposal_closes_at),
    CHECK (proposal_closes_at <= voting_opens_at),
    CHECK (voting_opens_at < voting_closes_at),
    CHECK ((outcome IS NULL) = (concluded_at IS NULL))
);
CREATE INDEX decisions_service_idx ON decision.decisions (service_id, created_at, id);
CREATE INDEX decisions_pending_idx ON decision.decisions (voting_closes_at)
    WHERE outcome IS NULL;
CREATE INDEX decisions_concluded_idx ON decision.decisions (concluded_at)
    WHERE purged_at IS NULL AND outcome IS NOT NULL;

-- Franchises: one row per enfranchised account. voted_at: when the account first cast a
-- ballot (an operator may see that an account voted, never what).
CREATE TABLE decision.franchise (
    decision_id uuid NOT NULL REFERENCES decision.decisions (id),
    account_id  uuid NOT NULL REFERENCES decision.accounts (id),
    proposer    boolean NOT NULL,
    voter       boolean NOT NULL,
    voted_at    timestamptz,
    PRIMARY KEY (decision_id, account_id),
    CHECK (proposer OR voter)
);
CREATE INDEX franchise_account_idx ON decision.franchise (account_id, decision_id);

-- Proposals; proposer_id is NULL for a proposal the service wrote.
CREATE TABLE decision.proposals (
    id          uuid PRIMARY KEY,
    decision_id uuid NOT NULL REFERENCES decision.decisions (id),
    proposer_id uuid REFERENCES decision.accounts (id),
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposals_decision_idx ON decision.proposals (decision_id, id);

-- Ballots: slot = HMAC-SHA-256(slot key, account id); sealed = nonce || AES-256-GCM(ballot
-- key, ballot id || payload) || tag. No timestamp, no account id.
CREATE TABLE decision.ballots (
    decision_id uuid NOT NULL REFERENCES decision.decisions (id),
    slot        bytea NOT NULL CHECK (length(slot) = 32),
    sealed      bytea NOT NULL,
    PRIMARY KEY (decision_id, slot)
);

-- The signed result (compact JWS) of a concluded or failed decision. The document is
-- already compressed by nothing and rarely read: keep it out of line, uncompressed.
CREATE TABLE decision.results (
    decision_id uuid PRIMARY KEY REFERENCES decision.decisions (id),
    status      text NOT NULL CHECK (status IN ('ok', 'error')),
    jws         text NOT NULL,
    counted_at  timestamptz NOT NULL,
    phases      jsonb
);
ALTER TABLE decision.results ALTER COLUMN jws SET STORAGE EXTERNAL;

ALTER TABLE decision.voting_methods OWNER TO freecoop_owner;
ALTER TABLE decision.method_signatures OWNER TO freecoop_owner;
ALTER TABLE decision.settings OWNER TO freecoop_owner;
ALTER TABLE decision.decisions OWNER TO freecoop_owner;
ALTER TABLE decision.franchise OWNER TO freecoop_owner;
ALTER TABLE decision.proposals OWNER TO freecoop_owner;
ALTER TABLE decision.ballots OWNER TO freecoop_owner;
ALTER TABLE decision.results OWNER TO freecoop_owner;

COMMENT ON TABLE decision.voting_methods IS
    'Voting methods: Python code defining count(); id is the hex SHA-256 of the code.';
COMMENT ON TABLE decision.method_signatures IS
    'Ed25519 signatures of code auditors over the exact code bytes; a revoked auditor''s signature no longer counts.';
COMMENT ON TABLE decision.decisions IS
    'Decisions. data_key is the decision''s data key wrapped by the server''s master key (never stored in the clear).';
COMMENT ON TABLE decision.franchise IS
    'Who may propose and who may vote; voted_at says that an account voted, never what.';
COMMENT ON TABLE decision.ballots IS
    'Sealed ballots: a keyed slot and AES-256-GCM ciphertext; unreadable without the server''s master key.';
COMMENT ON TABLE decision.results IS
    'The signed result document (compact JWS) of each concluded or failed decision.';

-- The state of a decision at the database's clock (DESIGN §5). The proposal phase state
-- lasts until the voting phase opens.
CREATE FUNCTION decision.state(d decision.decisions) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT CASE
        WHEN d.outcome IS NOT NULL THEN d.outcome
        WHEN now() >= d.voting_closes_at THEN 'counting'
        WHEN now() >= d.voting_opens_at THEN 'voting'
        WHEN now() >= d.proposal_opens_at THEN 'proposing'
        ELSE 'scheduled'
    END
$fn$;

-- Methods whose code carries at least one signature of an unrevoked code auditor.
CREATE FUNCTION decision.method_auditors(method text) RETURNS uuid[]
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}')
      FROM decision.method_signatures s
      JOIN decision.authorities a ON a.id = s.authority_id
     WHERE s.method_id = method AND a.code_auditor AND a.revoked_at IS NULL
$fn$;

-- Raises FCAC0 unless every account in ids belongs to the service.
CREATE FUNCTION decision.check_accounts(service uuid, ids uuid[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v_bad uuid;
    v_n bigint;
BEGIN
    SELECT u.id, count(*) OVER () INTO v_bad, v_n
      FROM unnest(ids) AS u(id)
     WHERE NOT EXISTS (SELECT 1 FROM decision.accounts a
                        WHERE a.id = u.id AND a.service_id = service)
     LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'account % is not an account of this service', v_bad
            USING ERRCODE = 'FCAC0', DETAIL = v_n::text;
    END IF;
END
$fn$;

-- Adds franchise rows; an account already present gains the abilities it is given.
CREATE FUNCTION decision.merge_franchise(decision uuid, proposers uuid[], voters uuid[])
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    INSERT INTO decision.franchise AS f (decision_id, account_id, proposer, voter)
    SELECT decision, id, bool_or(p), bool_or(v)
      FROM (SELECT id, true AS p, false AS v FROM unnest(proposers) AS id
            UNION ALL
            SELECT id, false, true FROM unnest(voters) AS id) m
     GROUP BY id
    ON CONFLICT (decision_id, account_id) DO UPDATE
       SET proposer = f.proposer OR excluded.proposer, voter = f.voter OR excluded.voter
$fn$;

-- Creates a decision with its first franchise batch and the service's proposals.
-- Raises FCMT0 (method unknown or without a valid auditor signature), FCAC0 (an account
-- of another service), FCPH0 (the voting phase is already over).
CREATE FUNCTION decision.create_decision(
    id uuid, service uuid, title text, method text, metadata jsonb,
    proposal_opens_at timestamptz, proposal_closes_at timestamptz,
    voting_opens_at timestamptz, voting_closes_at timestamptz, data_key bytea,
    proposers uuid[], voters uuid[], proposal_ids uuid[], proposal_payloads bytea[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
BEGIN
    IF cardinality(decision.method_auditors(method)) = 0 THEN
        RAISE EXCEPTION 'voting method % is unknown or has no valid auditor signature', method
            USING ERRCODE = 'FCMT0';
    END IF;
    IF voting_closes_at <= now() THEN
        RAISE EXCEPTION 'the voting phase must close in the future' USING ERRCODE = 'FCPH0';
    END IF;
    PERFORM decision.check_accounts(service, proposers || voters);
    INSERT INTO decision.decisions (id, service_id, title, method_id, metadata,
        proposal_opens_at, proposal_closes_at, voting_opens_at, voting_closes_at, data_key)
    VALUES (create_decision.id, service, title, method, metadata, proposal_opens_at,
        proposal_closes_at, voting_opens_at, voting_closes_at, data_key);
    PERFORM decision.merge_franchise(create_decision.id, proposers, voters);
    INSERT INTO decision.proposals (id, decision_id, proposer_id, payload)
    SELECT p.id, create_decision.id, NULL, p.payload
      FROM unnest(proposal_ids, proposal_payloads) AS p(id, payload);
END
$fn$;

-- Appends a franchise batch while the decision has not opened. Raises FCNF0 (no such
-- decision of this service), FCPH0 (already open), FCAC0.
CREATE FUNCTION decision.add_franchise(decision uuid, service uuid, proposers uuid[],
                                       voters uuid[])
    RETURNS TABLE (proposer_count bigint, voter_count bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    d decision.decisions;
BEGIN
    SELECT * INTO d FROM decision.decisions x
     WHERE x.id = add_franchise.decision AND x.service_id = service FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such decision' USING ERRCODE = 'FCNF0';
    END IF;
    IF now() >= d.proposal_opens_at THEN
        RAISE EXCEPTION 'the decision opened at %; its franchise is final', d.proposal_opens_at
            USING ERRCODE = 'FCPH0';
    END IF;
    PERFORM decision.check_accounts(service, add_franchise.proposers || add_franchise.voters);
    PERFORM decision.merge_franchise(d.id, add_franchise.proposers, add_franchise.voters);
    RETURN QUERY SELECT count(*) FILTER (WHERE f.proposer), count(*) FILTER (WHERE f.voter)
                   FROM decision.franchise f WHERE f.decision_id = d.id;
END
$fn$;

-- A proposal by a proposer-franchise member during the proposal phase. Raises FCNF0
-- (no such decision, or the account is not in its franchise at all), FCFB0 (not a
-- proposer), FCPH0 (outside the proposal phase), FCLM0 (max_proposals reached).
CREATE FUNCTION decision.add_proposal(decision uuid, account uuid, id uuid, payload bytea,
                                      max_proposals integer)
    RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    d decision.decisions;
    f decision.franchise;
BEGIN
    SELECT * INTO d FROM decision.decisions x WHERE x.id = add_proposal.decision FOR KEY SHARE;
    SELECT * INTO f FROM decision.franchise x
     WHERE x.decision_id = add_proposal.decision AND x.account_id = account;
    IF d.id IS NULL OR f.decision_id IS NULL THEN
        RAISE EXCEPTION 'no such decision' USING ERRCODE = 'FCNF0';
    END IF;
    IF NOT f.proposer THEN
        RAISE EXCEPTION 'this account is not in the proposer franchise' USING ERRCODE = 'FCFB0';
    END IF;
    IF now() < d.proposal_opens_at OR now() >= d.proposal_closes_at THEN
        RAISE EXCEPTION 'proposals are accepted from % until %', d.proposal_opens_at,
            d.proposal_closes_at USING ERRCODE = 'FCPH0';
    END IF;
    IF (SELECT count(*) FROM decision.proposals p WHERE p.decision_id = d.id) >= max_proposals THEN
        RAISE EXCEPTION 'this decision has % proposals, the most it may have', max_proposals
            USING ERRCODE = 'FCLM0';
    END IF;
    INSERT INTO decision.proposals (id, decision_id, proposer_id, payload)
    VALUES (add_proposal.id, d.id, account, payload);
    RETURN to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
END
$fn$;

ALTER FUNCTION decision.state(decision.decisions) OWNER TO freecoop_owner;
ALTER FUNCTION decision.method_auditors(text) OWNER TO freecoop_owner;
ALTER FUNCTION decision.check_accounts(uuid, uuid[]) OWNER TO freecoop_owner;
ALTER FUNCTION decision.merge_franchise(uuid, uuid[], uuid[]) OWNER TO freecoop_owner;
ALTER FUNCTION decision.create_decision(uuid, uuid, text, text, jsonb, timestamptz,
    timestamptz, timestamptz, timestamptz, bytea, uuid[], uuid[], uuid[], bytea[])
    OWNER TO freecoop_owner;
ALTER FUNCTION decision.add_franchise(uuid, uuid, uuid[], uuid[]) OWNER TO freecoop_owner;
ALTER FUNCTION decision.add_proposal(uuid, uuid, uuid, bytea, integer) OWNER TO freecoop_owner;

-- Purges the ballots, proposals' payloads and documents of decisions that ended more
-- than retention_days ago; returns how many decisions it purged.
CREATE FUNCTION decision.purge_expired() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v_ids uuid[];
BEGIN
    SELECT coalesce(array_agg(d.id), '{}') INTO v_ids
      FROM decision.decisions d, decision.settings s
     WHERE d.purged_at IS NULL AND d.outcome IS NOT NULL
       AND d.concluded_at < now() - make_interval(days => s.retention_days);
    DELETE FROM decision.ballots WHERE decision_id = ANY (v_ids);
    DELETE FROM decision.results WHERE decision_id = ANY (v_ids);
    UPDATE decision.proposals SET payload = '' WHERE decision_id = ANY (v_ids);
    UPDATE decision.decisions SET purged_at = now(), data_key = decision.gen_random_bytes(60)
     WHERE id = ANY (v_ids);
    RETURN cardinality(v_ids);
END
$fn$;
ALTER FUNCTION decision.purge_expired() OWNER TO freecoop_owner;

REVOKE ALL ON ALL TABLES IN SCHEMA decision FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA decision FROM PUBLIC;
GRANT SELECT, INSERT ON decision.voting_methods, decision.method_signatures,
    decision.proposals TO freecoop_server;
GRANT SELECT ON decision.settings TO freecoop_server;
GRANT SELECT, INSERT, UPDATE ON decision.decisions, decision.franchise, decision.ballots,
    decision.results TO freecoop_server;
GRANT UPDATE ON decision.proposals TO freecoop_server;
GRANT DELETE ON decision.ballots, decision.results TO freecoop_server;
GRANT EXECUTE ON FUNCTION
    decision.state(decision.decisions),
    decision.method_auditors(text),
    decision.check_accounts(uuid, uuid[]),
    decision.merge_franchise(uuid, uuid[], uuid[]),
    decision.create_decision(uuid, uuid, text, text, jsonb, timestamptz, timestamptz,
        timestamptz, timestamptz, bytea, uuid[], uuid[], uuid[], bytea[]),
    decision.add_franchise(uuid, uuid, uuid[], uuid[]),
    decision.add_proposal(uuid, uuid, uuid, bytea, integer),
    decision.purge_expired()
    TO freecoop_server;
GRANT EXECUTE ON FUNCTION decision.gen_random_bytes(integer) TO freecoop_server;


-- Operator functions and views.

CREATE VIEW admin.decisions AS
SELECT d.id, d.service_id, s.name AS service_name, d.title,
       -- as decision.state(d), which operators may not call
       CASE WHEN d.outcome IS NOT NULL THEN d.outcome
            WHEN now() >= d.voting_closes_at THEN 'counting'
            WHEN now() >= d.voting_opens_at THEN 'voting'
            WHEN now() >= d.proposal_opens_at THEN 'proposing'
            ELSE 'scheduled' END AS state,
       d.method_id, m.name AS method_name,
       d.proposal_opens_at, d.proposal_closes_at, d.voting_opens_at, d.voting_closes_at,
       d.created_at, d.closed_at, d.concluded_at, d.attempts, d.last_error,
       d.lease_until > now() AS conclusion_running, d.purged_at,
       (SELECT count(*) FROM decision.franchise f WHERE f.decision_id = d.id AND f.voter) AS voters,
       (SELECT count(*) FROM decision.franchise f
         WHERE f.decision_id = d.id AND f.voted_at IS NOT NULL) AS voted
  FROM decision.decisions d
  JOIN decision.services s ON s.id = d.service_id
  JOIN decision.voting_methods m ON m.id = d.method_id
 ORDER BY d.created_at, d.id;
COMMENT ON VIEW admin.decisions IS
$c$Decisions with their state (scheduled, proposing, voting, counting, concluded, failed), the conclusion's attempts
and last error, how many may vote and how many voted. Never shows ballots or keys.
Usage: SELECT id, title, state, last_error FROM admin.decisions WHERE state = 'failed';$c$;

CREATE FUNCTION admin.decisions_in_state(state text)
    RETURNS SETOF admin.decisions
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT * FROM admin.decisions d WHERE d.state = decisions_in_state.state
$fn$;
COMMENT ON FUNCTION admin.decisions_in_state(text) IS
$c$The decisions in one state. Usage: SELECT * FROM admin.decisions_in_state('counting');$c$;

CREATE FUNCTION admin.requeue_conclusion(decision uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    d decision.decisions;
BEGIN
    SELECT * INTO d FROM decision.decisions x WHERE x.id = requeue_conclusion.decision FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no decision %', requeue_conclusion.decision
            USING ERRCODE = 'no_data_found';
    END IF;
    IF d.purged_at IS NOT NULL THEN
        RAISE EXCEPTION 'decision % was purged; it cannot be counted again', d.id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF d.outcome IS DISTINCT FROM 'failed' AND
       NOT (d.outcome IS NULL AND d.voting_closes_at <= now()) THEN
        RAISE EXCEPTION 'decision % is %: only a failed or counting decision can be re-queued',
            d.id, decision.state(d) USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    DELETE FROM decision.results WHERE decision_id = d.id;
    UPDATE decision.decisions SET outcome = NULL, concluded_at = NULL, lease_owner = NULL,
           lease_until = NULL, attempts = 0, last_error = NULL
     WHERE id = d.id;
END
$fn$;
COMMENT ON FUNCTION admin.requeue_conclusion(uuid) IS
$c$Count a failed decision again (e.g. after raising the count limits), or retry a counting one now.
Its failure document is withdrawn; a server concludes it again within seconds.
Usage: SELECT admin.requeue_conclusion('decision-id');$c$;

CREATE FUNCTION admin.set_retention(days integer) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
BEGIN
    IF days IS NULL OR days NOT BETWEEN 1 AND 36500 THEN
        RAISE EXCEPTION 'retention must be 1 to 36500 days' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE decision.settings SET retention_days = days;
END
$fn$;
COMMENT ON FUNCTION admin.set_retention(integer) IS
$c$How many days after its conclusion a decision's ballots and result are kept (default 365).
Usage: SELECT admin.set_retention(90);$c$;

CREATE FUNCTION admin.purge() RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT decision.purge_expired()
$fn$;
COMMENT ON FUNCTION admin.purge() IS
$c$Purge now what the retention period no longer keeps (servers also do it hourly); returns the number of decisions purged.
Usage: SELECT admin.purge();$c$;

CREATE VIEW admin.voting_methods AS
SELECT m.id, m.name, m.created_at, length(m.code) AS code_length,
       (SELECT array_agg(a.name ORDER BY a.name) FROM decision.method_signatures s
          JOIN decision.authorities a ON a.id = s.authority_id
         WHERE s.method_id = m.id AND a.revoked_at IS NULL AND a.code_auditor) AS auditors
  FROM decision.voting_methods m
 ORDER BY m.created_at, m.id;
COMMENT ON VIEW admin.voting_methods IS
    'Voting methods and the names of the unrevoked auditors whose signatures they carry.';

ALTER VIEW admin.decisions OWNER TO freecoop_owner;
ALTER VIEW admin.voting_methods OWNER TO freecoop_owner;
ALTER FUNCTION admin.decisions_in_state(text) OWNER TO freecoop_owner;
ALTER FUNCTION admin.requeue_conclusion(uuid) OWNER TO freecoop_owner;
ALTER FUNCTION admin.set_retention(integer) OWNER TO freecoop_owner;
ALTER FUNCTION admin.purge() OWNER TO freecoop_owner;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA admin FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA admin FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    admin.decisions_in_state(text),
    admin.requeue_conclusion(uuid),
    admin.set_retention(integer),
    admin.purge()
    TO decision_operator;
GRANT SELECT ON admin.decisions, admin.voting_methods TO decision_operator;
