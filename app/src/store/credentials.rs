//! Portal-held credentials (see `crate::credentials`): realm sign-in
//! policies, passwords with lockout, password history, authenticators and
//! one-time links. The `system_*` methods serve the sign-in, activation and
//! recovery pages, where nobody is signed in yet: they act for the user the
//! password, code or link proves, and each writes its System Log event in its
//! transaction. Admin actions go through `apply_lifecycle` (a grant).

use sqlx::Row;

use super::audit::{self, Actor, Client, Event, OutcomeResult, Severity};
use super::demand::Demand;
use super::sql::DbBool;
use super::users::{user_in_tx, user_target};
use super::{clock, Store, StoreError};
use crate::credentials::{LinkPurpose, Policy};
use crate::ids::{RealmId, UserId};
use crate::model::{CredentialHolder, User, UserStatus};

/// A user's password row.
#[derive(Clone)]
pub struct PasswordRecord {
    pub hash: String,
    pub changed: String,
    pub expired: bool,
    pub failed_attempts: i64,
    pub locked_until: Option<String>,
}

impl std::fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("changed", &self.changed)
            .field("expired", &self.expired)
            .field("failed_attempts", &self.failed_attempts)
            .finish_non_exhaustive()
    }
}

/// What kind an authenticator is (Okta's factor types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticatorKind {
    Totp,
    WebAuthn,
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "TOTP",
            Self::WebAuthn => "WEBAUTHN",
        }
    }

    /// Okta's `factorType`.
    pub fn okta_factor_type(self) -> &'static str {
        match self {
            Self::Totp => "token:software:totp",
            Self::WebAuthn => "webauthn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Totp => "Authenticator app",
            Self::WebAuthn => "Passkey or security key",
        }
    }
}

/// An enrolled authenticator.
#[derive(Clone)]
pub struct Authenticator {
    pub id: String,
    pub user_id: String,
    pub kind: AuthenticatorKind,
    pub name: String,
    /// TOTP: the secret, sealed with the server's secrets key.
    pub secret_sealed: Option<String>,
    pub last_step: i64,
    pub credential_id: Option<String>,
    /// WebAuthn: the passkey as JSON.
    pub passkey: Option<String>,
    pub created: String,
    pub last_used: Option<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A new authenticator to store.
pub struct NewAuthenticator {
    pub kind: AuthenticatorKind,
    pub name: String,
    pub secret_sealed: Option<String>,
    /// The TOTP step the enrolment code was valid for (no replay of it).
    pub last_step: i64,
    pub credential_id: Option<String>,
    pub passkey: Option<String>,
}

/// Why a password is being set (the event says which).
#[derive(Debug, Clone)]
pub enum PasswordChange {
    /// Through an activation link (its token's hash).
    Activation(String),
    /// Through a reset link (its token's hash).
    Recovery(String),
    /// At sign-in, the old one having expired.
    Expired,
    /// By the signed-in user on `/me`.
    SelfService,
    /// By the demo seed.
    Seed,
}

pub(crate) fn user_actor(user: &User) -> Actor {
    Actor {
        id: user.id.to_string(),
        actor_type: "User".into(),
        alternate_id: user.profile.login.clone(),
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
    }
}

/// A user's own event (the user is actor and target).
pub fn user_event(event_type: &'static str, message: &str, user: &User, client: &Client) -> Event {
    Event::success(event_type, message, user_actor(user))
        .client(client.clone())
        .target(user_target(user))
}

const AUTH_COLUMNS: &str = "id, user_id, kind, name, secret_sealed, last_step, credential_id, \
     passkey, created, last_used";

fn authenticator(row: &sqlx::any::AnyRow) -> Result<Authenticator, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(Authenticator {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: if kind == "TOTP" {
            AuthenticatorKind::Totp
        } else {
            AuthenticatorKind::WebAuthn
        },
        name: row.try_get("name")?,
        secret_sealed: row.try_get("secret_sealed")?,
        last_step: row.try_get("last_step")?,
        credential_id: row.try_get("credential_id")?,
        passkey: row.try_get("passkey")?,
        created: row.try_get("created")?,
        last_used: row.try_get("last_used")?,
    })
}

