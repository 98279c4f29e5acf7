//! Operations' view of the real server: Prometheus metrics at `/metrics`
//! (requests by route pattern and status, sign-ins by outcome, database
//! pools, background queues; a token when one is configured) and
//! OpenTelemetry traces sent over OTLP/HTTP to a collector (this test plays
//! the collector: it decodes the protobuf the exporter sends).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::oidc::Rig;
use common::{client, Options};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message as _;

/// The value of the sample whose line starts with `series` (name and
/// labels as the exporter writes them).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_sign_ins_and_read_pools_and_queues() {
    let mut rig = Rig::new().await;
    let base = rig.portal.base.clone();
    rig.sign_in("olivia.owner@hostco.test").await;
    let before = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let readyz = "portal_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}";
    let ready_before = sample(&before, readyz).unwrap_or(0.0);
    for _ in 0..3 {
        let r = client().get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // Two different users' pages are one route.
    for id in ["00u1111111111111111", "00u2222222222222222"] {
        client()
            .get(format!("{base}/api/v1/users/{id}"))
            .send()
            .await
            .unwrap();
    }
    let r = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let m = r.text().await.unwrap();
    assert_eq!(sample(&m, readyz), Some(ready_before + 3.0), "{m}");
    assert_eq!(
        sample(
            &m,
            "portal_http_requests_total{method=\"GET\",route=\"/api/v1/users/{id}\",status=\"401\"}"
        ),
        Some(2.0),
        "one series for the route, not one per user: {m}"
    );
    assert!(!m.contains("00u1111111111111111"), "{m}");
    assert_eq!(
        sample(
            &m,
            "portal_http_request_duration_seconds_count{method=\"GET\",route=\"/readyz\",status=\"200\"}"
        ),
        Some(ready_before + 3.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "portal_signins_total{outcome=\"success\"}"),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "portal_signins_total{outcome=\"failure\"}"),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "portal_db_pool_max_connections{pool=\"writer\"}"),
        Some(1.0),
        "SQLite has one writer: {m}"
    );
    assert!(
        sample(
            &m,
            "portal_db_pool_connections{pool=\"reader\",state=\"idle\"}"
        )
        .is_some(),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "portal_work_items{queue=\"provisioning\",status=\"QUEUED\"}"
        ),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "portal_work_oldest_queued_seconds{queue=\"provisioning\"}"
        ),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        sample(&m, "portal_provisioning_failures_total{outcome=\"failed\"}"),
        Some(0.0),
        "{m}"
    );
}

#[derive(Clone, Default)]
struct Collector {
    requests: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

async fn receive(State(c): State<Collector>, headers: HeaderMap, body: Bytes) -> StatusCode {
    assert_eq!(headers["content-type"], "application/x-protobuf");
    let request = ExportTraceServiceRequest::decode(body).unwrap();
    c.requests.lock().unwrap().push(request);
    StatusCode::OK
}

/// The `request` spans received so far, as (request_id, path).
fn request_spans(c: &Collector) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for request in c.requests.lock().unwrap().iter() {
        for resource in &request.resource_spans {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| a.value.as_ref()?.value.clone());
            assert_eq!(
                service,
                Some(AnyValue::StringValue("partner-portal".into()))
            );
            for scope in &resource.scope_spans {
                for span in scope.spans.iter().filter(|s| s.name == "request") {
                    let attr = |k: &str| {
                        span.attributes
                            .iter()
                            .find(|a| a.key == k)
                            .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                                AnyValue::StringValue(s) => Some(s.clone()),
                                _ => None,
                            })
                            .unwrap_or_default()
                    };
                    found.push((attr("request_id"), attr("path")));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn traces_go_to_the_configured_collector_with_the_request_id_and_metrics_can_require_a_token()
{
    let collector = Collector::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(receive))
        .with_state(collector.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let server = common::start(Options {
        env: &[
            ("PORTAL_OTLP_ENDPOINT", &endpoint),
            // Batches leave every 200 ms (the SDK's setting), not every 5 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("PORTAL_METRICS_TOKEN", "a-metrics-token-for-tests"),
        ],
        ..Options::default()
    })
    .await;
    let r = client()
        .get(format!("{}/livez", server.base))
        .header("x-request-id", "trace-me-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "trace-me-0001");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let spans = request_spans(&collector);
        if spans.contains(&("trace-me-0001".to_string(), "/livez".to_string())) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no request span with the request id reached the collector: {spans:?}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The token: none or a wrong one is refused; the right one reads.
    let metrics = format!("{}/metrics", server.base);
    let none = client().get(&metrics).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = client()
        .get(&metrics)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client()
        .get(&metrics)
        .bearer_auth("a-metrics-token-for-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let body = right.text().await.unwrap();
    assert!(
        body.contains(
            "portal_http_requests_total{method=\"GET\",route=\"/livez\",status=\"200\"} 1"
        ),
        "{body}"
    );
}
