-- 0005_secrecy: secrecy against whoever reads the database, and bounded decisions.
--
-- 1. Every sealed ballot of a decision has the same length: a decision has a ballot_size,
--    and the server pads every payload to it inside the ciphertext (api-server/ballot.c).
--    Decisions made before this migration keep NULL: their ballots were sealed unpadded.
-- 2. Casting writes and locks nothing that names the voter: franchise.voted_at goes (it
--    was updated in the transaction that wrote the ballot, so both rows carried the same
--    xmin). Turnout is the number of ballot rows; participants are worked out at
--    conclusion from the slots (an HMAC of each voter's account id under the decision's
--    key, which the database never sees).
-- 3. A decision whose result document could exceed the server's max_document_size is
--    refused when it is created, when its franchise grows and when a proposal is added
--    (decision.check_document), so a conclusion can always be stored. The franchise's
--    sizes are kept in the decision row for that (and for GET /v1/decisions/{id}, which
--    counted the franchise on every call).
-- 4. Proposals are added under the decision row's lock, so max_proposals holds under
--    concurrent inserts.
-- 5. Operators never see a claim secret: admin.accounts shows an unclaimed account by the
--    SHA-256 of its id (its handle), never the id.
-- 6. Times in the database's messages are RFC 3339, as everywhere in the API.
-- 7. A result document is streamed from the database a chunk at a time (download.c): it is
--    stored as bytea, uncompressed, where substring reads only the TOAST chunks it needs
--    (as text in a UTF-8 database, every chunk read the document from its start).
-- 8. At most max_access_tokens live access tokens per account: issuing one reads the
--    account's unrevoked tokens through an index of its own (revoked and expired tokens
--    stay until the purge, a day after they expire).

ALTER TABLE decision.decisions
    ADD COLUMN ballot_size integer CHECK (ballot_size BETWEEN 1 AND 16777216),
    ADD COLUMN proposer_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN voter_count bigint NOT NULL DEFAULT 0;
UPDATE decision.decisions d
   SET proposer_count = c.p, voter_count = c.v
  FROM (SELECT decision_id, count(*) FILTER (WHERE proposer) AS p,
               count(*) FILTER (WHERE voter) AS v
          FROM decision.franchise GROUP BY decision_id) c
 WHERE c.decision_id = d.id;
COMMENT ON COLUMN decision.decisions.ballot_size IS
    'Bytes every ballot payload is padded to inside its ciphertext; NULL for decisions made before migration 0005 (sealed unpadded).';
COMMENT ON COLUMN decision.decisions.proposer_count IS 'Accounts in the proposer franchise.';
COMMENT ON COLUMN decision.decisions.voter_count IS 'Accounts in the voter franchise.';

-- Same columns as in 0003; voters and voted now come from the decision's row and the
-- ballot rows.
CREATE OR REPLACE VIEW admin.decisions AS
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
       d.voter_count AS voters,
       (SELECT count(*) FROM decision.ballots b WHERE b.decision_id = d.id) AS voted
  FROM decision.decisions d
  JOIN decision.services s ON s.id = d.service_id
  JOIN decision.voting_methods m ON m.id = d.method_id
 ORDER BY d.created_at, d.id;

ALTER TABLE decision.franchise DROP COLUMN voted_at;
ALTER TABLE decision.franchise RESET (fillfactor);

-- One statement, so the rewrite stores the documents uncompressed (EXTERNAL).
ALTER TABLE decision.results
    ALTER COLUMN jws TYPE bytea USING convert_to(jws, 'UTF8'),
    ALTER COLUMN jws SET STORAGE EXTERNAL;
COMMENT ON COLUMN decision.results.jws IS
    'The compact JWS (ASCII) as bytes, uncompressed: downloads read it a slice at a time.';

CREATE INDEX access_tokens_unrevoked_idx ON decision.access_tokens (account_id)
    WHERE revoked_at IS NULL;
COMMENT ON TABLE decision.franchise IS
    'Who may propose and who may vote. Nothing here changes when someone votes.';
COMMENT ON TABLE decision.ballots IS
    'Sealed ballots: a keyed slot and AES-256-GCM ciphertext of one length per decision; unreadable without the server''s master key.';

-- RFC 3339 UTC text of a time, for messages.
CREATE FUNCTION decision.rfc3339(t timestamptz) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$fn$;

