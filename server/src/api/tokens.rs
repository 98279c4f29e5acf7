//! `/api/v1/api-tokens`: list, read and revoke tokens (an admin's own; a
//! super admin's reach is every admin's). Tokens are made in the browser,
//! where the secret can be shown once.

use axum::extract::{OriginalUri, Path};
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::ids::TokenId;
use app::ops::api_tokens;

use super::openapi::{op, Endpoint};
use super::{id, no_content, wire, Api, ApiError, Cursor, PageParams, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op(
            "GET",
            "/api-tokens",
            "listApiTokens",
            "List API tokens",
            200,
            list,
        ),
        op(
            "DELETE",
            "/api-tokens/current",
            "revokeCurrentApiToken",
            "Revoke the token of this request",
            204,
            revoke_current,
        ),
        op(
            "GET",
            "/api-tokens/{id}",
            "getApiToken",
            "Retrieve an API token",
            200,
            read,
        ),
        op(
            "DELETE",
            "/api-tokens/{id}",
            "revokeApiToken",
            "Revoke an API token",
            204,
            revoke,
        ),
    ]
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<PageParams>,
) -> Result<Response, ApiError> {
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), 20, 200)?;
    let tokens = api_tokens::list(&cx).await?;
    let (page, next) = cursor.page(tokens, |t| t.id.to_string());
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page.iter().map(|t| wire::api_token(base, t)).collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let token = api_tokens::get(&cx, &id::<TokenId>(&raw, "ApiToken")?).await?;
    Ok(Json(wire::api_token(&cx.settings.public_url, &token)).into_response())
}

async fn revoke(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    api_tokens::revoke(&cx, &id::<TokenId>(&raw, "ApiToken")?).await?;
    Ok(no_content())
}

async fn revoke_current(Api(cx): Api) -> Result<Response, ApiError> {
    api_tokens::revoke_current(&cx).await?;
    Ok(no_content())
}