impl Store {
    /// The sign-in policy of a realm (defaults, not hosted, without a row).
    pub async fn realm_policy(&self, realm: &RealmId) -> Result<Policy, StoreError> {
        let row = sqlx::query(
            "SELECT hosted, min_length, history_count, max_age_days, require_mfa, \
             lockout_attempts, lockout_minutes FROM realm_sign_in_policies WHERE realm_id = $1",
        )
        .bind(realm.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Policy::default());
        };
        let n = |name: &str| -> Result<u32, StoreError> {
            Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        Ok(Policy {
            hosted: row.try_get::<DbBool, _>("hosted")?.0,
            min_length: n("min_length")?,
            history_count: n("history_count")?,
            max_age_days: n("max_age_days")?,
            require_mfa: row.try_get::<DbBool, _>("require_mfa")?.0,
            lockout_attempts: n("lockout_attempts")?,
            lockout_minutes: n("lockout_minutes")?,
        })
    }

    /// Sets a realm's sign-in policy (with its event) in `tx`.
    pub(crate) async fn put_realm_policy_in(
        tx: &mut super::WriteTx,
        realm: &RealmId,
        policy: &Policy,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO realm_sign_in_policies (realm_id, hosted, min_length, history_count, \
             max_age_days, require_mfa, lockout_attempts, lockout_minutes, last_updated) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (realm_id) DO UPDATE SET hosted = excluded.hosted, \
             min_length = excluded.min_length, history_count = excluded.history_count, \
             max_age_days = excluded.max_age_days, require_mfa = excluded.require_mfa, \
             lockout_attempts = excluded.lockout_attempts, \
             lockout_minutes = excluded.lockout_minutes, last_updated = excluded.last_updated",
        )
        .bind(realm.as_str())
        .bind(policy.hosted)
        .bind(i64::from(policy.min_length))
        .bind(i64::from(policy.history_count))
        .bind(i64::from(policy.max_age_days))
        .bind(policy.require_mfa)
        .bind(i64::from(policy.lockout_attempts))
        .bind(i64::from(policy.lockout_minutes))
        .bind(clock::now())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Sets a realm's sign-in policy: `okta.realms.manage` on the realm
    /// (`policy.lifecycle.update` in the System Log).
    pub async fn set_realm_policy(
        &self,
        grant: &crate::authz::Grant,
        realm: &RealmId,
        policy: &Policy,
    ) -> Result<(), StoreError> {
        grant.demand_on_realm(crate::authz::Permission::RealmsManage, realm)?;
        let current = self.realm_by_id(realm).await?;
        if policy.min_length < 8 || policy.min_length > 256 {
            return Err(StoreError::invalid(
                "minLength",
                "Between 8 and 256 characters.",
            ));
        }
        if policy.history_count > 24 {
            return Err(StoreError::invalid("historyCount", "At most 24 passwords."));
        }
        if policy.max_age_days > 999 {
            return Err(StoreError::invalid(
                "maxAgeDays",
                "At most 999 days (0: never).",
            ));
        }
        if policy.lockout_attempts > 100 {
            return Err(StoreError::invalid(
                "lockoutAttempts",
                "At most 100 attempts (0: never).",
            ));
        }
        if policy.lockout_minutes > 10080 {
            return Err(StoreError::invalid(
                "lockoutMinutes",
                "At most 10080 minutes (a week).",
            ));
        }
        let mut tx = self.begin_write().await?;
        Self::put_realm_policy_in(&mut tx, realm, policy).await?;
        let event = Event::by_grant("policy.lifecycle.update", "Update policy", grant)
            .target(super::users::realm_target(&current))
            .debug(
                "policy",
                serde_json::to_value(policy).map_err(|e| StoreError::Internal(e.to_string()))?,
            );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where `user`'s credentials live: a password here makes them the
    /// portal's; otherwise a hosted realm holds them for users no identity
    /// provider created or is linked to.
    pub async fn credential_holder(&self, user: &User) -> Result<CredentialHolder, StoreError> {
        // One statement: the user page reads it on every view.
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM user_passwords WHERE user_id = $1) AS password, \
             (SELECT COUNT(*) FROM idp_user_links WHERE user_id = $1) \
             + (SELECT COUNT(*) FROM org_idp_links WHERE user_id = $1) AS linked, \
             (SELECT COUNT(*) FROM realm_sign_in_policies WHERE realm_id = $2 AND hosted = $3) AS hosted",
        )
        .bind(user.id.as_str())
        .bind(user.realm_id.as_str())
        .bind(true)
        .fetch_one(&self.pool)
        .await?;
        let count = |name: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(name)?) };
        Ok(if count("password")? > 0 {
            CredentialHolder::Portal { has_password: true }
        } else if count("linked")? > 0 || user.profile_source_id.is_some() || count("hosted")? == 0
        {
            CredentialHolder::Federated
        } else {
            CredentialHolder::Portal {
                has_password: false,
            }
        })
    }

    /// The user's password row, if it has one.
    pub async fn system_password(
        &self,
        user: &UserId,
    ) -> Result<Option<PasswordRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT hash, changed, expired, failed_attempts, locked_until FROM user_passwords \
             WHERE user_id = $1",
        )
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(PasswordRecord {
                hash: row.try_get("hash")?,
                changed: row.try_get("changed")?,
                expired: row.try_get::<DbBool, _>("expired")?.0,
                failed_attempts: row.try_get("failed_attempts")?,
                locked_until: row.try_get("locked_until")?,
            })
        })
        .transpose()
    }

    /// The hashes a new password may not match: the current one and the
    /// last `count` before it.
    pub async fn system_password_history(
        &self,
        user: &UserId,
        count: u32,
    ) -> Result<Vec<String>, StoreError> {
        let mut hashes: Vec<String> =
            sqlx::query_scalar("SELECT hash FROM user_passwords WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_all(&self.pool)
                .await?;
        let older: Vec<String> = sqlx::query_scalar(
            "SELECT hash FROM password_history WHERE user_id = $1 ORDER BY created DESC LIMIT $2",
        )
        .bind(user.as_str())
        .bind(i64::from(count))
        .fetch_all(&self.pool)
        .await?;
        hashes.extend(older);
        Ok(hashes)
    }

    /// A wrong password for `user`: counts it, locks the account at the
    /// policy's limit (`LOCKED_OUT`, `user.account.lock`), and logs the
    /// failed `user.session.start`. Returns whether the account is now locked.
    pub async fn system_password_failed(
        &self,
        user: &User,
        policy: &Policy,
        client: &Client,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let failed: i64 = sqlx::query_scalar(
            "UPDATE user_passwords SET failed_attempts = failed_attempts + 1 WHERE user_id = $1 \
             RETURNING failed_attempts",
        )
        .bind(user.id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or(0);
        let mut event = user_event(
            "user.session.start",
            "User login to Partner Portal",
            user,
            client,
        );
        event.outcome = OutcomeResult::Failure;
        event.severity = Severity::Warn;
        event.reason = Some("INVALID_CREDENTIALS".into());
        audit::append(&mut tx, &event).await?;
        let lock = policy.lockout_attempts > 0
            && failed >= i64::from(policy.lockout_attempts)
            && user.status == UserStatus::Active;
        if lock {
            let now = time::OffsetDateTime::now_utc();
            let until = (policy.lockout_minutes > 0).then(|| {
                clock::format(now + time::Duration::minutes(i64::from(policy.lockout_minutes)))
            });
            let stamp = clock::now();
            sqlx::query(
                "UPDATE users SET status = 'LOCKED_OUT', status_changed = $1, last_updated = $1, \
                 version = version + 1 WHERE id = $2 AND status = 'ACTIVE'",
            )
            .bind(&stamp)
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE user_passwords SET locked_until = $1 WHERE user_id = $2")
                .bind(until)
                .bind(user.id.as_str())
                .execute(&mut *tx)
                .await?;
            let mut event = Event::success(
                "user.account.lock",
                "Max sign in attempts exceeded",
                Actor::system(),
            )
            .client(client.clone())
            .target(user_target(user))
            .debug("failedAttempts", failed);
            event.severity = Severity::Warn;
            audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(lock || user.status == UserStatus::LockedOut)
    }

    /// A locked account whose lockout time has passed is unlocked
    /// (`user.account.unlock`, by the system); returns the user as it is now.
    pub async fn system_unlock_if_due(&self, user: User) -> Result<User, StoreError> {
        if user.status != UserStatus::LockedOut {
            return Ok(user);
        }
        let Some(record) = self.system_password(&user.id).await? else {
            return Ok(user);
        };
        let due = record.locked_until.as_deref().is_some_and(|until| {
            time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339)
                .is_ok_and(|at| at <= time::OffsetDateTime::now_utc())
        });
        if !due {
            return Ok(user);
        }
        let mut tx = self.begin_write().await?;
        let stamp = clock::now();
        let changed = sqlx::query(
            "UPDATE users SET status = 'ACTIVE', status_changed = $1, last_updated = $1, \
             version = version + 1 WHERE id = $2 AND status = 'LOCKED_OUT'",
        )
        .bind(&stamp)
        .bind(user.id.as_str())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() == 1 {
            sqlx::query(
                "UPDATE user_passwords SET failed_attempts = 0, locked_until = NULL WHERE user_id = $1",
            )
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
            let event = Event::success(
                "user.account.unlock",
                "The lockout period ended",
                Actor::system(),
            )
            .target(user_target(&user));
            audit::append(&mut tx, &event).await?;
        }
        let user = user_in_tx(&mut tx, &user.id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// A right password: the failure count starts again.
    pub async fn system_password_succeeded(&self, user: &UserId) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE user_passwords SET failed_attempts = 0 WHERE user_id = $1 AND failed_attempts > 0",
        )
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets `user`'s password to `hash`, keeping the previous one in the
    /// history (trimmed to `history_count`). A link must be unused, unexpired
    /// and the user's (it is used up here). The user leaves `PROVISIONED`,
    /// `RECOVERY`, `PASSWORD_EXPIRED` or `LOCKED_OUT` for `ACTIVE`.
    pub async fn system_set_password(
        &self,
        user: &UserId,
        hash: &str,
        history_count: u32,
        change: PasswordChange,
        client: &Client,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = user_in_tx(&mut tx, user).await?;
        let now = clock::now();
        let link = match &change {
            PasswordChange::Activation(h) => Some((h, LinkPurpose::Activation)),
            PasswordChange::Recovery(h) => Some((h, LinkPurpose::Recovery)),
            _ => None,
        };
        if let Some((token_hash, purpose)) = link {
            let used = sqlx::query(
                "UPDATE user_tokens SET used = $1 WHERE token_hash = $2 AND user_id = $3 \
                 AND purpose = $4 AND used IS NULL AND expires_at > $1",
            )
            .bind(&now)
            .bind(token_hash)
            .bind(user.as_str())
            .bind(purpose.as_str())
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Err(StoreError::Conflict(LINK_GONE.into()));
            }
        }
        let old: Option<String> =
            sqlx::query_scalar("SELECT hash FROM user_passwords WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(old) = old {
            sqlx::query(
                "INSERT INTO password_history (user_id, hash, created) VALUES ($1, $2, $3)",
            )
            .bind(user.as_str())
            .bind(old)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM password_history WHERE user_id = $1 AND created NOT IN \
                 (SELECT created FROM password_history WHERE user_id = $1 \
                  ORDER BY created DESC LIMIT $2)",
            )
            .bind(user.as_str())
            .bind(i64::from(history_count))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO user_passwords (user_id, hash, changed, expired, failed_attempts, locked_until) \
             VALUES ($1, $2, $3, $4, 0, NULL) ON CONFLICT (user_id) DO UPDATE SET \
             hash = excluded.hash, changed = excluded.changed, expired = excluded.expired, \
             failed_attempts = 0, locked_until = NULL",
        )
        .bind(user.as_str())
        .bind(hash)
        .bind(&now)
        .bind(false)
        .execute(&mut *tx)
        .await?;
        let leaves = matches!(
            before.status,
            UserStatus::Provisioned
                | UserStatus::Recovery
                | UserStatus::PasswordExpired
                | UserStatus::LockedOut
        );
        if leaves {
            sqlx::query(
                "UPDATE users SET status = 'ACTIVE', status_changed = $1, \
                 activated = COALESCE(activated, $1), last_updated = $1, version = version + 1 \
                 WHERE id = $2",
            )
            .bind(&now)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        }
        // A password chosen through a reset link ends every session: whoever
        // held the old password is out.
        if matches!(change, PasswordChange::Recovery(_)) {
            super::users::end_sessions_in(&mut tx, user).await?;
        }
        let via = match &change {
            PasswordChange::Activation(_) => "activation",
            PasswordChange::Recovery(_) => "recovery",
            PasswordChange::Expired => "expired",
            PasswordChange::SelfService => "self-service",
            PasswordChange::Seed => "seed",
        };
        let actor = match change {
            PasswordChange::Seed => Actor::system(),
            _ => user_actor(&before),
        };
        let event = Event::success(
            "user.account.update_password",
            "Update password",
            actor.clone(),
        )
        .client(client.clone())
        .target(user_target(&before))
        .debug("via", via);
        audit::append(&mut tx, &event).await?;
        if before.status == UserStatus::Provisioned {
            let event = Event::success("user.lifecycle.activate", "Activate user", actor)
                .client(client.clone())
                .target(user_target(&before))
                .debug("previousStatus", before.status.as_str());
            audit::append(&mut tx, &event).await?;
        }
        let after = user_in_tx(&mut tx, user).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The user a link (token hash) of `purpose` opens, if it is unused,
    /// unexpired and the newest of its kind.
    pub async fn system_link_user(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
    ) -> Result<Option<User>, StoreError> {
        let user: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 \
             AND used IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(clock::now())
        .fetch_optional(&self.pool)
        .await?;
        match user {
            None => Ok(None),
            Some(id) => {
                let id = UserId::parse(&id).map_err(|e| StoreError::Internal(e.to_string()))?;
                self.system_user_by_id(&id).await
            }
        }
    }

    /// Replaces `user`'s outstanding links by one of `purpose` (its hash).
    pub(crate) async fn issue_link_in(
        tx: &mut super::WriteTx,
        user: &UserId,
        purpose: LinkPurpose,
        token_hash: &str,
        ttl: time::Duration,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND used IS NULL")
            .bind(user.as_str())
            .execute(&mut **tx)
            .await?;
        let now = time::OffsetDateTime::now_utc();
        sqlx::query(
            "INSERT INTO user_tokens (token_hash, user_id, purpose, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user.as_str())
        .bind(purpose.as_str())
        .bind(clock::format(now))
        .bind(clock::format(now + ttl))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Self-service "forgot password": a reset link for `user` (who asked
    /// for it from the sign-in page), with its event. The status stays.
    pub async fn system_request_recovery(
        &self,
        user: &User,
        token_hash: &str,
        ttl: time::Duration,
        client: &Client,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Self::issue_link_in(&mut tx, &user.id, LinkPurpose::Recovery, token_hash, ttl).await?;
        let event = user_event(
            "user.account.reset_password",
            "Fired when the user requests a password reset",
            user,
            client,
        )
        .debug("initiatedBy", "self-service");
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The authenticators `user` has enrolled, oldest first.
    pub async fn system_authenticators(
        &self,
        user: &UserId,
    ) -> Result<Vec<Authenticator>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {AUTH_COLUMNS} FROM authenticators WHERE user_id = $1 ORDER BY created, id"
        ))
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(authenticator).collect()
    }

    /// Enrols an authenticator for `user` (`user.mfa.factor.activate`).
    pub async fn system_add_authenticator(
        &self,
        user: &User,
        new: NewAuthenticator,
        client: &Client,
    ) -> Result<String, StoreError> {
        let id = format!("fac{}", uuid::Uuid::new_v4().simple());
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO authenticators (id, user_id, kind, name, secret_sealed, last_step, \
             credential_id, passkey, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(user.id.as_str())
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(new.secret_sealed)
        .bind(new.last_step)
        .bind(new.credential_id)
        .bind(new.passkey)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "This passkey is already registered.".into(),
            ));
        }
        let event = user_event(
            "user.mfa.factor.activate",
            "Activate factor or authenticator",
            user,
            client,
        )
        .debug("factorType", new.kind.okta_factor_type())
        .debug("factorName", new.name);
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Removes one of `user`'s own authenticators (`user.mfa.factor.deactivate`).
    pub async fn system_remove_authenticator(
        &self,
        user: &User,
        id: &str,
        client: &Client,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT kind, name FROM authenticators WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.id.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let kind: String = row.try_get("kind")?;
        let name: String = row.try_get("name")?;
        sqlx::query("DELETE FROM authenticators WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
        let event = user_event(
            "user.mfa.factor.deactivate",
            "Reset factor or authenticator",
            user,
            client,
        )
        .debug(
            "factorType",
            if kind == "TOTP" {
                AuthenticatorKind::Totp.okta_factor_type()
            } else {
                AuthenticatorKind::WebAuthn.okta_factor_type()
            },
        )
        .debug("factorName", name);
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a TOTP code's time step as used; false if that step (or a
    /// later one) was used already (a replayed code).
    pub async fn system_use_totp_step(&self, id: &str, step: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let used = sqlx::query(
            "UPDATE authenticators SET last_step = $1, last_used = $2 WHERE id = $3 AND last_step < $1",
        )
        .bind(step)
        .bind(clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(used.rows_affected() == 1)
    }

    /// Records a passkey's use (and its updated counter, when it changed).
    pub async fn system_passkey_used(
        &self,
        credential_id: &str,
        updated: Option<String>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE authenticators SET last_used = $1, passkey = COALESCE($2, passkey) \
             WHERE credential_id = $3",
        )
        .bind(clock::now())
        .bind(updated)
        .bind(credential_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A completed hosted sign-in: `user.session.start` (and
    /// `user.authentication.auth_via_mfa` naming the factor, when one was
    /// used), and the last sign-in time.
    pub async fn system_hosted_sign_in(
        &self,
        user: &User,
        factor: Option<AuthenticatorKind>,
        client: &Client,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(kind) = factor {
            let event = user_event(
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                user,
                client,
            )
            .debug("factor", kind.okta_factor_type());
            audit::append(&mut tx, &event).await?;
        }
        let event = user_event(
            "user.session.start",
            "User login to Partner Portal",
            user,
            client,
        )
        .debug("credentialProvider", "PORTAL");
        audit::append(&mut tx, &event).await?;
        sqlx::query("UPDATE users SET last_login = $1 WHERE id = $2")
            .bind(clock::now())
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A refused hosted sign-in step (wrong code, unknown account, …) in the
    /// System Log, with `reason` (never what was typed).
    pub async fn system_hosted_sign_in_failed(
        &self,
        user: Option<&User>,
        login: &str,
        reason: &str,
        client: &Client,
    ) -> Result<(), StoreError> {
        let mut event = match user {
            Some(user) => user_event(
                "user.session.start",
                "User login to Partner Portal",
                user,
                client,
            ),
            None => Event::success(
                "user.session.start",
                "User login to Partner Portal",
                Actor {
                    id: "unknown".into(),
                    actor_type: "User".into(),
                    alternate_id: login.chars().take(100).collect(),
                    display_name: "unknown".into(),
                },
            )
            .client(client.clone()),
        };
        event.outcome = OutcomeResult::Failure;
        event.severity = Severity::Warn;
        event.reason = Some(reason.into());
        self.append_event(&event).await
    }
}

/// What a used, expired or replaced link says.
pub const LINK_GONE: &str =
    "This link no longer works: it was used, it expired, or a newer one was sent.";

/// A one-time link an admin action mails: its purpose, the token's hash and
/// how long it works.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub purpose: LinkPurpose,
    pub token_hash: String,
    pub ttl: time::Duration,
}

/// The credential side of a lifecycle operation, in its transaction: the
/// link it mails, the lockout it clears, the expiry it sets, the
/// authenticators it removes.
pub(crate) async fn lifecycle_credentials(
    tx: &mut super::WriteTx,
    user: &User,
    op: crate::model::LifecycleOp,
    next: UserStatus,
    link: Option<IssuedLink>,
) -> Result<(), StoreError> {
    use crate::model::LifecycleOp as Op;
    if let Some(link) = link {
        Store::issue_link_in(tx, &user.id, link.purpose, &link.token_hash, link.ttl).await?;
    }
    match op {
        Op::Unlock => {
            sqlx::query(
                "UPDATE user_passwords SET failed_attempts = 0, locked_until = NULL WHERE user_id = $1",
            )
            .bind(user.id.as_str())
            .execute(&mut **tx)
            .await?;
        }
        Op::ExpirePassword if next == UserStatus::PasswordExpired => {
            sqlx::query("UPDATE user_passwords SET expired = $1 WHERE user_id = $2")
                .bind(true)
                .bind(user.id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Op::ResetFactors => {
            sqlx::query("DELETE FROM authenticators WHERE user_id = $1")
                .bind(user.id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Op::Deactivate => {
            // A deprovisioned user's outstanding links die with its access.
            sqlx::query("DELETE FROM user_tokens WHERE user_id = $1 AND used IS NULL")
                .bind(user.id.as_str())
                .execute(&mut **tx)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// One stored session of a user.
#[derive(Debug, Clone)]
pub struct UserSession {
    /// The session's id (secret: never shown; `MySession::handle` is a hash).
    pub id: String,
    pub signed_in: String,
    pub expires: String,
}

impl Store {
    /// The sessions `user` is signed in with, newest first.
    pub async fn sessions_of_user(&self, user: &UserId) -> Result<Vec<UserSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, data, expiry_date FROM tower_sessions WHERE user_id = $1 AND expiry_date > $2",
        )
        .bind(user.as_str())
        .bind(clock::now())
        .fetch_all(&self.pool)
        .await?;
        let mut sessions = Vec::new();
        for row in rows {
            let data: String = row.try_get("data")?;
            let signed_in_ms = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| {
                    v.get(super::sessions::SIGNED_IN_AT)
                        .and_then(|t| t.as_i64())
                })
                .unwrap_or(0);
            let signed_in = time::OffsetDateTime::from_unix_timestamp(signed_in_ms / 1000)
                .map(clock::format)
                .unwrap_or_default();
            sessions.push(UserSession {
                id: row.try_get("id")?,
                signed_in,
                expires: row.try_get("expiry_date")?,
            });
        }
        sessions.sort_by(|a, b| b.signed_in.cmp(&a.signed_in));
        Ok(sessions)
    }

    /// Ends one of `user`'s own sessions (`user.session.end`).
    pub async fn end_own_session(&self, user: &UserId, session: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let target = user_in_tx(&mut tx, user).await?;
        let deleted = sqlx::query("DELETE FROM tower_sessions WHERE id = $1 AND user_id = $2")
            .bind(session)
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let event = user_event(
            "user.session.end",
            "User ended one of their sessions",
            &target,
            &Client::default(),
        );
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
