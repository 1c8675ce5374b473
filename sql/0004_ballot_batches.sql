-- 0004_ballot_batches: the storage side of batched casting.
--
-- The server casts every ballot of one turn of its event loop in one statement, which
-- locks each decision row FOR KEY SHARE once, while the decision's voting phase is open
-- (see stmt_ballot_cast in api-server/store_decisions.c), and is the only writer of
-- decision.ballots. The foreign key from ballots to decisions checked the same thing a
-- second time, with a trigger and a query of its own per ballot row (a quarter of the
-- database's work per ballot). Decisions are never deleted (a purge empties them and
-- keeps the row), so it goes.
ALTER TABLE decision.ballots DROP CONSTRAINT ballots_decision_id_fkey;

-- A voter's first cast sets franchise.voted_at. With room left on each page the new row
-- version stays on the page (a HOT update) and no index is touched; full pages moved
-- four in ten of them to another page, with a new entry in both indexes. Applies to
-- pages written from now on.
ALTER TABLE decision.franchise SET (fillfactor = 80);
