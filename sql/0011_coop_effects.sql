-- 0011_coop_effects: what FreeCoop keeps of each decision it applied (DESIGN §10.6): the
-- result JWS byte for byte as the core published it, so that a group's history still
-- verifies after the core's retention period purged the result. Kept for good, like the
-- log entry that names its hash; the outcome itself is on coop.decisions.

CREATE TABLE coop.results (
    decision_id uuid PRIMARY KEY REFERENCES coop.decisions (id),
    group_id    uuid NOT NULL REFERENCES coop.groups (id),
    -- a compact JWS is ASCII: header.payload.signature in base64url
    jws         text NOT NULL CHECK (jws ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    applied_at  timestamptz NOT NULL
);
-- Large results are compressed by TOAST; they are read whole.

ALTER TABLE coop.results OWNER TO freecoop_owner;
REVOKE ALL ON coop.results FROM PUBLIC;
GRANT SELECT, INSERT ON coop.results TO freecoop_server;
