-- 0015_coop_people_notify: every api-server instance keeps each person's GET /coop/v1/me
-- (their name, groups and roles) in memory, trusted only while it hears of every change
-- that could alter one. These triggers tell it, on channel freecoop_people, as the change
-- commits:
--   "p:<person id>,<person id>,..."  those people's memberships or roles changed (a group
--                                    founded, an admission, a removal, a role assigned or
--                                    revoked, a member removed as the charter allows), or
--                                    their record changed;
--   "all"                            a group renamed or removed, or more people than fit.

CREATE FUNCTION coop.notify_people_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, coop, pg_temp
AS $fn$
DECLARE
    ids text[];
BEGIN
    -- The people of the rows changed, from the transition tables this event has (plpgsql
    -- plans a trigger function's statements per table, and only those it runs).
    IF TG_TABLE_NAME = 'people' THEN
        IF TG_OP = 'UPDATE' THEN
            SELECT array_agg(DISTINCT r.id::text) INTO ids
              FROM (SELECT id FROM new_rows UNION ALL SELECT id FROM old_rows) r;
        ELSE
            SELECT array_agg(DISTINCT r.id::text) INTO ids FROM old_rows r;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT r.person_id::text) INTO ids FROM new_rows r;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT r.person_id::text) INTO ids FROM old_rows r;
    ELSE
        SELECT array_agg(DISTINCT r.person_id::text) INTO ids
          FROM (SELECT person_id FROM new_rows UNION ALL SELECT person_id FROM old_rows) r;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    -- A payload holds at most 8000 bytes: 37 a person.
    IF cardinality(ids) > 200 THEN
        PERFORM pg_notify('freecoop_people', 'all');
    ELSE
        PERFORM pg_notify('freecoop_people', 'p:' || array_to_string(ids, ','));
    END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION coop.notify_groups_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, coop, pg_temp
AS $fn$
BEGIN
    PERFORM pg_notify('freecoop_people', 'all');
    RETURN NULL;
END
$fn$;

-- One trigger per event: a trigger with transition tables has one event.
CREATE TRIGGER members_added AFTER INSERT ON coop.members
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER members_changed AFTER UPDATE ON coop.members
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER members_removed AFTER DELETE ON coop.members
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER member_roles_added AFTER INSERT ON coop.member_roles
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER member_roles_changed AFTER UPDATE ON coop.member_roles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER member_roles_removed AFTER DELETE ON coop.member_roles
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER people_changed AFTER UPDATE ON coop.people
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER people_removed AFTER DELETE ON coop.people
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_people_changed();
CREATE TRIGGER groups_changed AFTER UPDATE OF name OR DELETE ON coop.groups
    FOR EACH STATEMENT EXECUTE FUNCTION coop.notify_groups_changed();

ALTER FUNCTION coop.notify_people_changed() OWNER TO freecoop_owner;
ALTER FUNCTION coop.notify_groups_changed() OWNER TO freecoop_owner;
-- Only ever called as triggers (which need no EXECUTE privilege): no one may call them.
REVOKE ALL ON FUNCTION coop.notify_people_changed(), coop.notify_groups_changed() FROM PUBLIC;
