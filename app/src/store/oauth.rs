//! What the OpenID Provider keeps (see `crate::oidc`): the OpenID Connect
//! apps' client registrations (changed under a grant, like every admin
//! change), the signing keys, and the grants handed out — single-use codes,
//! rotating refresh-token families, revoked access tokens. The `system_*`
//! methods serve the protocol endpoints, where the client or the signed-in
//! user is the actor; each writes its System Log event in its transaction.

use sqlx::Row;

use super::audit::{Actor, Client as EventClient, Event, OutcomeResult, Severity, Target};
use super::credentials::user_actor;
use super::demand::Demand;
use super::groups::app_target;
use super::users::user_target;
use super::{clock, Store, StoreError, WriteTx};
use crate::authz::{Grant, Permission};
use crate::ids::{AppId, UserId};
use crate::model::{App, User};
use crate::oidc::{AppType, AuthMethod, Client, ClientSettings, Registration};

const CLIENT_COLUMNS: &str = "c.app_id, a.label, a.status, c.client_id, c.secret_hash, \
     c.auth_method, c.application_type, c.settings, c.last_updated";

fn client_from_row(row: &sqlx::any::AnyRow) -> Result<Client, StoreError> {
    let internal = |what: &str| StoreError::Internal(format!("oauth_clients: bad {what}"));
    let app_id: String = row.try_get("app_id")?;
    let status: String = row.try_get("status")?;
    let method: String = row.try_get("auth_method")?;
    let app_type: String = row.try_get("application_type")?;
    let settings: String = row.try_get("settings")?;
    Ok(Client {
        app_id: AppId::parse(&app_id).map_err(|_| internal("app id"))?,
        app_label: row.try_get("label")?,
        app_active: status == "ACTIVE",
        client_id: row.try_get("client_id")?,
        secret_hash: row.try_get("secret_hash")?,
        auth_method: AuthMethod::parse(&method).ok_or_else(|| internal("auth method"))?,
        app_type: AppType::parse(&app_type).ok_or_else(|| internal("application type"))?,
        settings: serde_json::from_str::<ClientSettings>(&settings)
            .map_err(|_| internal("settings"))?,
        last_updated: row.try_get("last_updated")?,
    })
}

/// The app as the actor of the events its client causes (Okta's
/// `PublicClientApp`).
pub fn client_actor(client: &Client) -> Actor {
    Actor {
        id: client.client_id.clone(),
        actor_type: "PublicClientApp".into(),
        alternate_id: client.app_label.clone(),
        display_name: client.app_label.clone(),
    }
}

fn client_app_target(client: &Client) -> Target {
    Target {
        id: client.app_id.to_string(),
        target_type: "AppInstance".into(),
        alternate_id: client.app_label.clone(),
        display_name: client.app_label.clone(),
        realm_id: None,
    }
}

/// What an authorization code was issued for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CodeRequest {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// When the user signed in to the portal (unix seconds).
    pub auth_time: i64,
}

/// A redeemed code: who, for what.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub user_id: UserId,
    pub app_id: AppId,
    pub request: CodeRequest,
    pub expired: bool,
}

/// The outcome of presenting a code or a refresh token.
#[derive(Debug, Clone)]
pub enum Redeemed<T> {
    Fresh(T),
    /// Unknown, or another client's.
    Unknown,
    /// Presented before: what it issued has been revoked.
    Replayed,
}

/// A live refresh token's grant.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub family_id: String,
    pub user_id: UserId,
    pub scopes: Vec<String>,
    pub auth_time: i64,
    /// The family's end: rotation never extends it.
    pub expires_at: String,
}

/// What an exchange spends.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// An authorization code (its hash), already taken.
    Code(&'a str),
    /// A refresh token (its hash), rotated with the new tokens.
    Refresh(&'a str),
    /// Client credentials: nothing.
    Credentials,
}

/// Tokens an exchange issued, to record with their events.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_jti: String,
    pub access_expires: String,
    pub id_token: bool,
    /// The new refresh token's hash, its family and expiry.
    pub refresh: Option<(String, String, String)>,
    pub scopes: Vec<String>,
    pub auth_time: i64,
}

