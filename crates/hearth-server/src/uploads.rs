//! Group images uploaded by staff: only PNG, JPEG, GIF and WebP (judged by their bytes, not
//! their name), within a size limit, stored in the database and served at `/media/{id}`.

use hearth_federation::groups::{edit_group, GroupError};
use hearth_federation::Federation;
use hearth_storage::{Group, GroupEdit, Media};
use imagesize::ImageType;

/// Largest width or height accepted, in pixels.
pub const MAX_DIMENSION: usize = 8192;

/// Which picture of a group an upload replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePurpose {
    /// The avatar.
    Icon,
    /// The header image.
    Banner,
}

impl ImagePurpose {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ImagePurpose::Icon => "icon",
            ImagePurpose::Banner => "banner",
        }
    }
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Nothing was uploaded.
    #[error("the file is empty")]
    Empty,
    /// Over the size limit.
    #[error("the file is {size} bytes; the limit is {max} bytes")]
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not one of the accepted image formats.
    #[error("the file is not a PNG, JPEG, GIF or WebP image")]
    NotAnImage,
    /// Too many pixels.
    #[error("the image is {width}×{height} pixels; at most {MAX_DIMENSION} on each side")]
    TooManyPixels {
        /// Width.
        width: usize,
        /// Height.
        height: usize,
    },
    /// Saving failed.
    #[error(transparent)]
    Group(#[from] GroupError),
}

/// The MIME type and dimensions of an acceptable image.
pub fn inspect(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<(&'static str, usize, usize), UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(UploadError::TooLarge {
            size: bytes.len(),
            max: max_bytes,
        });
    }
    let content_type = match imagesize::image_type(bytes) {
        Ok(ImageType::Png) => "image/png",
        Ok(ImageType::Jpeg) => "image/jpeg",
        Ok(ImageType::Gif) => "image/gif",
        Ok(ImageType::Webp) => "image/webp",
        _ => return Err(UploadError::NotAnImage),
    };
    let size = imagesize::blob_size(bytes).map_err(|_| UploadError::NotAnImage)?;
    if size.width == 0 || size.height == 0 {
        return Err(UploadError::NotAnImage);
    }
    if size.width > MAX_DIMENSION || size.height > MAX_DIMENSION {
        return Err(UploadError::TooManyPixels {
            width: size.width,
            height: size.height,
        });
    }
    Ok((content_type, size.width, size.height))
}

/// Stores `bytes` as the group's icon or banner and federates the change (`Update` of the
/// Group). Returns the group as it now is.
pub async fn set_group_image(
    fed: &Federation,
    group: &Group,
    purpose: ImagePurpose,
    bytes: Vec<u8>,
    max_bytes: usize,
) -> Result<Group, UploadError> {
    let (content_type, width, height) = inspect(&bytes, max_bytes)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let media = Media {
        id: id.clone(),
        group_id: Some(group.id),
        purpose: purpose.as_str().into(),
        content_type: content_type.into(),
        width: width as i64,
        height: height as i64,
        bytes,
        created_at: hearth_storage::now_ms(),
    };
    fed.store()
        .insert_media(&media)
        .await
        .map_err(GroupError::Store)?;
    let url = Some(media_url(fed, &id));
    let edit = match purpose {
        ImagePurpose::Icon => GroupEdit {
            icon_url: Some(url),
            ..GroupEdit::default()
        },
        ImagePurpose::Banner => GroupEdit {
            banner_url: Some(url),
            ..GroupEdit::default()
        },
    };
    Ok(edit_group(fed, group, edit).await?)
}

/// The public URL of a stored image.
pub fn media_url(fed: &Federation, id: &str) -> String {
    let mut url = fed.urls().base().clone();
    url.set_path(&format!("/media/{id}"));
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid PNG: one transparent pixel.
    pub(crate) const PIXEL_PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn images_are_judged_by_their_bytes() {
        assert_eq!(inspect(PIXEL_PNG, 1024).unwrap(), ("image/png", 1, 1));
        assert!(matches!(
            inspect(b"<svg onload=alert(1)>", 1024),
            Err(UploadError::NotAnImage)
        ));
        assert!(matches!(inspect(b"", 1024), Err(UploadError::Empty)));
        assert!(matches!(
            inspect(PIXEL_PNG, 10),
            Err(UploadError::TooLarge { .. })
        ));
    }
}
