-- Password reset by e-mail: a reset token says how it was made (an administrator's link or
-- an e-mail the resident asked for), so e-mailed tokens can be counted per account and
-- replaced by a newer one; accounts are found by their e-mail address as well as by name.

ALTER TABLE password_resets
    ADD COLUMN via text NOT NULL DEFAULT 'admin' CHECK (via IN ('admin', 'email'));
CREATE INDEX password_resets_account_idx ON password_resets (account_id, created_at);
CREATE INDEX accounts_email_idx ON accounts (lower(email)) WHERE email IS NOT NULL AND email <> '';
