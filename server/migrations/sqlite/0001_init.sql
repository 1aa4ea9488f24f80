-- The invariants of the contact-channel API live here, so they hold whatever the application does.

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- SHA-256 of each key: keys are 256-bit random values, so a fast hash is enough.
    publishable_client_key_hash BLOB NOT NULL,
    secret_server_key_hash BLOB NOT NULL,
    super_secret_admin_key_hash BLOB NOT NULL,
    -- PKCS#8 DER of the ES256 key that signs the project's access tokens.
    signing_key BLOB NOT NULL,
    allow_localhost INTEGER NOT NULL CHECK (allow_localhost IN (0, 1)),
    created_at_millis INTEGER NOT NULL
);

CREATE TABLE users (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    display_name TEXT,
    signed_up_at_millis INTEGER NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE contact_channels (
    -- Insertion order: lists are oldest first, and cursors point into it.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type = 'email'),
    value TEXT NOT NULL,
    used_for_auth INTEGER NOT NULL CHECK (used_for_auth IN (0, 1)),
    is_verified INTEGER NOT NULL CHECK (is_verified IN (0, 1)),
    is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);

-- A user holds a value once.
CREATE UNIQUE INDEX contact_channels_user_value
    ON contact_channels (project_id, user_id, type, value);
-- One primary channel per user.
CREATE UNIQUE INDEX contact_channels_one_primary
    ON contact_channels (project_id, user_id) WHERE is_primary = 1;
-- Within a project, one channel per value is used for auth.
CREATE UNIQUE INDEX contact_channels_auth_value
    ON contact_channels (project_id, type, value) WHERE used_for_auth = 1;

CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_at_millis INTEGER NOT NULL,
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
