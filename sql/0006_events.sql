-- 0006_events: service events (DESIGN §6) — each service's webhook, and the durable outbox
-- its events wait in until they are delivered.
--
-- An event is written in the transaction that concludes or fails a decision (the
-- conclusion's mark statement, api-server/core/store_conclude.c), for a service that has
-- an endpoint at that moment: a webhook URL, or an in-process consumer (url NULL: FreeCoop
-- inside the api-server). Deliveries are leased like conclusions, attempted in order per
-- service (only the oldest pending event of a service is ever attempted), retried on a
-- schedule, then marked failed for the operator.

CREATE TABLE decision.webhooks (
    service_id      uuid PRIMARY KEY REFERENCES decision.services (id) ON DELETE CASCADE,
    -- NULL: the service's events go to an in-process consumer
    url             text CHECK (url IS NULL OR length(url) BETWEEN 1 AND 2048),
    -- the whsec_ secret, sealed under the master key (AES-256-GCM, aad binds the service)
    secret_sealed   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_success_at timestamptz,
    last_failure_at timestamptz,
    last_failure    text,
    CHECK ((url IS NULL) = (secret_sealed IS NULL))
);

CREATE TABLE decision.events (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid NOT NULL UNIQUE DEFAULT pg_catalog.gen_random_uuid(),
    service_id      uuid NOT NULL REFERENCES decision.services (id) ON DELETE CASCADE,
    type            text NOT NULL CHECK (type IN ('decision.concluded', 'decision.failed')),
    decision_id     uuid NOT NULL,
    state           text NOT NULL CHECK (state IN ('concluded', 'failed')),
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_owner     uuid,
    lease_until     timestamptz,
    last_error      text,
    settled_at      timestamptz
);
-- The head of each service's queue (the claim probes it once per endpoint), and the
-- settled events the purge removes.
CREATE INDEX events_pending ON decision.events (service_id, seq) WHERE status = 'pending';
CREATE INDEX events_settled ON decision.events (settled_at) WHERE status <> 'pending';
CREATE INDEX events_failed ON decision.events (service_id) WHERE status = 'failed';

ALTER TABLE decision.webhooks OWNER TO freecoop_owner;
ALTER TABLE decision.events OWNER TO freecoop_owner;
REVOKE ALL ON decision.webhooks, decision.events FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON decision.webhooks, decision.events TO freecoop_server;


-- Operator views and functions.

CREATE VIEW admin.failed_deliveries AS
SELECT e.id AS event, e.service_id AS service, s.name AS service_name, e.type,
       e.decision_id AS decision, e.created_at, e.attempts, e.last_error,
       e.settled_at AS failed_at
  FROM decision.events e
  JOIN decision.services s ON s.id = e.service_id
 WHERE e.status = 'failed'
 ORDER BY e.seq;
COMMENT ON VIEW admin.failed_deliveries IS
$c$Events whose delivery was given up on after the last retry, oldest first, with the last error.
Usage: SELECT * FROM admin.failed_deliveries;  -- then admin.requeue_delivery(event).$c$;

CREATE VIEW admin.webhooks AS
SELECT w.service_id AS service, s.name AS service_name,
       coalesce(w.url, '(in-process)') AS url, w.created_at, w.last_success_at,
       w.last_failure_at, w.last_failure,
       (SELECT count(*) FROM decision.events e
         WHERE e.service_id = w.service_id AND e.status = 'pending') AS queued,
       (SELECT count(*) FROM decision.events e
         WHERE e.service_id = w.service_id AND e.status = 'failed') AS failed
  FROM decision.webhooks w
  JOIN decision.services s ON s.id = w.service_id
 ORDER BY s.name;
COMMENT ON VIEW admin.webhooks IS
    'Each service''s webhook URL and delivery state (never its secret).';

CREATE FUNCTION admin.requeue_delivery(event uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
BEGIN
    UPDATE decision.events SET status = 'pending', attempts = 0, next_attempt_at = now(),
           lease_owner = NULL, lease_until = NULL, settled_at = NULL
     WHERE id = requeue_delivery.event AND status = 'failed';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no failed delivery %', requeue_delivery.event
            USING ERRCODE = 'no_data_found';
    END IF;
END
$fn$;
COMMENT ON FUNCTION admin.requeue_delivery(uuid) IS
$c$Deliver a failed event again, from its first attempt (e.g. once its service fixed its receiver).
It goes behind nothing: it is the oldest pending event of its service, so it is attempted next.
Usage: SELECT admin.requeue_delivery('event-id');$c$;

CREATE FUNCTION admin.requeue_failed_deliveries(service uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, decision, pg_temp
AS $fn$
DECLARE
    n integer;
BEGIN
    UPDATE decision.events SET status = 'pending', attempts = 0, next_attempt_at = now(),
           lease_owner = NULL, lease_until = NULL, settled_at = NULL
     WHERE service_id = requeue_failed_deliveries.service AND status = 'failed';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION admin.requeue_failed_deliveries(uuid) IS
$c$Deliver every failed event of a service again, in their original order; returns how many.
Usage: SELECT admin.requeue_failed_deliveries('service-id');$c$;

ALTER VIEW admin.failed_deliveries OWNER TO freecoop_owner;
ALTER VIEW admin.webhooks OWNER TO freecoop_owner;
ALTER FUNCTION admin.requeue_delivery(uuid) OWNER TO freecoop_owner;
ALTER FUNCTION admin.requeue_failed_deliveries(uuid) OWNER TO freecoop_owner;
REVOKE ALL ON admin.failed_deliveries, admin.webhooks FROM PUBLIC;
REVOKE ALL ON FUNCTION admin.requeue_delivery(uuid), admin.requeue_failed_deliveries(uuid)
    FROM PUBLIC;
GRANT SELECT ON admin.failed_deliveries, admin.webhooks TO decision_operator;
GRANT EXECUTE ON FUNCTION admin.requeue_delivery(uuid), admin.requeue_failed_deliveries(uuid)
    TO decision_operator;
