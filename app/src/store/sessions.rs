//! Server-side sessions (tower-sessions records) and single-use sign-in flow
//! state, in the directory database so that several portal nodes share them.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{clock, Store, StoreError};

/// How far a stored idle expiry may lag behind the sliding one.
const EXPIRY_SLACK: time::Duration = time::Duration::seconds(60);

/// Session keys (what a signed-in session holds).
pub const USER_ID: &str = "user_id";
/// Unix time after which the session ends whatever the activity (absolute timeout).
pub const ENDS_AT: &str = "ends_at";
/// Unix milliseconds when the session was signed in: sessions older than the
/// user's `sessions_valid_after` are void.
pub const SIGNED_IN_AT: &str = "signed_in_at";

/// What this instance has seen stored for each session — per session id and
/// data, the stored idle expiry — so that a request's `save` (the layer calls
/// it on every request, to slide the idle expiry) skips the statement when it
/// would change nothing: a page view is then one read, not a read and a write
/// through the one writer (where it would wait behind a long write, such as
/// a realm-assignment batch). Kept per session (the last data and expiry
/// loaded or written), not per request, so that concurrent requests of one
/// session all find it; a save carrying what was last seen stored leaves the
/// row alone, and a change another instance made meanwhile stays.
#[derive(Debug, Default)]
pub(crate) struct LoadedSessions(
    std::sync::Mutex<std::collections::HashMap<Id, (String, OffsetDateTime)>>,
);

/// More entries than this and the memo starts over.
const LOADED_SESSIONS_MAX: usize = 4096;

impl LoadedSessions {
    /// `data` is stored for `id` with idle expiry `expiry` (read or written).
    fn remember(&self, id: Id, data: String, expiry: OffsetDateTime) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= LOADED_SESSIONS_MAX {
                map.clear();
            }
            map.insert(id, (data, expiry));
        }
    }

    /// Whether saving `data` with `expiry` for `id` would change nothing
    /// stored, as last seen.
    fn unchanged(&self, id: &Id, data: &str, expiry: OffsetDateTime) -> bool {
        let Ok(map) = self.0.lock() else {
            return false;
        };
        map.get(id)
            .is_some_and(|(stored, at)| stored == data && *at >= expiry - EXPIRY_SLACK)
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The signed-in user a session record belongs to, if any.
fn owner(record: &Record) -> Option<String> {
    record
        .data
        .get(USER_ID)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id; retry on the (astronomically unlikely) collision.
        loop {
            let data = serde_json::to_string(&record.data).map_err(backend)?;
            let inserted = sqlx::query(
                "INSERT INTO tower_sessions (id, data, expiry_date, user_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(data)
            .bind(clock::format(record.expiry_date))
            .bind(owner(record))
            .execute(&self.writer)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Saves a session: updates the existing record only — a session deleted
    /// meanwhile (sign-out, Clear sessions, suspension, a credential reset)
    /// stays deleted, whatever an in-flight request saves; only `create`
    /// inserts. The layer calls this on every request (the idle expiry
    /// slides); a record whose data is unchanged is rewritten only when its
    /// stored expiry lags by more than `EXPIRY_SLACK` — otherwise every page
    /// view would be a durable write (an fsync on SQLite).
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        if self
            .loaded_sessions
            .unchanged(&record.id, &data, record.expiry_date)
        {
            return Ok(());
        }
        let written = sqlx::query(
            "UPDATE tower_sessions SET data = $2, expiry_date = $3, user_id = $4 WHERE id = $1              AND (data <> $2 OR expiry_date < $5 OR user_id IS DISTINCT FROM $4)",
        )
        .bind(record.id.to_string())
        .bind(&data)
        .bind(clock::format(record.expiry_date))
        .bind(owner(record))
        .bind(clock::format(record.expiry_date - EXPIRY_SLACK))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if written.rows_affected() == 1 {
            self.loaded_sessions
                .remember(record.id, data, record.expiry_date);
        }
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query(
            "SELECT data, expiry_date FROM tower_sessions WHERE id = $1 AND expiry_date > $2",
        )
        .bind(session_id.to_string())
        .bind(clock::now())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expiry: String = row.try_get("expiry_date").map_err(backend)?;
        let record = Record {
            id: *session_id,
            data: serde_json::from_str(&data).map_err(backend)?,
            expiry_date: OffsetDateTime::parse(
                &expiry,
                &time::format_description::well_known::Rfc3339,
            )
            .map_err(backend)?,
        };
        // Compared as `save` will write it: serialized from the parsed map.
        let canonical = serde_json::to_string(&record.data).map_err(backend)?;
        self.loaded_sessions
            .remember(record.id, canonical, record.expiry_date);
        Ok(Some(record))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM tower_sessions WHERE id = $1")
            .bind(session_id.to_string())
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// What a sign-in remembers between the redirect to the IdP and the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFlow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
    /// The partner IdP the browser was sent to; `None`: the org IdP.
    pub idp_id: Option<crate::ids::IdpId>,
}

impl Store {
    pub async fn save_auth_flow(
        &self,
        flow: &AuthFlow,
        ttl: time::Duration,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        sqlx::query(
            "INSERT INTO auth_flows (state, nonce, pkce_verifier, return_to, idp_id, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&flow.state)
        .bind(&flow.nonce)
        .bind(&flow.pkce_verifier)
        .bind(&flow.return_to)
        .bind(flow.idp_id.as_ref().map(|i| i.to_string()))
        .bind(clock::format(now))
        .bind(clock::format(now + ttl))
        .execute(&self.writer)
        .await?;
        // Opportunistic clean-up of abandoned flows.
        sqlx::query("DELETE FROM auth_flows WHERE expires_at < $1")
            .bind(clock::format(now))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Takes the flow for `state` exactly once; expired or unknown → `None`.
    pub async fn take_auth_flow(&self, state: &str) -> Result<Option<AuthFlow>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM auth_flows WHERE state = $1 AND expires_at > $2 \
             RETURNING state, nonce, pkce_verifier, return_to, idp_id",
        )
        .bind(state)
        .bind(clock::now())
        .fetch_optional(&self.writer)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(AuthFlow {
            state: row.try_get("state")?,
            nonce: row.try_get("nonce")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
            return_to: row.try_get("return_to")?,
            idp_id: row
                .try_get::<Option<String>, _>("idp_id")?
                .and_then(|i| crate::ids::IdpId::parse(&i).ok()),
        }))
    }

    /// Appends a standalone System Log event (sign-in outcomes and the like).
    pub async fn append_event(&self, event: &super::audit::Event) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        super::audit::append(&mut tx, event).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }
}
