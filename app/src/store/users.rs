//! Users: profile, lifecycle, realm. Reads take a `Scope`, writes a `Grant`;
//! every write repeats the target in `WHERE`, checks the rows affected, and
//! appends its System Log event in the same transaction.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, FromRow, Row, Transaction};

use super::audit::{self, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::realms::decode;
use super::sql::Sql;
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission, Scope};
use crate::error::FieldError;
use crate::ids::{AppId, GroupId, RealmId, UserId};
use crate::model::{BaseProfile, LifecycleOp, Realm, User, UserStatus};

pub(crate) const COLUMNS: &str = "u.id, u.realm_id, u.status, u.transitioning_to_status, u.login, \
    u.email, u.second_email, u.first_name, u.last_name, u.middle_name, u.primary_phone, \
    u.mobile_phone, u.custom_profile, COALESCE(u.profile_source_id, u.profile_source_app_id) AS profile_source_id, u.created, u.activated, \
    u.status_changed, u.last_login, u.last_updated, u.version";

impl<'r> FromRow<'r, AnyRow> for User {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let transitioning: Option<String> = row.try_get("transitioning_to_status")?;
        let custom: String = row.try_get("custom_profile")?;
        Ok(User {
            id: UserId::parse(&row.try_get::<String, _>("id")?).map_err(decode)?,
            realm_id: RealmId::parse(&row.try_get::<String, _>("realm_id")?).map_err(decode)?,
            status: UserStatus::parse(&status).ok_or_else(|| decode("status"))?,
            transitioning_to_status: transitioning.as_deref().and_then(UserStatus::parse),
            profile: BaseProfile {
                login: row.try_get("login")?,
                email: row.try_get("email")?,
                second_email: row.try_get("second_email")?,
                first_name: row.try_get("first_name")?,
                last_name: row.try_get("last_name")?,
                middle_name: row.try_get("middle_name")?,
                primary_phone: row.try_get("primary_phone")?,
                mobile_phone: row.try_get("mobile_phone")?,
            },
            custom_profile: serde_json::from_str(&custom).map_err(decode)?,
            profile_source_id: row.try_get("profile_source_id")?,
            created: row.try_get("created")?,
            activated: row.try_get("activated")?,
            status_changed: row.try_get("status_changed")?,
            last_login: row.try_get("last_login")?,
            last_updated: row.try_get("last_updated")?,
            version: row.try_get("version")?,
        })
    }
}

/// A custom attribute definition of the user profile schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: String,
    pub title: String,
    pub attr_type: AttributeType,
    pub required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    String,
    Boolean,
    Integer,
    Number,
}

impl AttributeType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "string" => Some(Self::String),
            "boolean" => Some(Self::Boolean),
            "integer" => Some(Self::Integer),
            "number" => Some(Self::Number),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Number => "number",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::String => value.is_string(),
            Self::Boolean => value.is_boolean(),
            Self::Integer => value.is_i64() || value.is_u64(),
            Self::Number => value.is_number(),
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub realm_id: RealmId,
    pub profile: BaseProfile,
    pub custom_profile: Map<String, Value>,
    /// `true`: ACTIVE now; `false`: STAGED.
    pub activate: bool,
    pub profile_source_id: Option<String>,
}

