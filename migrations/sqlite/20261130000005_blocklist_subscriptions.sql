-- Subscriptions to shared blocklists: each is fetched now and then, its last good copy is kept
-- entry by entry, and the entries of active subscriptions become domain rules
-- (domain_policies.source = 'subscription:<id>') wherever no manual rule exists.

CREATE TABLE blocklist_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    priority BIGINT NOT NULL DEFAULT 0,  -- between lists, the higher wins (ties: the lower id)
    draft BOOLEAN NOT NULL DEFAULT FALSE, -- fetched and stored, but applies nothing
    excludes TEXT NOT NULL DEFAULT '',   -- domains never applied from this list, one per line
    refresh_secs BIGINT NOT NULL DEFAULT 21600,
    etag TEXT,
    last_modified TEXT,
    format TEXT,                         -- 'csv' | 'json' | 'plain': how the last good copy was read
    last_fetch_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,                     -- why the last fetch failed; NULL once one succeeds
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The last good copy of each list.
CREATE TABLE blocklist_subscription_entries (
    subscription_id BIGINT NOT NULL REFERENCES blocklist_subscriptions (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    severity TEXT NOT NULL,              -- 'suspend' | 'silence' | 'noop' | 'allow'
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
    public_comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (subscription_id, domain)
);
CREATE INDEX blocklist_subscription_entries_domain ON blocklist_subscription_entries (domain);
