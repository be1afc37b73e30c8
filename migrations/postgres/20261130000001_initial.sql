-- Hearth's initial schema (PostgreSQL). Keep in step with migrations/sqlite/ of the same name.
-- Timestamps are milliseconds since the Unix epoch. JSON is stored as received, as text.

CREATE TABLE local_keys (
    owner TEXT PRIMARY KEY,           -- 'instance' for the instance actor
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    icon_url TEXT,
    posting_policy TEXT NOT NULL DEFAULT 'followers',
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE actors (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    host TEXT NOT NULL,
    preferred_username TEXT,
    name TEXT,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    url TEXT,
    icon_url TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    published BIGINT,
    raw TEXT NOT NULL,
    fetched_at BIGINT NOT NULL
);
CREATE INDEX actors_host ON actors (host);
CREATE INDEX actors_key ON actors (public_key_id);

CREATE TABLE follows (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    follow_activity_id TEXT NOT NULL,
    state TEXT NOT NULL,              -- 'pending' | 'accepted'
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_id)
);
CREATE INDEX follows_actor ON follows (actor_id);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES actors (id),
    kind TEXT NOT NULL,
    in_reply_to TEXT,
    thread_id BIGINT,
    title TEXT,
    content TEXT NOT NULL,
    url TEXT,
    raw TEXT NOT NULL,
    published BIGINT NOT NULL,
    updated BIGINT,
    deleted_at BIGINT,
    reply_count BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX posts_group_threads ON posts (group_id, last_activity_at) WHERE in_reply_to IS NULL;
CREATE INDEX posts_thread ON posts (thread_id, published);
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE reactions (
    activity_ap_id TEXT NOT NULL UNIQUE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,               -- 'Like' | 'Dislike'
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, actor_id, kind)
);

CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
CREATE INDEX received_activities_at ON received_activities (received_at);

CREATE TABLE outbound_activities (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbound_activities_outbox ON outbound_activities (group_id, id) WHERE public;

CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES outbound_activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',   -- 'queued' | 'dead'
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'queued';
CREATE INDEX deliveries_host ON deliveries (host);

CREATE TABLE instances (
    host TEXT PRIMARY KEY,
    software TEXT,
    software_version TEXT,
    nodeinfo_fetched_at BIGINT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    last_failure_at BIGINT,
    last_error TEXT,
    unreachable_since BIGINT,
    retry_at BIGINT,
    flavor TEXT,                       -- 'threaded' | 'microblog' | NULL (unknown)
    delivered_count BIGINT NOT NULL DEFAULT 0,
    first_seen_at BIGINT NOT NULL
);
