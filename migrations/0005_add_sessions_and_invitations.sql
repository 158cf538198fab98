-- Web accounts: sessions (only a hash of the cookie token is stored), invitations, login
-- attempts for rate limiting, password reset tokens (hashed), and two account columns:
-- the account's state (an account waits for approval in registration mode "approval")
-- and its preferred language.

ALTER TABLE accounts
    ADD COLUMN state  text NOT NULL DEFAULT 'active' CHECK (state IN ('pending', 'active')),
    ADD COLUMN locale text NOT NULL DEFAULT '';

CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_secret   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE invitations (
    id           bigserial PRIMARY KEY,
    code_hash    bytea NOT NULL UNIQUE,
    created_by   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    note         text NOT NULL DEFAULT '',
    used_by      bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- One row per failed login, keyed by the lower-cased username and by the client address;
-- old rows are deleted as new ones come in.
CREATE TABLE login_attempts (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL,
    client        text NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, attempted_at);
CREATE INDEX login_attempts_client_idx ON login_attempts (client, attempted_at);

CREATE TABLE password_resets (
    token_hash   bytea PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
