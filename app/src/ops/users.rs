//! Users: the table (search, filters, keyset paging), one user with what the
//! caller may do to it, profile edits, lifecycle, creation (with groups),
//! bulk actions and the CSV export. Users outside the caller's read scope are
//! "not found", whatever the id.

use std::collections::HashMap;

use crate::authz::{
    check, explain, lifecycle_actions, scope, Grant, Permission, Privileges, Target,
};
use crate::credentials::{LinkPurpose, LinkToken};
use crate::ctx::Ctx;
use crate::error::{AppError, FieldError};
use crate::ids::{AppId, GroupId, RealmId, UserId};
use crate::model::{BaseProfile, CredentialHolder, LifecycleOp, User, UserStatus};
use crate::store::credentials::IssuedLink;
use crate::store::profiles::ProfileUpdate;
pub use crate::store::users::{
    AttributeDef, AttributeType, Page, UserCondition, UserField, UserFilter, UserSort,
};
use crate::store::users::{NewUser, MAX_PAGE};
use crate::store::{Store, StoreError};
use crate::views::users::{
    BulkResult, FormAttribute, NewUserForm, ProfileField, TableChoices, UserDetail, UserRow,
    UsersPage, Why, BULK_MAX, EXPORT_COLUMNS, PAGE_SIZE,
};

use super::access::{app_target, authorize_group, authorize_user};

#[cfg(test)]
#[path = "tests/users.rs"]
mod tests;

/// The filter of the users table from its query parameters (blank = any).
pub fn parse_filter(
    search: Option<String>,
    status: Option<String>,
    realm: Option<String>,
    group: Option<String>,
) -> Result<UserFilter, AppError> {
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
        .map(|r| RealmId::parse(&r))
        .transpose()
        .map_err(|_| AppError::validation("realm", "Choose one of the listed realms."))?;
    let group = given(group)
        .map(|g| GroupId::parse(&g))
        .transpose()
        .map_err(|_| AppError::validation("group", "Choose one of the listed groups."))?;
    Ok(UserFilter {
        status,
        realm,
        group,
        search: given(search),
        ..Default::default()
    })
}

/// The table's order from its query parameter: `name` (default), `login` or
/// `created`.
pub fn parse_sort(sort: Option<&str>) -> Result<UserSort, AppError> {
    match sort.unwrap_or_default() {
        "" | "name" => Ok(UserSort::Name),
        "login" => Ok(UserSort::Login),
        "created" => Ok(UserSort::Created),
        _ => Err(AppError::validation(
            "sort",
            "Choose one of the listed orders.",
        )),
    }
}

/// Realm names for rows, read once each under the caller's realm read scope.
/// A user may be visible (through a group, say) in a realm the caller may
/// not read: then the realm stays unnamed.
struct RealmNames<'a> {
    store: &'a Store,
    readable: crate::authz::Scope,
    names: HashMap<RealmId, String>,
}

impl<'a> RealmNames<'a> {
    fn new(cx: &'a Ctx) -> Self {
        Self {
            store: &cx.store,
            readable: scope(&cx.principal, Permission::RealmsRead),
            names: HashMap::new(),
        }
    }

