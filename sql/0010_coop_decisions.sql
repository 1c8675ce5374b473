-- 0010_coop_decisions: the decisions a group starts (DESIGN §10.5) and their discussion.
-- Each is a decision of the core (same id) created by FreeCoop's service, with the
-- franchises snapshotted from the holders of its type's roles at its start; the outcome
-- and what it applied come with the effects, once the core has concluded it.

CREATE TABLE coop.decisions (
    id                 uuid PRIMARY KEY,
    group_id           uuid NOT NULL REFERENCES coop.groups (id),
    type               text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{0,31}$'),
    effect             text NOT NULL,
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    charter_version    integer NOT NULL,
    started_by         uuid NOT NULL REFERENCES coop.people (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    proposal_opens_at  timestamptz NOT NULL,
    proposal_closes_at timestamptz NOT NULL,
    voting_opens_at    timestamptz NOT NULL,
    voting_closes_at   timestamptz NOT NULL,
    -- set when the result is applied: 'applied' (what was, and what was refused) or
    -- 'failed' (the count failed; nothing applied)
    outcome            text CHECK (outcome IN ('applied', 'failed')),
    applied            jsonb,
    refused            jsonb,
    log_seq            bigint
);
CREATE INDEX decisions_group ON coop.decisions (group_id, created_at, id);

CREATE TABLE coop.comments (
    id          uuid PRIMARY KEY,
    decision_id uuid NOT NULL REFERENCES coop.decisions (id),
    person_id   uuid NOT NULL REFERENCES coop.people (id),
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX comments_decision ON coop.comments (decision_id, created_at, id);

ALTER TABLE coop.decisions OWNER TO freecoop_owner;
ALTER TABLE coop.comments OWNER TO freecoop_owner;
REVOKE ALL ON coop.decisions, coop.comments FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON coop.decisions TO freecoop_server;
GRANT SELECT, INSERT ON coop.comments TO freecoop_server;
