//! API tokens (Okta's `SSWS` tokens): a name, an owner (the admin who made
//! it), an optional expiry, when it was last used. The secret is shown once
//! at creation and only its SHA-256 is stored. A token acts with its owner's
//! rights at each request; it stops working when revoked, past its expiry,
//! after 30 days unused (Okta's `tokenWindow`), or when its owner is no
//! longer an active user (checked where the principal is built).
//! Writes take a [`TokenAuthority`] from the kernel and write their
//! `system.api_token.*` event in the same transaction.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::audit::{self, Event};
use super::realms::decode;
use super::{clock, Store, StoreError};
use crate::authz::TokenAuthority;
use crate::ids::{TokenId, UserId};

/// How long a token may go unused before it stops working (Okta's
/// `tokenWindow`, `P30D`).
pub const TOKEN_WINDOW_DAYS: i64 = 30;
/// Okta's spelling of [`TOKEN_WINDOW_DAYS`].
pub const TOKEN_WINDOW: &str = "P30D";
/// Most tokens one admin may hold at once.
pub const TOKENS_PER_ADMIN: i64 = 100;

/// One API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub user_id: UserId,
    /// The owner's username, for lists.
    pub owner_login: String,
    pub created: String,
    pub expires_at: Option<String>,
    pub last_used: Option<String>,
}

impl ApiToken {
    /// When it changed last (Okta's `lastUpdated`): its last use, else its
    /// creation.
    pub fn last_updated(&self) -> &str {
        self.last_used.as_deref().unwrap_or(&self.created)
    }
}

const COLUMNS: &str =
    "t.id, t.name, t.user_id, u.login AS owner_login, t.created, t.expires_at, t.last_used";

impl<'r> FromRow<'r, AnyRow> for ApiToken {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        Ok(ApiToken {
            id: TokenId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            name: row.try_get("name")?,
            user_id: UserId::parse(&row.try_get::<String, _>("user_id")?).map_err(decode)?,
            owner_login: row.try_get("owner_login")?,
            created: row.try_get("created")?,
            expires_at: row.try_get("expires_at")?,
            last_used: row.try_get("last_used")?,
        })
    }
}

/// The stored form of a secret: SHA-256, lowercase hex. Secrets are 238 bits
/// of randomness, so a fast hash is enough (nothing to guess).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh secret in Okta's shape: `00` and 40 base-62 characters.
fn new_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let mut secret = String::from("00");
    for _ in 0..40 {
        let i = rng.random_range(0..ALPHABET.len());
        secret.push(char::from(ALPHABET[i]));
    }
    secret
}

/// Whether a token that was created at `created`, last used at `last_used`
/// and expires at `expires_at` still works at `now` (all stored timestamps).
pub fn is_live(
    now: time::OffsetDateTime,
    created: &str,
    last_used: Option<&str>,
    expires_at: Option<&str>,
) -> bool {
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    };
    let expired = expires_at.is_some_and(|t| parse(t).is_none_or(|t| t <= now));
    let idle_since = parse(last_used.unwrap_or(created));
    let idle = idle_since.is_none_or(|t| now - t > time::Duration::days(TOKEN_WINDOW_DAYS));
    !expired && !idle
}

