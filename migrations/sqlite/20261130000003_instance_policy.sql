-- Instance admins' decisions about other instances, the federation mode, and the modlog.

CREATE TABLE domain_policies (
    domain TEXT PRIMARY KEY,             -- 'example.com' (covers its subdomains) or '*.example.com'
    severity TEXT NOT NULL,              -- 'suspend' | 'silence' | 'noop' | 'allow'
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    public_comment TEXT NOT NULL DEFAULT '',
    private_comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    expires_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE modlog (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,                 -- who: 'cli:root', a staff account, a remote actor id
    action TEXT NOT NULL,                -- e.g. 'domain.suspend', 'domain.lift', 'federation.mode'
    target TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX modlog_at ON modlog (at);