-- An upper bound of the length of a decision's signed result document (the compact JWS of
-- api-server/document.c), from what the document can hold. Keep in step with
-- document_payload: every term names what it covers.
--   base64(n) = 4 * ceil(n / 3); a pseudonym entry ,"<64 hex>" is 67 bytes.
CREATE FUNCTION decision.document_bound(title_bytes bigint, voters bigint, proposers bigint,
                                        ballot_size integer, proposals bigint,
                                        proposal_b64 bigint, result_max integer)
    RETURNS bigint
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    SELECT 512                              -- the JWS: header, dots, signature
         + 4 * ((p + 2) / 3)                -- base64url of the payload
      FROM (SELECT
            131072                          -- version, ids, times, the method's id, name
                                            -- (escaped) and auditors, the runtime
          + 6 * title_bytes                 -- the title, every byte escaped at worst
          + 8192 + 4 * ((result_max::bigint + 2) / 3) -- the outcome: the result in base64,
                                            -- or an error kind and message (escaped)
          + voters * (64 + 4 * ((ballot_size::bigint + 2) / 3) -- a ballot {id, payload}
                      + 67 + 67)            -- a participant, a voter_franchise entry
          + proposers * 67                  -- a proposer_franchise entry
          + proposals * 144 + proposal_b64  -- {id, proposer, payload} of each proposal
          ) AS x(p)
$fn$;

-- Raises FCDS0 (or FCLM0 when limit_code says so) when the decision's document could
-- exceed max_document bytes. Decisions made before 0005 (no ballot_size) are not checked.
CREATE FUNCTION decision.check_document(d decision.decisions, max_document bigint,
                                        result_max integer, limit_code text DEFAULT 'FCDS0')
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    v_n bigint;
    v_b64 bigint;
    v_bound bigint;
BEGIN
    IF d.ballot_size IS NULL THEN
        RETURN;
    END IF;
    SELECT count(*), coalesce(sum(4 * ((octet_length(p.payload)::bigint + 2) / 3)), 0)
      INTO v_n, v_b64
      FROM decision.proposals p WHERE p.decision_id = d.id;
    v_bound := decision.document_bound(octet_length(d.title), d.voter_count, d.proposer_count,
                                       d.ballot_size, v_n, v_b64, result_max);
    IF v_bound > max_document THEN
        RAISE EXCEPTION 'the result document of this decision could reach % bytes, more than the % this instance stores (% voters with ballots of % bytes, % proposals)',
            v_bound, max_document, d.voter_count, d.ballot_size, v_n
            USING ERRCODE = limit_code,
                  HINT = 'Choose a smaller ballot_size, or split the franchise over several decisions.';
    END IF;
END
$fn$;

-- Adds franchise rows; an account already present gains the abilities it is given. The
-- decision's row, locked by the caller (or new), keeps the franchise's sizes.
DROP FUNCTION decision.merge_franchise(uuid, uuid[], uuid[]);
CREATE FUNCTION decision.merge_franchise(decision uuid, proposers uuid[], voters uuid[])
    RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
    WITH m AS (SELECT id, bool_or(p) AS p, bool_or(v) AS v
                 FROM (SELECT id, true AS p, false AS v FROM unnest(proposers) AS id
                       UNION ALL
                       SELECT id, false, true FROM unnest(voters) AS id) x
                GROUP BY id),
         old AS (SELECT f.account_id, f.proposer, f.voter FROM decision.franchise f
                   JOIN m ON f.decision_id = merge_franchise.decision AND f.account_id = m.id),
         ins AS (INSERT INTO decision.franchise AS f (decision_id, account_id, proposer, voter)
                 SELECT merge_franchise.decision, id, p, v FROM m
                 ON CONFLICT (decision_id, account_id) DO UPDATE
                    SET proposer = f.proposer OR excluded.proposer,
                        voter = f.voter OR excluded.voter)
    UPDATE decision.decisions d
       SET proposer_count = d.proposer_count + c.p, voter_count = d.voter_count + c.v
      FROM (SELECT count(*) FILTER (WHERE m.p AND NOT coalesce(old.proposer, false)) AS p,
                   count(*) FILTER (WHERE m.v AND NOT coalesce(old.voter, false)) AS v
              FROM m LEFT JOIN old ON old.account_id = m.id) c
     WHERE d.id = merge_franchise.decision
$fn$;

-- Creates a decision with its first franchise batch and the service's proposals.
-- Raises FCMT0 (method unknown or without a valid auditor signature), FCAC0 (an account
-- of another service), FCPH0 (the voting phase is already over), FCDS0 (its result
-- document could exceed max_document bytes).
DROP FUNCTION decision.create_decision(uuid, uuid, text, text, jsonb, timestamptz,
    timestamptz, timestamptz, timestamptz, bytea, uuid[], uuid[], uuid[], bytea[]);
