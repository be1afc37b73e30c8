//! What API handlers share: JSON bodies whose rejections use the API's error shape, the
//! group a path names (checked against the caller's role), and error conversions.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::groups::GroupError;
use hearth_storage::Group;
use serde::de::DeserializeOwned;

use crate::accounts::{Permission, Staff};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::uploads::UploadError;

/// A JSON request body; malformed or mistyped bodies get `{"error": …}` like every failure.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::new(
                rejection.status(),
                "bad_body",
                rejection.body_text(),
            )),
        }
    }
}

/// The group called `name`, if `staff` may do `permission` in it.
pub async fn group_for(
    state: &AppState,
    staff: &Staff,
    name: &str,
    permission: Permission,
) -> Result<Group, ApiError> {
    let group = state
        .fed
        .store()
        .group_by_name(name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no group named {name}")))?;
    staff.require(permission, Some(&group))?;
    Ok(group)
}

impl From<GroupError> for ApiError {
    fn from(err: GroupError) -> Self {
        let message = err.to_string();
        match err {
            GroupError::InvalidName(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_name", message)
            }
            GroupError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
            }
            GroupError::Taken(_) => ApiError::new(StatusCode::CONFLICT, "taken", message),
            GroupError::NoRequest(_) => ApiError::not_found(message),
            GroupError::Store(store) => ApiError::from(store),
            GroupError::Keys(_) => {
                tracing::error!(error = %message, "group keys");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(err: UploadError) -> Self {
        let message = err.to_string();
        match err {
            UploadError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
            }
            UploadError::NotAnImage | UploadError::Empty => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image", message)
            }
            UploadError::TooManyPixels { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_pixels", message)
            }
            UploadError::Group(group) => ApiError::from(group),
        }
    }
}
