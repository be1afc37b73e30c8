-- Posts by the group itself: announcements (kind 'note') and polls (kind 'question'), each
-- published at publish_at (now, or later when scheduled) and optionally pinned.
CREATE TABLE group_posts (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    content TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    multiple BOOLEAN NOT NULL DEFAULT FALSE,
    ends_at BIGINT,
    closed_at BIGINT,
    publish_at BIGINT NOT NULL,
    published_at BIGINT,
    pinned_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX group_posts_by_group ON group_posts (group_id, publish_at);
CREATE INDEX group_posts_unpublished ON group_posts (publish_at) WHERE published_at IS NULL;
CREATE INDEX group_posts_open_polls ON group_posts (ends_at) WHERE kind = 'question' AND closed_at IS NULL;

-- Votes on the group's polls. `slot` is the option index in multiple-choice polls and -1 in
-- single-choice ones, so the unique index allows one vote per actor and option there and
-- one vote per actor here.
CREATE TABLE group_poll_votes (
    id BIGSERIAL PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES group_posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    choice BIGINT NOT NULL,
    slot BIGINT NOT NULL,
    activity_ap_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (poll_id, actor_id, slot)
);

-- The message a group sends each new member.
ALTER TABLE groups ADD COLUMN welcome_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE groups ADD COLUMN welcome_text TEXT NOT NULL DEFAULT '';