impl Store {
    /// Makes a token for the authority's owner; returns it and its secret,
    /// which is not kept.
    pub async fn create_api_token(
        &self,
        authority: &TokenAuthority,
        name: &str,
        expires_at: Option<String>,
    ) -> Result<(ApiToken, String), StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(StoreError::invalid(
                "name",
                "Enter a name of 1 to 255 characters.",
            ));
        }
        let owner = authority.owner();
        let mut tx = self.begin_write().await?;
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked = FALSE",
        )
        .bind(owner.as_str())
        .fetch_one(&mut *tx)
        .await?;
        super::limits::at_most(
            held + 1,
            TOKENS_PER_ADMIN,
            "An admin",
            "API tokens",
            "revoke one you no longer use first.",
        )?;
        let id = TokenId::generate();
        let secret = new_secret();
        let now = clock::now();
        sqlx::query(
            "INSERT INTO api_tokens (id, name, user_id, token_hash, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(owner.as_str())
        .bind(hash_secret(&secret))
        .bind(&now)
        .bind(expires_at.as_deref())
        .execute(&mut *tx)
        .await?;
        let event = Event::success("system.api_token.create", "Create API token", {
            authority.actor().clone()
        })
        .client(authority.client().clone())
        .target(token_target(&id, name));
        audit::append(&mut tx, &event).await?;
        let token = fetch(&mut tx, &id).await?;
        tx.commit().await?;
        Ok((token, secret))
    }

    /// The tokens the authority reaches that have not been revoked (the
    /// owner's, or every admin's), newest first.
    pub async fn list_api_tokens(
        &self,
        authority: &TokenAuthority,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query_as::<_, ApiToken>(&format!(
            "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.revoked = FALSE AND ($1 OR t.user_id = $2) \
             ORDER BY t.created DESC, t.id"
        ))
        .bind(authority.reaches_every_token())
        .bind(authority.owner().as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// One token the authority reaches; `NotFound` otherwise.
    pub async fn get_api_token(
        &self,
        authority: &TokenAuthority,
        id: &TokenId,
    ) -> Result<ApiToken, StoreError> {
        sqlx::query_as::<_, ApiToken>(&format!(
            "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1 AND t.revoked = FALSE AND ($2 OR t.user_id = $3)"
        ))
        .bind(id.as_str())
        .bind(authority.reaches_every_token())
        .bind(authority.owner().as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Revokes a token the authority reaches; it stops working at once.
    pub async fn revoke_api_token(
        &self,
        authority: &TokenAuthority,
        id: &TokenId,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.begin_write().await?;
        let token = sqlx::query_as::<_, ApiToken>(&format!(
            "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.id = $1 AND t.revoked = FALSE AND ($2 OR t.user_id = $3)"
        ))
        .bind(id.as_str())
        .bind(authority.reaches_every_token())
        .bind(authority.owner().as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE api_tokens SET revoked = TRUE WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let event = Event::success(
            "system.api_token.revoke",
            "Revoke API token",
            authority.actor().clone(),
        )
        .client(authority.client().clone())
        .target(token_target(&token.id, &token.name));
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The live token whose secret is `secret` (not revoked, expired or idle
    /// past the window), for authenticating a request: its owner's status is
    /// checked where the principal is built.
    pub async fn system_api_token(&self, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        let token = sqlx::query_as::<_, ApiToken>(&format!(
            "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked = FALSE"
        ))
        .bind(hash_secret(secret))
        .fetch_optional(&self.pool)
        .await?;
        let now = time::OffsetDateTime::now_utc();
        Ok(token.filter(|t| {
            is_live(
                now,
                &t.created,
                t.last_used.as_deref(),
                t.expires_at.as_deref(),
            )
        }))
    }

    /// Marks a token used now; at most one write a minute per token.
    pub async fn touch_api_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let now = time::OffsetDateTime::now_utc();
        let recent = token.last_used.as_deref().and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        });
        if recent.is_some_and(|t| now - t < time::Duration::minutes(1)) {
            return Ok(());
        }
        sqlx::query("UPDATE api_tokens SET last_used = $1 WHERE id = $2")
            .bind(clock::format(now))
            .bind(token.id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

async fn fetch(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &TokenId,
) -> Result<ApiToken, StoreError> {
    sqlx::query_as::<_, ApiToken>(&format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

fn token_target(id: &TokenId, name: &str) -> audit::Target {
    audit::Target {
        id: id.to_string(),
        target_type: "Token".into(),
        alternate_id: name.to_string(),
        display_name: name.to_string(),
        realm_id: None,
    }
}
