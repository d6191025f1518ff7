-- The agency's approval step (issue 16): an agency may require its own approver to approve its
-- users' bookings before the operator receives them. Approvers belong to one agency, as agency
-- users do.
ALTER TABLE agencies ADD COLUMN requires_approval boolean NOT NULL DEFAULT false;

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('administrator', 'dispatcher', 'agency', 'approver', 'driver', 'auditor'));
ALTER TABLE users DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_agency_check CHECK ((role IN ('agency', 'approver')) = (agency_id IS NOT NULL));
