-- 0016_access_token_numbers: an account's access tokens are numbered as they are issued
-- (1, 2, 3, ...), and a token works until it expires, its holder revokes it, or
-- max_access_tokens newer ones were issued to the account (the rule the README states).
--
-- accounts.access_tokens_issued is the number of the account's newest token; a token
-- numbered below accounts.access_tokens_live_from is revoked as past max_access_tokens,
-- whatever its revoked_at says (which records a revocation by its holder or an operator).
-- Issuing n tokens moves live_from to issued + n - max_access_tokens + 1, never back: one
-- update of the account's row, where issuing used to read and sort the account's live
-- tokens and rewrite the oldest (a new row version and four index entries each). The
-- tokens it pushes out are found by number (a short range of one index) only to tell the
-- instances that keep them in memory: no UPDATE revokes them, so the trigger of 0014 does
-- not notify of them; the issuing api-server does, right after the commit.

ALTER TABLE decision.accounts
    ADD COLUMN access_tokens_issued bigint NOT NULL DEFAULT 0,
    ADD COLUMN access_tokens_live_from bigint NOT NULL DEFAULT 1,
    ADD CONSTRAINT accounts_access_tokens_check
        CHECK (access_tokens_live_from BETWEEN 1 AND access_tokens_issued + 1);
ALTER TABLE decision.access_tokens ADD COLUMN number bigint;

-- The tokens issued so far, numbered in the order they were issued.
UPDATE decision.access_tokens t
   SET number = n.number
  FROM (SELECT token_hash,
               row_number() OVER (PARTITION BY account_id ORDER BY created_at, token_hash)
                 AS number
          FROM decision.access_tokens) n
 WHERE n.token_hash = t.token_hash;
-- live_from: the oldest token that still works, or past the newest if none does (every
-- token below it is revoked or expired already).
UPDATE decision.accounts a
   SET access_tokens_issued = c.issued,
       access_tokens_live_from = c.live_from
  FROM (SELECT account_id, max(number) AS issued,
               coalesce(min(number) FILTER (WHERE revoked_at IS NULL AND expires_at > now()),
                        max(number) + 1) AS live_from
          FROM decision.access_tokens GROUP BY account_id) c
 WHERE c.account_id = a.id;

ALTER TABLE decision.access_tokens
    ALTER COLUMN number SET NOT NULL,
    ADD CONSTRAINT access_tokens_number_check CHECK (number >= 1),
    ADD CONSTRAINT access_tokens_account_id_number_key UNIQUE (account_id, number);
-- The number index serves every read by account.
DROP INDEX decision.access_tokens_account_id_idx;
DROP INDEX decision.access_tokens_unrevoked_idx;

COMMENT ON COLUMN decision.accounts.access_tokens_issued IS
    'The number of the account''s newest access token (0: none issued yet).';
COMMENT ON COLUMN decision.accounts.access_tokens_live_from IS
    'Access tokens of the account numbered below this are revoked as past max_access_tokens.';
COMMENT ON COLUMN decision.access_tokens.number IS
    'The token''s place in its account''s issuance order, from 1.';
COMMENT ON COLUMN decision.access_tokens.revoked_at IS
    'When its holder (or an operator) revoked it; a token numbered below its account''s access_tokens_live_from is revoked too.';

-- As in 0005, with the rule above.
CREATE OR REPLACE VIEW admin.accounts AS
SELECT encode(sha256(convert_to(a.id::text, 'UTF8')), 'hex') AS handle,
       CASE WHEN a.claimed_at IS NOT NULL THEN a.id END AS id,
       a.service_id, s.name AS service_name, a.name, a.created_at, a.claimed_at,
       (SELECT pg_catalog.count(*) FROM decision.access_tokens t
         WHERE t.account_id = a.id
           AND t.number >= a.access_tokens_live_from
           AND t.revoked_at IS NULL
           AND t.expires_at > pg_catalog.now()) AS active_access_tokens
  FROM decision.accounts a
  JOIN decision.services s ON s.id = a.service_id
 ORDER BY a.created_at, a.id;
