-- Incidents an assessor enters by hand for a month's assessment (a commendation, a deduction
-- the system cannot see), each with its reason and who entered it. Never changed: a mistake is
-- corrected by an entry with the opposite count.
CREATE TABLE assessment_incidents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    item_id     text NOT NULL,
    count       integer NOT NULL CHECK (count <> 0),
    reason      text NOT NULL,
    by_user     bigint REFERENCES users (id),
    entered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessment_incidents_month ON assessment_incidents (month);
