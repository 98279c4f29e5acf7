//! The request context every operation starts from ([`Ctx`]): the store, the
//! org, the server's settings and who is calling, as a principal with the
//! rights it holds now. Built the same way for every surface — from a session
//! cookie here, later from an API or SCIM token — and loaded fresh on every
//! request, so a revoked binding or a deactivated admin loses access at once.

use tower_sessions::Session;

use crate::authz::{Actor, Client, OrgContext, Principal};
use crate::error::AppError;
use crate::model::{User, UserStatus};
use crate::outbound::OutboundPolicy;
use crate::store::idps::SecretBox;
use crate::store::Store;

/// What operations need from the running server besides the store and the
/// org: where the portal is reachable (the redirect URI an IdP registration
/// needs), where admin-configured IdPs may be, and the key that seals their
/// client secrets.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_url: String,
    pub outbound: OutboundPolicy,
    pub secrets: SecretBox,
    /// Password hashing, passkeys, one-time links and mail.
    pub credentials: crate::credentials::Credentials,
}

/// One request's context: every operation (`crate::ops`) takes it first.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub store: Store,
    pub org: OrgContext,
    pub settings: Settings,
    /// The caller, with the rights it holds now.
    pub principal: Principal,
}

impl Ctx {
    pub fn new(store: Store, org: OrgContext, settings: Settings, principal: Principal) -> Self {
        Self {
            store,
            org,
            settings,
            principal,
        }
    }

    /// The caller signed in with `session`, or `Unauthenticated`.
    pub async fn from_session(
        store: &Store,
        org: &OrgContext,
        settings: &Settings,
        session: &Session,
        client: Client,
    ) -> Result<Self, AppError> {
        let principal = principal(store, org, session, client).await?;
        Ok(Self::new(
            store.clone(),
            org.clone(),
            settings.clone(),
            principal,
        ))
    }

    /// The caller presenting API token `secret`: the token's owner with the
    /// rights it holds now, the token named in `client` (so every event says
    /// which token acted). A token that is unknown, revoked, expired, idle
    /// past its window, or whose owner is no longer active or no longer an
    /// admin is `Unauthenticated`, with no hint which.
    pub async fn from_api_token(
        store: &Store,
        org: &OrgContext,
        settings: &Settings,
        secret: &str,
        mut client: Client,
    ) -> Result<Self, AppError> {
        let token = store
            .system_api_token(secret)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        client.api_token_id = Some(token.id.to_string());
        let principal = principal_of_user(store, org, &token.user_id, client).await?;
        if !principal.is_admin() {
            return Err(AppError::Unauthenticated);
        }
        store.touch_api_token(&token).await?;
        Ok(Self::new(
            store.clone(),
            org.clone(),
            settings.clone(),
            principal,
        ))
    }

    /// The same context as `self`, acting as `principal` (background work
    /// resumed as the system, an explain run as the admin asked about).
    pub fn acting_as(&self, principal: Principal) -> Self {
        Self {
            principal,
            ..self.clone()
        }
    }

    /// The context of the server function being served: the server provides
    /// the store, the org and the settings; the caller comes from the session
    /// (built once per request, shared with the page's gate).
    pub async fn current() -> Result<Self, AppError> {
        use leptos::prelude::use_context;
        let store = use_context::<Store>().ok_or_else(missing_context)?;
        let org = use_context::<OrgContext>().ok_or_else(missing_context)?;
        let settings = use_context::<Settings>().ok_or_else(missing_context)?;
        let session = leptos_axum::extract::<Session>()
            .await
            .map_err(|_| missing_context())?;
        let headers = leptos_axum::extract::<http::HeaderMap>()
            .await
            .unwrap_or_default();
        let client = client_of(&headers);
        let build = || principal(&store, &org, &session, client);
        let principal = match use_context::<RequestPrincipal>() {
            Some(cached) => cached.get_or_build(build).await?,
            None => build().await?,
        };
        Ok(Self::new(store, org, settings, principal))
    }
}

/// The server did not provide what every request needs (a wiring mistake).
#[track_caller]
pub fn missing_context() -> AppError {
    let ref_id = crate::error::new_ref_id();
    let at = std::panic::Location::caller();
    tracing::error!(%ref_id, %at, "server function called without its context");
    AppError::Internal { ref_id }
}

/// Whether the request being served is a plain HTML form post (JavaScript
/// off): the browser will be redirected back and sees only an error, not a
/// value.
pub async fn plain_form_post() -> bool {
    leptos_axum::extract::<http::HeaderMap>()
        .await
        .ok()
        .and_then(|h| {
            h.get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

pub use crate::store::sessions::{ENDS_AT, SIGNED_IN_AT, USER_ID};

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
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT)
        .await
        .map_err(|_| internal("session read"))?
        .unwrap_or(0);
    let user = store.system_session_user(&id).await?;
    match user {
        // Cleared (sign-out elsewhere, Clear sessions, a credential reset)
        // after this session began: it is void, whatever was saved since.
        Some((_, Some(valid_after))) if signed_in_at < valid_after => {
            let _ = session.flush().await;
            Ok(None)
        }
        Some((user, _)) if user.status == UserStatus::Active => Ok(Some(user)),
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
    let actor = actor_of(&user);
    Ok(Principal::for_user(user.id, actor, client, rows, &org.orn))
}

/// `id` as a principal with the rights it holds now, for work that goes on
/// after its request (an import running in the background): `Unauthenticated`
/// once the user is gone or no longer active, as its sessions would be.
pub async fn principal_of_user(
    store: &Store,
    org: &OrgContext,
    id: &crate::ids::UserId,
    client: Client,
) -> Result<Principal, AppError> {
    let user = store
        .system_user_by_id(id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(AppError::Unauthenticated)?;
    let rows = store.rights_rows(&user.id).await?;
    let actor = actor_of(&user);
    Ok(Principal::for_user(user.id, actor, client, rows, &org.orn))
}

/// A user as the System Log names who acted.
pub fn actor_of(user: &User) -> Actor {
    Actor {
        id: user.id.to_string(),
        actor_type: "User".into(),
        alternate_id: user.profile.login.clone(),
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
    }
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
        // Set by the server from the peer address (and X-Forwarded-For only
        // from trusted proxies); a client's own value never gets here.
        ip_address: text("x-portal-client-ip"),
        user_agent: text("user-agent"),
        request_id: text("x-request-id"),
        api_token_id: None,
    }
}

/// Reads made once per page render. While it renders a page on the server,
/// Leptos walks each `<Suspense>`'s children more than once to find the
/// resources they read; a component built inside one is built again each
/// time, and its resources fetch again. Read server functions go through
/// [`read_once`] with their arguments as the key, so one render runs each read
/// once. Provided for page renders (GET) only: a server function called on
/// its own always reads afresh.
#[derive(Clone, Default)]
pub struct RequestReads(
    std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<String, std::sync::Arc<tokio::sync::OnceCell<Read>>>,
        >,
    >,
);

type Read = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// `read()`'s value, shared by every call with the same `key` in one page
/// render (see [`RequestReads`]); a failed read is not kept.
pub async fn read_once<T, F, Fut>(key: String, read: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let Some(reads) = leptos::prelude::use_context::<RequestReads>() else {
        return read().await;
    };
    let cell = {
        let Ok(mut map) = reads.0.lock() else {
            return Err(internal("page reads"));
        };
        map.entry(key).or_default().clone()
    };
    let value = cell
        .get_or_try_init(|| async { read().await.map(|v| std::sync::Arc::new(v) as Read) })
        .await?;
    value
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| internal("a page read's key names another type"))
}
