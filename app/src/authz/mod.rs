//! Authorization: who may do what to which object. The one chokepoint.
//!
//! Every server function, REST and SCIM handler asks here: `check` for a point
//! operation on a loaded target (→ a `Grant`, the only key to the store's write
//! methods), `scope` for a list (→ a `Scope`, compiled to an SQL predicate that the
//! store ANDs with the caller's filters). Only this module constructs `Scope` and
//! `Grant`. Rights are the union of standard roles and bindings (resource set ×
//! custom role) held directly or through group membership, loaded from current data
//! on every request. A target outside the caller's read scope is `NotFound`; a
//! visible target the caller may not change is `Forbidden`. Every decision is
//! logged at debug level with principal, permission, target, outcome and source.

pub mod catalog;
pub mod facts;
mod org;
pub mod orn;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ids::{AppId, GroupId, RealmId, ResourceSetId, RoleId, UserId};
use crate::model::{RoleTarget, StandardRole};
pub use facts::{Actor, Client, RightsRows, StandardRow};

pub use catalog::Permission;
pub use org::OrgContext;

/// The authenticated caller, with the rights it holds right now.
#[derive(Debug, Clone)]
pub struct Principal {
    kind: PrincipalKind,
    actor: Actor,
    client: Client,
    entitlements: Vec<Entitlement>,
    /// Per permission (implications expanded), which objects which entitlement
    /// covers: decisions are lookups, not scans over every binding.
    index: HashMap<Permission, Grants>,
    /// The same, for rights held without attribute conditions only (the
    /// anti-escalation rule: a conditioned right covers only its attributes).
    unconditioned: HashMap<Permission, Grants>,
}

/// For one permission: the entitlement (by position) that covers each object.
#[derive(Debug, Clone, Default)]
struct Grants {
    all: Option<usize>,
    users: HashMap<UserId, usize>,
    realm_users: HashMap<RealmId, usize>,
    group_users: HashMap<GroupId, usize>,
    groups: HashMap<GroupId, usize>,
    apps: HashMap<AppId, usize>,
    app_types: HashMap<String, usize>,
    realms: HashMap<RealmId, usize>,
}

impl Grants {
    fn add(&mut self, coverage: orn::Coverage, at: usize) {
        use orn::Coverage as C;
        let first = |slot: &mut Option<usize>| {
            slot.get_or_insert(at);
        };
        match coverage {
            c if c.is_all() => first(&mut self.all),
            C::UsersInRealm(r) => {
                self.realm_users.entry(r).or_insert(at);
            }
            C::UsersInGroup(g) => {
                self.group_users.entry(g).or_insert(at);
            }
            C::OneUser(u) => {
                self.users.entry(u).or_insert(at);
            }
            C::OneGroup(g) => {
                self.groups.entry(g).or_insert(at);
            }
            C::AppsOfType(t) => {
                self.app_types.entry(t.as_str().to_string()).or_insert(at);
            }
            C::OneApp(a) => {
                self.apps.entry(a).or_insert(at);
            }
            C::OneRealm(r) => {
                self.realms.entry(r).or_insert(at);
            }
            _ => {}
        }
    }

    /// The first entitlement that covers `target`, if any.
    fn find(&self, target: &Target) -> Option<usize> {
        let candidates: [Option<usize>; 4] = match target {
            Target::Org => [self.all, None, None, None],
            Target::User {
                id,
                realm_id,
                groups,
                ..
            } => [
                self.all,
                self.users.get(id).copied(),
                self.realm_users.get(realm_id).copied(),
                groups
                    .iter()
                    .filter_map(|g| self.group_users.get(g))
                    .min()
                    .copied(),
            ],
            Target::NewUserIn { realm_id } => [
                self.all,
                self.realm_users.get(realm_id).copied(),
                None,
                None,
            ],
            Target::Group { id, .. } => [self.all, self.groups.get(id).copied(), None, None],
            Target::App { id, app_type } => [
                self.all,
                self.apps.get(id).copied(),
                self.app_types.get(app_type).copied(),
                None,
            ],
            Target::Realm { id } => [self.all, self.realms.get(id).copied(), None, None],
        };
        candidates.into_iter().flatten().min()
    }

