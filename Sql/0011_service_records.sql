-- What the assessment measures of the service itself (DOMAIN.md, "Monthly assessment"): the
-- platform's availability, the terminals' days online and their tracks' completeness.

-- One row per minute the platform served (every server writes the minute it is in, once the
-- database answers): availability = minutes served / minutes of service.
CREATE TABLE platform_minutes (
    minute  timestamptz PRIMARY KEY
);

-- Each terminal's day, rolled up from its positions once the day is over (and again the next
-- day, for reports sent late from a blind zone): online if it reported at all; the reports
-- received, and those missing where the vehicle moved further than its reporting interval
-- allows between two reports.
CREATE TABLE terminal_days (
    day           date NOT NULL,
    terminal_id   integer NOT NULL,
    reports       integer NOT NULL,
    missing       integer NOT NULL,
    rolled_up_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, terminal_id)
);
