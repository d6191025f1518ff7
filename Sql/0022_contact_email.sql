-- E-mail notices (issue 16): the agency's contact may give an e-mail address with the booking,
-- and the outbox sends the agency's notices to it over SMTP where SMTP is configured. Addresses
-- go into SMTP commands and headers: never a space or a control character (CR, LF) in them.
ALTER TABLE bookings ADD COLUMN contact_email text
    CHECK (length(contact_email) <= 254 AND contact_email !~ '[[:space:][:cntrl:]]' AND contact_email LIKE '%_@_%');
ALTER TABLE notices ADD COLUMN recipient_email text
    CHECK (length(recipient_email) <= 254 AND recipient_email !~ '[[:space:][:cntrl:]]' AND recipient_email LIKE '%_@_%');
-- A channel more: the check widened, no row refused by the old one is accepted any less.
ALTER TABLE notices DROP CONSTRAINT notices_channel_check;
ALTER TABLE notices ADD CONSTRAINT notices_channel_check CHECK (channel IN ('sms', 'live', 'email'));
-- An e-mail notice names where it goes.
ALTER TABLE notices ADD CONSTRAINT notices_email_addressed CHECK (channel <> 'email' OR recipient_email IS NOT NULL);
