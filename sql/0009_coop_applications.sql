-- 0009_coop_applications: people asking to join a group (DESIGN §10.3). Joining needs the
-- person's own consent (the application) and the group's (an adopted admit_member
-- decision); an application never makes anyone a member by itself.

CREATE TABLE coop.applications (
    id         uuid PRIMARY KEY,
    group_id   uuid NOT NULL REFERENCES coop.groups (id),
    person_id  uuid NOT NULL REFERENCES coop.people (id),
    message    text CHECK (length(message) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- pending until a decision admits the person (or the person joins otherwise)
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'admitted', 'refused'))
);
-- One pending application per person and group.
CREATE UNIQUE INDEX applications_pending ON coop.applications (group_id, person_id)
    WHERE status = 'pending';

ALTER TABLE coop.applications OWNER TO freecoop_owner;
REVOKE ALL ON coop.applications FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON coop.applications TO freecoop_server;
