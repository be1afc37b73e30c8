-- Posts held for a moderator's review (for now: posts from silenced instances). The activity
-- is kept exactly as received so that, once approved, the group announces it byte for byte.

CREATE TABLE held_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    object_ap_id TEXT NOT NULL,
    activity TEXT NOT NULL,               -- the Create as received
    object TEXT NOT NULL,                 -- its object (embedded, or as fetched)
    reason TEXT NOT NULL,                 -- why it was held
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT,
    decision TEXT,                        -- 'approved' | 'rejected'
    decision_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (group_id, object_ap_id)
);
CREATE INDEX held_posts_open ON held_posts (group_id, created_at) WHERE decided_at IS NULL;
