//! Changing who a user is and where it lives: profile edits (bounded by the
//! grant's attribute conditions), realm moves (two-sided: the user and the
//! destination realm), and the custom attributes of the profile schema.

use serde_json::{Map, Value};

use super::audit::{self, Event};
use super::demand::Demand;
use super::dialect::Constraint;
use super::users::{user_target, validate_custom, validate_profile, AttributeDef, AttributeType};
use super::{clock, Store, StoreError};
use crate::authz::{Grant, Permission};
use crate::error::FieldError;
use crate::model::{BaseProfile, User, BASE_ATTRIBUTES};

/// A full replacement of a user's profile (what the edit form submits).
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub profile: BaseProfile,
    pub custom_profile: Map<String, Value>,
    /// The version the editor saw; a newer stored version is a conflict, not
    /// a silent overwrite of someone else's change.
    pub expected_version: Option<i64>,
}

fn trimmed(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The normalised profile the store keeps (trimmed, blanks as absent).
fn normalise(p: &BaseProfile) -> BaseProfile {
    BaseProfile {
        login: p.login.trim().to_string(),
        email: p.email.trim().to_string(),
        second_email: trimmed(p.second_email.as_deref()),
        first_name: p.first_name.trim().to_string(),
        last_name: p.last_name.trim().to_string(),
        middle_name: trimmed(p.middle_name.as_deref()),
        primary_phone: trimmed(p.primary_phone.as_deref()),
        mobile_phone: trimmed(p.mobile_phone.as_deref()),
    }
}

/// Names of the attributes whose values differ (base names first, then custom).
pub fn changed_attributes(
    old: &User,
    new_base: &BaseProfile,
    new_custom: &Map<String, Value>,
) -> Vec<String> {
    let mut changed: Vec<String> = BASE_ATTRIBUTES
        .iter()
        .filter(|name| old.profile.attribute(name) != new_base.attribute(name))
        .map(|name| (*name).to_string())
        .collect();
    let mut custom: Vec<&String> = old.custom_profile.keys().chain(new_custom.keys()).collect();
    custom.sort();
    custom.dedup();
    for name in custom {
        let before = old.custom_profile.get(name).filter(|v| !v.is_null());
        let after = new_custom.get(name).filter(|v| !v.is_null());
        if before != after {
            changed.push(name.clone());
        }
    }
    changed
}

impl Store {
    /// Replaces the profile of the user the grant names. Attributes the grant's
    /// conditions do not reach must keep their values (field error otherwise);
    /// domain rules of the user's realm and the schema apply. Nothing changed →
    /// no write and no event.
    pub async fn update_profile(
        &self,
        grant: &Grant,
        update: ProfileUpdate,
    ) -> Result<User, StoreError> {
        let id = grant.demand_user(Permission::UsersUserprofileManage)?;
        let base = normalise(&update.profile);
        let custom: Map<String, Value> = update
            .custom_profile
            .into_iter()
            .filter(|(_, v)| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
            .collect();
        // What the checks read comes first, from the readers: the write
        // lock is held only for the write (writers queue behind it).
        let schema = self.profile_schema().await?;
        let realm_before = self.realm_of_user(id).await?;
        // Edits come many at once: grouped into one transaction and one
        // commit with those queued beside it (see `commit`).
        let store = self.clone();
        let id = id.clone();
        let grant = grant.clone();
        let expected_version = update.expected_version;
        self.write_grouped(move |tx| {
            Box::pin(async move {
                let user = super::users::user_in_tx(tx, &id).await?;
                if expected_version.is_some_and(|v| v != user.version) {
                    return Err(StoreError::Conflict(
                        "Someone changed this user since you opened it; reload and try again."
                            .into(),
                    ));
                }
                let changed = changed_attributes(&user, &base, &custom);
                if changed.is_empty() {
                    return Ok((user, Vec::new()));
                }
                let mut errors: Vec<FieldError> = changed
                    .iter()
                    .filter(|name| !grant.reaches_attribute(name))
                    .map(|name| {
                        FieldError::new(
                            name.clone(),
                            "Your role does not allow changing this attribute.",
                        )
                    })
                    .collect();
                let realm = match realm_before {
                    Some(realm) if realm.id == user.realm_id => realm,
                    // Moved since: that realm's rules apply.
                    _ => store.realm_by_id(&user.realm_id).await?,
                };
                errors.extend(validate_profile(&base, &realm));
                errors.extend(validate_custom(&custom, &schema));
                if !errors.is_empty() {
                    return Err(StoreError::Invalid(errors));
                }
                let now = clock::now();
                let custom_json = serde_json::to_string(&custom)
                    .map_err(|e| StoreError::Internal(e.to_string()))?;
                let updated = sqlx::query(
                    "UPDATE users SET login = $1, login_lower = $2, email = $3, second_email = $4, \
                     first_name = $5, last_name = $6, middle_name = $7, primary_phone = $8, \
                     mobile_phone = $9, custom_profile = $10, last_updated = $11, \
                     version = version + 1 WHERE id = $12 AND version = $13",
                )
                .bind(&base.login)
                .bind(base.login.to_lowercase())
                .bind(&base.email)
                .bind(&base.second_email)
                .bind(&base.first_name)
                .bind(&base.last_name)
                .bind(&base.middle_name)
                .bind(&base.primary_phone)
                .bind(&base.mobile_phone)
                .bind(&custom_json)
                .bind(&now)
                .bind(id.as_str())
                .bind(user.version)
                .execute(&mut **tx)
                .await
                .map_err(|e| StoreError::map_constraint(e, &[Constraint::UsersLogin]))?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::Conflict(
                        "The user changed meanwhile; try again.".into(),
                    ));
                }
                let updated_user = User {
                    profile: base,
                    custom_profile: custom,
                    last_updated: now,
                    version: user.version + 1,
                    ..user
                };
                let event = Event::by_grant(
                    "user.account.update_profile",
                    "Update user profile for Okta",
                    &grant,
                )
                .target(user_target(&updated_user))
                .debug("changedAttributes", changed.join(","));
                Ok((updated_user, vec![event]))
            })
        })
        .await
    }

    /// Moves the user named by `user_grant` (`okta.users.manage`) into the realm
    /// named by `realm_grant` (`okta.users.create` there). The login and email
    /// must fit the destination's domains. Concurrent moves serialise on the
    /// write lock and the version check: the user is in exactly one realm at
    /// every instant, and each successful move has its `user.realm.update`.
    pub async fn move_user(
        &self,
        user_grant: &Grant,
        realm_grant: &Grant,
    ) -> Result<User, StoreError> {
        let id = user_grant.demand_user(Permission::UsersManage)?;
        let to = realm_grant.demand_new_user_in(Permission::UsersCreate)?;
        let to_realm = self.realm_by_id(to).await?;
        let mut tx = self.begin_write().await?;
        let user = super::users::user_in_tx(&mut tx, id).await?;
        if user.realm_id == to_realm.id {
            return Ok(user);
        }
        let errors: Vec<FieldError> = validate_profile(&user.profile, &to_realm)
            .into_iter()
            .filter(|e| e.field == "login" || e.field == "email")
            .collect();
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let now = clock::now();
        let updated = sqlx::query(
            "UPDATE users SET realm_id = $1, last_updated = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(to_realm.id.as_str())
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
        let from = user.realm_id.clone();
        let moved = User {
            realm_id: to_realm.id.clone(),
            last_updated: now,
            version: user.version + 1,
            ..user
        };
        let mut event = Event::by_grant("user.realm.update", "Update user realm", user_grant)
            .target(user_target(&moved))
            .debug("previousRealmId", from.as_str())
            .debug("realmId", to_realm.id.as_str());
        event.targets.push(audit::Target {
            id: to_realm.id.to_string(),
            target_type: "Realm".into(),
            alternate_id: to_realm.name.clone(),
            display_name: to_realm.name.clone(),
            realm_id: Some(to_realm.id.to_string()),
        });
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Adds or changes a custom attribute of the user profile schema. Making an
    /// attribute required is refused while users lack a value for it.
    pub async fn define_profile_attribute(
        &self,
        grant: &Grant,
        def: AttributeDef,
    ) -> Result<(), StoreError> {
        grant.demand_org(Permission::UsersManage)?;
        let name = def.name.trim().to_string();
        let title = def.title.trim().to_string();
        let mut errors = Vec::new();
        let valid_name = name.len() <= 64
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            errors.push(FieldError::new(
                "name",
                "Start with a letter; use letters, digits and _ (at most 64).",
            ));
        } else if BASE_ATTRIBUTES.contains(&name.as_str()) {
            errors.push(FieldError::new(
                "name",
                "This is a base attribute; choose another name.",
            ));
        }
        if title.is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new(
                "title",
                "Enter a display name of at most 100 characters.",
            ));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        self.write(|mut tx| async move {
            let existing: Option<String> =
                sqlx::query_scalar("SELECT type FROM user_profile_schema WHERE name = $1")
                    .bind(&name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if existing
                .as_deref()
                .and_then(AttributeType::parse)
                .is_some_and(|t| t != def.attr_type)
            {
                return Err(StoreError::invalid(
                    "type",
                    "The type of an existing attribute cannot change.",
                ));
            }
            if def.required {
                let (missing, member) =
                    super::dialect::json_member_missing(self.engine, "custom_profile", &name);
                let missing: i64 =
                    sqlx::query_scalar(&format!("SELECT count(*) FROM users WHERE {missing}"))
                        .bind(member)
                        .fetch_one(&mut *tx)
                        .await?;
                if missing > 0 {
                    return Err(StoreError::invalid(
                        "required",
                        format!("{missing} users have no value for {title}; give them one first."),
                    ));
                }
            }
            let now = clock::now();
            sqlx::query(
                "INSERT INTO user_profile_schema (name, title, type, required, created, last_updated) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (name) DO UPDATE SET title = excluded.title, required = excluded.required, \
                 last_updated = excluded.last_updated",
            )
            .bind(&name)
            .bind(&title)
            .bind(def.attr_type.as_str())
            .bind(def.required)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            let event = Event::by_grant(
                "system.user.profile_schema.update",
                "Update user profile schema",
                grant,
            )
            .debug("attribute", name.as_str())
            .debug("type", def.attr_type.as_str())
            .debug("required", def.required)
            .debug("created", existing.is_none());
            Ok((tx, (), vec![event]))
        })
        .await
    }
}