    /// Covers everything `coverage` names (for the anti-escalation rule).
    fn contains(&self, coverage: &orn::Coverage) -> bool {
        use orn::Coverage as C;
        self.all.is_some()
            || match coverage {
                C::UsersInRealm(r) => self.realm_users.contains_key(r),
                C::UsersInGroup(g) => self.group_users.contains_key(g),
                C::OneUser(u) => self.users.contains_key(u),
                C::OneGroup(g) => self.groups.contains_key(g),
                C::AppsOfType(t) => self.app_types.contains_key(t.as_str()),
                C::OneApp(a) => self.apps.contains_key(a),
                C::OneRealm(r) => self.realms.contains_key(r),
                _ => false,
            }
    }
}

fn build_index(
    entitlements: &[Entitlement],
    unconditioned_only: bool,
) -> HashMap<Permission, Grants> {
    let mut index: HashMap<Permission, Grants> = HashMap::new();
    for (at, e) in entitlements.iter().enumerate() {
        for (held, conditions) in &e.permissions {
            for p in held.implied() {
                // Conditions limit the permission they are written on.
                if unconditioned_only && p == *held && conditions.is_some() {
                    continue;
                }
                let grants = index.entry(p).or_default();
                for c in coverages(e, p.resource_kind()) {
                    grants.add(c, at);
                }
            }
        }
    }
    index
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PrincipalKind {
    User(UserId),
    /// Background work and bootstrapping: holds every right, named explicitly.
    System,
}

/// Where a right comes from, for `explain` and the decision log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    System,
    StandardRole {
        role: StandardRole,
        via_group: Option<GroupId>,
    },
    Binding {
        resource_set_id: ResourceSetId,
        resource_set_label: String,
        role_id: RoleId,
        role_label: String,
        via_group: Option<GroupId>,
    },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let via = |g: &Option<GroupId>| {
            g.as_ref()
                .map(|g| format!(" (through group {g})"))
                .unwrap_or_default()
        };
        match self {
            Source::System => f.write_str("the system principal"),
            Source::StandardRole { role, via_group } => {
                write!(f, "standard role {role}{}", via(via_group))
            }
            Source::Binding {
                resource_set_label,
                role_label,
                via_group,
                ..
            } => write!(
                f,
                "role {role_label} on resource set {resource_set_label}{}",
                via(via_group)
            ),
        }
    }
}

/// One source of rights: a set of permissions over a set of resources.
#[derive(Debug, Clone)]
pub struct Entitlement {
    pub source: Source,
    pub permissions: Vec<(Permission, Option<catalog::PermissionConditions>)>,
    /// `None`: org-wide (standard roles and the system principal).
    pub resources: Option<Vec<orn::Resource>>,
}

/// Which users a scope covers. Compiled to SQL by the store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserCoverage {
    pub(crate) all: bool,
    pub(crate) realms: BTreeSet<RealmId>,
    pub(crate) groups: BTreeSet<GroupId>,
    pub(crate) users: BTreeSet<UserId>,
}

impl UserCoverage {
    pub fn is_empty(&self) -> bool {
        !self.all && self.realms.is_empty() && self.groups.is_empty() && self.users.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.all
    }

    pub fn realms(&self) -> impl Iterator<Item = &RealmId> {
        self.realms.iter()
    }
}

/// Which groups / apps / realms a scope covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCoverage<T: Ord> {
    pub(crate) all: bool,
    pub(crate) ids: BTreeSet<T>,
    /// Apps only: app types (`orn:…:apps:{type}`).
    pub(crate) types: BTreeSet<String>,
}

impl<T: Ord> Default for ObjectCoverage<T> {
    fn default() -> Self {
        Self {
            all: false,
            ids: BTreeSet::new(),
            types: BTreeSet::new(),
        }
    }
}

impl<T: Ord> ObjectCoverage<T> {
    pub fn is_empty(&self) -> bool {
        !self.all && self.ids.is_empty() && self.types.is_empty()
    }
}

/// The objects a principal may see or act on for one permission. Only `authz`
/// constructs it; the store compiles it to an SQL predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub(crate) permission: Permission,
    pub(crate) users: UserCoverage,
    pub(crate) groups: ObjectCoverage<GroupId>,
    pub(crate) apps: ObjectCoverage<AppId>,
    pub(crate) realms: ObjectCoverage<RealmId>,
}

impl Scope {
    pub fn permission(&self) -> Permission {
        self.permission
    }

    pub fn users(&self) -> &UserCoverage {
        &self.users
    }

    /// Covers nothing: the caller holds the permission over no object.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.apps.is_empty()
            && self.realms.is_empty()
    }
}