CREATE FUNCTION decision.create_decision(
    id uuid, service uuid, title text, method text, metadata jsonb,
    proposal_opens_at timestamptz, proposal_closes_at timestamptz,
    voting_opens_at timestamptz, voting_closes_at timestamptz, data_key bytea,
    ballot_size integer, proposers uuid[], voters uuid[], proposal_ids uuid[],
    proposal_payloads bytea[], max_document bigint, result_max integer)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    d decision.decisions;
BEGIN
    IF cardinality(decision.method_auditors(method)) = 0 THEN
        RAISE EXCEPTION 'voting method % is unknown or has no valid auditor signature', method
            USING ERRCODE = 'FCMT0',
                  HINT = 'GET /v1/voting-methods lists the usable methods with their ids.';
    END IF;
    IF voting_closes_at <= now() THEN
        RAISE EXCEPTION 'the voting phase must close in the future (it closes at %, now is %)',
            decision.rfc3339(voting_closes_at), decision.rfc3339(now())
            USING ERRCODE = 'FCPH0';
    END IF;
    PERFORM decision.check_accounts(service, proposers || voters);
    INSERT INTO decision.decisions (id, service_id, title, method_id, metadata,
        proposal_opens_at, proposal_closes_at, voting_opens_at, voting_closes_at, data_key,
        ballot_size)
    VALUES (create_decision.id, service, title, method, metadata, proposal_opens_at,
        proposal_closes_at, voting_opens_at, voting_closes_at, data_key, ballot_size);
    PERFORM decision.merge_franchise(create_decision.id, proposers, voters);
    INSERT INTO decision.proposals (id, decision_id, proposer_id, payload)
    SELECT p.id, create_decision.id, NULL, p.payload
      FROM unnest(proposal_ids, proposal_payloads) AS p(id, payload);
    SELECT * INTO d FROM decision.decisions x WHERE x.id = create_decision.id;
    PERFORM decision.check_document(d, max_document, result_max);
END
$fn$;

-- Appends a franchise batch while the decision has not opened. Raises FCNF0 (no such
-- decision of this service), FCPH0 (already open), FCAC0, FCDS0.
DROP FUNCTION decision.add_franchise(uuid, uuid, uuid[], uuid[]);
CREATE FUNCTION decision.add_franchise(decision uuid, service uuid, proposers uuid[],
                                       voters uuid[], max_document bigint,
                                       result_max integer)
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
        RAISE EXCEPTION 'the decision opened at %; its franchise is final',
            decision.rfc3339(d.proposal_opens_at) USING ERRCODE = 'FCPH0';
    END IF;
    PERFORM decision.check_accounts(service, add_franchise.proposers || add_franchise.voters);
    PERFORM decision.merge_franchise(d.id, add_franchise.proposers, add_franchise.voters);
    SELECT * INTO d FROM decision.decisions x WHERE x.id = add_franchise.decision;
    PERFORM decision.check_document(d, max_document, result_max);
    RETURN QUERY SELECT d.proposer_count, d.voter_count;
END
$fn$;

