//! The System Log: append-only events in Okta's LogEvent shape, written in the
//! same transaction as the change they record, and hash-chained so that any
//! edit or removal of a stored row is detectable (`server audit verify`).

use serde::Serialize;
use serde_json::json;
use sha2::Sha256;
use sqlx::{Any, Row, Transaction};

pub use crate::authz::facts::{Actor, Client};

use super::{clock, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OutcomeResult {
    Success,
    Failure,
    Deny,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    #[serde(rename = "type")]
    pub target_type: String,
    pub alternate_id: String,
    pub display_name: String,
    /// The realm the target belonged to at the time (users and realms), which
    /// scopes a partner admin's view of the log; not part of Okta's shape.
    #[serde(skip)]
    pub realm_id: Option<String>,
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_type: &'static str,
    pub severity: Severity,
    pub display_message: String,
    pub actor: Actor,
    pub client: Client,
    pub outcome: OutcomeResult,
    pub reason: Option<String>,
    pub targets: Vec<Target>,
    pub debug: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    pub fn success(
        event_type: &'static str,
        display_message: impl Into<String>,
        actor: Actor,
    ) -> Self {
        Self {
            event_type,
            severity: Severity::Info,
            display_message: display_message.into(),
            actor,
            client: Client::default(),
            outcome: OutcomeResult::Success,
            reason: None,
            targets: Vec::new(),
            debug: serde_json::Map::new(),
        }
    }

    /// A successful event done under `grant`: its actor and client.
    pub fn by_grant(
        event_type: &'static str,
        display_message: impl Into<String>,
        grant: &crate::authz::Grant,
    ) -> Self {
        Self::success(event_type, display_message, grant.actor().clone())
            .client(grant.client().clone())
    }

    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    pub fn client(mut self, client: Client) -> Self {
        self.client = client;
        self
    }

    pub fn debug(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.debug.insert(key.to_string(), value.into());
        self
    }
}

/// Okta's `transaction.detail`: the API token a request presented.
fn transaction_detail(client: &Client) -> serde_json::Value {
    match &client.api_token_id {
        Some(token) => json!({ "requestApiTokenId": token }),
        None => json!({}),
    }
}

/// Appends `event` inside `tx`. The caller's transaction must already hold the
/// chain lock (see `super::begin_write`), so the chain stays linear.
pub async fn append(tx: &mut Transaction<'static, Any>, event: &Event) -> Result<(), StoreError> {
    append_all(tx, std::slice::from_ref(event)).await
}

/// Most target rows one `INSERT` carries (4 bound values each: well under
/// both engines' limit on bound parameters).
const TARGET_ROWS_PER_INSERT: usize = 500;

/// Appends `events` in order inside `tx` (under the chain lock, as
/// [`append`]): the head is read once and the chain computed here, one
/// `INSERT` per event (the chain trigger checks each link as it lands), and
/// the events' targets in a few multi-row inserts. Bulk work (a
/// realm-assignment batch) writes its hundreds of events this way.
pub async fn append_all(
    tx: &mut Transaction<'static, Any>,
    events: &[Event],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    // The provisioning outbox: what these changes leave for the apps, in
    // the same transaction (see `store::provisioning`).
    super::provisioning::note_in(tx, events).await?;
    // Sign-in outcomes, for the `/metrics` endpoint.
    for event in events {
        if event.event_type == "user.session.start" {
            let outcome = match event.outcome {
                OutcomeResult::Success => "success",
                OutcomeResult::Failure => "failure",
                OutcomeResult::Deny => "deny",
                OutcomeResult::Skipped => "skipped",
            };
            metrics::counter!("portal_signins_total", "outcome" => outcome).increment(1);
        }
    }
    let head = sqlx::query("SELECT last_hash FROM system_log_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let mut prev_hash: String = head.try_get("last_hash")?;
    let mut targets: Vec<(i64, &Target)> = Vec::new();
    for event in events {
        let uuid = uuid::Uuid::new_v4().to_string();
        let published = clock::now();
        let transaction_id = event
            .client
            .request_id
            .clone()
            .unwrap_or_else(|| uuid.clone());
        let body = json!({
            "uuid": uuid,
            "published": published,
            "eventType": event.event_type,
            "version": "0",
            "severity": event.severity,
            "displayMessage": event.display_message,
            "actor": event.actor,
            "client": {
                "ipAddress": event.client.ip_address,
                "userAgent": { "rawUserAgent": event.client.user_agent },
            },
            "outcome": { "result": event.outcome, "reason": event.reason },
            "target": event.targets,
            "transaction": {
                "type": "WEB",
                "id": transaction_id,
                "detail": transaction_detail(&event.client),
            },
            "debugContext": { "debugData": event.debug },
        });
        let event_json = body.to_string();
        let hash = chain_hash(&prev_hash, &event_json);
        let outcome = match event.outcome {
            OutcomeResult::Success => "SUCCESS",
            OutcomeResult::Failure => "FAILURE",
            OutcomeResult::Deny => "DENY",
            OutcomeResult::Skipped => "SKIPPED",
        };
        let severity = match event.severity {
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        };
        let row = sqlx::query(
            "INSERT INTO system_log (uuid, published, event_type, severity, actor_id, actor_type, \
             outcome_result, transaction_id, display_message, event_json, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq",
        )
        .bind(&uuid)
        .bind(&published)
        .bind(event.event_type)
        .bind(severity)
        .bind(&event.actor.id)
        .bind(&event.actor.actor_type)
        .bind(outcome)
        .bind(&transaction_id)
        .bind(&event.display_message)
        .bind(&event_json)
        .bind(&prev_hash)
        .bind(&hash)
        .fetch_one(&mut **tx)
        .await?;
        let seq: i64 = row.try_get("seq")?;
        targets.extend(event.targets.iter().map(|t| (seq, t)));
        prev_hash = hash;
    }
    for chunk in targets.chunks(TARGET_ROWS_PER_INSERT) {
        let values = (0..chunk.len())
            .map(|i| {
                let b = i * 4;
                format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO system_log_targets (seq, target_type, target_id, realm_id) \
             VALUES {values} ON CONFLICT DO NOTHING"
        );
        let mut insert = sqlx::query(&sql);
        for (seq, target) in chunk {
            insert = insert
                .bind(*seq)
                .bind(&target.target_type)
                .bind(&target.id)
                .bind(&target.realm_id);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The chain's key, set once at start-up from the configuration
/// (`audit_key`, or derived from `secrets_key`).
static CHAIN_KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// Used only where no key was configured (library tests).
const UNCONFIGURED_CHAIN_KEY: &[u8] = b"partner-portal: no audit key configured";

/// Sets the System Log chain's key for this process; `false` if one was set
/// already (the first one stays).
pub fn set_chain_key(key: &[u8]) -> bool {
    CHAIN_KEY.set(key.to_vec()).is_ok()
}

/// HMAC-SHA-256, keyed with the chain key, over the previous hash and this
/// event's stored JSON, hex encoded. Someone who can write to the database
/// but does not hold the key cannot recompute the chain after an edit.
pub fn chain_hash(prev_hash: &str, event_json: &str) -> String {
    use hmac::Mac;
    let key = CHAIN_KEY
        .get()
        .map(Vec::as_slice)
        .unwrap_or(UNCONFIGURED_CHAIN_KEY);
    // HMAC takes keys of any length.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(prev_hash.as_bytes());
    mac.update(b"\n");
    mac.update(event_json.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The genesis value of the chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact {
        events: u64,
    },
    Tampered {
        seq: i64,
        uuid: String,
        reason: String,
    },
}

impl super::Store {
    /// Walks the whole chain in order and reports the first row whose hash or
    /// link does not match.
    pub async fn verify_system_log(&self) -> Result<ChainReport, StoreError> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(
            "SELECT seq, uuid, event_json, prev_hash, hash FROM system_log ORDER BY seq",
        )
        .fetch(&self.pool);
        let mut expected_prev = GENESIS_HASH.to_string();
        let mut events = 0u64;
        while let Some(row) = rows.try_next().await? {
            let seq: i64 = row.try_get("seq")?;
            let uuid: String = row.try_get("uuid")?;
            let event_json: String = row.try_get("event_json")?;
            let prev_hash: String = row.try_get("prev_hash")?;
            let hash: String = row.try_get("hash")?;
            if prev_hash != expected_prev {
                return Ok(ChainReport::Tampered {
                    seq,
                    uuid,
                    reason: "its link to the previous event is broken (an event before it was removed or changed)".into(),
                });
            }
            if chain_hash(&prev_hash, &event_json) != hash {
                return Ok(ChainReport::Tampered {
                    seq,
                    uuid,
                    reason: "its content does not match its hash (it was edited)".into(),
                });
            }
            expected_prev = hash;
            events += 1;
        }
        Ok(ChainReport::Intact { events })
    }

    pub async fn count_events(&self, event_type: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM system_log WHERE event_type = $1")
            .bind(event_type)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }

    pub async fn count_all_events(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM system_log")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// Every event's sequence number and stored JSON, in chain order, with no
    /// authorization: for tests that play an attacker with database access.
    pub async fn unsafe_chain_rows(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query("SELECT seq, event_json FROM system_log ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("event_json")?)))
            .collect()
    }

    /// Runs raw SQL with no authorization: for tests that play an attacker with
    /// database access, and for operators' repair scripts. Never call it from a
    /// request path.
    pub async fn unsafe_execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        sqlx::raw_sql(sql)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(StoreError::from_sqlx)
    }
}
