-- The outbox of notices (issue 16): the messages a booking's change owes its agency's contact
-- and its driver, written in the change's transaction and sent afterwards by the notifier, which
-- claims due rows (FOR UPDATE SKIP LOCKED), tries each channel with back-off and records the
-- outcome. The notify clock is met by a delivery, not by the row.
CREATE TABLE notices (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id          bigint NOT NULL REFERENCES bookings (id),
    kind                text NOT NULL CHECK (kind IN ('matched', 'crewChanged', 'driverOnSite', 'delayAtRisk', 'tripCompleted')),
    recipient_role      text NOT NULL CHECK (recipient_role IN ('agency', 'driver')),
    recipient_name      text NOT NULL CHECK (length(recipient_name) <= 200),
    recipient_phone     text NOT NULL CHECK (length(recipient_phone) <= 40),
    channel             text NOT NULL CHECK (channel IN ('sms', 'live')),
    body                text NOT NULL CHECK (length(body) <= 2000),
    -- queued: waiting for its next attempt; sending: claimed until next_attempt_at (a sender
    -- that died lets it go then); delivered; failed: undeliverable, an alert raised.
    state               text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
    attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     timestamptz NOT NULL,
    last_error          text CHECK (length(last_error) <= 2000),
    delivered_at        timestamptz,
    provider_message_id text CHECK (length(provider_message_id) <= 200),
    created_at          timestamptz NOT NULL
);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX notices_booking ON notices (booking_id);
