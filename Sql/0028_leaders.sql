-- Roles in their own processes (issue 19): the duties one process at a time does for the whole
-- fleet (dispatch, maintenance) and who holds each. The advisory lock of the holder's connection
-- decides; this row only names it, for the health check and the operators.
CREATE TABLE leaders (
    duty    text PRIMARY KEY CHECK (duty IN ('dispatch', 'maintenance')),
    holder  text NOT NULL CHECK (length(holder) <= 300),
    since   timestamptz NOT NULL
);
REVOKE DELETE, TRUNCATE ON leaders FROM fleet_app;
