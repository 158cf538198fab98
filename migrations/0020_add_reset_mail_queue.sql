-- Password-reset e-mails that still have to go out: one row per e-mailed reset token until
-- its e-mail is sent (then the row is deleted). The row holds no secret and no message
-- text: a retry makes a fresh token for the same reset (the hash in password_resets is
-- replaced, the row follows through ON UPDATE CASCADE) and writes the e-mail again in
-- `language`. The claim moves `next_attempt_at` on, so only one process tries at a time.

CREATE TABLE reset_mail_queue (
    id              bigserial PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE
                    REFERENCES password_resets (token_hash) ON DELETE CASCADE ON UPDATE CASCADE,
    language        text NOT NULL,
    attempts        integer NOT NULL DEFAULT 1,
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reset_mail_queue_due_idx ON reset_mail_queue (next_attempt_at);
