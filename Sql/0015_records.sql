-- The records (issue 14): fleetd's queries run as `fleet_app`, a role that can read and write
-- the fleet's tables but never change or remove the audit trail or a settlement sheet's lines.
-- Migrations and maintenance (partitions, indexes, purges) run as the owner, who runs this.
-- The role's password is set by fleetd at start (README, "The database's roles"), or by the
-- operator for FLEET_APP_DATABASE_URL; an operator may create the role beforehand when the
-- owner may not create roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fleet_app') THEN
        CREATE ROLE fleet_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    -- Another database of the same cluster created it a moment ago.
    NULL;
END
$$;

-- Everything the server does with the fleet's rows; no TRUNCATE, no DDL (CONNECT to the
-- database and EXECUTE of functions are PUBLIC's already). Tables made by later migrations and
-- the partitions the maintenance creates get the same by default.
GRANT USAGE ON SCHEMA public TO fleet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO fleet_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO fleet_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO fleet_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO fleet_app;

-- The schema's history is the owner's to write.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM fleet_app;

-- Append-only: the audit trail and the sheets' lines are read and added to, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, settlement_lines FROM fleet_app;

-- Whatever the role, the owner too (short of a schema change dropping the trigger, which fleetd
-- never makes): no row of the audit trail is changed or removed, and neither table is truncated
-- (TRUNCATE fires no row trigger, hence the statement ones).
CREATE FUNCTION audit_log_unchangeable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_unchangeable BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_unchangeable();
CREATE TRIGGER audit_log_untruncatable BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_unchangeable();
CREATE TRIGGER settlement_lines_untruncatable BEFORE TRUNCATE ON settlement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION settlement_lines_unchangeable();