    async fn of(&mut self, id: &RealmId) -> Result<String, AppError> {
        if let Some(name) = self.names.get(id) {
            return Ok(name.clone());
        }
        let name = match self.store.get_realm(&self.readable, id).await {
            Ok(realm) => realm.name,
            Err(StoreError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        };
        self.names.insert(id.clone(), name.clone());
        Ok(name)
    }
}

/// A page of the users the caller may read, in `sort` order after `after`.
pub async fn list(
    cx: &Ctx,
    filter: UserFilter,
    sort: UserSort,
    after: Option<String>,
) -> Result<UsersPage, AppError> {
    if !group_filter_visible(cx, &filter).await? {
        return Ok(UsersPage {
            rows: Vec::new(),
            next: None,
        });
    }
    let page = cx
        .store
        .list_users(
            &scope(&cx.principal, Permission::UsersRead),
            &filter,
            sort,
            after.as_deref().filter(|a| !a.is_empty()),
            PAGE_SIZE,
        )
        .await?;
    let mut realms = RealmNames::new(cx);
    let names_shown = crate::authz::lists_attribute(&cx.principal, "firstName")
        && crate::authz::lists_attribute(&cx.principal, "lastName");
    let mut rows = Vec::with_capacity(page.items.len());
    for u in page.items {
        rows.push(UserRow {
            id: u.id.to_string(),
            name: if names_shown {
                format!("{} {}", u.profile.first_name, u.profile.last_name)
            } else {
                u.profile.login.clone()
            },
            login: u.profile.login,
            realm: realms.of(&u.realm_id).await?,
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
async fn group_filter_visible(cx: &Ctx, filter: &UserFilter) -> Result<bool, AppError> {
    let Some(group) = &filter.group else {
        return Ok(true);
    };
    match cx
        .store
        .get_group(&scope(&cx.principal, Permission::GroupsRead), group)
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The user with `login` among the users the caller may read: `None` when
/// there is none or it lies outside the caller's read scope (the same answer,
/// so a username is no oracle).
pub async fn find_by_login(cx: &Ctx, login: &str) -> Result<Option<User>, AppError> {
    Ok(cx
        .store
        .find_user_by_login(&scope(&cx.principal, Permission::UsersRead), login)
        .await?)
}

/// The user a form names: by id as given (loaded later under the read scope:
/// `NotFound`), else by username (unknown or invisible: a field error).
pub async fn named(cx: &Ctx, id: Option<UserId>, login: Option<&str>) -> Result<UserId, AppError> {
    if let Some(id) = id {
        return Ok(id);
    }
    let login = login.map(str::trim).unwrap_or_default();
    if login.is_empty() {
        return Err(AppError::validation("login", "Enter a username."));
    }
    find_by_login(cx, login)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::validation("login", "No user with this username in your realms."))
}

/// One user the caller may read, its profile (each attribute marked editable
/// or not for the caller), and the lifecycle actions it may take, each with
/// why.
pub async fn get(cx: &Ctx, id: &UserId) -> Result<UserDetail, AppError> {
    let principal = &cx.principal;
    let (user, target) = super::access::load_user(cx, id).await?;
    let holder = cx.store.credential_holder(&user).await?;
    let actions = lifecycle_actions(principal, &target, user.status, holder);
    let edit = check(principal, Permission::UsersUserprofileManage, &target).ok();
    let editable = |name: &str| edit.as_ref().is_some_and(|g| g.reaches_attribute(name));
    // Only the attributes the caller's read right reaches are shown at all.
    let read = check(principal, Permission::UsersRead, &target).ok();
    let readable = |name: &str| read.as_ref().is_some_and(|g| g.reaches_attribute(name));
    let schema = cx.store.profile_schema().await?;
    let profile: Vec<ProfileField> = profile_fields(&user, &schema, editable)
        .into_iter()
        .filter(|f| readable(&f.name))
        .collect();
    let mut why: Vec<Why> = actions
        .iter()
        .map(|op| {
            let d = explain(principal, Permission::for_lifecycle_op(*op), &target);
            Why {
                action: op.label_for(holder).to_string(),
                permission: d.permission,
                reason: d.reason,
            }
        })
        .collect();
    if edit.is_some() {
        let d = explain(principal, Permission::UsersUserprofileManage, &target);
        why.insert(
            0,
            Why {
                action: "Edit profile".into(),
                permission: d.permission,
                reason: d.reason,
            },
        );
    }
    Ok(UserDetail {
        id: user.id.to_string(),
        name: format!("{} {}", user.profile.first_name, user.profile.last_name),
        login: user.profile.login.clone(),
        email: user.profile.email.clone(),
        realm: RealmNames::new(cx).of(&user.realm_id).await?,
        status: user.status,
        created: user.created.clone(),
        last_updated: user.last_updated.clone(),
        action_labels: actions
            .iter()
            .map(|op| op.label_for(holder).to_string())
            .collect(),
        actions,
        credentials: credentials_note(holder),
        version: user.version,
        profile,
        why,
    })
}

/// A profile form as posted: attribute name → text. Attributes the form left
/// out keep their values.
#[derive(Debug, Clone, Default)]
pub struct ProfileEdit {
    /// The version the form was rendered from (a change since is a conflict).
    pub version: i64,
    pub profile: HashMap<String, String>,
    pub custom: HashMap<String, String>,
}

/// Saves a profile form: attributes the caller's role does not reach may not
/// change (field error); a change made by someone else since the form's
/// version is a conflict.
pub async fn update_profile(cx: &Ctx, id: &UserId, edit: ProfileEdit) -> Result<String, AppError> {
    let (user, grant) = authorize_user(cx, Permission::UsersUserprofileManage, id).await?;
    let form = &edit.profile;
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
    let base = BaseProfile {
        login: text("login", &p.login),
        email: text("email", &p.email),
        second_email: optional("secondEmail", &p.second_email),
        first_name: text("firstName", &p.first_name),
        last_name: text("lastName", &p.last_name),
        middle_name: optional("middleName", &p.middle_name),
        primary_phone: optional("primaryPhone", &p.primary_phone),
        mobile_phone: optional("mobilePhone", &p.mobile_phone),
    };
    let schema = cx.store.profile_schema().await?;
    let custom_profile = typed_custom(&schema, &edit.custom, &user.custom_profile, None)?;
    let updated = cx
        .store
        .update_profile(
            &grant,
            ProfileUpdate {
                profile: base,
                custom_profile,
                expected_version: Some(edit.version),
            },
        )
        .await?;
    Ok(if updated.version == user.version {
        "Nothing changed.".to_string()
    } else {
        format!("Profile saved for {}.", updated.profile.login)
    })
}

/// Applies a lifecycle operation (suspend, clear sessions, …) to a user.
/// For a user whose credentials the portal holds, activation, reactivation
/// and *Reset password* mail a one-time link (stored as a hash in the
/// operation's transaction, replacing older ones); the answer says whether
/// the mail went out.
pub async fn apply_lifecycle(cx: &Ctx, id: &UserId, op: LifecycleOp) -> Result<String, AppError> {
    let (user, grant) = authorize_user(cx, Permission::for_lifecycle_op(op), id).await?;
    let holder = cx.store.credential_holder(&user).await?;
    let Some(next) = op.next_status(user.status, holder) else {
        return Err(AppError::conflict(format!(
            "{} is {}: {} does not apply.",
            user.profile.login,
            user.status.as_str(),
            op.label_for(holder).to_lowercase()
        )));
    };
    let purpose = match (op, holder, next) {
        (_, CredentialHolder::Federated, _) => None,
        (LifecycleOp::Activate | LifecycleOp::Reactivate, _, UserStatus::Provisioned) => {
            Some(LinkPurpose::Activation)
        }
        (LifecycleOp::ResetPassword, _, _) => Some(LinkPurpose::Recovery),
        _ => None,
    };
    let credentials = &cx.settings.credentials;
    let token = purpose.map(|_| LinkToken::generate());
    let link = purpose
        .zip(token.as_ref())
        .map(|(purpose, token)| IssuedLink {
            purpose,
            token_hash: token.hash(),
            ttl: credentials.ttl(purpose),
        });
    cx.store.apply_lifecycle_linked(&grant, op, link).await?;
    let done = format!("{}: done for {}.", op.label_for(holder), user.profile.login);
    Ok(match purpose.zip(token) {
        Some((purpose, token)) => {
            match crate::credentials::mail_link(&cx.settings.credentials, &user, purpose, &token)
                .await
            {
                Ok(()) => format!("{done} A link was emailed to {}.", user.profile.email),
                Err(why) => format!("{done} {why}"),
            }
        }
        None => done,
    })
}

/// What the user page says about where the user's credentials live.
fn credentials_note(holder: CredentialHolder) -> String {
    match holder {
        CredentialHolder::Federated => {
            "Signs in through an identity provider: the password and authenticators are managed there.".into()
        }
        CredentialHolder::Portal { has_password: true } => {
            "Signs in with a password and authenticators held by the portal.".into()
        }
        CredentialHolder::Portal { has_password: false } => {
            "Signs in with a password held by the portal; none is set yet (activation sends the link).".into()
        }
    }
}

/// What the create-user form offers: the realms the caller may create users
/// in, the custom attributes it may (or must) set, the groups it may add the
/// new user to.
pub async fn create_choices(cx: &Ctx) -> Result<NewUserForm, AppError> {
    let principal = &cx.principal;
    let readable = cx
        .store
        .list_realms(&scope(principal, Permission::RealmsRead))
        .await?;
    let realms = crate::authz::realms_for_new_users(principal, readable)
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    // Required attributes need a value; others only where the caller's
    // profile-edit right reaches them.
    let attributes = cx
        .store
        .profile_schema()
        .await?
        .into_iter()
        .filter(|a| a.required || crate::authz::may_set_attribute(principal, &a.name))
        .map(|a| FormAttribute {
            name: a.name,
            title: a.title,
            attr_type: a.attr_type.as_str().to_string(),
            required: a.required,
        })
        .collect();
    let readable = cx
        .store
        .list_groups(&scope(principal, Permission::GroupsRead))
        .await?;
    let groups = member_groups(cx, &readable).await?;
    Ok(NewUserForm {
        realms,
        attributes,
        groups,
    })
}

/// A new user as the create form gives it.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    /// `None`: the realm-assignment rules choose (for `source`'s users, or
    /// the rules without a source).
    pub realm_id: Option<RealmId>,
    /// The profile source (an app whose import creates the user).
    pub source: Option<String>,
    pub profile: BaseProfile,
    /// Custom attributes as typed (text, typed by the schema here).
    pub custom: HashMap<String, String>,
    pub activate: bool,
    /// Groups it joins at creation.
    pub groups: Vec<GroupId>,
}

/// Creates a user in a realm the caller may create users in, with its
/// groups: every grant is checked before anything is written, and the user,
/// its memberships and their events are one transaction.
pub async fn create(cx: &Ctx, input: NewUserInput) -> Result<User, AppError> {
    let schema = cx.store.profile_schema().await?;
    let prepared = prepare_create(cx, input, &schema).await?;
    let token = LinkToken::generate();
    let link = IssuedLink {
        purpose: LinkPurpose::Activation,
        token_hash: token.hash(),
        ttl: cx.settings.credentials.ttl(LinkPurpose::Activation),
    };
    let user = cx
        .store
        .create_user_in_groups(&prepared.grant, prepared.new, &prepared.join, Some(link))
        .await?;
    // A user who sets its password here gets the activation link by mail;
    // a failure to send leaves it PROVISIONED, and "Resend activation
    // email" sends a new link.
    if user.status == UserStatus::Provisioned {
        if let Err(why) = crate::credentials::mail_link(
            &cx.settings.credentials,
            &user,
            LinkPurpose::Activation,
            &token,
        )
        .await
        {
            tracing::warn!(user = %user.id, %why, "the activation email was not sent");
        }
    }
    Ok(user)
}

/// A new user as the caller may create it: the grant to create it in its
/// realm, the record to write (custom attributes typed by `schema`) and the
/// grants of the groups it joins. Every creation — the form, an import's
/// preview and each of its lines — goes through this.
pub(crate) struct PreparedUser {
    pub(crate) grant: Grant,
    pub(crate) new: NewUser,
    pub(crate) join: Vec<Grant>,
}

/// Checks a new user against the caller's rights, before anything is
/// written: the realm, each group to join, the custom attributes it may set.
pub(crate) async fn prepare_create(
    cx: &Ctx,
    input: NewUserInput,
    schema: &[AttributeDef],
) -> Result<PreparedUser, AppError> {
    let principal = &cx.principal;
    let realm_id = match &input.realm_id {
        Some(r) => r.clone(),
        None => {
            let custom: serde_json::Map<String, serde_json::Value> = input
                .custom
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            let source = match input.source.as_deref() {
                Some(app) => crate::store::idps::RuleSource::AppOrAny(app),
                None => crate::store::idps::RuleSource::Unsourced,
            };
            cx.store
                .realm_by_rules(source, None, &input.profile, &custom)
                .await?
        }
    };
    let realm = Target::NewUserIn {
        realm_id: realm_id.clone(),
    };
    let grant = check(principal, Permission::UsersCreate, &realm)
        // A realm the caller may not create in is, to it, not a choice at all.
        .map_err(|_| AppError::validation("realmId", "Choose a realm."))?;
    // Groups to join are checked before the user exists: each group, the
    // membership right on a user of this realm, and the group's apps.
    let mut join = Vec::new();
    for id in &input.groups {
        let refused = || AppError::validation("groups", "Choose among the listed groups.");
        let (group, group_grant) = authorize_group(cx, Permission::GroupsMembersManage, id)
            .await
            .map_err(|_| refused())?;
        let prospective = Target::User {
            id: UserId::generate(),
            realm_id: realm_id.clone(),
            groups: Vec::new(),
            privileges: Privileges::none(),
        };
        check(
            principal,
            Permission::UsersGroupMembershipManage,
            &prospective,
        )
        .map_err(|_| refused())?;
        super::access::check_group_app_grants(cx, &group.id)
            .await
            .map_err(|_| refused())?;
        join.push(group_grant);
    }
    // Custom attributes: the required ones, and those the caller's profile
    // edit right reaches in this realm; nothing else may be set.
    let profile_grant = check(principal, Permission::UsersUserprofileManage, &realm).ok();
    let may_set = |a: &AttributeDef| {
        a.required
            || profile_grant
                .as_ref()
                .is_some_and(|g| g.reaches_attribute(&a.name))
    };
    let refused: Vec<FieldError> = schema
        .iter()
        .filter(|a| !may_set(a))
        .filter(|a| {
            input
                .custom
                .get(&a.name)
                .is_some_and(|v| !v.trim().is_empty())
        })
        .map(|a| {
            FieldError::new(
                a.name.clone(),
                format!("You may not set {} for new users.", a.title),
            )
        })
        .collect();
    if !refused.is_empty() {
        return Err(AppError::fields(refused));
    }
    let settable: Vec<AttributeDef> = schema.iter().filter(|a| may_set(a)).cloned().collect();
    // Form values are text: typed by the profile schema here, checked again
    // (required, type) by the store.
    let custom_profile = typed_custom(
        &settable,
        &input.custom,
        &serde_json::Map::new(),
        Some(false),
    )?;
    Ok(PreparedUser {
        grant,
        new: NewUser {
            realm_id,
            profile: input.profile,
            custom_profile,
            activate: input.activate,
            profile_source_id: input.source,
        },
        join,
    })
}

/// Of `groups` (those the caller may read), the ones it may add members to,
/// as (id, name).
async fn member_groups(
    cx: &Ctx,
    groups: &[crate::model::Group],
) -> Result<Vec<(String, String)>, AppError> {
    let ids: Vec<_> = groups.iter().map(|g| &g.id).collect();
    let targets = cx.store.facts_of_groups(&cx.org.orn, &ids).await?;
    Ok(groups
        .iter()
        .zip(&targets)
        .filter(|(_, target)| check(&cx.principal, Permission::GroupsMembersManage, target).is_ok())
        .map(|(g, _)| (g.id.to_string(), g.name.clone()))
        .collect())
}

/// What the users table offers to filter by and to apply in bulk.
pub async fn table_choices(cx: &Ctx) -> Result<TableChoices, AppError> {
    let principal = &cx.principal;
    let readable = cx
        .store
        .list_realms(&scope(principal, Permission::RealmsRead))
        .await?;
    // Moving needs `okta.realms.manage` on both realms: offered to those who
    // manage two realms or more, with the realms they manage.
    let mut move_realms: Vec<(String, String)> = readable
        .iter()
        .filter(|r| {
            let target = Target::Realm { id: r.id.clone() };
            check(principal, Permission::RealmsManage, &target).is_ok()
        })
        .map(|r| (r.id.to_string(), r.name.clone()))
        .collect();
    if move_realms.len() < 2 {
        move_realms.clear();
    }
    let realms: Vec<(String, String)> = readable
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    let readable = cx
        .store
        .list_groups(&scope(principal, Permission::GroupsRead))
        .await?;
    let member_groups = member_groups(cx, &readable).await?;
    let apps = cx
        .store
        .list_apps(&scope(principal, Permission::AppsAssignmentManage))
        .await?
        .into_iter()
        .filter(|a| check(principal, Permission::AppsAssignmentManage, &app_target(a)).is_ok())
        .map(|a| (a.id.to_string(), a.label))
        .collect();
    Ok(TableChoices {
        move_realms,
        realms,
        groups: readable
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect(),
        member_groups,
        apps,
    })
}

/// A bulk action on selected users (a move to another realm is planned
/// instead: `ops::operations::plan_move`).
#[derive(Debug, Clone)]
pub enum BulkAction {
    Lifecycle(LifecycleOp),
    AddToGroup(GroupId),
    AssignApp(AppId),
}

/// Applies one action to each selected user, each through the same spine as
/// the single-user action (its own authorization, transaction and event): a
/// refusal for one user is that row's result, not the request's. Ids are as
/// given (a malformed one is that row's "not found").
pub async fn bulk(
    cx: &Ctx,
    ids: Vec<String>,
    action: BulkAction,
) -> Result<Vec<BulkResult>, AppError> {
    if ids.is_empty() {
        return Err(AppError::validation("ids", "Select at least one user."));
    }
    if ids.len() > BULK_MAX {
        return Err(AppError::validation(
            "ids",
            format!("Select at most {BULK_MAX} users at a time."),
        ));
    }
    let mut results = Vec::with_capacity(ids.len());
    for raw in ids {
        let outcome = async {
            let id = UserId::parse(raw.trim()).map_err(|_| AppError::NotFound)?;
            match &action {
                BulkAction::Lifecycle(op) => apply_lifecycle(cx, &id, *op).await,
                BulkAction::AddToGroup(group) => {
                    super::links::change(cx, &id, super::links::Link::Group(group.clone()), true)
                        .await
                }
                BulkAction::AssignApp(app) => {
                    super::links::change(cx, &id, super::links::Link::App(app.clone()), true).await
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
    Ok(results)
}

/// A cell as a spreadsheet should read it: text that would start a formula
/// (`=`, `+`, `-`, `@`, tab, CR, LF — also after leading spaces, which
/// spreadsheets skip) is prefixed with `'` (CSV injection).
pub fn csv_safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    const TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\n'];
    if cell.trim_start_matches(' ').starts_with(TRIGGERS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn csv_failed(e: impl std::fmt::Display) -> AppError {
    let ref_id = crate::error::new_ref_id();
    tracing::error!(ref_id, error = %e, "csv export");
    AppError::Internal { ref_id }
}

/// One chunk of the users CSV export under the caller's read scope: the rows
/// of the page after `after` (the header first when `after` is `None`), and
/// the cursor of the next chunk. The same filter as the table, by name.
pub async fn export_chunk(
    cx: &Ctx,
    filter: &UserFilter,
    after: Option<&str>,
) -> Result<(Vec<u8>, Option<String>), AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    if after.is_none() {
        out.write_record(EXPORT_COLUMNS).map_err(csv_failed)?;
    }
    if !group_filter_visible(cx, filter).await? {
        return Ok((out.into_inner().map_err(csv_failed)?, None));
    }
    let page = cx
        .store
        .list_users(
            &scope(&cx.principal, Permission::UsersRead),
            filter,
            UserSort::Name,
            after,
            MAX_PAGE,
        )
        .await?;
    let mut realms = RealmNames::new(cx);
    // Columns the caller's read conditions exclude stay empty (decided once
    // for the chunk).
    let [login_shown, email_shown, first_shown, last_shown] =
        ["login", "email", "firstName", "lastName"]
            .map(|name| crate::authz::lists_attribute(&cx.principal, name));
    fn shown(visible: bool, value: &str) -> &str {
        if visible {
            value
        } else {
            ""
        }
    }
    for u in &page.items {
        let realm = realms.of(&u.realm_id).await?;
        let record = [
            u.id.as_str(),
            shown(login_shown, &u.profile.login),
            shown(email_shown, &u.profile.email),
            shown(first_shown, &u.profile.first_name),
            shown(last_shown, &u.profile.last_name),
            &realm,
            u.status.as_str(),
            &u.created,
            &u.last_updated,
        ];
        out.write_record(record.iter().map(|c| csv_safe_cell(c).into_owned()))
            .map_err(csv_failed)?;
    }
    let bytes = out.into_inner().map_err(|e| csv_failed(e.into_error()))?;
    Ok((bytes, page.next))
}

fn profile_fields(
    user: &User,
    schema: &[AttributeDef],
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
pub fn typed_custom(
    schema: &[AttributeDef],
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
                    errors.push(FieldError::new(
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
                    errors.push(FieldError::new(attribute.name.clone(), "Enter a number."));
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

/// A user record as the caller may read it: attributes its read right does
/// not reach are left out (custom ones) or empty (base ones).
fn as_readable(mut user: User, read: &Grant) -> User {
    user.custom_profile
        .retain(|name, _| read.reaches_attribute(name));
    let p = &mut user.profile;
    for (name, value) in [
        ("secondEmail", &mut p.second_email),
        ("middleName", &mut p.middle_name),
        ("primaryPhone", &mut p.primary_phone),
        ("mobilePhone", &mut p.mobile_phone),
    ] {
        if !read.reaches_attribute(name) {
            *value = None;
        }
    }
    user
}

/// A page of user records the caller may read (the Management API's list),
/// in `sort` order after `after`, `limit` long.
pub async fn records(
    cx: &Ctx,
    filter: UserFilter,
    sort: UserSort,
    after: Option<&str>,
    limit: u32,
) -> Result<Page<User>, AppError> {
    if !group_filter_visible(cx, &filter).await? {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    }
    let page = cx
        .store
        .list_users(
            &scope(&cx.principal, Permission::UsersRead),
            &filter,
            sort,
            after.filter(|a| !a.is_empty()),
            limit.min(MAX_PAGE),
        )
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for user in page.items {
        let target = cx.store.facts_of_user(&cx.org.orn, &user).await?;
        match check(&cx.principal, Permission::UsersRead, &target) {
            Ok(read) => items.push(as_readable(user, &read)),
            // In the read scope, the kernel allows the read; skip, never fail.
            Err(_) => continue,
        }
    }
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One user record the caller may read, by id or (as Okta allows) by login.
pub async fn record(cx: &Ctx, id_or_login: &str) -> Result<User, AppError> {
    // `me`: the caller itself (an API token's owner), as Okta answers it.
    if id_or_login == "me" {
        let me = cx.principal.user_id().cloned().ok_or(AppError::NotFound)?;
        let (user, target) = super::access::load_user(cx, &me).await?;
        let read = check(&cx.principal, Permission::UsersRead, &target)?;
        return Ok(as_readable(user, &read));
    }
    let id = match UserId::parse(id_or_login) {
        Ok(id) if !id_or_login.contains('@') => id,
        _ => find_by_login(cx, id_or_login)
            .await?
            .map(|u| u.id)
            .ok_or(AppError::NotFound)?,
    };
    let (user, target) = super::access::load_user(cx, &id).await?;
    let read = check(&cx.principal, Permission::UsersRead, &target)?;
    Ok(as_readable(user, &read))
}

/// Changes the attributes `edit` names, whatever the user's version (the
/// Management API's partial update; `replace`: Okta's `PUT`, where attributes
/// left out are cleared).
pub async fn change_profile(
    cx: &Ctx,
    id: &UserId,
    mut profile: HashMap<String, String>,
    mut custom: HashMap<String, String>,
    replace: bool,
) -> Result<User, AppError> {
    let (user, _) = super::access::load_user(cx, id).await?;
    if replace {
        for name in ["secondEmail", "middleName", "primaryPhone", "mobilePhone"] {
            profile.entry(name.to_string()).or_default();
        }
        for name in user.custom_profile.keys() {
            custom.entry(name.clone()).or_default();
        }
    }
    update_profile(
        cx,
        id,
        ProfileEdit {
            version: user.version,
            profile,
            custom,
        },
    )
    .await?;
    record(cx, id.as_str()).await
}