/// Checks a base profile: required fields, lengths, email shape, realm domains.
pub fn validate_profile(profile: &BaseProfile, realm: &Realm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let login = profile.login.trim();
    if login.is_empty() {
        errors.push(FieldError::new("login", "Enter a username."));
    } else if login.len() > 100 || login.chars().any(char::is_whitespace) {
        errors.push(FieldError::new(
            "login",
            "A username has at most 100 characters and no spaces.",
        ));
    } else if login.chars().count() < 5 || !is_email(login) {
        // Okta's rule: a username is an email address of at least 5 characters.
        errors.push(FieldError::new(
            "login",
            "A username is an email address of at least 5 characters, like name@example.com.",
        ));
    }
    if !is_email(&profile.email) {
        errors.push(FieldError::new(
            "email",
            "Enter an email address like name@example.com.",
        ));
    }
    if let Some(second) = profile
        .second_email
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        if !is_email(second) {
            errors.push(FieldError::new(
                "secondEmail",
                "Enter an email address like name@example.com.",
            ));
        }
    }
    for (field, value, label) in [
        ("firstName", &profile.first_name, "first name"),
        ("lastName", &profile.last_name, "last name"),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, format!("Enter a {label}.")));
        } else if value.chars().count() > 100 {
            errors.push(FieldError::new(
                field,
                format!("A {label} has at most 100 characters."),
            ));
        }
    }
    for (field, value) in [
        ("middleName", &profile.middle_name),
        ("primaryPhone", &profile.primary_phone),
        ("mobilePhone", &profile.mobile_phone),
    ] {
        if value.as_deref().is_some_and(|v| v.chars().count() > 100) {
            errors.push(FieldError::new(field, "At most 100 characters."));
        }
    }
    if !realm.domains.is_empty() {
        let allowed = realm.domains.join(", ");
        if is_email(login) && !domain_allowed(login, &realm.domains) {
            errors.push(FieldError::new(
                "login",
                format!(
                    "Usernames in realm {} must be in one of these domains: {allowed}.",
                    realm.name
                ),
            ));
        }
        if is_email(&profile.email) && !domain_allowed(&profile.email, &realm.domains) {
            errors.push(FieldError::new(
                "email",
                format!(
                    "Email addresses in realm {} must be in one of these domains: {allowed}.",
                    realm.name
                ),
            ));
        }
    }
    errors
}

pub fn is_email(value: &str) -> bool {
    let value = value.trim();
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
                && value.len() <= 254
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Whether the address's domain is one of `domains` (case-insensitive, exact).
pub fn domain_allowed(address: &str, domains: &[String]) -> bool {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .is_some_and(|d| domains.contains(&d))
}

/// Checks custom attributes against the schema: known names, types, required.
pub fn validate_custom(custom: &Map<String, Value>, schema: &[AttributeDef]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value) in custom {
        match schema.iter().find(|d| &d.name == name) {
            None => errors.push(FieldError::new(
                name.clone(),
                format!("'{name}' is not an attribute of the user profile."),
            )),
            Some(def) if !value.is_null() && !def.attr_type.accepts(value) => {
                errors.push(FieldError::new(
                    name.clone(),
                    format!("{} must be a {}.", def.title, def.attr_type.as_str()),
                ))
            }
            Some(_) => {}
        }
    }
    for def in schema.iter().filter(|d| d.required) {
        let missing = match custom.get(&def.name) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if missing {
            errors.push(FieldError::new(
                def.name.clone(),
                format!("{} is required.", def.title),
            ));
        }
    }
    errors
}

pub(crate) fn user_target(user: &User) -> audit::Target {
    audit::Target {
        id: user.id.to_string(),
        target_type: "User".into(),
        alternate_id: user.profile.login.clone(),
        display_name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        realm_id: Some(user.realm_id.to_string()),
    }
}

