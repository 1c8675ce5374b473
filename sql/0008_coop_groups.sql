-- 0008_coop_groups: FreeCoop's groups (DESIGN §10.3), their charters (§10.4) and each
-- group's signed, hash-chained log (§10.6). Membership and roles change only by decisions,
-- founding aside; the log's entries are never updated or deleted.

CREATE TABLE coop.groups (
    id              uuid PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL,
    charter_version integer NOT NULL CHECK (charter_version >= 1),
    -- the log's last entry: appends to a group lock its row, so the chain never forks
    log_seq         bigint NOT NULL CHECK (log_seq >= 1),
    log_head        text NOT NULL CHECK (log_head ~ '^[0-9a-f]{64}$')
);

-- Every version of a group's charter; methods names each method id it uses (as the core
-- names it), so that members read the rule without asking the core.
CREATE TABLE coop.charters (
    group_id   uuid NOT NULL REFERENCES coop.groups (id),
    version    integer NOT NULL CHECK (version >= 1),
    charter    jsonb NOT NULL,
    methods    jsonb NOT NULL,
    adopted_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, version)
);

CREATE TABLE coop.members (
    group_id  uuid NOT NULL REFERENCES coop.groups (id),
    person_id uuid NOT NULL REFERENCES coop.people (id),
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX members_person ON coop.members (person_id);

CREATE TABLE coop.member_roles (
    group_id  uuid NOT NULL,
    person_id uuid NOT NULL,
    role      text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_]{0,31}$'),
    PRIMARY KEY (group_id, person_id, role),
    FOREIGN KEY (group_id, person_id) REFERENCES coop.members ON DELETE CASCADE
);

-- The log: each entry as the canonical JSON it was signed as (RFC 8785), served as is.
CREATE TABLE coop.log (
    group_id uuid NOT NULL REFERENCES coop.groups (id),
    seq      bigint NOT NULL CHECK (seq >= 1),
    hash     text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    entry    text NOT NULL,
    PRIMARY KEY (group_id, seq)
);

ALTER TABLE coop.groups OWNER TO freecoop_owner;
ALTER TABLE coop.charters OWNER TO freecoop_owner;
ALTER TABLE coop.members OWNER TO freecoop_owner;
ALTER TABLE coop.member_roles OWNER TO freecoop_owner;
ALTER TABLE coop.log OWNER TO freecoop_owner;
REVOKE ALL ON coop.groups, coop.charters, coop.members, coop.member_roles, coop.log
    FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON coop.groups TO freecoop_server;
GRANT SELECT, INSERT ON coop.charters, coop.log TO freecoop_server;
GRANT SELECT, INSERT, DELETE ON coop.members, coop.member_roles TO freecoop_server;

CREATE VIEW admin.groups AS
SELECT g.id, g.name, g.created_at, g.charter_version, g.log_seq, g.log_head,
       (SELECT count(*) FROM coop.members m WHERE m.group_id = g.id) AS members
  FROM coop.groups g ORDER BY g.created_at, g.id;
COMMENT ON VIEW admin.groups IS 'FreeCoop groups: charter version, log length and head, member count.';
ALTER VIEW admin.groups OWNER TO freecoop_owner;
REVOKE ALL ON admin.groups FROM PUBLIC;
GRANT SELECT ON admin.groups TO decision_operator;
