//! The users of the admin's realms: the list (search, status filter, keyset
//! paging), one user with the lifecycle actions its role allows, and those
//! actions. Users outside the caller's scope are "not found", whatever the id.

// Server functions take one argument per form field (the forms post plain
// fields, so they work without JavaScript); the create form has eight.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{LifecycleOp, UserStatus};

/// Rows per page of the users table.
pub const PAGE_SIZE: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub login: String,
    pub realm: String,
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub rows: Vec<UserRow>,
    /// Cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// One user as its admin sees it, with the actions the admin may take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: String,
    pub name: String,
    pub login: String,
    pub email: String,
    pub realm: String,
    pub status: UserStatus,
    pub created: String,
    pub last_updated: String,
    /// Valid from the current status *and* granted to the caller.
    pub actions: Vec<LifecycleOp>,
    /// The version the profile form was rendered from (lost-update check).
    pub version: i64,
    /// Base then custom attributes, each saying whether the caller may edit it.
    pub profile: Vec<ProfileField>,
    /// Why each offered action is allowed: the role and resource set.
    pub why: Vec<Why>,
}

/// One profile attribute on the user page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileField {
    /// Okta's attribute name (`firstName`, or the custom attribute's name).
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `number` or `boolean`.
    pub kind: String,
    pub value: String,
    pub required: bool,
    pub custom: bool,
    pub editable: bool,
}

/// The explain result behind an action the page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Why {
    pub action: String,
    pub permission: String,
    pub reason: String,
}

#[cfg(feature = "ssr")]
async fn realm_name(
    store: &crate::store::Store,
    readable: &crate::authz::Scope,
    names: &mut std::collections::HashMap<String, String>,
    id: &crate::ids::RealmId,
) -> Result<String, AppError> {
    if let Some(name) = names.get(id.as_str()) {
        return Ok(name.clone());
    }
    // A user may be visible (through a group, say) in a realm the caller may
    // not read: then the realm stays unnamed.
    let name = match store.get_realm(readable, id).await {
        Ok(realm) => realm.name,
        Err(crate::store::StoreError::NotFound) => String::new(),
        Err(e) => return Err(e.into()),
    };
    names.insert(id.to_string(), name.clone());
    Ok(name)
}

/// A page of the users the caller may read: `sort` is `name` (default),
/// `login` or `created`; `realm` and `group` narrow it.
#[server(endpoint = "users/list")]
pub async fn list_users(
    search: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
    sort: Option<String>,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    let key = format!("users/list {search:?} {status:?} {realm:?} {group:?} {sort:?} {after:?}");
    crate::ctx::read_once(key, || async move {
        use crate::store::users::UserSort;
        let (store, _, principal) = super::caller().await?;
        let filter = user_filter(search, status, realm, group)?;
        let sort = match sort.as_deref().unwrap_or_default() {
            "" | "name" => UserSort::Name,
            "login" => UserSort::Login,
            "created" => UserSort::Created,
            _ => {
                return Err(AppError::validation(
                    "sort",
                    "Choose one of the listed orders.",
                ))
            }
        };
        users_page_sorted(&store, &principal, filter, sort, after).await
    })
    .await
}

/// The filter of the users table from its query parameters (blank = any).
#[cfg(feature = "ssr")]
pub fn user_filter(
    search: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
) -> Result<crate::store::users::UserFilter, AppError> {
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let status =
        match given(status) {
            None => None,
            Some(s) => Some(UserStatus::parse(&s).ok_or_else(|| {
                AppError::validation("status", "Choose one of the listed statuses.")
            })?),
        };
    // An unknown or invisible realm/group filters to nothing; a malformed id
    // is the caller's mistake.
    let realm = given(realm)
        .map(|r| crate::ids::RealmId::parse(&r))
        .transpose()
        .map_err(|_| AppError::validation("realm", "Choose one of the listed realms."))?;
    let group = given(group)
        .map(|g| crate::ids::GroupId::parse(&g))
        .transpose()
        .map_err(|_| AppError::validation("group", "Choose one of the listed groups."))?;
    Ok(crate::store::users::UserFilter {
        status,
        realm,
        group,
        search: given(search),
        ..Default::default()
    })
}

