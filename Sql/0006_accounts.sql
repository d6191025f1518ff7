-- The API's people: agencies (the tenants), users with their roles, sessions, and the audit
-- trail of every write and every trajectory read (DOMAIN.md, confidentiality).
CREATE TABLE agencies (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    contact_name    text,
    contact_phone   text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    -- bcrypt, never the password.
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('administrator', 'dispatcher', 'agency', 'driver', 'auditor')),
    -- An agency user belongs to exactly one agency; nobody else belongs to one.
    agency_id       bigint REFERENCES agencies (id),
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'agency') = (agency_id IS NOT NULL))
);

-- Bearer tokens by their SHA-256: a copy of this table opens no session.
CREATE TABLE api_tokens (
    token_sha256    bytea PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);

CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    user_id         bigint REFERENCES users (id),
    -- e.g. login, login-refused, user-create, track-read
    action          text NOT NULL,
    resource        text NOT NULL,
    detail          jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