/// The facts about a target that a decision needs, loaded under read scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Org-level settings (realms list, roles, IdPs, creating objects).
    Org,
    User {
        id: UserId,
        realm_id: RealmId,
        groups: Vec<GroupId>,
        /// Admin rights the user holds (anti-escalation).
        privileges: Privileges,
    },
    /// Creating a user in a realm (the user does not exist yet).
    NewUserIn {
        realm_id: RealmId,
    },
    Group {
        id: GroupId,
        /// Admin rights membership confers (anti-escalation).
        privileges: Privileges,
    },
    App {
        id: AppId,
        app_type: String,
    },
    Realm {
        id: RealmId,
    },
}

/// Proof that `check` allowed `permission` on `target` for `actor`. Only `authz`
/// constructs it; the store's write methods require one.
#[derive(Debug, Clone)]
pub struct Grant {
    permission: Permission,
    target: Target,
    actor: Actor,
    client: Client,
    source: Source,
    conditions: Option<catalog::PermissionConditions>,
    /// Minted by [`check_iam_change`]: may change the delegated admin model.
    iam_change: bool,
}

impl Grant {
    pub fn permission(&self) -> Permission {
        self.permission
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Minted by [`check_iam_change`] (changes to the admin model).
    pub fn is_iam_change(&self) -> bool {
        self.iam_change
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Attribute conditions of the permission that allowed this (profile edits).
    pub fn conditions(&self) -> Option<&catalog::PermissionConditions> {
        self.conditions.as_ref()
    }

    /// Whether this grant reaches profile attribute `name` (no conditions, or
    /// conditions that allow it): what a read shows, an edit may change.
    pub fn reaches_attribute(&self, name: &str) -> bool {
        self.conditions
            .as_ref()
            .is_none_or(|c| c.allows_attribute(name))
    }
}

impl Principal {
    /// Background work and bootstrapping: every right, always named as such.
    pub fn system() -> Self {
        let entitlements = vec![Entitlement {
            source: Source::System,
            permissions: Permission::ALL.iter().map(|p| (*p, None)).collect(),
            resources: None,
        }];
        Self {
            kind: PrincipalKind::System,
            actor: Actor::system(),
            client: Client::default(),
            index: build_index(&entitlements, false),
            unconditioned: build_index(&entitlements, true),
            entitlements,
        }
    }

    /// A signed-in user with the rights found in `rows` (from `Store::rights_rows`).
    /// Stored permissions or resources that no longer parse grant nothing and are
    /// logged.
    pub fn for_user(
        user_id: UserId,
        actor: Actor,
        client: Client,
        rows: RightsRows,
        ctx: &orn::OrnContext,
    ) -> Self {
        let entitlements = entitlements_from_rows(rows, ctx);
        Self {
            kind: PrincipalKind::User(user_id),
            actor,
            client,
            index: build_index(&entitlements, false),
            unconditioned: build_index(&entitlements, true),
            entitlements,
        }
    }

    pub fn user_id(&self) -> Option<&UserId> {
        match &self.kind {
            PrincipalKind::User(id) => Some(id),
            PrincipalKind::System => None,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Where the request came from (the System Log's `client`).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn entitlements(&self) -> &[Entitlement] {
        &self.entitlements
    }

    /// Holds at least one admin role or binding (may enter the portal).
    pub fn is_admin(&self) -> bool {
        self.holds_whole_log_role() || self.entitlements.iter().any(|e| !e.permissions.is_empty())
    }

    /// Holds a role that reads the whole System Log without reading
    /// everything else (`REPORT_ADMIN`).
    pub fn holds_whole_log_role(&self) -> bool {
        self.entitlements.iter().any(|e| match e.source {
            Source::System => true,
            Source::StandardRole { role, .. } => role.reads_whole_log(),
            Source::Binding { .. } => false,
        })
    }

    /// Holds an org-wide standard role (may enter `/admin`).
    pub fn is_org_admin(&self) -> bool {
        self.entitlements.iter().any(|e| {
            matches!(
                e.source,
                Source::System
                    | Source::StandardRole {
                        role: StandardRole::SuperAdmin | StandardRole::OrgAdmin,
                        ..
                    }
            )
        })
    }

    /// The realms the caller's rights are bound to, when every right it holds
    /// is over realms (a realm or its users) — `None` when any reaches further
    /// (org-wide roles, groups, apps, single users). Decides which surface an
    /// admin of workforce realms only gets.
    pub fn realm_bound(&self) -> Option<BTreeSet<RealmId>> {
        let mut realms = BTreeSet::new();
        for e in self
            .entitlements
            .iter()
            .filter(|e| !e.permissions.is_empty())
        {
            for resource in e.resources.as_deref()? {
                match resource {
                    orn::Resource::Realm(id) | orn::Resource::UsersInRealm(id) => {
                        realms.insert(id.clone());
                    }
                    _ => return None,
                }
            }
        }
        Some(realms)
    }

    pub fn is_super_admin(&self) -> bool {
        self.entitlements.iter().any(|e| {
            matches!(
                e.source,
                Source::System
                    | Source::StandardRole {
                        role: StandardRole::SuperAdmin,
                        ..
                    }
            )
        })
    }
}

/// Parses stored rights into entitlements. Stored permissions or resources that no
/// longer parse grant nothing and are logged.
fn entitlements_from_rows(rows: RightsRows, ctx: &orn::OrnContext) -> Vec<Entitlement> {
    let mut entitlements = Vec::new();
    for row in rows.standard {
        let Some(role) = StandardRole::parse(&row.role) else {
            tracing::warn!(role = %row.role, "unknown standard role in the database");
            continue;
        };
        if let Err(e) = role.check_targets(&row.targets) {
            // The store refuses such rows; one that got there grants nothing.
            tracing::warn!(role = %row.role, error = %e, "stored standard role targets refused");
            continue;
        }
        entitlements.push(standard_entitlement(role, row.via_group, &row.targets));
    }
    for b in rows.bindings {
        let permissions = b
            .permissions
            .iter()
            .filter_map(|p| match p.permission.parse::<Permission>() {
                Ok(permission) => {
                    let conditions = p.conditions.as_deref().and_then(|c| serde_json::from_str(c).ok());
                    Some((permission, conditions))
                }
                Err(e) => {
                    tracing::warn!(role = %b.role_id, error = %e, "stored permission does not parse");
                    None
                }
            })
            .collect();
        let resources = b
            .resources
            .iter()
            .filter_map(|r| match orn::parse_resource(r, ctx) {
                Ok(resource) => Some(resource),
                Err(e) => {
                    tracing::warn!(resource_set = %b.resource_set_id, error = %e, "stored resource does not parse");
                    None
                }
            })
            .collect();
        entitlements.push(Entitlement {
            source: Source::Binding {
                resource_set_id: b.resource_set_id,
                resource_set_label: b.resource_set_label,
                role_id: b.role_id,
                role_label: b.role_label,
                via_group: b.via_group,
            },
            permissions,
            resources: Some(resources),
        });
    }
    entitlements
}

/// A standard role held with `targets` (none: org-wide) as an entitlement:
/// the role's permissions over [`standard_role_resources`].
fn standard_entitlement(
    role: StandardRole,
    via_group: Option<GroupId>,
    targets: &[RoleTarget],
) -> Entitlement {
    Entitlement {
        source: Source::StandardRole { role, via_group },
        permissions: role.permissions().into_iter().map(|p| (p, None)).collect(),
        resources: standard_role_resources(role, targets),
    }
}

/// The resources a standard role reaches with `targets` (validated by
/// `StandardRole::check_targets`): `None`, org-wide, without targets;
/// otherwise the targets narrow the kinds they name — apps for `APP_ADMIN`;
/// groups, and for `USER_ADMIN` and `HELP_DESK_ADMIN` also the users in them
/// (Okta's `groups/{id}` and `groups/{id}/users`) — and every other kind
/// stays org-wide (`APP_ADMIN` still views and assigns to every user and
/// group, `GROUP_MEMBERSHIP_ADMIN` still views every user).
pub fn standard_role_resources(
    role: StandardRole,
    targets: &[RoleTarget],
) -> Option<Vec<orn::Resource>> {
    use orn::Resource as R;
    if targets.is_empty() {
        return None;
    }
    let narrows_users = matches!(role, StandardRole::UserAdmin | StandardRole::HelpDeskAdmin);
    let mut out = Vec::new();
    let (mut groups, mut apps) = (false, false);
    for t in targets {
        match t {
            RoleTarget::Group(id) => {
                groups = true;
                out.push(R::Group(id.clone()));
                if narrows_users {
                    out.push(R::UsersInGroup(id.clone()));
                }
            }
            RoleTarget::App(id) => {
                apps = true;
                out.push(R::App {
                    id: id.clone(),
                    app_type: None,
                });
            }
        }
    }
    for (narrowed, all) in [
        (groups && narrows_users, R::AllUsers),
        (groups, R::AllGroups),
        (apps, R::AllApps),
        (false, R::AllRealms),
        (false, R::AllIdentityProviders),
        (false, R::AllIam),
    ] {
        if !narrowed {
            out.push(all);
        }
    }
    Some(out)
}

/// The admin rights someone holds, expanded to (permission, coverage) pairs, for
/// the anti-escalation rule: acting on a holder (or on a group that confers them)
/// needs every one of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Privileges {
    super_admin: bool,
    pairs: BTreeSet<(Permission, orn::Coverage)>,
    /// Pairs held only under attribute conditions: whoever holds the pair
    /// at all may act; every other pair needs it held without conditions.
    conditioned: BTreeSet<(Permission, orn::Coverage)>,
}

impl Privileges {
    /// No admin rights at all.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn from_rows(rows: RightsRows, ctx: &orn::OrnContext) -> Self {
        Self::from_entitlements(&entitlements_from_rows(rows, ctx))
    }

    fn from_entitlements(entitlements: &[Entitlement]) -> Self {
        let mut privileges = Self::default();
        let mut full = BTreeSet::new();
        for e in entitlements {
            if matches!(
                e.source,
                Source::System
                    | Source::StandardRole {
                        role: StandardRole::SuperAdmin,
                        ..
                    }
            ) {
                privileges.super_admin = true;
            }
            for (held, conditions) in &e.permissions {
                for p in held.implied() {
                    for c in coverages(e, p.resource_kind()) {
                        if p == *held && conditions.is_some() {
                            privileges.conditioned.insert((p, c.clone()));
                        } else {
                            full.insert((p, c.clone()));
                        }
                        privileges.pairs.insert((p, c));
                    }
                }
            }
        }
        privileges.conditioned.retain(|pair| !full.contains(pair));
        privileges
    }

    pub fn is_empty(&self) -> bool {
        !self.super_admin && self.pairs.is_empty()
    }

    pub fn is_super_admin(&self) -> bool {
        self.super_admin
    }
}

/// `principal` holds every right in `privileges` (SUPER_ADMIN only by a super admin).
fn holds_all(principal: &Principal, privileges: &Privileges) -> bool {
    if principal.kind == PrincipalKind::System {
        return true;
    }
    if privileges.super_admin && !principal.is_super_admin() {
        return false;
    }
    privileges.pairs.iter().all(|(p, c)| {
        let index = if privileges.conditioned.contains(&(*p, c.clone())) {
            &principal.index
        } else {
            &principal.unconditioned
        };
        index.get(p).is_some_and(|grants| grants.contains(c))
    })
}

/// Whether `principal` sees attribute `name` of the users it lists (lists
/// and exports, whose rows come under many entitlements). Only a condition
/// written on `okta.users.read` itself limits reading; the most restrictive
/// one applies unless an unconditioned read covers every user.
pub fn lists_attribute(principal: &Principal, name: &str) -> bool {
    if principal.kind == PrincipalKind::System {
        return true;
    }
    let mut allowed = true;
    for e in &principal.entitlements {
        for (held, conditions) in &e.permissions {
            if !held.implies(Permission::UsersRead) {
                continue;
            }
            match conditions {
                Some(c) if *held == Permission::UsersRead => {
                    allowed &= c.allows_attribute(name);
                }
                _ if e.resources.is_none() => return true,
                _ => {}
            }
        }
    }
    allowed
}

/// Whether some profile-edit right of `principal` reaches attribute `name`
/// (which custom attributes a creator may fill in).
pub fn may_set_attribute(principal: &Principal, name: &str) -> bool {
    if principal.kind == PrincipalKind::System {
        return true;
    }
    principal.entitlements.iter().any(|e| {
        e.permissions.iter().any(|(held, conditions)| {
            held.implies(Permission::UsersUserprofileManage)
                && (*held != Permission::UsersUserprofileManage
                    || conditions.as_ref().is_none_or(|c| c.allows_attribute(name)))
        })
    })
}

/// Binding an IdP to a realm, or letting it create accounts (just in time)
/// in one — its bound realm, else the default realm — needs the right to
/// create users there.
pub fn check_idp_binding(
    principal: &Principal,
    org: &OrgContext,
    realm: Option<&RealmId>,
    jit: bool,
) -> Result<(), AppError> {
    let realm = match (realm, jit) {
        (Some(realm), _) => realm.clone(),
        (None, true) => org.default_realm.clone(),
        (None, false) => return Ok(()),
    };
    check(
        principal,
        Permission::UsersCreate,
        &Target::NewUserIn { realm_id: realm },
    )
    .map(|_| ())
    .map_err(|_| {
        AppError::validation(
            "realmId",
            "You may not create users in this realm, so you cannot bind an identity provider to it or let one create accounts there.",
        )
    })
}

/// What an entitlement's resources give a permission acting on `kind`.
fn coverages(entitlement: &Entitlement, kind: catalog::ResourceKind) -> Vec<orn::Coverage> {
    match &entitlement.resources {
        None => vec![orn::Coverage::all_of(kind)],
        Some(resources) => resources
            .iter()
            .filter_map(|r| orn::grants(kind, r))
            .collect(),
    }
}

/// The permission entry of `entitlement` that implies `permission`, if any.
fn matching_permission(
    entitlement: &Entitlement,
    permission: Permission,
) -> Option<&(Permission, Option<catalog::PermissionConditions>)> {
    entitlement
        .permissions
        .iter()
        .find(|(held, _)| held.implies(permission))
}

/// The decision, with the entitlement that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub permission: String,
    pub source: Option<Source>,
    pub reason: String,
}

/// Why `principal` may (or may not) do `permission` on `target`.
pub fn explain(principal: &Principal, permission: Permission, target: &Target) -> Decision {
    decide(principal, permission, target).0
}

/// The decision and, when allowed, the position of the deciding entitlement.
fn decide(
    principal: &Principal,
    permission: Permission,
    target: &Target,
) -> (Decision, Option<usize>) {
    let kind = permission.resource_kind();
    let at = principal
        .index
        .get(&permission)
        .and_then(|grants| grants.find(target));
    if let Some((at, entitlement)) =
        at.and_then(|at| principal.entitlements.get(at).map(|e| (at, e)))
    {
        if let Some(privileges) = escalation_guard(permission, target) {
            if !holds_all(principal, privileges) {
                let denied = Decision {
                    allowed: false,
                    permission: permission.as_str().to_string(),
                    source: None,
                    reason: format!(
                        "this {} holds or confers admin rights that you do not hold",
                        kind.noun()
                    ),
                };
                return (denied, None);
            }
        }
        let allowed = Decision {
            allowed: true,
            permission: permission.as_str().to_string(),
            source: Some(entitlement.source.clone()),
            reason: format!("allowed by {}", entitlement.source),
        };
        return (allowed, Some(at));
    }
    let holds_permission = principal.index.contains_key(&permission);
    let denied = Decision {
        allowed: false,
        permission: permission.as_str().to_string(),
        source: None,
        reason: if holds_permission {
            format!(
                "{} is held, but not on this {}",
                permission.as_str(),
                kind.noun()
            )
        } else {
            format!("no role grants {}", permission.as_str())
        },
    };
    (denied, None)
}

/// The admin rights a change to `target` must not exceed: a user's own, or those
/// a group confers. Reads are never guarded.
fn escalation_guard(permission: Permission, target: &Target) -> Option<&Privileges> {
    if permission.is_read_only() {
        return None;
    }
    match target {
        Target::User { privileges, .. } | Target::Group { privileges, .. }
            if !privileges.is_empty() =>
        {
            Some(privileges)
        }
        _ => None,
    }
}

/// Allows `permission` on `target` or answers `Forbidden`. The caller has loaded
/// `target` under the principal's read scope (invisible targets are `NotFound`
/// before they get here).
pub fn check(
    principal: &Principal,
    permission: Permission,
    target: &Target,
) -> Result<Grant, AppError> {
    let (decision, at) = decide(principal, permission, target);
    tracing::debug!(
        principal = %principal.actor.id,
        permission = permission.as_str(),
        target = ?target,
        allowed = decision.allowed,
        reason = %decision.reason,
        "authz decision"
    );
    match decision.source {
        Some(source) if decision.allowed => {
            let conditions = at
                .and_then(|at| principal.entitlements.get(at))
                .and_then(|e| matching_permission(e, permission))
                .and_then(|(_, c)| c.clone());
            Ok(Grant {
                permission,
                target: target.clone(),
                actor: principal.actor.clone(),
                client: principal.client.clone(),
                source,
                conditions,
                iam_change: false,
            })
        }
        _ => Err(AppError::Forbidden),
    }
}

/// Changing the delegated admin model (roles, resource sets, bindings,
/// standard roles) needs an org admin role — Okta keeps role management to
/// super and org admins — and `okta.iam.read` over the org. The grant it
/// returns is the only one the store's admin-model writes accept; each change
/// is checked again against what the caller holds (`check_delegation`,
/// `check_standard_role_change`).
pub fn check_iam_change(principal: &Principal) -> Result<Grant, AppError> {
    let allowed = principal.is_org_admin();
    tracing::debug!(principal = %principal.actor.id, allowed, "authz admin model change");
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let mut grant = check(principal, Permission::IamRead, &Target::Org)?;
    grant.iam_change = true;
    Ok(grant)
}

/// Everything `principal` may do `permission` on, as a scope for lists.
pub fn scope(principal: &Principal, permission: Permission) -> Scope {
    let kind = permission.resource_kind();
    let mut scope = Scope {
        permission,
        users: UserCoverage::default(),
        groups: ObjectCoverage::default(),
        apps: ObjectCoverage::default(),
        realms: ObjectCoverage::default(),
    };
    if let Some(g) = principal.index.get(&permission) {
        let all = g.all.is_some();
        match kind {
            catalog::ResourceKind::User => {
                scope.users.all = all;
                scope.users.realms.extend(g.realm_users.keys().cloned());
                scope.users.groups.extend(g.group_users.keys().cloned());
                scope.users.users.extend(g.users.keys().cloned());
            }
            catalog::ResourceKind::Group => {
                scope.groups.all = all;
                scope.groups.ids.extend(g.groups.keys().cloned());
            }
            catalog::ResourceKind::App => {
                scope.apps.all = all;
                scope.apps.ids.extend(g.apps.keys().cloned());
                scope.apps.types.extend(g.app_types.keys().cloned());
            }
            catalog::ResourceKind::Realm => {
                scope.realms.all = all;
                scope.realms.ids.extend(g.realms.keys().cloned());
            }
            catalog::ResourceKind::IdentityProvider | catalog::ResourceKind::Iam => {}
        }
    }
    tracing::debug!(principal = %principal.actor.id, permission = permission.as_str(), ?scope, "authz scope");
    scope
}

/// Self-service (`/me`): a signed-in user may read its own account and app
/// assignments, and nobody else's; the system principal has no self. The
/// returned id is the only user such a read may load.
pub fn check_self(principal: &Principal) -> Result<UserId, AppError> {
    let decision = principal.user_id().cloned().ok_or(AppError::NotFound);
    tracing::debug!(
        principal = %principal.actor.id,
        permission = "self.read",
        allowed = decision.is_ok(),
        "authz decision"
    );
    decision
}

/// Authority over API tokens, minted only by [`check_api_tokens`]: an admin's
/// own tokens, and every admin's for a super admin (as in Okta). A token acts
/// with its owner's rights at each request, so holding one never exceeds them.
#[derive(Debug, Clone)]
pub struct TokenAuthority {
    owner: UserId,
    every: bool,
    actor: Actor,
    client: Client,
}

impl TokenAuthority {
    /// The admin whose tokens these are (and who owns a new one).
    pub fn owner(&self) -> &UserId {
        &self.owner
    }

