//! The endpoint table every route of the API is registered from, and the
//! OpenAPI 3.1 document generated from the same table (`/api/v1/openapi.json`),
//! so the document lists exactly what is served.
//!
//! Hand-built rather than with `utoipa`: our answers are Okta's shapes built
//! as JSON (not one Rust type per schema), and one table for routes and
//! document keeps the two from drifting, without a proc-macro per handler.

use axum::handler::Handler;
use axum::routing::{on, MethodFilter, MethodRouter};
use serde_json::{json, Map, Value};

use crate::state::AppState;

/// One endpoint: how it is routed and what the document says of it.
pub struct Endpoint {
    pub method: &'static str,
    /// Under `/api/v1`, with `{name}` path parameters.
    pub path: &'static str,
    /// Okta's `operationId` where Okta has the endpoint.
    pub operation: &'static str,
    pub summary: &'static str,
    /// The status a success answers with (Okta's, which the SDKs check).
    pub success: u16,
    pub route: MethodRouter<AppState>,
}

/// An endpoint answering `method` (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`).
pub fn op<H, T>(
    method: &'static str,
    path: &'static str,
    operation: &'static str,
    summary: &'static str,
    success: u16,
    handler: H,
) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = match method {
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    };
    Endpoint {
        method,
        path,
        operation,
        summary,
        success,
        route: on(filter, handler),
    }
}

fn tag_of(path: &str) -> String {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "iam" => "Admin roles and resource sets".into(),
        "realm-assignments" | "operations" => "Realm assignments".into(),
        "api-tokens" => "API tokens".into(),
        "logs" => "System Log".into(),
        other => {
            let mut name = other.replace('-', " ");
            if let Some(c) = name.get_mut(0..1) {
                c.make_ascii_uppercase();
            }
            name
        }
    }
}

/// The OpenAPI 3.1 document of `endpoints`, served at `public_url`.
pub fn document(endpoints: &[Endpoint], public_url: &str) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let parameters: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let success = if e.success == 204 {
            json!({"description": "Done; no content."})
        } else {
            json!({
                "description": "Okta's object (or array of objects, paged with Link headers).",
                "content": {"application/json": {"schema": {}}},
            })
        };
        let error = |what: &str| {
            json!({
                "description": what,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            })
        };
        let mut operation = json!({
            "operationId": e.operation,
            "summary": e.summary,
            "tags": [tag_of(e.path)],
            "parameters": parameters,
            "responses": {
                e.success.to_string(): success,
                "400": error("Validation failed (E0000001), malformed body (E0000003) or missing parameter (E0000028)."),
                "401": error("No token, or one that does not work (E0000011)."),
                "403": error("The token's admin may not do this (E0000006)."),
                "404": error("Not found, or outside what the token's admin may read (E0000007)."),
                "429": error("Rate limit exceeded (E0000047); see X-Rate-Limit-Reset."),
            },
        });
        if matches!(e.method, "POST" | "PUT" | "PATCH") {
            operation["requestBody"] = json!({
                "required": false,
                "content": {"application/json": {"schema": {"type": "object"}}},
            });
        }
        let item = paths
            .entry(format!("/api/v1{}", e.path))
            .or_insert_with(|| json!({}));
        item[e.method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Partner Portal Management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The subset of Okta's Management API that Partner Portal serves, with Okta's paths, shapes, status codes, error objects, paging and rate-limit headers. Authenticate with `Authorization: SSWS <API token>`.",
        },
        "servers": [{"url": public_url.trim_end_matches('/')}],
        "security": [{"apiToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`SSWS <token>`, a token made on the API tokens page.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"],
                    "properties": {
                        "errorCode": {"type": "string"},
                        "errorSummary": {"type": "string"},
                        "errorLink": {"type": "string"},
                        "errorId": {"type": "string"},
                        "errorCauses": {"type": "array", "items": {"type": "object", "properties": {"errorSummary": {"type": "string"}}}},
                    },
                },
            },
        },
    })
}
