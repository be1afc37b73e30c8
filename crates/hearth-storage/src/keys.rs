//! Key pairs of local actors that are not groups (the instance actor).

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A stored RSA key pair, as PEM.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LocalKeys {
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// PKCS#8 PEM.
    pub private_key_pem: String,
}

impl Store {
    /// The key pair stored under `owner`, if any.
    pub async fn local_keys(&self, owner: &str) -> Result<Option<LocalKeys>> {
        let sql = "SELECT public_key_pem, private_key_pem FROM local_keys WHERE owner = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(owner).fetch_optional(pool).await?))
    }

    /// Stores `keys` under `owner` unless a pair is already there, and returns the pair that
    /// won: two processes starting at once agree on one key.
    pub async fn ensure_local_keys(&self, owner: &str, keys: &LocalKeys) -> Result<LocalKeys> {
        let sql = "INSERT INTO local_keys (owner, public_key_pem, private_key_pem, created_at) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (owner) DO NOTHING";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(owner)
            .bind(&keys.public_key_pem)
            .bind(&keys.private_key_pem)
            .bind(crate::now_ms())
            .execute(pool)
            .await
            .map(|_| ()))?;
        self.local_keys(owner)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }
}