/// A page of users under the caller's read scope, by name.
#[cfg(feature = "ssr")]
pub(crate) async fn users_page(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
    filter: crate::store::users::UserFilter,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    users_page_sorted(
        store,
        principal,
        filter,
        crate::store::users::UserSort::Name,
        after,
    )
    .await
}

#[cfg(feature = "ssr")]
async fn users_page_sorted(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
    filter: crate::store::users::UserFilter,
    sort: crate::store::users::UserSort,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    use crate::authz::{scope, Permission};
    if !group_filter_visible(store, principal, &filter).await? {
        return Ok(UsersPage {
            rows: Vec::new(),
            next: None,
        });
    }
    let page = store
        .list_users(
            &scope(principal, Permission::UsersRead),
            &filter,
            sort,
            after.as_deref().filter(|a| !a.is_empty()),
            PAGE_SIZE,
        )
        .await?;
    let mut names = std::collections::HashMap::new();
    let realms = scope(principal, Permission::RealmsRead);
    let mut rows = Vec::with_capacity(page.items.len());
    let names_shown = crate::authz::lists_attribute(principal, "firstName")
        && crate::authz::lists_attribute(principal, "lastName");
    for u in page.items {
        rows.push(UserRow {
            id: u.id.to_string(),
            name: if names_shown {
                format!("{} {}", u.profile.first_name, u.profile.last_name)
            } else {
                u.profile.login.clone()
            },
            login: u.profile.login,
            realm: realm_name(store, &realms, &mut names, &u.realm_id).await?,
            status: u.status,
        });
    }
    Ok(UsersPage {
        rows,
        next: page.next,
    })
}

