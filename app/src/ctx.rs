//! The request context: who is calling (session → Principal), loaded fresh on
//! every request so a revoked binding or a deactivated admin loses access at once.

use tower_sessions::Session;

use crate::authz::{OrgContext, Principal};
use crate::error::AppError;
use crate::model::{User, UserStatus};
use crate::store::audit::{Actor, Client};
use crate::store::Store;

/// Session keys.
pub const USER_ID: &str = "user_id";
/// Unix time after which the session ends whatever the activity (absolute timeout).
pub const ENDS_AT: &str = "ends_at";

/// The signed-in user, if the session has one and the user is still active.
pub async fn session_user(store: &Store, session: &Session) -> Result<Option<User>, AppError> {
    let Some(id) = session
        .get::<String>(USER_ID)
        .await
        .map_err(|_| internal("session read"))?
    else {
        return Ok(None);
    };
    let Ok(id) = crate::ids::UserId::parse(&id) else {
        return Ok(None);
    };
    let ends_at = session
        .get::<i64>(ENDS_AT)
        .await
        .map_err(|_| internal("session read"))?;
    if ends_at.is_none_or(|t| t <= time::OffsetDateTime::now_utc().unix_timestamp()) {
        let _ = session.flush().await;
        return Ok(None);
    }
    let user = store.user_by_id_unscoped(&id).await?;
    match user {
        Some(user) if user.status == UserStatus::Active => Ok(Some(user)),
        _ => {
            // Deleted, suspended or deactivated since sign-in: the session ends.
            let _ = session.flush().await;
            Ok(None)
        }
    }
}

/// The caller as a principal with its current rights, or `Unauthenticated`.
pub async fn principal(
    store: &Store,
    org: &OrgContext,
    session: &Session,
    client: Client,
) -> Result<Principal, AppError> {
    let user = session_user(store, session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let rows = store.rights_rows(&user.id).await?;
    let actor = Actor {
        id: user.id.to_string(),
        actor_type: "User".into(),
        alternate_id: user.profile.login.clone(),
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
    };
    Ok(Principal::for_user(user.id, actor, client, rows, &org.orn))
}

/// The caller's principal, built once per request: the page's gate, every
/// server function and every resource of one render share it. Rights are
/// still read afresh for each request. Provided per request by the server;
/// the gate puts its principal in the request's extensions as this.
#[derive(Debug, Clone, Default)]
pub struct RequestPrincipal(std::sync::Arc<tokio::sync::OnceCell<Principal>>);

impl RequestPrincipal {
    /// One already built (by the gate).
    pub fn of(principal: Principal) -> Self {
        Self(std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(
            principal,
        ))))
    }

    /// The principal, built by `build` the first time it is asked for.
    pub async fn get_or_build<F, Fut>(&self, build: F) -> Result<Principal, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Principal, AppError>>,
    {
        self.0.get_or_try_init(build).await.cloned()
    }
}

fn internal(what: &str) -> AppError {
    let ref_id = crate::error::new_ref_id();
    tracing::error!(%ref_id, what, "request context failure");
    AppError::Internal { ref_id }
}

/// Who made a request, as the System Log records it (`client`).
pub fn client_of(headers: &http::HeaderMap) -> Client {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Client {
        ip_address: text("x-forwarded-for")
            .and_then(|v| v.split(',').next().map(|s| s.trim().to_string())),
        user_agent: text("user-agent"),
        request_id: text("x-request-id"),
    }
}
