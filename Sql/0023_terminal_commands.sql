-- Commands to terminals (issue 17): the API, `fleetd terminal send` in another shell and any
-- gateway meet here, so a command reaches its terminal wherever it is connected, with no broker
-- but PostgreSQL (NOTIFY terminal_commands with the terminal's phone; LISTEN in the gateways).
CREATE TABLE terminal_commands (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id      bigint NOT NULL REFERENCES vehicles (id),
    terminal_phone  text NOT NULL REFERENCES terminals (phone),
    -- TerminalCommandKind's cases (the alarm confirmation, 0x8203, among them).
    kind            text NOT NULL CHECK (kind ~ '^[a-zA-Z]{1,32}$'),
    -- The request as the API took it (TerminalCommandRequest), its answer timeout included.
    request         jsonb NOT NULL,
    -- An API user, or the shell account of `fleetd terminal send` (then user_id is NULL).
    user_id         bigint REFERENCES users (id),
    requested_by    text NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 200),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    -- Not sent after this: a queued command then becomes `expired`.
    expires_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'answered', 'failed', 'timedOut', 'expired')),
    sent_at         timestamptz,
    answered_at     timestamptz,
    -- 0x0001's result (0 success, 1 failure, 2 bad message, 3 unsupported), 0 for an answer
    -- of its own kind (0x0104, 0x0201, 0x0107, 0x0805 carries its own).
    result_code     smallint,
    -- The answer decoded as `fleetd decode` prints it (docs/JT808-JSON.md), with named parameters.
    answer          jsonb,
    -- Why a command failed (the connection closed before it was sent or answered).
    failure         text
);

-- The gateway claims a terminal's queued commands in id order.
CREATE INDEX terminal_commands_queued ON terminal_commands (terminal_phone, id) WHERE state = 'queued';
CREATE INDEX terminal_commands_vehicle ON terminal_commands (vehicle_id, id);

-- Terminals connected and authenticated, by gateway: a row is written when a terminal
-- authenticates, deleted when its connection closes, and every gateway refreshes `seen_at` of
-- its terminals every 10 s. A terminal counts as online while its row is younger than 30 s, so a
-- gateway that died without deleting its rows stops vouching for them within 30 s, whichever
-- process asks and however many gateways there are.
CREATE TABLE terminal_presence (
    terminal_phone  text PRIMARY KEY REFERENCES terminals (phone),
    -- Which gateway process holds the connection (host and pid), for the operator.
    gateway         text NOT NULL CHECK (length(gateway) BETWEEN 1 AND 200),
    connected_at    timestamptz NOT NULL DEFAULT now(),
    seen_at         timestamptz NOT NULL DEFAULT now()
);

-- The app role sends, claims and answers commands and keeps the presence rows (0015's default
-- privileges give the same; said here so that nobody has to look).
GRANT SELECT, INSERT, UPDATE, DELETE ON terminal_commands, terminal_presence TO fleet_app;
