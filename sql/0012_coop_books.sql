-- 0012_coop_books: a group's books (DESIGN §10.7): its chart of accounts, its double-entry
-- ledger (entries and their postings, immutable: a correction is a reversing entry), its
-- members' patronage, and the fiscal years it closed. Amounts are integers in minor units
-- of the group's currency, debits positive, credits negative; each entry sums to zero.
-- Every entry and patronage record is also an entry of the group's signed log.

CREATE TABLE coop.accounts (
    group_id   uuid NOT NULL REFERENCES coop.groups (id),
    -- a name of the chart (bank, sales), or a member's sub-account: capital:<person>,
    -- former:<person>
    code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,31}(:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type       text NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
    -- income only: earned through members' work (true) or not (interest, grants)
    patronage  boolean CHECK ((type = 'income') = (patronage IS NOT NULL)),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (group_id, code)
);

CREATE TABLE coop.entries (
    id            uuid PRIMARY KEY,
    group_id      uuid NOT NULL REFERENCES coop.groups (id),
    seq           bigint NOT NULL CHECK (seq >= 1), -- its entry in the group's log
    date          date NOT NULL,
    memo          text NOT NULL CHECK (length(memo) <= 500),
    posted_by     uuid NOT NULL REFERENCES coop.people (id),
    authorised_by jsonb NOT NULL,                   -- {"role": r} or {"decision": id}
    reverses      uuid UNIQUE REFERENCES coop.entries (id),
    opening       boolean NOT NULL DEFAULT false,   -- the opening-balances entry
    created_at    timestamptz NOT NULL,
    UNIQUE (group_id, seq)
);
CREATE INDEX entries_group ON coop.entries (group_id, date, seq);
-- The expenses one member posted, by month: the monthly limit's sum.
CREATE INDEX entries_poster ON coop.entries (group_id, posted_by, date);

CREATE TABLE coop.postings (
    entry_id uuid NOT NULL REFERENCES coop.entries (id),
    n        smallint NOT NULL CHECK (n >= 0),
    group_id uuid NOT NULL,
    account  text NOT NULL,
    date     date NOT NULL, -- the entry's: balances at a date read this index only
    amount   bigint NOT NULL CHECK (amount <> 0 AND abs(amount) <= 9007199254740991),
    -- of a closing entry (a year's income and expenses moved to undistributed surplus):
    -- left out of that year's income and expenses
    closing  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (entry_id, n),
    FOREIGN KEY (group_id, account) REFERENCES coop.accounts
);
CREATE INDEX postings_balance ON coop.postings (group_id, account, date) INCLUDE (amount);

CREATE TABLE coop.patronage (
    id          uuid PRIMARY KEY,
    group_id    uuid NOT NULL REFERENCES coop.groups (id),
    seq         bigint NOT NULL CHECK (seq >= 1),
    person_id   uuid NOT NULL REFERENCES coop.people (id),
    date        date NOT NULL,
    amount      bigint NOT NULL CHECK (amount <> 0 AND abs(amount) <= 9007199254740991),
    recorded_by uuid NOT NULL REFERENCES coop.people (id),
    created_at  timestamptz NOT NULL,
    UNIQUE (group_id, seq)
);
CREATE INDEX patronage_group ON coop.patronage (group_id, date, person_id) INCLUDE (amount);

-- Fiscal years closed by an adopted allocate_surplus: nothing more is dated in them.
CREATE TABLE coop.closed_years (
    group_id    uuid NOT NULL REFERENCES coop.groups (id),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL CHECK (ends_on > starts_on),
    decision_id uuid NOT NULL REFERENCES coop.decisions (id),
    PRIMARY KEY (group_id, starts_on)
);

ALTER TABLE coop.accounts OWNER TO freecoop_owner;
ALTER TABLE coop.entries OWNER TO freecoop_owner;
ALTER TABLE coop.postings OWNER TO freecoop_owner;
ALTER TABLE coop.patronage OWNER TO freecoop_owner;
ALTER TABLE coop.closed_years OWNER TO freecoop_owner;
REVOKE ALL ON coop.accounts, coop.entries, coop.postings, coop.patronage, coop.closed_years
    FROM PUBLIC;
GRANT SELECT, INSERT ON coop.accounts, coop.entries, coop.postings, coop.patronage,
    coop.closed_years TO freecoop_server;
