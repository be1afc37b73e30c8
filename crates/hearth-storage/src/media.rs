//! Images uploaded for groups (icons and banners), kept in the database so every Hearth
//! process can serve them.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A stored image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Media {
    /// Random id, part of its URL.
    pub id: String,
    /// The group it belongs to.
    pub group_id: Option<i64>,
    /// `icon` or `banner`.
    pub purpose: String,
    /// MIME type, as detected from the bytes.
    pub content_type: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// The file.
    pub bytes: Vec<u8>,
    /// Upload time (ms).
    pub created_at: i64,
}

impl Store {
    /// Stores an image.
    pub async fn insert_media(&self, media: &Media) -> Result<()> {
        let sql = "INSERT INTO media (id, group_id, purpose, content_type, width, height, bytes, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(&media.id)
            .bind(media.group_id)
            .bind(&media.purpose)
            .bind(&media.content_type)
            .bind(media.width)
            .bind(media.height)
            .bind(&media.bytes)
            .bind(media.created_at)
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// The image with id `id`.
    pub async fn media(&self, id: &str) -> Result<Option<Media>> {
        let sql = "SELECT id, group_id, purpose, content_type, width, height, bytes, created_at \
                   FROM media WHERE id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
    }
}
