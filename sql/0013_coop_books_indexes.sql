-- 0013_coop_books_indexes: two indexes of the ledger that every posting paid for and no
-- read used (found by scripts/bench-coop): entries by date (the reports and the surplus
-- read the postings' own index; the listing and the export go by seq), and the
-- uniqueness of reverses over every entry, NULLs included — now only over the entries
-- that reverse one, which is what it guards: an entry is reversed at most once.

DROP INDEX coop.entries_group;
ALTER TABLE coop.entries DROP CONSTRAINT entries_reverses_key;
CREATE UNIQUE INDEX entries_reverses ON coop.entries (reverses) WHERE reverses IS NOT NULL;
