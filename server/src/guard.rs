//! Request hardening every request passes: cross-site forgery refusal for
//! state-changing requests, security headers (a per-response CSP nonce for
//! pages), and rate limits answering 429 in Okta's shape.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, ORIGIN, REFERRER_POLICY,
    RETRY_AFTER, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::{KeyExtractor, PeerIpKeyExtractor};
use tower_governor::GovernorError;

/// The CSP of rendered pages: scripts only from this origin or carrying this
/// response's nonce (Leptos' hydration script), wasm compilation allowed, no
/// framing, no plugins, no `<base>` rewriting.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// For responses that set no CSP of their own (files, JSON, redirects).
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// An HTML page rendered outside the Leptos context (no nonce): no inline script.
const HTML_FALLBACK_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the headers every response carries (those already set win): HSTS
/// when the portal is served over https, and `Cache-Control: no-store` on
/// pages and server-function answers (they hold directory data).
pub async fn security_headers(State(https): State<bool>, request: Request, next: Next) -> Response {
    let is_api =
        request.uri().path().starts_with("/_fn/") || request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(headers, X_CONTENT_TYPE_OPTIONS, "nosniff");
    if https {
        set(
            headers,
            STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if is_html || is_api {
        set(headers, CACHE_CONTROL, "no-store");
    }
    set(headers, REFERRER_POLICY, "same-origin");
    set(headers, X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        CONTENT_SECURITY_POLICY,
        if is_html {
            HTML_FALLBACK_CSP
        } else {
            DEFAULT_CSP
        },
    );
    response
}

/// Server functions that take a multipart form (the CSV import's upload):
/// their decoder cannot refuse a body without a multipart boundary other than
/// by failing hard, so such a request is answered 415 here first.
pub async fn multipart_only(request: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;
    let multipart = [<app::serverfns::imports::UploadImport as ServerFn>::PATH];
    if multipart.contains(&request.uri().path()) {
        let bounded = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
                    && ct
                        .split_once("boundary=")
                        .is_some_and(|(_, b)| !b.trim_matches('"').trim().is_empty())
            });
        if !bounded {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the file as multipart/form-data.",
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// Server functions answer errors with status 500 whatever the error; this
/// gives each `AppError` its own status (400 validation, 403, 404, 409, …) so
/// that clients, logs and monitoring tell a refused request from a failure.
/// Plain form posts are redirects by then and pass unchanged.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/_fn/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 2 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The origin (`scheme://host[:port]`) of the public URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}").to_lowercase()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a state-changing request is refused as cross-site, if it is.
///
/// Browsers send `Sec-Fetch-Site` on every request: only `same-origin` and
/// `none` (typed by the user) pass. Older browsers send only `Origin`: it must
/// be the portal's public origin or the request's own host. Clients that send
/// neither are not browsers (no ambient cookies to abuse) and pass.
pub fn cross_site_reason(
    method: &Method,
    headers: &HeaderMap,
    public_origin: &str,
) -> Option<&'static str> {
    if is_safe(method) {
        return None;
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => None,
            _ => Some("the request came from another site"),
        };
    }
    if let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin = origin.to_lowercase();
        let own_host = text("host").map(|h| h.to_lowercase());
        let matches_host = own_host.is_some_and(|h| {
            origin
                .split_once("://")
                .is_some_and(|(_, origin_host)| origin_host == h)
        });
        if origin != public_origin && !matches_host {
            return Some("the request's Origin is not this portal");
        }
    }
    None
}

/// An Okta-style error object.
pub fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let body = serde_json::json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": format!("oae{}", &id[..20.min(id.len())]),
        "errorCauses": [],
    });
    (status, axum::Json(body)).into_response()
}

/// Refuses cross-site state-changing requests with 403 (before any handler).
pub async fn refuse_cross_site(
    State(public_origin): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(reason) = cross_site_reason(request.method(), request.headers(), &public_origin) {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            reason,
            "cross-site request refused"
        );
        return okta_error(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action (cross-site request refused)",
        );
    }
    next.run(request).await
}

/// Keys mutations by session (so one abusive session cannot starve others
/// behind the same NAT), falling back to the peer IP. Only a cookie whose
/// signature verifies counts as a session: made-up cookie values cannot mint
/// fresh quotas.
#[derive(Clone)]
pub struct SessionOrIp {
    key: tower_sessions::cookie::Key,
}

impl std::fmt::Debug for SessionOrIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionOrIp")
    }
}

const SESSION_COOKIES: [&str; 2] = ["__Host-portal_session", "portal_session"];