-- A proposal by a proposer-franchise member during the proposal phase. The decision's row
-- is locked (FOR NO KEY UPDATE: casts' FOR KEY SHARE does not wait for it), so concurrent
-- proposals are counted one after the other. Raises FCNF0 (no such decision, or the
-- account is not in its franchise at all), FCFB0 (not a proposer), FCPH0 (outside the
-- proposal phase), FCLM0 (max_proposals reached, or the document would grow too large).
DROP FUNCTION decision.add_proposal(uuid, uuid, uuid, bytea, integer);
CREATE FUNCTION decision.add_proposal(decision uuid, account uuid, id uuid, payload bytea,
                                      max_proposals integer, max_document bigint,
                                      result_max integer)
    RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    d decision.decisions;
    f decision.franchise;
BEGIN
    SELECT * INTO f FROM decision.franchise x
     WHERE x.decision_id = add_proposal.decision AND x.account_id = account;
    IF f.decision_id IS NULL THEN
        RAISE EXCEPTION 'no such decision' USING ERRCODE = 'FCNF0';
    END IF;
    IF NOT f.proposer THEN
        RAISE EXCEPTION 'this account is not in the proposer franchise' USING ERRCODE = 'FCFB0';
    END IF;
    SELECT * INTO d FROM decision.decisions x WHERE x.id = add_proposal.decision
       FOR NO KEY UPDATE;
    IF now() < d.proposal_opens_at OR now() >= d.proposal_closes_at THEN
        RAISE EXCEPTION 'proposals are accepted from % until %',
            decision.rfc3339(d.proposal_opens_at), decision.rfc3339(d.proposal_closes_at)
            USING ERRCODE = 'FCPH0';
    END IF;
    IF (SELECT count(*) FROM decision.proposals p WHERE p.decision_id = d.id) >= max_proposals THEN
        RAISE EXCEPTION 'this decision has % proposals, the most it may have', max_proposals
            USING ERRCODE = 'FCLM0';
    END IF;
    INSERT INTO decision.proposals (id, decision_id, proposer_id, payload)
    VALUES (add_proposal.id, d.id, account, payload);
    PERFORM decision.check_document(d, max_document, result_max, 'FCLM0');
    RETURN decision.rfc3339(now());
END
$fn$;

ALTER FUNCTION decision.rfc3339(timestamptz) OWNER TO freecoop_owner;
ALTER FUNCTION decision.document_bound(bigint, bigint, bigint, integer, bigint, bigint, integer)
    OWNER TO freecoop_owner;
ALTER FUNCTION decision.check_document(decision.decisions, bigint, integer, text)
    OWNER TO freecoop_owner;
ALTER FUNCTION decision.merge_franchise(uuid, uuid[], uuid[]) OWNER TO freecoop_owner;
ALTER FUNCTION decision.create_decision(uuid, uuid, text, text, jsonb, timestamptz,
    timestamptz, timestamptz, timestamptz, bytea, integer, uuid[], uuid[], uuid[], bytea[],
    bigint, integer) OWNER TO freecoop_owner;
ALTER FUNCTION decision.add_franchise(uuid, uuid, uuid[], uuid[], bigint, integer)
    OWNER TO freecoop_owner;
ALTER FUNCTION decision.add_proposal(uuid, uuid, uuid, bytea, integer, bigint, integer)
    OWNER TO freecoop_owner;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA decision FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    decision.rfc3339(timestamptz),
    decision.document_bound(bigint, bigint, bigint, integer, bigint, bigint, integer),
    decision.check_document(decision.decisions, bigint, integer, text),
    decision.merge_franchise(uuid, uuid[], uuid[]),
    decision.create_decision(uuid, uuid, text, text, jsonb, timestamptz, timestamptz,
        timestamptz, timestamptz, bytea, integer, uuid[], uuid[], uuid[], bytea[], bigint,
        integer),
    decision.add_franchise(uuid, uuid, uuid[], uuid[], bigint, integer),
    decision.add_proposal(uuid, uuid, uuid, bytea, integer, bigint, integer)
    TO freecoop_server;


-- Operator views.

-- An unclaimed account's id is a claim secret (whoever holds it can claim the account and
-- vote with it): operators see every account by its handle, the SHA-256 of its id, and
-- the id itself only once it is claimed. A service computes the handle of an id it holds
-- with: printf %s "$ID" | sha256sum.
DROP VIEW admin.accounts;
CREATE VIEW admin.accounts AS
SELECT encode(sha256(convert_to(a.id::text, 'UTF8')), 'hex') AS handle,
       CASE WHEN a.claimed_at IS NOT NULL THEN a.id END AS id,
       a.service_id, s.name AS service_name, a.name, a.created_at, a.claimed_at,
       (SELECT pg_catalog.count(*) FROM decision.access_tokens t
         WHERE t.account_id = a.id
           AND t.revoked_at IS NULL
           AND t.expires_at > pg_catalog.now()) AS active_access_tokens
  FROM decision.accounts a
  JOIN decision.services s ON s.id = a.service_id
 ORDER BY a.created_at, a.id;
COMMENT ON VIEW admin.accounts IS
$c$Accounts with their service, claim time (NULL: not yet claimed) and number of unexpired, unrevoked access tokens.
handle is the SHA-256 (hex) of the account id; id is shown only once the account is claimed (until then the id is a
claim secret). Never shows token hashes.$c$;
ALTER VIEW admin.accounts OWNER TO freecoop_owner;
REVOKE ALL ON admin.accounts FROM PUBLIC;
GRANT SELECT ON admin.accounts TO decision_operator;

-- code_length in bytes (octet_length), as max_method_size counts them.
CREATE OR REPLACE VIEW admin.voting_methods AS
SELECT m.id, m.name, m.created_at, octet_length(m.code) AS code_length,
       (SELECT array_agg(a.name ORDER BY a.name) FROM decision.method_signatures s
          JOIN decision.authorities a ON a.id = s.authority_id
         WHERE s.method_id = m.id AND a.revoked_at IS NULL AND a.code_auditor) AS auditors
  FROM decision.voting_methods m
 ORDER BY m.created_at, m.id;
COMMENT ON VIEW admin.voting_methods IS
    'Voting methods (code_length in bytes) and the names of the unrevoked auditors whose signatures they carry.';
