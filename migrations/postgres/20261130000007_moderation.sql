-- Moderators of a group from other instances: actors the group lists in its moderators
-- collection (its attributedTo), announced to followers with Add and Remove.

CREATE TABLE group_moderators (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    added_by TEXT NOT NULL,               -- who appointed them (an account, or 'cli')
    created_at BIGINT NOT NULL,
    UNIQUE (group_id, actor_id)
);