fn peer_ip<T>(request: &axum::http::Request<T>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

impl KeyExtractor for SessionOrIp {
    type Key = String;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<String, GovernorError> {
        use tower_sessions::cookie::{Cookie, CookieJar};
        let mut jar = CookieJar::new();
        for header in request.headers().get_all(COOKIE) {
            if let Ok(text) = header.to_str() {
                for cookie in Cookie::split_parse(text.to_string()).flatten() {
                    jar.add_original(cookie);
                }
            }
        }
        let signed = jar.signed(&self.key);
        let session = SESSION_COOKIES
            .iter()
            .find_map(|name| signed.get(name))
            .map(|c| format!("session:{}", c.value()));
        session
            .or_else(|| peer_ip(request).map(|ip| format!("ip:{ip}")))
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// Maps tower_governor's errors to Okta's: 429 `E0000047` with
/// `X-Rate-Limit-Limit/Remaining/Reset` (epoch seconds) and `Retry-After`.
fn rate_limit_error(
    limit: u32,
) -> impl Fn(GovernorError) -> Response<Body> + Send + Sync + 'static {
    move |error| match error {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let reset = time::OffsetDateTime::now_utc().unix_timestamp() + wait_time as i64;
            let mut response = okta_error(
                StatusCode::TOO_MANY_REQUESTS,
                "E0000047",
                "API call exceeded rate limit due to too many requests.",
            );
            let headers = response.headers_mut();
            headers.insert("x-rate-limit-limit", HeaderValue::from(limit));
            headers.insert("x-rate-limit-remaining", HeaderValue::from(0));
            headers.insert("x-rate-limit-reset", HeaderValue::from(reset));
            headers.insert(RETRY_AFTER, HeaderValue::from(wait_time));
            response
        }
        GovernorError::UnableToExtractKey => okta_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        ),
        GovernorError::Other { code, msg, .. } => okta_error(
            code,
            "E0000009",
            msg.as_deref().unwrap_or("Internal Server Error"),
        ),
    }
}

/// The sign-in limiter: per client IP, on `/auth/*`.
pub fn signin_layer(per_minute: u32) -> Option<Limiter<PeerIpKeyExtractor>> {
    Limiter::new(PeerIpKeyExtractor, per_minute, None)
}

/// A limiter per session (or IP) for these methods: state-changing ones
/// (`MUTATIONS`), or reads (`READS`: pages, searches and exports of the
/// routes it wraps).
pub fn session_limiter(
    per_minute: u32,
    session_key: tower_sessions::cookie::Key,
    methods: &[Method],
) -> Option<Limiter<SessionOrIp>> {
    Limiter::new(
        SessionOrIp { key: session_key },
        per_minute,
        Some(methods.to_vec()),
    )
}

pub const MUTATIONS: [Method; 4] = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
pub const READS: [Method; 2] = [Method::GET, Method::HEAD];

/// The header carrying the client's address as this server determined it:
/// the peer's, or — only when the peer is a trusted proxy — the nearest
/// untrusted address in `X-Forwarded-For`. Whatever a client sends in it is
/// replaced. The System Log reads it (`app::ctx::client_of`).
pub const CLIENT_IP: HeaderName = HeaderName::from_static("x-portal-client-ip");

pub async fn client_ip(
    State(proxies): State<Arc<[ipnet::IpNet]>>,
    mut request: Request,
    next: Next,
) -> Response {
    let trusted = |ip: &IpAddr| proxies.iter().any(|net| net.contains(ip));
    let peer = peer_ip(&request);
    let mut client = peer;
    if peer.is_some_and(|p| trusted(&p)) {
        // Walk X-Forwarded-For from the right (nearest hop) past trusted
        // proxies: the first other address is the client.
        let forwarded: Vec<IpAddr> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect();
        if let Some(ip) = forwarded.iter().rev().find(|ip| !trusted(ip)) {
            client = Some(*ip);
        }
    }
    let headers = request.headers_mut();
    headers.remove(CLIENT_IP);
    if let Some(value) = client.and_then(|ip| HeaderValue::from_str(&ip.to_string()).ok()) {
        headers.insert(CLIENT_IP, value);
    }
    next.run(request).await
}

/// A configured rate limit: its tower layer, and a sweeper that forgets idle
/// keys so memory stays bounded under many distinct clients.
pub struct Limiter<K: KeyExtractor> {
    config: Arc<GovernorConfig<K, NoOp>>,
    limit: u32,
}

type NoOp = ::governor::middleware::NoOpMiddleware<::governor::clock::QuantaInstant>;

impl<K> Limiter<K>
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    fn new(key: K, per_minute: u32, methods: Option<Vec<Method>>) -> Option<Self> {
        let per_minute = per_minute.max(1);
        let mut builder = GovernorConfigBuilder::default().key_extractor(key);
        builder
            .period(Duration::from_nanos(60_000_000_000 / u64::from(per_minute)))
            .burst_size(per_minute);
        if let Some(methods) = methods {
            builder.methods(methods);
        }
        let config = Arc::new(builder.finish()?);
        Some(Self {
            config,
            limit: per_minute,
        })
    }

    pub fn layer(&self) -> tower_governor::GovernorLayer<K, NoOp, Body> {
        tower_governor::GovernorLayer::new(self.config.clone())
            .error_handler(rate_limit_error(self.limit))
    }

    /// Forgets keys whose quota has fully replenished, every minute.
    pub fn spawn_sweeper(&self) {
        let limiter = self.config.limiter().clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
    }
}
