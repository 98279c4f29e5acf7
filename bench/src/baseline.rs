//! The baseline the portal is measured against: a minimal axum + sqlx server
//! that runs the portal's keyset query (users of one realm by last name, first
//! name, id; 25 a page), its search and its one-user read on the same database
//! and renders the rows as plain HTML — no session, no authorization, no
//! framework. Its profile edit is the bare versioned UPDATE (no audit event).

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Form, Router};
use serde::Deserialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// The portal's page size and the search cap it applies.
const PAGE: i64 = 25;
const SEARCH_CAP: i64 = 10_000;

#[derive(Clone)]
struct Db {
    pool: AnyPool,
    postgres: bool,
    realm: String,
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
    q: Option<String>,
}

#[derive(Deserialize)]
struct Edit {
    version: i64,
    #[serde(rename = "profile[firstName]")]
    first_name: String,
}

/// Serves the baseline on `port` until the process is stopped.
pub async fn serve(database_url: &str, realm: &str, port: u16) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let postgres = database_url.starts_with("postgres");
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if !postgres {
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 5000")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(database_url)
        .await
        .map_err(|e| format!("baseline database: {e}"))?;
    let db = Db {
        pool,
        postgres,
        realm: realm.to_string(),
    };
    let app = Router::new()
        .route("/readyz", get(|| async { "ok" }))
        .route("/users", get(list))
        .route("/users/{id}", get(detail))
        .route("/users/{id}/profile", post(edit))
        .with_state(db);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("baseline port {port}: {e}"))?
        // As the portal's listener.
        .tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
    axum::serve(listener, app)
        .await
        .map_err(|e| format!("baseline: {e}"))
}

fn failed(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

/// The portal's cursor: hex of a JSON array [last name, first name, id].
fn decode_cursor(raw: &str) -> Option<[String; 3]> {
    let bytes = (0..raw.len())
        .step_by(2)
        .map(|i| {
            raw.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()?;
    let values: Vec<String> = serde_json::from_slice(&bytes).ok()?;
    let [last, first, id]: [String; 3] = values.try_into().ok()?;
    Some([last, first, id])
}

fn encode_cursor(values: [&str; 3]) -> String {
    serde_json::to_vec(&values)
        .unwrap_or_default()
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn list(State(db): State<Db>, Query(q): Query<ListQuery>) -> Response {
    let mut sql = String::from(
        "SELECT u.id, u.login, u.first_name, u.last_name, u.status FROM users u WHERE (u.realm_id IN ($1))",
    );
    let mut binds: Vec<String> = vec![db.realm.clone()];
    if let Some(term) =
        q.q.as_deref()
            .map(str::trim)
            .filter(|t| t.chars().count() >= 3)
    {
        if db.postgres {
            let pattern = format!(
                "%{}%",
                term.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let n = binds.len();
            let _ = write!(
                sql,
                " AND u.id IN (SELECT s.id FROM users s WHERE s.login COLLATE \"default\" ILIKE ${a} \
                 OR s.email COLLATE \"default\" ILIKE ${a} OR s.first_name COLLATE \"default\" ILIKE ${a} \
                 OR s.last_name COLLATE \"default\" ILIKE ${a} LIMIT {SEARCH_CAP})",
                a = n + 1
            );
            binds.push(pattern);
        } else {
            let n = binds.len();
            let _ = write!(
                sql,
                " AND u.id IN (SELECT k.user_id FROM users_fts f JOIN users_fts_rowids k ON k.rowid = f.rowid \
                 WHERE users_fts MATCH ${} LIMIT {SEARCH_CAP})",
                n + 1
            );
            binds.push(format!("\"{}\"", term.replace('"', "\"\"")));
        }
    }
    if let Some(cursor) = q.after.as_deref().filter(|c| !c.is_empty()) {
        let Some(values) = decode_cursor(cursor) else {
            return (StatusCode::BAD_REQUEST, "bad cursor").into_response();
        };
        let n = binds.len();
        let _ = write!(
            sql,
            " AND (u.last_name, u.first_name, u.id) > (${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3
        );
        binds.extend(values);
    }
    let _ = write!(
        sql,
        " ORDER BY u.last_name, u.first_name, u.id LIMIT {}",
        PAGE + 1
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b.as_str());
    }
    let rows: Vec<AnyRow> = match query.fetch_all(&db.pool).await {
        Ok(rows) => rows,
        Err(e) => return failed(e),
    };
    let mut html = String::from(
        "<!DOCTYPE html><html><head><title>Users</title></head><body><table><tr><th>Name</th><th>Username</th><th>Status</th></tr>",
    );
    let mut next = None;
    for (i, row) in rows.iter().enumerate() {
        let get = |c: &str| row.try_get::<String, _>(c).unwrap_or_default();
        let (id, first, last) = (get("id"), get("first_name"), get("last_name"));
        if i as i64 == PAGE - 1 && rows.len() as i64 > PAGE {
            next = Some(encode_cursor([&last, &first, &id]));
        }
        if i as i64 >= PAGE {
            break;
        }
        let _ = write!(
            html,
            "<tr><td><a href=\"/users/{}\">{} {}</a></td><td>{}</td><td>{}</td></tr>",
            escape(&id),
            escape(&first),
            escape(&last),
            escape(&get("login")),
            escape(&get("status"))
        );
    }
    html.push_str("</table>");
    if let Some(next) = next {
        let _ = write!(html, "<a href=\"/users?after={next}\">Next page</a>");
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}

async fn detail(State(db): State<Db>, Path(id): Path<String>) -> Response {
    let row = sqlx::query(
        "SELECT id, login, email, first_name, last_name, status, version FROM users WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(&db.pool)
    .await;
    match row {
        Ok(Some(row)) => {
            let get = |c: &str| row.try_get::<String, _>(c).unwrap_or_default();
            Html(format!(
                "<!DOCTYPE html><html><head><title>User</title></head><body><h1>{} {}</h1>\
                 <dl><dt>Username</dt><dd>{}</dd><dt>Email</dt><dd>{}</dd><dt>Status</dt><dd>{}</dd></dl></body></html>",
                escape(&get("first_name")),
                escape(&get("last_name")),
                escape(&get("login")),
                escape(&get("email")),
                escape(&get("status")),
            ))
            .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => failed(e),
    }
}

async fn edit(State(db): State<Db>, Path(id): Path<String>, Form(f): Form<Edit>) -> Response {
    let updated = sqlx::query(
        "UPDATE users SET first_name = $1, version = version + 1 WHERE id = $2 AND version = $3",
    )
    .bind(&f.first_name)
    .bind(&id)
    .bind(f.version)
    .execute(&db.pool)
    .await;
    match updated {
        Ok(r) if r.rows_affected() == 1 => "saved".into_response(),
        Ok(_) => StatusCode::CONFLICT.into_response(),
        Err(e) => failed(e),
    }
}
