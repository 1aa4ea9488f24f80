-- Email verification: the project's trusted callback domains, and verification codes.

-- A JSON array of origins such as "https://app.example.com" or "https://*.example.com".
ALTER TABLE projects ADD COLUMN trusted_domains TEXT NOT NULL DEFAULT '[]';

CREATE TABLE verification_codes (
    -- The first characters of the code, in clear, to find the row and count wrong guesses.
    code_prefix TEXT NOT NULL,
    -- SHA-256 of the whole code: a leaked database leaks no usable code.
    code_hash BLOB NOT NULL,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- No foreign key: a code whose channel was deleted must say so, not vanish.
    channel_id TEXT NOT NULL,
    -- The channel's value when the code was sent; a changed value makes the code outdated.
    value TEXT NOT NULL,
    created_at_millis INTEGER NOT NULL,
    expires_at_millis INTEGER NOT NULL,
    used_at_millis INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, code_prefix),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
