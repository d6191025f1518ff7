-- Sessions end when idle as well as at their expiry (issue 14): a token remembers when it was
-- last used. Existing tokens count as used now.
ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now();
-- Sign-out of every session of a user (disabling, password change) finds them by user.
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- GET /api/v1/audit reads newest first by actor, action or object.
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_resource ON audit_log (resource, id);
