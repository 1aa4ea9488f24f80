-- The invariants of the contact-channel API live here, so they hold with any number of server
-- instances on this database. Same schema in meaning as migrations/sqlite/0001_init.sql.

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- SHA-256 of each key: keys are 256-bit random values, so a fast hash is enough.
    publishable_client_key_hash BYTEA NOT NULL,
    secret_server_key_hash BYTEA NOT NULL,
    super_secret_admin_key_hash BYTEA NOT NULL,
    -- PKCS#8 DER of the ES256 key that signs the project's access tokens.
    signing_key BYTEA NOT NULL,
    allow_localhost BOOLEAN NOT NULL,
    created_at_millis BIGINT NOT NULL
);

CREATE TABLE users (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id UUID NOT NULL,
    display_name TEXT,
    signed_up_at_millis BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE contact_channels (
    -- Insertion order: lists are oldest first, and cursors point into it.
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id UUID NOT NULL,
    id UUID NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type = 'email'),
    value TEXT NOT NULL,
    used_for_auth BOOLEAN NOT NULL,
    is_verified BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL,
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);

-- A user holds a value once.
CREATE UNIQUE INDEX contact_channels_user_value
    ON contact_channels (project_id, user_id, type, value);
-- One primary channel per user.
CREATE UNIQUE INDEX contact_channels_one_primary
    ON contact_channels (project_id, user_id) WHERE is_primary;
-- Within a project, one channel per value is used for auth.
CREATE UNIQUE INDEX contact_channels_auth_value
    ON contact_channels (project_id, type, value) WHERE used_for_auth;

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    project_id TEXT NOT NULL,
    user_id UUID NOT NULL,
    expires_at_millis BIGINT NOT NULL,
    FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