/// A group filter names a group the caller may read (an invisible one filters
/// to nothing: which of its users are in it is not for the caller to learn).
#[cfg(feature = "ssr")]
async fn group_filter_visible(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
    filter: &crate::store::users::UserFilter,
) -> Result<bool, AppError> {
    use crate::authz::{scope, Permission};
    let Some(group) = &filter.group else {
        return Ok(true);
    };
    match store
        .get_group(&scope(principal, Permission::GroupsRead), group)
        .await
    {
        Ok(_) => Ok(true),
        Err(crate::store::StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether the request is a plain HTML form post (JavaScript off): the
/// browser will be redirected back and sees only an error, not a value.
#[cfg(feature = "ssr")]
async fn plain_form_post() -> bool {
    leptos_axum::extract::<http::HeaderMap>()
        .await
        .ok()
        .and_then(|h| {
            h.get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The user a form names, by id or by username. A username that is unknown
/// and one outside the caller's read scope get the same field error; an id is
/// returned as given (its caller loads it under the read scope: `NotFound`).
#[cfg(feature = "ssr")]
pub(crate) async fn user_named(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
    id: Option<String>,
    login: Option<String>,
) -> Result<crate::ids::UserId, AppError> {
    use crate::authz::{scope, Permission};
    if let Some(id) = id.filter(|i| !i.trim().is_empty()) {
        return crate::ids::UserId::parse(id.trim()).map_err(|_| AppError::NotFound);
    }
    let login = login.map(|l| l.trim().to_string()).unwrap_or_default();
    if login.is_empty() {
        return Err(AppError::validation("login", "Enter a username."));
    }
    let unknown = || AppError::validation("login", "No user with this username in your realms.");
    let user = store.user_by_login(&login).await?.ok_or_else(unknown)?;
    match store
        .get_user(&scope(principal, Permission::UsersRead), &user.id)
        .await
    {
        Ok(user) => Ok(user.id),
        Err(crate::store::StoreError::NotFound) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

/// One user the caller may read, its profile (each attribute marked editable
/// or not for the caller), and the lifecycle actions it may take.
#[server(endpoint = "users/get")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    crate::ctx::read_once(format!("users/get {id}"), || get_user_now(id)).await
}

#[cfg(feature = "ssr")]
async fn get_user_now(id: String) -> Result<UserDetail, AppError> {
    use crate::authz::{check, explain, lifecycle_actions, scope, user_target, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let user = store
        .get_user(&scope(&principal, Permission::UsersRead), &id)
        .await?;
    let target = user_target(&store, &org.orn, &user).await?;
    let actions = lifecycle_actions(&principal, &target, user.status);
    let edit = check(&principal, Permission::UsersUserprofileManage, &target).ok();
    let editable = |name: &str| edit.as_ref().is_some_and(|g| g.reaches_attribute(name));
    // Only the attributes the caller's read right reaches are shown at all.
    let read = check(&principal, Permission::UsersRead, &target).ok();
    let readable = |name: &str| read.as_ref().is_some_and(|g| g.reaches_attribute(name));
    let schema = store.profile_schema().await?;
    let profile: Vec<ProfileField> = profile_fields(&user, &schema, editable)
        .into_iter()
        .filter(|f| readable(&f.name))
        .collect();
    let mut why: Vec<Why> = actions
        .iter()
        .map(|op| {
            let d = explain(&principal, Permission::for_lifecycle_op(*op), &target);
            Why {
                action: op.label().to_string(),
                permission: d.permission,
                reason: d.reason,
            }
        })
        .collect();
    if edit.is_some() {
        let d = explain(&principal, Permission::UsersUserprofileManage, &target);
        why.insert(
            0,
            Why {
                action: "Edit profile".into(),
                permission: d.permission,
                reason: d.reason,
            },
        );
    }
    let mut names = std::collections::HashMap::new();
    let realms = scope(&principal, Permission::RealmsRead);
    Ok(UserDetail {
        id: user.id.to_string(),
        name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        login: user.profile.login.clone(),
        email: user.profile.email.clone(),
        realm: realm_name(&store, &realms, &mut names, &user.realm_id).await?,
        status: user.status,
        created: user.created.clone(),
        last_updated: user.last_updated.clone(),
        actions,
        version: user.version,
        profile,
        why,
    })
}

#[cfg(feature = "ssr")]
fn profile_fields(
    user: &crate::model::User,
    schema: &[crate::store::users::AttributeDef],
    editable: impl Fn(&str) -> bool,
) -> Vec<ProfileField> {
    use crate::authz::catalog::base_attribute_label;
    use crate::model::BASE_ATTRIBUTES;
    let mut fields: Vec<ProfileField> = BASE_ATTRIBUTES
        .iter()
        .map(|name| ProfileField {
            name: (*name).to_string(),
            label: base_attribute_label(name).unwrap_or(name).to_string(),
            kind: match *name {
                "email" | "secondEmail" => "email",
                "primaryPhone" | "mobilePhone" => "tel",
                _ => "text",
            }
            .to_string(),
            value: user.profile.attribute(name).unwrap_or_default().to_string(),
            required: matches!(*name, "login" | "email" | "firstName" | "lastName"),
            custom: false,
            editable: editable(name),
        })
        .collect();
    fields.extend(schema.iter().map(|a| {
        let value = match user.custom_profile.get(&a.name) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        ProfileField {
            name: a.name.clone(),
            label: a.title.clone(),
            kind: match a.attr_type.as_str() {
                "string" => "text",
                "boolean" => "boolean",
                _ => "number",
            }
            .to_string(),
            value,
            required: a.required,
            custom: true,
            editable: editable(&a.name),
        }
    }));
    fields
}

/// Form text typed by the profile schema; `missing_bool` is what an absent
/// boolean means (an unchecked box on create: false; a blank choice on edit:
/// unset). Values of attributes not in `raw` are taken from `keep`.
#[cfg(feature = "ssr")]
pub(crate) fn typed_custom(
    schema: &[crate::store::users::AttributeDef],
    raw: &std::collections::HashMap<String, String>,
    keep: &serde_json::Map<String, serde_json::Value>,
    missing_bool: Option<bool>,
) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    use crate::store::users::AttributeType;
    let mut typed = serde_json::Map::new();
    let mut errors = Vec::new();
    for attribute in schema {
        let Some(raw) = raw.get(&attribute.name).map(|v| v.trim()) else {
            if let Some(v) = keep.get(&attribute.name) {
                typed.insert(attribute.name.clone(), v.clone());
            } else if let (AttributeType::Boolean, Some(b)) = (attribute.attr_type, missing_bool) {
                typed.insert(attribute.name.clone(), b.into());
            }
            continue;
        };
        let value = match attribute.attr_type {
            AttributeType::Boolean => match raw {
                "" => missing_bool.map(serde_json::Value::Bool),
                "false" => Some(false.into()),
                _ => Some(true.into()),
            },
            _ if raw.is_empty() => None,
            AttributeType::String => Some(serde_json::Value::String(raw.to_string())),
            AttributeType::Integer => match raw.parse::<i64>() {
                Ok(n) => Some(n.into()),
                Err(_) => {
                    errors.push(crate::error::FieldError::new(
                        attribute.name.clone(),
                        "Enter a whole number.",
                    ));
                    None
                }
            },
            // As written: "5" stays the integer 5 (not 5.0), so an unchanged
            // save is no change.
            AttributeType::Number => match raw.parse::<f64>() {
                Ok(_) if raw.parse::<i64>().is_ok() => raw.parse::<i64>().ok().map(Into::into),
                Ok(n) => serde_json::Number::from_f64(n).map(serde_json::Value::Number),
                Err(_) => {
                    errors.push(crate::error::FieldError::new(
                        attribute.name.clone(),
                        "Enter a number.",
                    ));
                    None
                }
            },
        };
        if let Some(value) = value {
            typed.insert(attribute.name.clone(), value);
        }
    }
    if errors.is_empty() {
        Ok(typed)
    } else {
        Err(AppError::fields(errors))
    }
}

/// Saves the profile form: attributes the form left out keep their values;
/// attributes the caller's role does not reach may not change (field error);
/// a change made by someone else since `version` is a conflict.
#[server(endpoint = "users/update_profile")]
pub async fn update_profile(
    id: String,
    version: i64,
    profile: Option<std::collections::HashMap<String, String>>,
    custom: Option<std::collections::HashMap<String, String>>,
) -> Result<String, AppError> {
    // What the form held, kept in a refusal so that the form shows it again.
    let kept: Vec<(String, String)> = profile
        .iter()
        .flatten()
        .map(|(k, v)| (format!("profile[{k}]"), v.clone()))
        .chain(
            custom
                .iter()
                .flatten()
                .map(|(k, v)| (format!("custom[{k}]"), v.clone())),
        )
        .collect();
    let saved: Result<String, AppError> = async move {
        use crate::authz::{authorize_user, Permission};
        use crate::store::profiles::ProfileUpdate;
        let (store, org, principal) = super::caller().await?;
        let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
        let (user, grant) = authorize_user(
            &store,
            &org.orn,
            &principal,
            Permission::UsersUserprofileManage,
            &id,
        )
        .await?;
        let form = profile.unwrap_or_default();
        let text = |name: &str, current: &str| -> String {
            form.get(name)
                .cloned()
                .unwrap_or_else(|| current.to_string())
        };
        let optional = |name: &str, current: &Option<String>| -> Option<String> {
            match form.get(name) {
                Some(v) => Some(v.clone()),
                None => current.clone(),
            }
        };
        let p = &user.profile;
        let base = crate::model::BaseProfile {
            login: text("login", &p.login),
            email: text("email", &p.email),
            second_email: optional("secondEmail", &p.second_email),
            first_name: text("firstName", &p.first_name),
            last_name: text("lastName", &p.last_name),
            middle_name: optional("middleName", &p.middle_name),
            primary_phone: optional("primaryPhone", &p.primary_phone),
            mobile_phone: optional("mobilePhone", &p.mobile_phone),
        };
        let schema = store.profile_schema().await?;
        let custom_profile = typed_custom(
            &schema,
            &custom.unwrap_or_default(),
            &user.custom_profile,
            None,
        )?;
        let updated = store
            .update_profile(
                &grant,
                ProfileUpdate {
                    profile: base,
                    custom_profile,
                    expected_version: Some(version),
                },
            )
            .await?;
        Ok(if updated.version == user.version {
            "Nothing changed.".to_string()
        } else {
            format!("Profile saved for {}.", updated.profile.login)
        })
    }
    .await;
    saved.map_err(|e| e.keeping(kept))
}

/// Applies a lifecycle operation (suspend, clear sessions, …) to a user.
#[server(endpoint = "users/lifecycle")]
pub async fn user_lifecycle(id: String, op: LifecycleOp) -> Result<String, AppError> {
    use crate::authz::{authorize_user, Permission};
    let (store, org, principal) = super::caller().await?;
    let id = crate::ids::UserId::parse(&id).map_err(|_| AppError::NotFound)?;
    let (user, grant) = authorize_user(
        &store,
        &org.orn,
        &principal,
        Permission::for_lifecycle_op(op),
        &id,
    )
    .await?;
    store.apply_lifecycle(&grant, op).await?;
    Ok(format!("{}: done for {}.", op.label(), user.profile.login))
}

/// A custom profile attribute as the create form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormAttribute {
    pub name: String,
    pub title: String,
    /// `string`, `boolean`, `integer` or `number`.
    pub attr_type: String,
    pub required: bool,
}

/// What the create-user form offers: the realms the caller may create users
/// in, and the custom attributes of the profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub realms: Vec<(String, String)>,
    pub attributes: Vec<FormAttribute>,
    /// Groups the caller may add members to (joined at creation).
    pub groups: Vec<(String, String)>,
}

#[server(endpoint = "users/create_form")]
pub async fn create_user_form() -> Result<NewUserForm, AppError> {
    use crate::authz::{realms_for_new_users, scope, Permission};
    let (store, _, principal) = super::caller().await?;
    let readable = store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?;
    let realms = realms_for_new_users(&principal, readable)
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    // Required attributes need a value; others only where the caller's
    // profile-edit right reaches them.
    let attributes = store
        .profile_schema()
        .await?
        .into_iter()
        .filter(|a| a.required || crate::authz::may_set_attribute(&principal, &a.name))
        .map(|a| FormAttribute {
            name: a.name,
            title: a.title,
            attr_type: a.attr_type.as_str().to_string(),
            required: a.required,
        })
        .collect();
    let groups = table_options().await?.member_groups;
    Ok(NewUserForm {
        realms,
        attributes,
        groups,
    })
}

/// Creates a user in a realm the caller may create users in; on success the
/// browser goes to the new user's page (with or without JavaScript).
#[server(endpoint = "users/create")]
pub async fn create_user(
    realm_id: String,
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile_phone: Option<String>,
    activate: Option<String>,
    custom: Option<std::collections::HashMap<String, String>>,
    groups: Option<Vec<String>>,
) -> Result<String, AppError> {
    // What the form held, kept in a refusal so that the form shows it again.
    let mut kept: Vec<(String, String)> = vec![
        ("realm_id".into(), realm_id.clone()),
        ("login".into(), login.clone()),
        ("email".into(), email.clone()),
        ("first_name".into(), first_name.clone()),
        ("last_name".into(), last_name.clone()),
        (
            "mobile_phone".into(),
            mobile_phone.clone().unwrap_or_default(),
        ),
    ];
    if let Some(custom) = &custom {
        kept.extend(
            custom
                .iter()
                .map(|(k, v)| (format!("custom[{k}]"), v.clone())),
        );
    }
    create_user_checked(
        realm_id,
        login,
        email,
        first_name,
        last_name,
        mobile_phone,
        activate,
        custom,
        groups,
    )
    .await
    .map_err(|e| e.keeping(kept))
}

#[cfg(feature = "ssr")]
async fn create_user_checked(
    realm_id: String,
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile_phone: Option<String>,
    activate: Option<String>,
    custom: Option<std::collections::HashMap<String, String>>,
    groups: Option<Vec<String>>,
) -> Result<String, AppError> {
    use crate::authz::{authorize_group, check, Permission, Privileges, Target};
    use crate::model::BaseProfile;
    use crate::store::users::NewUser;
    let (store, org, principal) = super::caller().await?;
    let realm_id = crate::ids::RealmId::parse(&realm_id)
        .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    let grant = check(
        &principal,
        Permission::UsersCreate,
        &Target::NewUserIn {
            realm_id: realm_id.clone(),
        },
    )
    // A realm the caller may not create in is, to it, not a choice at all.
    .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    // Groups to join are checked before the user exists: each group, and the
    // membership right on a user of this realm.
    let mut join = Vec::new();
    for raw in groups.unwrap_or_default() {
        let refused = || AppError::validation("groups", "Choose among the listed groups.");
        let id = crate::ids::GroupId::parse(raw.trim()).map_err(|_| refused())?;
        let (group, _) = authorize_group(
            &store,
            &org.orn,
            &principal,
            Permission::GroupsMembersManage,
            &id,
        )
        .await
        .map_err(|_| refused())?;
        let prospective = Target::User {
            id: crate::ids::UserId::generate(),
            realm_id: realm_id.clone(),
            groups: Vec::new(),
            privileges: Privileges::none(),
        };
        check(
            &principal,
            Permission::UsersGroupMembershipManage,
            &prospective,
        )
        .map_err(|_| refused())?;
        crate::authz::check_group_app_grants(&store, &principal, &group.id)
            .await
            .map_err(|_| refused())?;
        join.push(group.id);
    }
    // Custom attributes: the required ones, and those the caller's profile
    // edit right reaches in this realm; nothing else may be set.
    let schema = store.profile_schema().await?;
    let profile_grant = check(
        &principal,
        Permission::UsersUserprofileManage,
        &Target::NewUserIn {
            realm_id: realm_id.clone(),
        },
    )
    .ok();
    let may_set = |a: &crate::store::users::AttributeDef| {
        a.required
            || profile_grant
                .as_ref()
                .is_some_and(|g| g.reaches_attribute(&a.name))
    };
    let raw = custom.unwrap_or_default();
    let refused: Vec<crate::error::FieldError> = schema
        .iter()
        .filter(|a| !may_set(a))
        .filter(|a| raw.get(&a.name).is_some_and(|v| !v.trim().is_empty()))
        .map(|a| {
            crate::error::FieldError::new(
                a.name.clone(),
                format!("You may not set {} for new users.", a.title),
            )
        })
        .collect();
    if !refused.is_empty() {
        return Err(AppError::fields(refused));
    }
    let settable: Vec<crate::store::users::AttributeDef> =
        schema.iter().filter(|a| may_set(a)).cloned().collect();
    // Form values are text: typed by the profile schema here, checked again
    // (required, type) by the store.
    let custom_profile = typed_custom(&settable, &raw, &serde_json::Map::new(), Some(false))?;
    let user = store
        .create_user(
            &grant,
            NewUser {
                realm_id,
                profile: BaseProfile {
                    login,
                    email,
                    first_name,
                    last_name,
                    mobile_phone,
                    ..BaseProfile::default()
                },
                custom_profile,
                activate: activate.is_some(),
                profile_source_id: None,
            },
        )
        .await?;
    for group in &join {
        super::groups::membership(&store, &org, &principal, &user.id, group, "add").await?;
    }
    leptos_axum::redirect(&format!("/users/{}", user.id));
    Ok(user.id.to_string())
}

/// What the users table offers to filter by and to apply in bulk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableChoices {
    /// Realms the caller may read.
    pub realms: Vec<(String, String)>,
    /// Groups the caller may read.
    pub groups: Vec<(String, String)>,
    /// Groups the caller may add members to.
    pub member_groups: Vec<(String, String)>,
    /// Apps the caller may assign.
    pub apps: Vec<(String, String)>,
    /// Realms users may be moved to (org admins managing realms only).
    pub move_realms: Vec<(String, String)>,
}

#[server(endpoint = "users/options")]
pub async fn table_options() -> Result<TableChoices, AppError> {
    crate::ctx::read_once("users/options".into(), table_options_now).await
}

#[cfg(feature = "ssr")]
async fn table_options_now() -> Result<TableChoices, AppError> {
    use crate::authz::{check, group_targets, scope, Permission, Target};
    let (store, org, principal) = super::caller().await?;
    let realms: Vec<(String, String)> = store
        .list_realms(&scope(&principal, Permission::RealmsRead))
        .await?
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    let move_realms = if check(&principal, Permission::RealmsManage, &Target::Org).is_ok() {
        realms.clone()
    } else {
        Vec::new()
    };
    let groups = store
        .list_groups(&scope(&principal, Permission::GroupsRead))
        .await?;
    let ids: Vec<_> = groups.iter().map(|g| &g.id).collect();
    let targets = group_targets(&store, &org.orn, &ids).await?;
    let member_groups = groups
        .iter()
        .zip(&targets)
        .filter(|(_, target)| check(&principal, Permission::GroupsMembersManage, target).is_ok())
        .map(|(g, _)| (g.id.to_string(), g.name.clone()))
        .collect();
    let apps = store
        .list_apps(&scope(&principal, Permission::AppsAssignmentManage))
        .await?
        .into_iter()
        .filter(|a| {
            let target = Target::App {
                id: a.id.clone(),
                app_type: a.name.clone(),
            };
            check(&principal, Permission::AppsAssignmentManage, &target).is_ok()
        })
        .map(|a| (a.id.to_string(), a.label))
        .collect();
    Ok(TableChoices {
        move_realms,
        realms,
        groups: groups
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect(),
        member_groups,
        apps,
    })
}

/// The outcome of a bulk action for one selected user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub id: String,
    pub ok: bool,
    pub message: String,
}

/// Most users one bulk request may name (the table shows 25 a page).
pub const BULK_MAX: usize = 200;

/// Applies one action to each selected user, each through the same spine as
/// the single-user action (its own authorization, transaction and event): a
/// refusal for one user is that row's result, not the request's.
/// `action`: `suspend`, `unsuspend`, `deactivate`, `add_to_group` (with
/// `group_id`) or `assign_app` (with `app_id`).
#[server(endpoint = "users/bulk")]
pub async fn bulk_users(
    ids: Option<Vec<String>>,
    action: String,
    group_id: Option<String>,
    app_id: Option<String>,
    realm_id: Option<String>,
) -> Result<Vec<BulkResult>, AppError> {
    use crate::authz::{authorize_user, Permission};
    let (store, org, principal) = super::caller().await?;
    let ids = ids.unwrap_or_default();
    if action == "move_to_realm" {
        // A move is planned first: the plan's page lists who moves where.
        let op = super::admin::plan_move_for(
            &store,
            &org,
            &principal,
            ids,
            realm_id.as_deref().unwrap_or(""),
        )
        .await?;
        leptos_axum::redirect(&format!("/admin/operations/{op}"));
        return Ok(Vec::new());
    }
    if ids.is_empty() {
        return Err(AppError::validation("ids", "Select at least one user."));
    }
    if ids.len() > BULK_MAX {
        return Err(AppError::validation(
            "ids",
            format!("Select at most {BULK_MAX} users at a time."),
        ));
    }
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    enum Bulk {
        Lifecycle(LifecycleOp),
        Group(crate::ids::GroupId),
        App(crate::ids::AppId),
    }
    let bulk = match action.as_str() {
        "suspend" => Bulk::Lifecycle(LifecycleOp::Suspend),
        "unsuspend" => Bulk::Lifecycle(LifecycleOp::Unsuspend),
        "deactivate" => Bulk::Lifecycle(LifecycleOp::Deactivate),
        "add_to_group" => Bulk::Group(
            given(group_id)
                .and_then(|g| crate::ids::GroupId::parse(&g).ok())
                .ok_or_else(|| AppError::validation("groupId", "Choose a group."))?,
        ),
        "assign_app" => Bulk::App(
            given(app_id)
                .and_then(|a| crate::ids::AppId::parse(&a).ok())
                .ok_or_else(|| AppError::validation("appId", "Choose an app."))?,
        ),
        _ => return Err(AppError::validation("action", "Choose an action.")),
    };
    let mut results = Vec::with_capacity(ids.len());
    for raw in ids {
        let outcome = async {
            let id = crate::ids::UserId::parse(raw.trim()).map_err(|_| AppError::NotFound)?;
            match &bulk {
                Bulk::Lifecycle(op) => {
                    let (user, grant) = authorize_user(
                        &store,
                        &org.orn,
                        &principal,
                        Permission::for_lifecycle_op(*op),
                        &id,
                    )
                    .await?;
                    if !op.is_valid_from(user.status) {
                        return Err(AppError::conflict(format!(
                            "{} is {}: {} does not apply.",
                            user.profile.login,
                            user.status.as_str(),
                            op.label().to_lowercase()
                        )));
                    }
                    store.apply_lifecycle(&grant, *op).await?;
                    Ok(format!("{}: done for {}.", op.label(), user.profile.login))
                }
                Bulk::Group(group) => {
                    super::groups::membership(&store, &org, &principal, &id, group, "add").await
                }
                Bulk::App(app) => {
                    super::apps::assignment(&store, &org, &principal, &id, app, "assign").await
                }
            }
        }
        .await;
        results.push(match outcome {
            Ok(message) => BulkResult {
                id: raw,
                ok: true,
                message,
            },
            Err(e) => BulkResult {
                id: raw,
                ok: false,
                message: e.to_string(),
            },
        });
    }
    // A plain form post (no JavaScript) only shows an error, not a result:
    // refusals must not pass for success there.
    let refused: Vec<String> = results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.message.clone())
        .collect();
    if !refused.is_empty() && plain_form_post().await {
        return Err(AppError::conflict(format!(
            "{} of {} done. Not done for {}: {}",
            results.len() - refused.len(),
            results.len(),
            refused.len(),
            refused.join(" ")
        )));
    }
    Ok(results)
}

/// The columns of the users CSV export.
pub const EXPORT_COLUMNS: [&str; 9] = [
    "id",
    "login",
    "email",
    "firstName",
    "lastName",
    "realm",
    "status",
    "created",
    "lastUpdated",
];

/// A cell as a spreadsheet should read it: text that would start a formula
/// (`=`, `+`, `-`, `@`, tab, CR, LF — also after leading spaces, which
/// spreadsheets skip) is prefixed with `'` (CSV injection).
#[cfg(feature = "ssr")]
pub fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    const TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\n'];
    if cell.trim_start_matches(' ').starts_with(TRIGGERS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// One chunk of the users CSV export under the caller's read scope: the rows of
/// the page after `after` (the header first when `after` is `None`), and the
/// cursor of the next chunk. The same filter as the table, by name.
#[cfg(feature = "ssr")]
pub async fn export_chunk(
    store: &crate::store::Store,
    principal: &crate::authz::Principal,
    filter: &crate::store::users::UserFilter,
    after: Option<&str>,
) -> Result<(Vec<u8>, Option<String>), AppError> {
    use crate::authz::{scope, Permission};
    use crate::store::users::{UserSort, MAX_PAGE};
    if !group_filter_visible(store, principal, filter).await? {
        let mut out = csv::Writer::from_writer(Vec::new());
        if after.is_none() {
            out.write_record(EXPORT_COLUMNS).map_err(|e| {
                let ref_id = crate::error::new_ref_id();
                tracing::error!(ref_id, error = %e, "csv export");
                AppError::Internal { ref_id }
            })?;
        }
        let bytes = out.into_inner().map_err(|_| AppError::Internal {
            ref_id: crate::error::new_ref_id(),
        })?;
        return Ok((bytes, None));
    }
    let page = store
        .list_users(
            &scope(principal, Permission::UsersRead),
            filter,
            UserSort::Name,
            after,
            MAX_PAGE,
        )
        .await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| {
        let ref_id = crate::error::new_ref_id();
        tracing::error!(ref_id, error = %e, "csv export");
        AppError::Internal { ref_id }
    };
    if after.is_none() {
        out.write_record(EXPORT_COLUMNS).map_err(failed)?;
    }
    let mut names = std::collections::HashMap::new();
    let realms = scope(principal, Permission::RealmsRead);
    // Columns the caller's read conditions exclude stay empty (decided once
    // for the chunk).
    let [login_shown, email_shown, first_shown, last_shown] =
        ["login", "email", "firstName", "lastName"]
            .map(|name| crate::authz::lists_attribute(principal, name));
    fn shown(visible: bool, value: &str) -> &str {
        if visible {
            value
        } else {
            ""
        }
    }
    for u in &page.items {
        let realm = realm_name(store, &realms, &mut names, &u.realm_id).await?;
        let (login, email, first, last) = (
            shown(login_shown, &u.profile.login),
            shown(email_shown, &u.profile.email),
            shown(first_shown, &u.profile.first_name),
            shown(last_shown, &u.profile.last_name),
        );
        let record = [
            u.id.as_str(),
            login,
            email,
            first,
            last,
            &realm,
            u.status.as_str(),
            &u.created,
            &u.last_updated,
        ];
        out.write_record(record.iter().map(|c| inert(c).into_owned()))
            .map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| failed(e.into_error().into()))?;
    Ok((bytes, page.next))
}