/// The SQL condition "the user has the app": directly or through one of their
/// groups (`user` and `app` are SQL expressions).
pub(crate) fn assigned(user: &str, app: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM app_user_assignments aua WHERE aua.app_id = {app} \
         AND aua.user_id = {user}) OR EXISTS (SELECT 1 FROM app_group_assignments aga \
         JOIN group_members gm ON gm.group_id = aga.group_id WHERE aga.app_id = {app} \
         AND gm.user_id = {user}))"
    )
}

impl Store {
    /// An app's client registration, if it has one (the caller has read the app).
    pub async fn oauth_client_of_app(&self, app: &AppId) -> Result<Option<Client>, StoreError> {
        self.oauth_client_where("c.app_id", app.as_str()).await
    }

    /// The client registered under `client_id` (the protocol endpoints).
    pub async fn system_oauth_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        self.oauth_client_where("c.client_id", client_id).await
    }

    /// The client registrations of the apps `scope` (apps read) covers.
    pub async fn oauth_clients_in(
        &self,
        scope: &crate::authz::Scope,
    ) -> Result<Vec<Client>, StoreError> {
        let mut sql = super::sql::Sql::new(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients c JOIN apps a ON a.id = c.app_id WHERE "
        ));
        scope.apps_predicate(&mut sql, "a");
        sql.push(" LIMIT 500");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(client_from_row).collect()
    }

    async fn oauth_client_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients c JOIN apps a ON a.id = c.app_id \
             WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    /// Registers or updates the OpenID Connect client of an app (grant:
    /// `okta.apps.manage` on it): `application.lifecycle.update`. A client
    /// that authenticates with a secret and has none gets one, returned here
    /// once and stored as a hash.
    pub async fn set_oauth_client(
        &self,
        grant: &Grant,
        registration: Registration,
    ) -> Result<(Client, Option<String>), StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?;
        let settings = serde_json::to_string(&registration.settings)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, id).await?;
            if app.sign_on_mode != "OPENID_CONNECT" {
                return Err(StoreError::invalid(
                    "signOnMode",
                    "Only an OpenID Connect app has a client registration.",
                ));
            }
            let existing: Option<(String, Option<String>)> =
                sqlx::query("SELECT client_id, secret_hash FROM oauth_clients WHERE app_id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| {
                        Ok::<_, sqlx::Error>((r.try_get("client_id")?, r.try_get("secret_hash")?))
                    })
                    .transpose()?;
            let (client_id, old_secret) = match existing {
                Some((cid, secret)) => (cid, secret),
                None => (crate::oidc::new_client_id(), None),
            };
            let mut new_secret = None;
            let secret_hash = if registration.auth_method.uses_secret() {
                match old_secret {
                    Some(h) => Some(h),
                    None => {
                        let s = crate::oidc::new_client_secret();
                        let h = crate::credentials::token_hash(&s);
                        new_secret = Some(s);
                        Some(h)
                    }
                }
            } else {
                None
            };
            let now = clock::now();
            sqlx::query(
                "INSERT INTO oauth_clients (app_id, client_id, secret_hash, auth_method, \
                 application_type, settings, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (app_id) DO UPDATE SET secret_hash = excluded.secret_hash, \
                 auth_method = excluded.auth_method, application_type = excluded.application_type, \
                 settings = excluded.settings, last_updated = excluded.last_updated",
            )
            .bind(id.as_str())
            .bind(&client_id)
            .bind(&secret_hash)
            .bind(registration.auth_method.as_str())
            .bind(registration.app_type.as_str())
            .bind(&settings)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let event = Event::by_grant(
                "application.lifecycle.update",
                "Update application sign-on settings (OpenID Connect)",
                grant,
            )
            .target(app_target(&app));
            let client = Client {
                app_id: app.id.clone(),
                app_label: app.label.clone(),
                app_active: app.status == crate::model::LifecycleStatus::Active,
                client_id,
                secret_hash,
                auth_method: registration.auth_method,
                app_type: registration.app_type,
                settings: registration.settings,
                last_updated: now,
            };
            Ok((tx, (client, new_secret), vec![event]))
        })
        .await
    }

    /// Creates an OpenID Connect app with its client registration in one
    /// transaction (grant: org-level `okta.apps.manage`):
    /// `application.lifecycle.create`. The secret, if the client uses one, is
    /// returned this once.
    pub async fn create_oidc_app(
        &self,
        grant: &Grant,
        label: &str,
        registration: Registration,
    ) -> Result<(App, Client, Option<String>), StoreError> {
        grant.demand_org(Permission::AppsManage)?;
        let app = super::groups::new_app("oidc_client", label, "OPENID_CONNECT")?;
        let settings = serde_json::to_string(&registration.settings)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = app.created.clone();
        let secret = registration
            .auth_method
            .uses_secret()
            .then(crate::oidc::new_client_secret);
        let client = Client {
            app_id: app.id.clone(),
            app_label: app.label.clone(),
            app_active: true,
            client_id: crate::oidc::new_client_id(),
            secret_hash: secret.as_deref().map(crate::credentials::token_hash),
            auth_method: registration.auth_method,
            app_type: registration.app_type,
            settings: registration.settings,
            last_updated: now.clone(),
        };
        self.write(|mut tx| async move {
            super::groups::insert_app_in(&mut tx, &app).await?;
            sqlx::query(
                "INSERT INTO oauth_clients (app_id, client_id, secret_hash, auth_method, \
                 application_type, settings, last_updated) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(app.id.as_str())
            .bind(&client.client_id)
            .bind(&client.secret_hash)
            .bind(client.auth_method.as_str())
            .bind(client.app_type.as_str())
            .bind(&settings)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let event = Event::by_grant("application.lifecycle.create", "Add application", grant)
                .target(app_target(&app));
            Ok((tx, (app, client, secret), vec![event]))
        })
        .await
    }

    /// A new client secret for an app's client (grant: `okta.apps.manage` on
    /// it), returned once; the old one stops working at once.
    pub async fn rotate_oauth_secret(&self, grant: &Grant) -> Result<String, StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?;
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, id).await?;
            let secret = crate::oidc::new_client_secret();
            let changed = sqlx::query(
                "UPDATE oauth_clients SET secret_hash = $1, last_updated = $2 \
                 WHERE app_id = $3 AND auth_method IN ('client_secret_basic', 'client_secret_post')",
            )
            .bind(crate::credentials::token_hash(&secret))
            .bind(clock::now())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() != 1 {
                return Err(StoreError::invalid(
                    "auth_method",
                    "This app authenticates without a client secret.",
                ));
            }
            let event = Event::by_grant(
                "application.lifecycle.update",
                "Generate a new client secret",
                grant,
            )
            .target(app_target(&app));
            Ok((tx, secret, vec![event]))
        })
        .await
    }

    /// Whether `user` may sign in to `app` now — the one rule every
    /// authorization, token exchange, refresh and token check applies: the
    /// user is ACTIVE, the app is active, and it is assigned to the user
    /// directly or through a group.
    pub async fn system_app_access(&self, user: &UserId, app: &AppId) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM apps a JOIN users u ON u.id = $1 WHERE a.id = $2 \
             AND a.status = 'ACTIVE' AND u.status = 'ACTIVE' AND {}",
            assigned("u.id", "a.id")
        ))
        .bind(user.as_str())
        .bind(app.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The user's realm name and group names (for claims).
    pub async fn system_claim_facts(
        &self,
        user: &User,
    ) -> Result<(String, Vec<String>), StoreError> {
        let realm: String = sqlx::query_scalar("SELECT name FROM realms WHERE id = $1")
            .bind(user.realm_id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or_default();
        let groups: Vec<String> = sqlx::query_scalar(
            "SELECT g.name FROM groups g JOIN group_members gm ON gm.group_id = g.id \
             WHERE gm.user_id = $1 ORDER BY g.name LIMIT 500",
        )
        .bind(user.id.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok((realm, groups))
    }

    /// Records a refused app sign-in: `app.generic.unauth_app_access_attempt`.
    pub async fn system_app_access_denied(
        &self,
        user: &User,
        client: &Client,
        from: &EventClient,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut event = Event::success(
            "app.generic.unauth_app_access_attempt",
            "User attempted unauthorized access to app",
            user_actor(user),
        )
        .client(from.clone())
        .target(client_app_target(client))
        .target(user_target(user));
        event.outcome = OutcomeResult::Deny;
        event.severity = Severity::Warn;
        event.reason = Some(reason.to_string());
        self.append_event(&event).await
    }

    /// Stores an authorization code (its hash) for `user` at `client`, with
    /// the single sign-on event `user.authentication.sso`.
    pub async fn system_issue_code(
        &self,
        code_hash: &str,
        user: &User,
        client: &Client,
        request: &CodeRequest,
        from: &EventClient,
    ) -> Result<(), StoreError> {
        let request_json =
            serde_json::to_string(request).map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc();
        let mut tx = self.begin_write().await?;
        // Old codes are of no use to anyone: sweep them as new ones come.
        sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
            .bind(clock::format(now - time::Duration::hours(1)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_codes (code_hash, app_id, user_id, request, created, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code_hash)
        .bind(client.app_id.as_str())
        .bind(user.id.as_str())
        .bind(&request_json)
        .bind(clock::format(now))
        .bind(clock::format(now + crate::oidc::CODE_TTL))
        .execute(&mut *tx)
        .await?;
        let event = Event::success(
            "user.authentication.sso",
            "User single sign on to app",
            user_actor(user),
        )
        .client(from.clone())
        .target(client_app_target(client))
        .target(user_target(user));
        super::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a code for `client`: marks it used in the same statement that
    /// finds it, so two exchanges cannot both succeed. A code presented again
    /// revokes the tokens its first exchange issued
    /// (`app.oauth2.token.detect_reuse`).
    pub async fn system_redeem_code(
        &self,
        code_hash: &str,
        client: &Client,
        from: &EventClient,
    ) -> Result<Redeemed<CodeGrant>, StoreError> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE oauth_codes SET used = $1 WHERE code_hash = $2 AND app_id = $3 AND used IS NULL \
             RETURNING user_id, request, expires_at",
        )
        .bind(&now)
        .bind(code_hash)
        .bind(client.app_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = taken {
            let user: String = row.try_get("user_id")?;
            let request: String = row.try_get("request")?;
            let expires: String = row.try_get("expires_at")?;
            tx.commit().await?;
            return Ok(Redeemed::Fresh(CodeGrant {
                user_id: UserId::parse(&user).map_err(|e| StoreError::Internal(e.to_string()))?,
                app_id: client.app_id.clone(),
                request: serde_json::from_str(&request)
                    .map_err(|e| StoreError::Internal(e.to_string()))?,
                expired: expires <= now,
            }));
        }
        let used = sqlx::query(
            "SELECT user_id, access_jti, family_id FROM oauth_codes \
             WHERE code_hash = $1 AND app_id = $2 AND used IS NOT NULL",
        )
        .bind(code_hash)
        .bind(client.app_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = used else {
            return Ok(Redeemed::Unknown);
        };
        let jti: Option<String> = row.try_get("access_jti")?;
        let family: Option<String> = row.try_get("family_id")?;
        let user: String = row.try_get("user_id")?;
        // An exchange of this code still under way will issue nothing.
        sqlx::query("UPDATE oauth_codes SET replayed = $1 WHERE code_hash = $2")
            .bind(&now)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        if let Some(jti) = jti {
            revoke_jti_in(&mut tx, &jti).await?;
        }
        if let Some(family) = &family {
            revoke_family_in(&mut tx, family).await?;
        }
        let event = reuse_event(client, &user, "authorization code", from);
        super::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(Redeemed::Replayed)
    }

    /// Records what an exchange issued, with Okta's grant events: the access
    /// token, the ID token, the refresh token (a new family or the next of
    /// one). What it came from is spent in the same transaction:
    /// `Source::Code` (a code taken by `system_redeem_code`: if it was
    /// presented again meanwhile, nothing is issued) or `Source::Refresh`
    /// (the refresh token rotated here: if another request spent it first,
    /// that is a reuse — the family is revoked and nothing issued). `false`
    /// when nothing was issued.
    pub async fn system_record_issue(
        &self,
        client: &Client,
        user: Option<&User>,
        source: Source<'_>,
        issued: &Issued,
        from: &EventClient,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = clock::now();
        match source {
            Source::Code(code) => {
                let bound = sqlx::query(
                    "UPDATE oauth_codes SET access_jti = $1, family_id = $2 \
                     WHERE code_hash = $3 AND replayed IS NULL",
                )
                .bind(&issued.access_jti)
                .bind(issued.refresh.as_ref().map(|(_, f, _)| f.clone()))
                .bind(code)
                .execute(&mut *tx)
                .await?;
                if bound.rows_affected() != 1 {
                    return Ok(false);
                }
            }
            Source::Refresh(old) => {
                let spent = sqlx::query(
                    "UPDATE oauth_refresh_tokens SET used = $1 WHERE token_hash = $2 \
                     AND app_id = $3 AND used IS NULL",
                )
                .bind(&now)
                .bind(old)
                .bind(client.app_id.as_str())
                .execute(&mut *tx)
                .await?;
                if spent.rows_affected() != 1 {
                    drop(tx);
                    self.system_reuse_of_refresh(old, client, from).await?;
                    return Ok(false);
                }
            }
            Source::Credentials => {}
        }
        if let (Some(user), Some((hash, family, expires))) = (user, &issued.refresh) {
            sqlx::query(
                "INSERT INTO oauth_refresh_tokens (token_hash, family_id, app_id, user_id, scope, \
                 auth_time, access_jti, created, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(hash)
            .bind(family)
            .bind(client.app_id.as_str())
            .bind(user.id.as_str())
            .bind(issued.scopes.join(" "))
            .bind(issued.auth_time)
            .bind(&issued.access_jti)
            .bind(&now)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
        }
        let mut events = vec![grant_event(
            "app.oauth2.token.grant.access_token",
            "OAuth2 access token is granted",
            client,
            user,
            from,
        )
        .debug("grantedScopes", issued.scopes.join(" "))];
        if issued.id_token {
            events.push(grant_event(
                "app.oauth2.token.grant.id_token",
                "OIDC id token is granted",
                client,
                user,
                from,
            ));
        }
        if issued.refresh.is_some() {
            events.push(grant_event(
                "app.oauth2.token.grant.refresh_token",
                "OAuth2 refresh token is granted",
                client,
                user,
                from,
            ));
        }
        super::audit::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The grant of a live refresh token of `client`, read without spending
    /// it (`system_record_issue` rotates it with the new tokens). One already
    /// used revokes its whole family (`app.oauth2.token.detect_reuse`); an
    /// expired or unknown one is unknown.
    pub async fn system_refresh_grant(
        &self,
        token_hash: &str,
        client: &Client,
        from: &EventClient,
    ) -> Result<Redeemed<RefreshGrant>, StoreError> {
        let row = sqlx::query(
            "SELECT family_id, user_id, scope, auth_time, expires_at, used FROM oauth_refresh_tokens \
             WHERE token_hash = $1 AND app_id = $2",
        )
        .bind(token_hash)
        .bind(client.app_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Redeemed::Unknown);
        };
        let used: Option<String> = row.try_get("used")?;
        if used.is_some() {
            self.system_reuse_of_refresh(token_hash, client, from)
                .await?;
            return Ok(Redeemed::Replayed);
        }
        let expires_at: String = row.try_get("expires_at")?;
        if expires_at <= clock::now() {
            return Ok(Redeemed::Unknown);
        }
        let user: String = row.try_get("user_id")?;
        let scope: String = row.try_get("scope")?;
        Ok(Redeemed::Fresh(RefreshGrant {
            family_id: row.try_get("family_id")?,
            user_id: UserId::parse(&user).map_err(|e| StoreError::Internal(e.to_string()))?,
            scopes: scope.split_whitespace().map(str::to_string).collect(),
            auth_time: row.try_get("auth_time")?,
            expires_at,
        }))
    }

    /// A spent refresh token presented again: its family is revoked, with
    /// `app.oauth2.token.detect_reuse`.
    async fn system_reuse_of_refresh(
        &self,
        token_hash: &str,
        client: &Client,
        from: &EventClient,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT family_id, user_id FROM oauth_refresh_tokens WHERE token_hash = $1 AND app_id = $2",
        )
        .bind(token_hash)
        .bind(client.app_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row {
            let family: String = row.try_get("family_id")?;
            let user: String = row.try_get("user_id")?;
            revoke_family_in(&mut tx, &family).await?;
            let event = reuse_event(client, &user, "refresh token", from);
            super::audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Revokes what a client presents at `/revoke`: a refresh token (its
    /// family) or an access token (its `jti`, until `expires`).
    /// `app.oauth2.as.token.revoke` when something was revoked.
    pub async fn system_revoke(
        &self,
        client: &Client,
        refresh_hash: Option<&str>,
        access: Option<(&str, i64)>,
        from: &EventClient,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut revoked = false;
        if let Some(hash) = refresh_hash {
            let family: Option<String> = sqlx::query_scalar(
                "SELECT family_id FROM oauth_refresh_tokens WHERE token_hash = $1 AND app_id = $2",
            )
            .bind(hash)
            .bind(client.app_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(family) = family {
                revoke_family_in(&mut tx, &family).await?;
                revoked = true;
            }
        }
        if let Some((jti, exp)) = access {
            let expires = time::OffsetDateTime::from_unix_timestamp(exp)
                .map(clock::format)
                .unwrap_or_else(|_| clock::now());
            sqlx::query(
                "INSERT INTO oauth_revoked_tokens (jti, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti) DO NOTHING",
            )
            .bind(jti)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
            revoked = true;
        }
        if revoked {
            let event = Event::success(
                "app.oauth2.as.token.revoke",
                "OAuth2 token revocation request",
                client_actor(client),
            )
            .client(from.clone())
            .target(client_app_target(client));
            super::audit::append(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// Whether an access token's `jti` was revoked.
    pub async fn system_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM oauth_revoked_tokens WHERE jti = $1")
            .bind(jti)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Remembers a client assertion's `jti` until it expires: `false` when it
    /// was seen before (a replay).
    pub async fn system_first_use_of_assertion(
        &self,
        client_id: &str,
        jti: &str,
        exp: i64,
    ) -> Result<bool, StoreError> {
        // Kept past the assertion's expiry by more than the verifier's leeway.
        let now = time::OffsetDateTime::now_utc();
        let until = time::OffsetDateTime::from_unix_timestamp(exp)
            .unwrap_or(now)
            .max(now)
            + time::Duration::minutes(2);
        let expires = clock::format(until);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM oauth_revoked_tokens WHERE expires_at < $1")
            .bind(clock::now())
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO oauth_revoked_tokens (jti, expires_at) VALUES ($1, $2) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(format!("assertion:{client_id}:{jti}"))
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// The published signing keys (public JWKs): the unretired ones and those
    /// retired less than the longest token lifetime ago, newest first.
    pub async fn system_published_keys(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let cutoff = clock::format(
            time::OffsetDateTime::now_utc()
                - time::Duration::minutes(i64::from(crate::oidc::MAX_TOKEN_MINUTES) + 5),
        );
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT public_jwk FROM oauth_signing_keys WHERE retired IS NULL OR retired > $1 \
             ORDER BY created DESC",
        )
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| serde_json::from_str(r).map_err(|e| StoreError::Internal(e.to_string())))
            .collect()
    }

    /// The key that signs now: the newest unretired one (its kid, sealed
    /// private key and creation time).
    pub async fn system_signing_key(&self) -> Result<Option<(String, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT kid, private_sealed, created FROM oauth_signing_keys WHERE retired IS NULL \
             ORDER BY created DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                r.try_get("kid")?,
                r.try_get("private_sealed")?,
                r.try_get("created")?,
            ))
        })
        .transpose()
    }

    /// Adds a signing key and retires the others (they stay published until
    /// their tokens expire), with the event `app.oauth2.signing_key.rotated`.
    pub async fn system_add_signing_key(
        &self,
        kid: &str,
        private_sealed: &str,
        public_jwk: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE oauth_signing_keys SET retired = $1 WHERE retired IS NULL")
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_signing_keys (kid, private_sealed, public_jwk, created) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(kid)
        .bind(private_sealed)
        .bind(public_jwk.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let event = Event::success(
            "app.oauth2.signing_key.rotated",
            "OpenID Provider signing key rotated",
            Actor::system(),
        )
        .debug("kid", kid);
        super::audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A live refresh token of `app`: its user, scope and expiry.
    pub async fn system_refresh_token_info(
        &self,
        token_hash: &str,
        app: &AppId,
    ) -> Result<Option<(UserId, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, scope, expires_at FROM oauth_refresh_tokens WHERE token_hash = $1 \
             AND app_id = $2 AND used IS NULL AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(app.as_str())
        .bind(clock::now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let user: String = r.try_get("user_id")?;
            Ok((
                UserId::parse(&user).map_err(|e| StoreError::Internal(e.to_string()))?,
                r.try_get("scope")?,
                r.try_get("expires_at")?,
            ))
        })
        .transpose()
    }

    /// The user and app a live refresh token family belongs to, for tests and
    /// the admin's view: how many live refresh tokens `user` holds for `app`.
    pub async fn live_refresh_tokens(&self, user: &UserId, app: &AppId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM oauth_refresh_tokens WHERE user_id = $1 AND app_id = $2 \
             AND used IS NULL AND expires_at > $3",
        )
        .bind(user.as_str())
        .bind(app.as_str())
        .bind(clock::now())
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Store {
    /// Where each of `user`'s apps starts (app id → address): an OpenID
    /// Connect app with an initiate-login URI through the portal's launch
    /// address, a bookmark app at its URL. Apps without one are absent.
    pub async fn launch_targets(
        &self,
        user: &UserId,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.sign_on_mode, a.settings AS app_settings, c.settings AS client_settings \
             FROM apps a LEFT JOIN oauth_clients c ON c.app_id = a.id WHERE a.status = 'ACTIVE' \
             AND a.id IN (SELECT app_id FROM app_user_assignments WHERE user_id = $1 \
             UNION SELECT aga.app_id FROM app_group_assignments aga JOIN group_members gm \
             ON gm.group_id = aga.group_id WHERE gm.user_id = $1)",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let mode: String = row.try_get("sign_on_mode")?;
            let client: Option<String> = row.try_get("client_settings")?;
            let app_settings: String = row.try_get("app_settings")?;
            let href = match mode.as_str() {
                "OPENID_CONNECT" => client
                    .and_then(|c| serde_json::from_str::<ClientSettings>(&c).ok())
                    .and_then(|c| c.initiate_login_uri)
                    .map(|_| format!("/home/apps/{id}")),
                "BOOKMARK" => serde_json::from_str::<serde_json::Value>(&app_settings)
                    .ok()
                    .and_then(|v| v.pointer("/app/url")?.as_str().map(str::to_string))
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                _ => None,
            };
            if let Some(href) = href {
                out.insert(id, href);
            }
        }
        Ok(out)
    }

    /// Sets a bookmark app's URL (grant: `okta.apps.manage` on it):
    /// `application.lifecycle.update`.
    pub async fn set_bookmark_url(&self, grant: &Grant, url: &str) -> Result<(), StoreError> {
        let id = grant.demand_app(Permission::AppsManage)?;
        let url = url.trim();
        let ok = url::Url::parse(url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !ok {
            return Err(StoreError::invalid(
                "url",
                "Enter the app's address, starting with https://",
            ));
        }
        let settings = serde_json::json!({ "app": { "url": url } }).to_string();
        self.write(|mut tx| async move {
            let app = app_in(&mut tx, id).await?;
            if app.sign_on_mode != "BOOKMARK" {
                return Err(StoreError::invalid("url", "Only a bookmark app has a URL."));
            }
            sqlx::query("UPDATE apps SET settings = $1, last_updated = $2 WHERE id = $3")
                .bind(&settings)
                .bind(clock::now())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            let event =
                Event::by_grant("application.lifecycle.update", "Update application", grant)
                    .target(app_target(&app));
            Ok((tx, (), vec![event]))
        })
        .await
    }

    /// A bookmark app's URL, if set.
    pub async fn bookmark_url(&self, app: &AppId) -> Result<Option<String>, StoreError> {
        let settings: Option<String> =
            sqlx::query_scalar("SELECT settings FROM apps WHERE id = $1")
                .bind(app.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(settings
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.pointer("/app/url")?.as_str().map(str::to_string)))
    }
}

pub(crate) async fn app_in(tx: &mut WriteTx, id: &AppId) -> Result<App, StoreError> {
    sqlx::query_as::<_, App>(
        "SELECT a.id, a.name, a.label, a.sign_on_mode, a.status, a.created, a.last_updated \
         FROM apps a WHERE a.id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

fn grant_event(
    event_type: &'static str,
    message: &str,
    client: &Client,
    user: Option<&User>,
    from: &EventClient,
) -> Event {
    let mut event = Event::success(event_type, message, client_actor(client))
        .client(from.clone())
        .target(client_app_target(client));
    if let Some(user) = user {
        event = event.target(user_target(user));
    }
    event
}

fn reuse_event(client: &Client, user_id: &str, what: &str, from: &EventClient) -> Event {
    let mut event = Event::success(
        "app.oauth2.token.detect_reuse",
        format!("A used {what} was presented again: the tokens it issued are revoked"),
        client_actor(client),
    )
    .client(from.clone())
    .target(client_app_target(client))
    .debug("userId", user_id);
    event.outcome = OutcomeResult::Failure;
    event.severity = Severity::Warn;
    event
}

async fn revoke_jti_in(tx: &mut WriteTx, jti: &str) -> Result<(), StoreError> {
    let expires = clock::format(
        time::OffsetDateTime::now_utc()
            + time::Duration::minutes(i64::from(crate::oidc::MAX_TOKEN_MINUTES)),
    );
    sqlx::query(
        "INSERT INTO oauth_revoked_tokens (jti, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revokes a refresh-token family: its tokens go, and the access tokens they
/// came with are listed as revoked.
async fn revoke_family_in(tx: &mut WriteTx, family: &str) -> Result<(), StoreError> {
    let jtis: Vec<String> =
        sqlx::query_scalar("SELECT access_jti FROM oauth_refresh_tokens WHERE family_id = $1")
            .bind(family)
            .fetch_all(&mut **tx)
            .await?;
    for jti in jtis {
        revoke_jti_in(tx, &jti).await?;
    }
    sqlx::query("DELETE FROM oauth_refresh_tokens WHERE family_id = $1")
        .bind(family)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes every grant `user` holds at any app (sessions cleared, a password
/// or the authenticators reset): the refresh tokens go and the access tokens
/// issued with them are listed as revoked.
pub(crate) async fn revoke_all_grants_in(
    tx: &mut WriteTx,
    user: &UserId,
) -> Result<(), StoreError> {
    let families: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT family_id FROM oauth_refresh_tokens WHERE user_id = $1",
    )
    .bind(user.as_str())
    .fetch_all(&mut **tx)
    .await?;
    for family in families {
        revoke_family_in(tx, &family).await?;
    }
    Ok(())
}

/// Whose app grants an admin change may have ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GrantsOf<'a> {
    /// One user (status change, membership removed, direct app removed).
    User(&'a UserId),
    /// One app's users (a group unassigned from it, the app deactivated).
    App(&'a AppId),
}

/// Deletes the refresh tokens whose user no longer has the app (or is no
/// longer active), inside the transaction of the change that ended it. The
/// protocol endpoints check the same at every use; this makes the end
/// immediate and visible.
pub(crate) async fn revoke_lapsed_grants_in(
    tx: &mut WriteTx,
    of: GrantsOf<'_>,
) -> Result<u64, StoreError> {
    let (column, id) = match of {
        GrantsOf::User(u) => ("user_id", u.as_str()),
        GrantsOf::App(a) => ("app_id", a.as_str()),
    };
    let done = sqlx::query(&format!(
        "DELETE FROM oauth_refresh_tokens WHERE token_hash IN (SELECT t.token_hash FROM \
         oauth_refresh_tokens t JOIN users u ON u.id = t.user_id JOIN apps a ON a.id = t.app_id \
         WHERE t.{column} = $1 AND (u.status <> 'ACTIVE' OR a.status <> 'ACTIVE' OR NOT {}))",
        assigned("t.user_id", "t.app_id")
    ))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