    /// Reaches every admin's tokens (a super admin), not only the owner's.
    pub fn reaches_every_token(&self) -> bool {
        self.every
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// API tokens: any admin (a user holding an admin role or binding) may hold
/// tokens of its own; a super admin sees and revokes every admin's. Anyone
/// else — a user without admin rights, the system — holds none (`Forbidden`).
pub fn check_api_tokens(principal: &Principal) -> Result<TokenAuthority, AppError> {
    let decision = match principal.user_id() {
        Some(owner) if principal.is_admin() => Ok(TokenAuthority {
            owner: owner.clone(),
            every: principal.is_super_admin(),
            actor: principal.actor.clone(),
            client: principal.client.clone(),
        }),
        _ => Err(AppError::Forbidden),
    };
    tracing::debug!(
        principal = %principal.actor.id,
        permission = "api_tokens",
        allowed = decision.is_ok(),
        "authz decision"
    );
    decision
}

/// What of the System Log `principal` may read: events whose every target is
/// in its read scopes (users, groups, apps, realms); everything for those who
/// read everything. Compiled to SQL by `Store::list_events`.
pub fn log_scope(principal: &Principal) -> Scope {
    let mut log = scope(principal, Permission::UsersRead);
    log.groups = scope(principal, Permission::GroupsRead).groups;
    log.apps = scope(principal, Permission::AppsRead).apps;
    log.realms = scope(principal, Permission::RealmsRead).realms;
    if principal.holds_whole_log_role() {
        log.users.all = true;
        log.groups.all = true;
        log.apps.all = true;
        log.realms.all = true;
    }
    log
}

/// Whether `principal`'s log scope is the whole System Log.
fn reads_whole_log(principal: &Principal) -> bool {
    let log = log_scope(principal);
    log.users.all && log.groups.all && log.apps.all && log.realms.all
}

/// The lifecycle operations `principal` may apply to the user at `target` now:
/// valid from its `status` and granted (what the UI offers; each is checked
/// again when applied).
pub fn lifecycle_actions(
    principal: &Principal,
    target: &Target,
    status: crate::model::UserStatus,
    holder: crate::model::CredentialHolder,
) -> Vec<crate::model::LifecycleOp> {
    crate::model::LifecycleOp::ALL
        .into_iter()
        .filter(|op| op.is_valid_from(status, holder))
        .filter(|op| check(principal, Permission::for_lifecycle_op(*op), target).is_ok())
        .collect()
}

/// Of `realms`, those `principal` may create users in.
pub fn realms_for_new_users(
    principal: &Principal,
    realms: Vec<crate::model::Realm>,
) -> Vec<crate::model::Realm> {
    realms
        .into_iter()
        .filter(|r| {
            check(
                principal,
                Permission::UsersCreate,
                &Target::NewUserIn {
                    realm_id: r.id.clone(),
                },
            )
            .is_ok()
        })
        .collect()
}

/// May `principal` bind a role with `permissions` over `resources` (create or
/// alter the role, the resource set or the binding)? Only if it already holds
/// every one of those permissions over every one of those resources — nobody
/// can hand out, to others or to itself, more than it has.
pub fn check_delegation(
    principal: &Principal,
    permissions: &[Permission],
    resources: &[orn::Resource],
) -> Result<(), AppError> {
    let unconditioned: Vec<(Permission, Option<catalog::PermissionConditions>)> =
        permissions.iter().map(|p| (*p, None)).collect();
    check_delegation_of(principal, &unconditioned, resources)
}

/// [`check_delegation`] for permissions with their attribute conditions: a
/// conditioned permission is covered by holding it at all, an unconditioned
/// one only by holding it without conditions.
pub fn check_delegation_of(
    principal: &Principal,
    permissions: &[(Permission, Option<catalog::PermissionConditions>)],
    resources: &[orn::Resource],
) -> Result<(), AppError> {
    let prospective = Entitlement {
        source: Source::System,
        permissions: permissions.to_vec(),
        resources: Some(resources.to_vec()),
    };
    let mut privileges = Privileges::from_entitlements(std::slice::from_ref(&prospective));
    // A prospective binding is never a super-admin grant.
    privileges.super_admin = false;
    let allowed = holds_all(principal, &privileges);
    tracing::debug!(principal = %principal.actor.id, ?permissions, ?resources, allowed, "authz delegation");
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Granting or revoking a standard role with `targets` (none: org-wide), as
/// the role assignment guide has it: `SUPER_ADMIN` only by a super admin; a
/// role takes only the targets of its kind (else a field error on
/// `targets`); any other role by whoever holds every permission of the role
/// over every resource the role would reach with those targets (the
/// anti-escalation rule of bindings), and `REPORT_ADMIN` by whoever reads the
/// whole log. Changing the admin model at all needs [`check_iam_change`]
/// (super and org admins) first.
pub fn check_standard_role_change(
    principal: &Principal,
    role: StandardRole,
    targets: &[RoleTarget],
) -> Result<(), AppError> {
    role.check_targets(targets)
        .map_err(|e| AppError::validation("targets", e.to_string()))?;
    let allowed = match role {
        StandardRole::SuperAdmin => principal.is_super_admin(),
        other => {
            let prospective = standard_entitlement(other, None, targets);
            let mut privileges = Privileges::from_entitlements(std::slice::from_ref(&prospective));
            privileges.super_admin = false;
            holds_all(principal, &privileges)
                && (!other.reads_whole_log() || reads_whole_log(principal))
        }
    };
    tracing::debug!(principal = %principal.actor.id, role = role.as_str(), ?targets, allowed, "authz standard role change");
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
