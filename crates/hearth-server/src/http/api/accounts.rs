//! `/api/v1/tokens`, `/api/v1/me…` and `/api/v1/accounts`: logging in for a token, one's own
//! account, and (for admins) everyone's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::extract::Body;
use super::schema::{
    AccountView, ErrorBody, LoginBody, NewAccountBody, NewTokenView, PasswordBody, TokenView,
    TwoFactorConfirm, TwoFactorSetup,
};
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Exchange a username and password (and code, with two-factor) for an API token. Failed
/// attempts count towards the account's lockout, as on the login page.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", security(()),
    request_body = LoginBody,
    responses(
        (status = 201, body = NewTokenView, description = "The token, shown once"),
        (status = 401, body = ErrorBody, description = "Wrong credentials or code"),
        (status = 429, body = ErrorBody, description = "Locked after too many failures"),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    Body(body): Body<LoginBody>,
) -> Result<(StatusCode, Json<NewTokenView>), ApiError> {
    let account = state
        .accounts
        .login(&body.username, &body.password, body.code.as_deref())
        .await?;
    let name = body.name.unwrap_or_else(|| "API".into());
    let (token, info) = state.accounts.create_token(&account, &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token,
            info: info.into(),
        }),
    ))
}

/// The calling account and its roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = AccountView), (status = 401, body = ErrorBody)))]
pub async fn me(ApiStaff(staff): ApiStaff) -> Json<AccountView> {
    Json(AccountView::new(&staff.account, staff.roles.clone()))
}

/// Change the calling account's password. Its sessions end; API tokens stay valid.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts",
    request_body = PasswordBody,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .change_password(
            &staff.account,
            &body.current_password,
            &body.new_password,
            None,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling account's API tokens, revoked ones included.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let tokens = state.fed.store().api_tokens(staff.account.id).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Revoke one of the calling account's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if state
        .fed
        .store()
        .revoke_api_token(staff.account.id, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("you have no live token {id}")))
    }
}

/// Every staff account (instance admins only).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, body = Vec<AccountView>), (status = 403, body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let store = state.fed.store();
    let mut views = Vec::new();
    for account in store.list_accounts().await? {
        let roles = store.roles_of_account(account.id).await?;
        views.push(AccountView::new(&account, roles));
    }
    Ok(Json(views))
}

/// Create a staff account (instance admins only).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    request_body = NewAccountBody,
    responses((status = 201, body = AccountView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<NewAccountBody>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    staff.require(Permission::AdministerInstance, None)?;
    let account = state
        .accounts
        .create(&body.username, &body.password, body.is_admin)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountView::new(&account, Vec::new())),
    ))
}

/// Start setting up two-factor authentication: a new secret, not active until confirmed.
#[utoipa::path(post, path = "/api/v1/me/two-factor", tag = "accounts",
    responses((status = 200, body = TwoFactorSetup), (status = 401, body = ErrorBody)))]
pub async fn begin_two_factor(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Json<TwoFactorSetup>, ApiError> {
    let setup = state
        .accounts
        .begin_totp(&staff.account, &state.node_name)?;
    Ok(Json(TwoFactorSetup {
        secret: setup.secret,
        url: setup.url,
    }))
}

/// Turn two-factor authentication on with a code made from the new secret. From then on,
/// logins need a code.
#[utoipa::path(put, path = "/api/v1/me/two-factor", tag = "accounts", request_body = TwoFactorConfirm,
    responses((status = 204), (status = 401, body = ErrorBody, description = "Wrong code")))]
pub async fn enable_two_factor(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Body(body): Body<TwoFactorConfirm>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .enable_totp(&staff.account, &body.secret, &body.code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn two-factor authentication off.
#[utoipa::path(delete, path = "/api/v1/me/two-factor", tag = "accounts",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn disable_two_factor(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<StatusCode, ApiError> {
    state.accounts.disable_totp(&staff.account).await?;
    Ok(StatusCode::NO_CONTENT)
}
