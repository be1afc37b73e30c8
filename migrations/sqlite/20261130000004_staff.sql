-- Staff accounts, their sessions and API tokens, group roles, structured rules, uploaded media,
-- join modes and invites. `groups.summary` holds Markdown (raw HTML in it is sanitised when
-- rendered, so summaries written before stay valid).

ALTER TABLE groups ADD COLUMN banner_url TEXT;
ALTER TABLE groups ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE groups ADD COLUMN join_mode TEXT NOT NULL DEFAULT 'open';   -- 'open' | 'approval' | 'invite'
ALTER TABLE groups ADD COLUMN join_questions TEXT NOT NULL DEFAULT '[]'; -- JSON array of strings
ALTER TABLE groups ADD COLUMN archived_at BIGINT;
UPDATE groups SET join_mode = 'approval' WHERE manually_approves_followers;

-- What a requester answered to the group's questions, when their software sent answers.
ALTER TABLE follows ADD COLUMN answers TEXT NOT NULL DEFAULT '';

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,        -- lowercase
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret TEXT,                     -- base32, when the second factor is on
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE group_staff (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,                   -- 'owner' | 'moderator' | 'manager'
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_staff_account ON group_staff (account_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,          -- SHA-256 of the cookie value
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,      -- SHA-256 of the secret
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE group_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    short_name TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX group_rules_group ON group_rules (group_id, position);

CREATE TABLE media (
    id TEXT PRIMARY KEY,                  -- random, part of the URL
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,                -- 'icon' | 'banner'
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE invites (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_ap_id TEXT NOT NULL,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_ap_id)
);
