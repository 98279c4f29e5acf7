//! Structured logs through `tracing`: human-readable by default, JSON lines with
//! `PORTAL_LOG_FORMAT=json`; level from `RUST_LOG` (default `info`).
//!
//! With `otlp_endpoint` set, the same spans also go to an OpenTelemetry
//! collector as traces (OTLP over HTTP, protobuf; `tracing-opentelemetry` +
//! `opentelemetry-otlp`, batched on a background thread): each request is a
//! `request` span carrying its `request_id` (the `x-request-id` header) as an
//! attribute, with the spans inside it as children.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] sends what is
/// still batched.
#[derive(Default)]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(&self) {
        if let Some(provider) = &self.traces {
            if let Err(e) = provider.shutdown() {
                eprintln!("OpenTelemetry: traces not all sent at shutdown: {e}");
            }
        }
    }
}

/// The OTLP/HTTP traces URL for `endpoint`: a bare collector address gets
/// the standard `/v1/traces` path; a URL with a path is used as it is.
pub fn traces_url(endpoint: &str) -> String {
    match url::Url::parse(endpoint) {
        Ok(u) if u.path().is_empty() || u.path() == "/" => {
            format!("{}/v1/traces", endpoint.trim_end_matches('/'))
        }
        _ => endpoint.to_string(),
    }
}

pub fn init(format: LogFormat, otlp_endpoint: &str) -> Telemetry {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"))
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = match format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
    };
    let mut telemetry = Telemetry::default();
    let traces = if otlp_endpoint.is_empty() {
        None
    } else {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(traces_url(otlp_endpoint))
            .build()
        {
            Ok(exporter) => {
                let provider = SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        opentelemetry_sdk::Resource::builder()
                            .with_service_name("partner-portal")
                            .build(),
                    )
                    .build();
                let tracer = provider.tracer("partner-portal");
                telemetry.traces = Some(provider);
                // Spans are traced at `info` whatever the log level: a quiet
                // log (`RUST_LOG=warn`) still sends every request's trace.
                // The exporter's own HTTP stack stays out (no feedback loop).
                Some(
                    tracing_opentelemetry::layer()
                        .with_tracer(tracer)
                        .with_filter(EnvFilter::new(
                            "info,sqlx=warn,tower_sessions=warn,hyper=off,reqwest=off,h2=off,opentelemetry=off",
                        )),
                )
            }
            Err(e) => {
                eprintln!("OpenTelemetry: traces are off: {e}");
                None
            }
        }
    };
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter()))
        .with(traces)
        .try_init();
    telemetry
}
