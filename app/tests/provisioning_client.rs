//! One exchange with an app's provisioning endpoint, against a local HTTP
//! server: the credential sent as configured, and each answer sorted —
//! 429 with its `Retry-After` and 5xx to try again, any other refusal final
//! in the app's own words (SCIM's `detail`, Okta's `errorSummary`), a 403 of
//! a hub explained, and `Link` paging followed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use http::Method;
use serde_json::json;

use app::outbound::OutboundPolicy;
use app::provisioning::client::Endpoint;
use app::provisioning::{Connection, Kind, Setup};

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/busy",
            get(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], "slow down") }),
        )
        .route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
        .route(
            "/bad",
            get(|| async {
                (
                    StatusCode::CONFLICT,
                    Json(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "scimType": "uniqueness", "detail": "userName is taken"})),
                )
            }),
        )
        .route(
            "/api/v1/users",
            get(|headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("SSWS hub-token") {
                    return (StatusCode::UNAUTHORIZED, Json(json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"}))).into_response();
                }
                (
                    StatusCode::FORBIDDEN,
                    Json(json!({"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action", "errorCauses": []})),
                )
                    .into_response()
            }),
        )
        .route(
            "/echo",
            get(|headers: HeaderMap| async move {
                let sent = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                (StatusCode::BAD_REQUEST, Json(json!({"detail": format!("bad header {sent}")})))
            }),
        )
        .route(
            "/page",
            get(|| async { ([("link", "<http://x/next?after=2>; rel=\"next\"")], Json(json!([{"id": "1"}]))) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn connection(kind: Kind, base: &str, secret: &str) -> Connection {
    let mut view = app::ops::provisioning::blank(kind);
    view.base_url = base.into();
    Connection {
        setup: Setup::from_view(&view, OutboundPolicy::admin_configured(true)).unwrap(),
        secret: secret.into(),
    }
}

#[tokio::test]
async fn answers_are_sorted_into_retry_later_and_final() {
    let base = serve().await;
    let http = OutboundPolicy::admin_configured(true).client().unwrap();
    let scim = connection(Kind::Scim2, &base, "a-bearer-token");
    let ep = Endpoint {
        http: &http,
        connection: &scim,
        content_type: "application/scim+json",
    };
    let busy = ep.call(Method::GET, "/busy", None).await.unwrap_err();
    assert!(busy.retryable);
    assert_eq!(busy.retry_after, Some(7));
    assert_eq!(busy.status, Some(429));
    let down = ep.call(Method::GET, "/down", None).await.unwrap_err();
    assert!(down.retryable);
    assert_eq!(down.retry_after, None);
    let bad = ep.call(Method::GET, "/bad", None).await.unwrap_err();
    assert!(!bad.retryable);
    assert!(
        bad.message.contains("409 userName is taken"),
        "{}",
        bad.message
    );
    let page = ep.call(Method::GET, "/page", None).await.unwrap();
    assert_eq!(page.next.as_deref(), Some("http://x/next?after=2"));
    // A next page on another host is not followed (the credential would go there).
    let elsewhere = ep
        .call(Method::GET, "http://x/next?after=2", None)
        .await
        .unwrap_err();
    assert!(!elsewhere.retryable);
    assert!(
        elsewhere.message.contains("another host"),
        "{}",
        elsewhere.message
    );
    // An app echoing the request never gets the credential into a message.
    let basic = {
        let mut view = app::ops::provisioning::blank(Kind::Scim2);
        view.base_url = base.clone();
        view.auth_scheme = "BASIC".into();
        view.username = "portal".into();
        Connection {
            setup: Setup::from_view(&view, OutboundPolicy::admin_configured(true)).unwrap(),
            secret: "s3cret-password".into(),
        }
    };
    for c in [&scim, &basic] {
        let ep = Endpoint {
            http: &http,
            connection: c,
            content_type: "application/scim+json",
        };
        let echoed = ep.call(Method::GET, "/echo", None).await.unwrap_err();
        assert!(echoed.message.contains("[redacted]"), "{}", echoed.message);
        assert!(
            !echoed.message.contains("s3cret-password"),
            "{}",
            echoed.message
        );
        assert!(
            !echoed.message.contains("a-bearer-token"),
            "{}",
            echoed.message
        );
        assert!(!echoed.message.contains("cG9ydGFs"), "{}", echoed.message);
    }
    // Nothing listening: a network error, tried again later.
    let gone = connection(Kind::Scim2, "http://127.0.0.1:9/scim", "t");
    let ep = Endpoint {
        http: &http,
        connection: &gone,
        content_type: "application/scim+json",
    };
    assert!(
        ep.call(Method::GET, "/Users", None)
            .await
            .unwrap_err()
            .retryable
    );

    // A hub refusing the token's rights: final, and explained.
    let hub = connection(Kind::OktaOrg2Org, &base, "hub-token");
    let ep = Endpoint {
        http: &http,
        connection: &hub,
        content_type: "application/json",
    };
    let refused = app::provisioning::okta::find_user(&ep, "a@b.test", "a@b.test")
        .await
        .unwrap_err();
    assert!(!refused.retryable);
    assert!(refused.message.contains("E0000006"), "{}", refused.message);
    assert!(
        refused.message.contains("super admin"),
        "{}",
        refused.message
    );
}