fn opt(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Store {
    pub async fn profile_schema(&self) -> Result<Vec<AttributeDef>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, title, type, required FROM user_profile_schema ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let t: String = row.try_get("type")?;
                Ok(AttributeDef {
                    name: row.try_get("name")?,
                    title: row.try_get("title")?,
                    attr_type: AttributeType::parse(&t).ok_or_else(|| {
                        StoreError::Internal(format!("unknown attribute type {t}"))
                    })?,
                    required: row.try_get::<super::sql::DbBool, _>("required")?.0,
                })
            })
            .collect()
    }

    /// A user inside `scope`; anything else is `NotFound`.
    pub async fn get_user(&self, scope: &Scope, id: &UserId) -> Result<User, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = "));
        sql.bind(id).push(" AND ");
        scope.users_predicate(&mut sql, "u");
        sql.fetch_one_or_not_found::<User>(&self.pool).await
    }

    /// The user of `scope` whose login is `login` (ignoring case, as logins are
    /// unique); `None` when there is none or it is outside the scope.
    pub async fn find_user_by_login(
        &self,
        scope: &Scope,
        login: &str,
    ) -> Result<Option<User>, StoreError> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM users u WHERE u.login_lower = "
        ));
        sql.bind(login.trim().to_lowercase()).push(" AND ");
        scope.users_predicate(&mut sql, "u");
        sql.query_as::<User>()
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// How many users the scope holds, per realm and status (only what the
    /// scope may read is counted: no org-wide totals leak).
    pub async fn count_users_by_realm(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(RealmId, UserStatus, i64)>, StoreError> {
        let mut sql = Sql::new("SELECT u.realm_id, u.status, count(*) AS n FROM users u WHERE ");
        scope.users_predicate(&mut sql, "u");
        sql.push(" GROUP BY u.realm_id, u.status");
        let rows: Vec<(String, String, i64)> = sql.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(realm, status, n)| {
                let realm = RealmId::parse(&realm)
                    .map_err(|e| StoreError::Internal(format!("stored realm id: {e}")))?;
                let status = UserStatus::parse(&status)
                    .ok_or_else(|| StoreError::Internal(format!("stored status {status}")))?;
                Ok((realm, status, n))
            })
            .collect()
    }

    /// The groups `user` is a member of.
    pub async fn user_group_ids(&self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        let groups: Vec<String> =
            sqlx::query_scalar("SELECT group_id FROM group_members WHERE user_id = $1")
                .bind(user.as_str())
                .fetch_all(&self.pool)
                .await?;
        Ok(groups
            .iter()
            .filter_map(|g| GroupId::parse(g).ok())
            .collect())
    }

    /// Creates a user in the realm the grant names (`Target::NewUserIn`).
    pub async fn create_user(&self, grant: &Grant, new: NewUser) -> Result<User, StoreError> {
        let (user, realm) = self.new_user(grant, &new).await?;
        let mut tx = self.begin_write().await?;
        insert_new_user(&mut tx, grant, &user, &realm).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The record a new user will have, checked against its realm and the
    /// profile schema; `grant` must be `okta.users.create` in that realm.
    pub(super) async fn new_user(
        &self,
        grant: &Grant,
        new: &NewUser,
    ) -> Result<(User, Realm), StoreError> {
        let realm_id = grant.demand_new_user_in(Permission::UsersCreate)?;
        if *realm_id != new.realm_id {
            return Err(StoreError::Internal("grant is for another realm".into()));
        }
        let realm = self.realm_by_id(realm_id).await?;
        let schema = self.profile_schema().await?;
        let mut user = new_user_record(new, &realm, &schema)?;
        // In a realm whose users sign in with the portal's credentials, an
        // activated user first sets a password through the mailed link
        // (Okta's "pending user action").
        if user.status == UserStatus::Active
            && user.profile_source_id.is_none()
            && self.realm_policy(&realm.id).await?.hosted
        {
            user.status = UserStatus::Provisioned;
            user.activated = None;
        }
        Ok((user, realm))
    }

    /// Applies a lifecycle operation allowed by `grant` (target: the user).
    pub async fn apply_lifecycle(
        &self,
        grant: &Grant,
        op: LifecycleOp,
    ) -> Result<Option<User>, StoreError> {
        self.apply_lifecycle_linked(grant, op, None).await
    }

    /// Applies a lifecycle operation allowed by `grant`; for a user whose
    /// credentials the portal holds, `link` is the one-time link the
    /// operation mails (activation, password reset), stored (as a hash) in
    /// the same transaction, replacing any older one. *Reset password* and
    /// *Reset authenticators* also end the user's sessions; *Unlock* clears
    /// the failed-password count; *Expire password* marks the password.
    pub async fn apply_lifecycle_linked(
        &self,
        grant: &Grant,
        op: LifecycleOp,
        link: Option<super::credentials::IssuedLink>,
    ) -> Result<Option<User>, StoreError> {
        let id = grant.demand_user(Permission::for_lifecycle_op(op))?;
        // Nobody locks themselves out.
        if grant.actor().id == id.as_str()
            && matches!(
                op,
                LifecycleOp::Suspend
                    | LifecycleOp::Deactivate
                    | LifecycleOp::Delete
                    | LifecycleOp::ClearSessions
            )
        {
            return Err(StoreError::Conflict(format!(
                "You cannot {} your own account.",
                op.label().to_lowercase()
            )));
        }
        let holder = match self.system_user_by_id(id).await? {
            Some(user) => self.credential_holder(&user).await?,
            None => return Err(StoreError::NotFound),
        };
        let mut tx = self.begin_write().await?;
        let user = user_in_tx(&mut tx, id).await?;
        let Some(next) = op.next_status(user.status, holder) else {
            return Err(StoreError::invalid(
                "status",
                format!(
                    "{} is not possible for a user who is {}.",
                    op.label(),
                    user.status
                ),
            ));
        };
        let now = clock::now();
        let event = Event::success(op.event_type(), op.label(), grant.actor().clone())
            .client(grant.client().clone())
            .target(user_target(&user))
            .debug("previousStatus", user.status.as_str());
        if op == LifecycleOp::Delete {
            let deleted =
                sqlx::query("DELETE FROM users WHERE id = $1 AND status = 'DEPROVISIONED'")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
            if deleted.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "The user changed meanwhile; try again.".into(),
                ));
            }
            audit::append(&mut tx, &event).await?;
            tx.commit().await?;
            return Ok(None);
        }
        let changed = next != user.status;
        let updated = sqlx::query(
            "UPDATE users SET status = $1, status_changed = CASE WHEN $2 THEN $3 ELSE status_changed END, \
             activated = CASE WHEN $1 = 'ACTIVE' AND activated IS NULL THEN $3 ELSE activated END, \
             last_updated = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(next.as_str())
        .bind(changed)
        .bind(&now)
        .bind(id.as_str())
        .bind(user.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "The user changed meanwhile; try again.".into(),
            ));
        }
        super::credentials::lifecycle_credentials(&mut tx, &user, op, next, link).await?;
        if matches!(
            op,
            LifecycleOp::Suspend
                | LifecycleOp::Deactivate
                | LifecycleOp::ClearSessions
                | LifecycleOp::ResetPassword
                | LifecycleOp::ResetFactors
        ) {
            end_sessions_in(&mut tx, id).await?;
            // Apps' grants end with the sessions (Okta's `oauthTokens=true`).
            super::oauth::revoke_all_grants_in(&mut tx, id).await?;
        }
        if next != UserStatus::Active {
            // No app takes a user who is not active: their refresh tokens go now.
            super::oauth::revoke_lapsed_grants_in(&mut tx, super::oauth::GrantsOf::User(id))
                .await?;
        }
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(Some(User {
            status: next,
            status_changed: if changed {
                Some(now.clone())
            } else {
                user.status_changed
            },
            activated: if next == UserStatus::Active && user.activated.is_none() {
                Some(now.clone())
            } else {
                user.activated
            },
            last_updated: now,
            version: user.version + 1,
            ..user
        }))
    }

    /// A realm by id, for internal validation (not scoped: callers hold a grant).
    pub(crate) async fn realm_by_id(&self, id: &RealmId) -> Result<Realm, StoreError> {
        sqlx::query_as::<_, Realm>(
            "SELECT r.id, r.name, r.realm_type, r.is_default, r.domains, r.created, r.last_updated \
             FROM realms r WHERE r.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::invalid("realmId", "Choose an existing realm."))
    }

    /// The realm user `id` is in (one statement), if the user exists.
    pub(crate) async fn realm_of_user(&self, id: &UserId) -> Result<Option<Realm>, StoreError> {
        Ok(sqlx::query_as::<_, Realm>(
            "SELECT r.id, r.name, r.realm_type, r.is_default, r.domains, r.created, r.last_updated \
             FROM realms r JOIN users u ON u.realm_id = r.id WHERE u.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }
}

pub(crate) fn realm_target(realm: &Realm) -> audit::Target {
    audit::Target {
        id: realm.id.to_string(),
        target_type: "Realm".into(),
        alternate_id: realm.name.clone(),
        display_name: realm.name.clone(),
        realm_id: Some(realm.id.to_string()),
    }
}

/// Ends every session of `user` in `tx`: sessions started before now are
/// void even if an in-flight request tries to save one back (checked on
/// every request).
pub(crate) async fn end_sessions_in(
    tx: &mut Transaction<'static, Any>,
    user: &UserId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET sessions_valid_after = $1 WHERE id = $2")
        .bind(super::clock::now_millis())
        .bind(user.as_str())
        .execute(&mut **tx)
        .await?;
    for table in ["user_sessions", "tower_sessions"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The user `id` read inside a write transaction (the write lock is held, so
/// it cannot change before the transaction ends); `NotFound` if gone.
pub(crate) async fn user_in_tx(
    tx: &mut Transaction<'static, Any>,
    id: &UserId,
) -> Result<User, StoreError> {
    sqlx::query_as::<_, User>(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The record of a new user, validated against `realm` and `schema`.
pub(crate) fn new_user_record(
    new: &NewUser,
    realm: &Realm,
    schema: &[AttributeDef],
) -> Result<User, StoreError> {
    let mut errors = validate_profile(&new.profile, realm);
    errors.extend(validate_custom(&new.custom_profile, schema));
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let now = clock::now();
    let status = if new.activate {
        UserStatus::Active
    } else {
        UserStatus::Staged
    };
    let p = &new.profile;
    Ok(User {
        id: UserId::generate(),
        realm_id: realm.id.clone(),
        status,
        transitioning_to_status: None,
        profile: BaseProfile {
            login: p.login.trim().to_string(),
            email: p.email.trim().to_string(),
            second_email: opt(&p.second_email),
            first_name: p.first_name.trim().to_string(),
            last_name: p.last_name.trim().to_string(),
            middle_name: opt(&p.middle_name),
            primary_phone: opt(&p.primary_phone),
            mobile_phone: opt(&p.mobile_phone),
        },
        custom_profile: new.custom_profile.clone(),
        profile_source_id: new.profile_source_id.clone(),
        created: now.clone(),
        activated: new.activate.then(|| now.clone()),
        status_changed: new.activate.then(|| now.clone()),
        last_login: None,
        last_updated: now,
        version: 1,
    })
}

/// Inserts `user` with `user.lifecycle.create` (and `.activate` when ACTIVE)
/// inside `tx` (holding the chain lock).
pub(crate) async fn insert_new_user(
    tx: &mut Transaction<'static, Any>,
    grant: &Grant,
    user: &User,
    realm: &Realm,
) -> Result<(), StoreError> {
    if *grant.demand_new_user_in(Permission::UsersCreate)? != user.realm_id {
        return Err(StoreError::Internal("grant is for another realm".into()));
    }
    insert_user(tx, user).await?;
    let mut event = Event::by_grant("user.lifecycle.create", "Create okta user", grant)
        .target(user_target(user))
        .debug("realmId", realm.id.as_str());
    event.targets.push(realm_target(realm));
    audit::append(tx, &event).await?;
    if user.status == UserStatus::Active {
        let event = Event::by_grant("user.lifecycle.activate", "Activate Okta user", grant)
            .target(user_target(user));
        audit::append(tx, &event).await?;
    }
    Ok(())
}

pub(crate) async fn insert_user(
    tx: &mut Transaction<'static, Any>,
    user: &User,
) -> Result<(), StoreError> {
    let custom = serde_json::to_string(&user.custom_profile)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let p = &user.profile;
    // A profile source is an identity provider or an app (an import).
    let (idp_source, app_source) = match user.profile_source_id.as_deref() {
        Some(s) if s.starts_with(AppId::PREFIX) => (None, Some(s)),
        other => (other, None),
    };
    sqlx::query(
        "INSERT INTO users (id, realm_id, status, login, login_lower, email, second_email, first_name, \
         last_name, middle_name, primary_phone, mobile_phone, custom_profile, profile_source_id, created, \
         activated, status_changed, last_updated, version, profile_source_app_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19)",
    )
    .bind(user.id.as_str())
    .bind(user.realm_id.as_str())
    .bind(user.status.as_str())
    .bind(&p.login)
    .bind(p.login.to_lowercase())
    .bind(&p.email)
    .bind(&p.second_email)
    .bind(&p.first_name)
    .bind(&p.last_name)
    .bind(&p.middle_name)
    .bind(&p.primary_phone)
    .bind(&p.mobile_phone)
    .bind(custom)
    .bind(idp_source)
    .bind(&user.created)
    .bind(&user.activated)
    .bind(&user.status_changed)
    .bind(&user.last_updated)
    .bind(app_source)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        StoreError::map_constraint(e, &[Constraint::UsersLogin])
    })?;
    Ok(())
}

/// Filters a user list; all given ones must hold (and the scope always does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    pub realm: Option<RealmId>,
    pub group: Option<GroupId>,
    /// Users the app is assigned to directly.
    pub app: Option<AppId>,
    /// Substring of login, email, first or last name (prefix of the login for
    /// fewer than 3 characters).
    pub search: Option<String>,
    /// Conditions on attributes (the Management API's `search` and `filter`),
    /// all of which must hold.
    pub conditions: Vec<UserCondition>,
}

/// An attribute of a user that a condition may name (Okta's names:
/// `id`, `status`, `realmId`, `created`, `lastUpdated`, …, `profile.login`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    Id,
    Status,
    RealmId,
    Created,
    Activated,
    StatusChanged,
    LastLogin,
    LastUpdated,
    Login,
    Email,
    SecondEmail,
    FirstName,
    LastName,
    MiddleName,
    PrimaryPhone,
    MobilePhone,
}

impl UserField {
    /// The field Okta calls `name`, if conditions may name it.
    pub fn from_okta(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "status" => Self::Status,
            "realmId" => Self::RealmId,
            "created" => Self::Created,
            "activated" => Self::Activated,
            "statusChanged" => Self::StatusChanged,
            "lastLogin" => Self::LastLogin,
            "lastUpdated" => Self::LastUpdated,
            "profile.login" => Self::Login,
            "profile.email" => Self::Email,
            "profile.secondEmail" => Self::SecondEmail,
            "profile.firstName" => Self::FirstName,
            "profile.lastName" => Self::LastName,
            "profile.middleName" => Self::MiddleName,
            "profile.primaryPhone" => Self::PrimaryPhone,
            "profile.mobilePhone" => Self::MobilePhone,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Status => "status",
            Self::RealmId => "realm_id",
            Self::Created => "created",
            Self::Activated => "activated",
            Self::StatusChanged => "status_changed",
            Self::LastLogin => "last_login",
            Self::LastUpdated => "last_updated",
            Self::Login => "login_lower",
            Self::Email => "email",
            Self::SecondEmail => "second_email",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::MiddleName => "middle_name",
            Self::PrimaryPhone => "primary_phone",
            Self::MobilePhone => "mobile_phone",
        }
    }

    /// Profile text compares without regard to case (as Okta's `eq` and
    /// `sw` on profile attributes do); ids, statuses and times exactly.
    pub fn is_profile_text(self) -> bool {
        !matches!(
            self,
            Self::Id
                | Self::Status
                | Self::RealmId
                | Self::Created
                | Self::Activated
                | Self::StatusChanged
                | Self::LastLogin
                | Self::LastUpdated
        )
    }

    /// A timestamp, compared in time order.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Self::Created
                | Self::Activated
                | Self::StatusChanged
                | Self::LastLogin
                | Self::LastUpdated
        )
    }
}

/// One condition on a user attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCondition {
    /// Equal to one of the values (`eq`, or `eq … or eq …`).
    OneOf(UserField, Vec<String>),
    NotEqual(UserField, String),
    StartsWith(UserField, String),
    Contains(UserField, String),
    /// `gt`, `ge`, `lt`, `le`: the operator as SQL and the value.
    Compare(UserField, &'static str, String),
    Present(UserField),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSort {
    /// Last name, first name.
    #[default]
    Name,
    Login,
    Created,
}

/// One page of a keyset-paginated list; `next` is the opaque cursor of the page
/// after it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Most matches a text search considers (beyond that, ask for a narrower search).
pub const SEARCH_CAP: i64 = 10_000;
pub const MAX_PAGE: u32 = 200;

/// `AND` one attribute condition on `u`. Profile text compares lower-cased
/// (the login through its lower-cased column and index).
fn push_condition(sql: &mut Sql, condition: &UserCondition) {
    let lhs = |field: UserField| match field {
        UserField::Login => "u.login_lower".to_string(),
        f if f.is_profile_text() => format!("lower(u.{})", f.column()),
        f => format!("u.{}", f.column()),
    };
    let value = |field: UserField, v: &str| {
        if field.is_profile_text() {
            v.to_lowercase()
        } else {
            v.to_string()
        }
    };
    let like = |v: &str| {
        v.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    match condition {
        UserCondition::OneOf(field, values) if values.is_empty() => {
            let _ = field;
            sql.push(" AND 1 = 0");
        }
        UserCondition::OneOf(field, values) => {
            sql.push(&format!(" AND {} IN ", lhs(*field)))
                .bind_list(values.iter().map(|v| value(*field, v)));
        }
        UserCondition::NotEqual(field, v) => {
            sql.push(&format!(" AND ({0} IS NULL OR {0} <> ", lhs(*field)))
                .bind(value(*field, v))
                .push(")");
        }
        UserCondition::StartsWith(field, v) => {
            sql.push(&format!(" AND {} LIKE ", lhs(*field)))
                .bind(format!("{}%", like(&value(*field, v))))
                .push(" ESCAPE '\\'");
        }
        UserCondition::Contains(field, v) => {
            sql.push(&format!(" AND {} LIKE ", lhs(*field)))
                .bind(format!("%{}%", like(&value(*field, v))))
                .push(" ESCAPE '\\'");
        }
        UserCondition::Compare(field, op, v) => {
            sql.push(&format!(" AND {} {op} ", lhs(*field)))
                .bind(value(*field, v));
        }
        UserCondition::Present(field) => {
            sql.push(&format!(
                " AND u.{0} IS NOT NULL AND u.{0} <> ''",
                field.column()
            ));
        }
    }
}

fn sort_columns(sort: UserSort) -> &'static [&'static str] {
    match sort {
        UserSort::Name => &["last_name", "first_name", "id"],
        UserSort::Login => &["login_lower", "id"],
        UserSort::Created => &["created", "id"],
    }
}

/// The cursor that continues a name-sorted list after this user (what `next`
/// holds when `user` ends a page); for tools that start mid-list.
pub fn name_cursor(user: &User) -> String {
    encode_cursor(&[
        user.profile.last_name.clone(),
        user.profile.first_name.clone(),
        user.id.to_string(),
    ])
}

fn encode_cursor(values: &[String]) -> String {
    hex::encode(serde_json::to_vec(values).unwrap_or_default())
}

fn decode_cursor(cursor: &str, len: usize) -> Result<Vec<String>, StoreError> {
    let bad = || {
        StoreError::invalid(
            "after",
            "The page cursor is not valid; start from the first page.",
        )
    };
    let bytes = hex::decode(cursor).map_err(|_| bad())?;
    let values: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if values.len() == len {
        Ok(values)
    } else {
        Err(bad())
    }
}

impl Store {
    /// Users in `scope` matching `filter`, in `sort` order, `limit` at a time after
    /// the cursor `after`. The scope and the filters are one SQL predicate.
    pub async fn list_users(
        &self,
        scope: &Scope,
        filter: &UserFilter,
        sort: UserSort,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<User>, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let columns = sort_columns(sort);
        let order: Vec<String> = columns.iter().map(|c| format!("u.{c}")).collect();
        let order = order.join(", ");
        let realms = &scope.users().realms;
        // A scope of a few realms, by name: each realm's first rows from its
        // (realm, name) index, merged — instead of sorting all their users.
        let merge = sort == UserSort::Name
            && filter.search.is_none()
            && filter.realm.is_none()
            && !scope.users().all
            && scope.users().users.is_empty()
            && scope.users().groups.is_empty()
            && (2..=64).contains(&realms.len());
        let mut sql;
        if merge {
            sql = Sql::new("SELECT * FROM (");
            for (i, realm) in realms.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push(&format!(
                    "SELECT * FROM (SELECT {COLUMNS} FROM users u WHERE u.realm_id = "
                ))
                .bind(realm);
                self.push_user_conditions(&mut sql, scope, filter, columns, after)?;
                sql.push(&format!(" ORDER BY {order} LIMIT "))
                    .bind(i64::from(limit) + 1)
                    .push(&format!(") arm{i}"));
            }
            sql.push(&format!(") u ORDER BY {order} LIMIT "))
                .bind(i64::from(limit) + 1);
        } else {
            sql = Sql::new(&format!("SELECT {COLUMNS} FROM users u WHERE "));
            scope.users_predicate(&mut sql, "u");
            self.push_user_conditions(&mut sql, scope, filter, columns, after)?;
            sql.push(&format!(" ORDER BY {order} LIMIT "))
                .bind(i64::from(limit) + 1);
        }
        let mut items = sql.query_as::<User>().fetch_all(&self.pool).await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|u| {
                let values: Vec<String> = match sort {
                    UserSort::Name => vec![
                        u.profile.last_name.clone(),
                        u.profile.first_name.clone(),
                        u.id.to_string(),
                    ],
                    UserSort::Login => vec![u.profile.login.to_lowercase(), u.id.to_string()],
                    UserSort::Created => vec![u.created.clone(), u.id.to_string()],
                };
                encode_cursor(&values)
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// The filters and the cursor of a user list, as `AND …` conditions on `u`.
    fn push_user_conditions(
        &self,
        sql: &mut Sql,
        scope: &Scope,
        filter: &UserFilter,
        columns: &[&str],
        after: Option<&str>,
    ) -> Result<(), StoreError> {
        if let Some(status) = filter.status {
            sql.push(" AND u.status = ").bind(status.as_str());
        }
        if let Some(realm) = &filter.realm {
            sql.push(" AND u.realm_id = ").bind(realm);
        }
        if let Some(group) = &filter.group {
            sql.push(" AND EXISTS (SELECT 1 FROM group_members fgm WHERE fgm.user_id = u.id AND fgm.group_id = ")
                .bind(group)
                .push(")");
        }
        if let Some(app) = &filter.app {
            sql.push(" AND EXISTS (SELECT 1 FROM app_user_assignments fau WHERE fau.user_id = u.id AND fau.app_id = ")
                .bind(app)
                .push(")");
        }
        if let Some(term) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            self.push_search(sql, scope, term);
        }
        for condition in &filter.conditions {
            push_condition(sql, condition);
        }
        if let Some(cursor) = after {
            let values = decode_cursor(cursor, columns.len())?;
            let lhs: Vec<String> = columns.iter().map(|c| format!("u.{c}")).collect();
            sql.push(&format!(" AND ({}) > (", lhs.join(", ")));
            for (i, value) in values.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(value);
            }
            sql.push(")");
        }
        Ok(())
    }

    /// Appends the engine's substring search: FTS5 trigram on SQLite, pg_trgm on
    /// PostgreSQL (both index-backed from 3 characters), a login prefix below that.
    /// The candidates are capped at `SEARCH_CAP` *within* `scope`, so that
    /// other realms' matches never crowd out the caller's.
    fn push_search(&self, sql: &mut Sql, scope: &Scope, term: &str) {
        let term: String = term.chars().take(100).collect();
        if term.chars().count() < 3 {
            let prefix = term.to_lowercase();
            sql.push(" AND u.login_lower >= ")
                .bind(prefix.clone())
                .push(" AND u.login_lower < ")
                .bind(format!("{prefix}\u{10FFFF}"));
            return;
        }
        super::dialect::push_substring_search(self.engine, sql, scope, &term, SEARCH_CAP);
    }
}
