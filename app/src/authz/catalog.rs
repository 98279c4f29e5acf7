//! The permission catalog: Okta's admin permission strings, what each one includes,
//! which kind of resource it acts on, which accept attribute conditions, what the
//! standard roles hold, and the "Partner Admin" role generated at first start.
//! Pure data and functions, no I/O: the kernel decides with it, the admin UI lists it.
//!
//! Canonical strings are Okta's, with the plural `okta.realms.*`; the singular
//! `okta.realm.*` of older Okta documentation is accepted on input. Strings that look
//! like permissions but are OAuth 2.0 scopes (`okta.roles.*`, `okta.realmAssignments.*`)
//! are refused with a message that says so: Okta never puts them in a role. Managing
//! admin roles is a capability of `SUPER_ADMIN` and `ORG_ADMIN`, viewing them is
//! `okta.iam.read`; realm assignment rules are managed with `okta.realms.manage` on all
//! realms (Okta delegates them only to admins of all realms).
//!
//! Implication follows Okta's "included permissions": holding a permission allows
//! every permission it includes, transitively, and never crosses resource kinds (a
//! grant on a realm's users can never turn into a grant on groups). Okta's "related
//! permissions" are not implied; they are listed by [`Permission::related`] so the
//! kernel checks both sides of two-sided operations and the UI can suggest them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{LifecycleOp, RoleTarget, StandardRole, TargetKind};

/// The kind of object a permission acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    User,
    Group,
    App,
    Realm,
    IdentityProvider,
    /// Admin roles, resource sets and admin assignments.
    Iam,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 6] = [
        Self::User,
        Self::Group,
        Self::App,
        Self::Realm,
        Self::IdentityProvider,
        Self::Iam,
    ];

    /// Singular noun for messages ("not on this user").
    pub fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
            Self::App => "app",
            Self::Realm => "realm",
            Self::IdentityProvider => "identity provider",
            Self::Iam => "admin role",
        }
    }

    pub fn category(self) -> Category {
        match self {
            Self::User => Category::Users,
            Self::Group => Category::Groups,
            Self::App => Category::Apps,
            Self::Realm => Category::Realms,
            Self::IdentityProvider => Category::IdentityProviders,
            Self::Iam => Category::AdminRoles,
        }
    }
}

/// The heading a permission is listed under in the admin console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    Users,
    Groups,
    Apps,
    Realms,
    IdentityProviders,
    AdminRoles,
}

impl Category {
    /// In display order.
    pub const ALL: [Category; 6] = [
        Self::Users,
        Self::Groups,
        Self::Apps,
        Self::Realms,
        Self::IdentityProviders,
        Self::AdminRoles,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Users => "Users",
            Self::Groups => "Groups",
            Self::Apps => "Apps",
            Self::Realms => "Realms",
            Self::IdentityProviders => "Identity providers",
            Self::AdminRoles => "Admin roles",
        }
    }

    /// The permissions listed under this heading, in catalog order.
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| p.category() == self)
    }
}

macro_rules! catalog {
    ($($variant:ident = $text:literal, $kind:ident, $label:literal, $explanation:literal;)+) => {
        /// An Okta admin permission (`okta.<resource>.<action>`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $(#[doc = concat!("`", $text, "`")] $variant,)+
        }

        impl Permission {
            /// Every permission, in catalog order (grouped by category).
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];

            /// Okta's canonical string.
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $text,)+ }
            }

            /// The kind of resource this permission acts on: a resource of another
            /// kind in a resource set grants it nothing.
            pub fn resource_kind(self) -> ResourceKind {
                match self { $(Permission::$variant => ResourceKind::$kind,)+ }
            }

            /// Short label for the admin console.
            pub fn label(self) -> &'static str {
                match self { $(Permission::$variant => $label,)+ }
            }

            /// One sentence on what it allows.
            pub fn explanation(self) -> &'static str {
                match self { $(Permission::$variant => $explanation,)+ }
            }

            fn from_canonical(s: &str) -> Option<Self> {
                match s { $($text => Some(Permission::$variant),)+ _ => None }
            }
        }
    };
}

catalog! {
    UsersCreate = "okta.users.create", User, "Create users",
        "Create users and set their required attributes; adding them to a group at creation also needs rights on that group.";
    UsersRead = "okta.users.read", User, "View users",
        "See users, their status, their profile attributes and which credentials they have, never the credential values.";
    UsersManage = "okta.users.manage", User, "Manage users",
        "Everything on users: create, view, edit profiles, change lifecycle states, reset credentials, edit group membership and app assignments.";
    UsersUserprofileManage = "okta.users.userprofile.manage", User, "Edit users' profile attributes",
        "Change the values of users' profile attributes, optionally only some of them; not the profile schema.";
    UsersUserprofileRead = "okta.users.userprofile.read", User, "View users' profile attributes",
        "See the values of users' profile attributes.";
    UsersLifecycleManage = "okta.users.lifecycle.manage", User, "Edit users' lifecycle states",
        "Activate, deactivate, suspend, unsuspend, unlock and delete users, and end their sessions.";
    UsersLifecycleActivate = "okta.users.lifecycle.activate", User, "Activate users",
        "Activate and reactivate users.";
    UsersLifecycleDeactivate = "okta.users.lifecycle.deactivate", User, "Deactivate users",
        "Deactivate users so they can no longer sign in.";
    UsersLifecycleSuspend = "okta.users.lifecycle.suspend", User, "Suspend users",
        "Suspend users; their sessions end as well.";
    UsersLifecycleUnsuspend = "okta.users.lifecycle.unsuspend", User, "Unsuspend users",
        "Give suspended users their access back.";
    UsersLifecycleUnlock = "okta.users.lifecycle.unlock", User, "Unlock users",
        "Unlock users who are locked out.";
    UsersLifecycleDelete = "okta.users.lifecycle.delete", User, "Delete users",
        "Permanently delete deactivated users.";
    UsersLifecycleClearSessions = "okta.users.lifecycle.clearSessions", User, "Clear users' sessions",
        "End all of a user's sessions and revoke their tokens.";
    UsersCredentialsManage = "okta.users.credentials.manage", User, "Edit users' authenticator operations",
        "Reset users' authenticators and passwords and expire their passwords.";
    UsersCredentialsResetFactors = "okta.users.credentials.resetFactors", User, "Reset users' authenticators",
        "Remove a user's enrolled authenticators so that they enrol again.";
    UsersCredentialsResetPassword = "okta.users.credentials.resetPassword", User, "Reset users' passwords",
        "Start a password reset for a user.";
    UsersCredentialsExpirePassword = "okta.users.credentials.expirePassword", User, "Expire users' passwords",
        "Expire a user's password so that they choose a new one at their next sign-in.";
    UsersGroupMembershipManage = "okta.users.groupMembership.manage", User, "Edit users' group membership",
        "Add users to groups and remove them; the group side also needs okta.groups.members.manage.";
    UsersAppAssignmentManage = "okta.users.appAssignment.manage", User, "Edit users' app assignments",
        "Assign apps to users and unassign them; the app side also needs okta.apps.assignment.manage.";
    GroupsRead = "okta.groups.read", Group, "View groups",
        "See groups and who their members are.";
    GroupsManage = "okta.groups.manage", Group, "Manage groups",
        "Create, edit and delete groups and manage their members and app assignments.";
    GroupsCreate = "okta.groups.create", Group, "Create groups",
        "Create groups; needs the resource All groups.";
    GroupsMembersManage = "okta.groups.members.manage", Group, "Manage group membership",
        "Add members to groups and remove them; the user side also needs okta.users.groupMembership.manage.";
    GroupsAppAssignmentManage = "okta.groups.appAssignment.manage", Group, "Edit groups' app assignments",
        "Assign apps to groups and unassign them; the app side also needs okta.apps.assignment.manage.";
    AppsRead = "okta.apps.read", App, "View apps",
        "See app integrations and who is assigned to them.";
    AppsManage = "okta.apps.manage", App, "Manage apps",
        "Create, edit and delete app integrations and manage their assignments.";
    AppsAssignmentManage = "okta.apps.assignment.manage", App, "Edit apps' assignments",
        "Assign an app to users and groups and unassign it.";
    RealmsRead = "okta.realms.read", Realm, "View realms",
        "See realms and their settings.";
    RealmsManage = "okta.realms.manage", Realm, "Manage realms",
        "Create, edit and delete realms and their allowed domains; on all realms, also realm assignment rules.";
    IdentityProvidersRead = "okta.identityProviders.read", IdentityProvider, "View identity providers",
        "See identity providers and their settings, never their secrets.";
    IdentityProvidersManage = "okta.identityProviders.manage", IdentityProvider, "Manage identity providers",
        "Create, edit, activate, deactivate and delete identity providers.";
    IamRead = "okta.iam.read", Iam, "View admin roles",
        "See admin roles, resource sets and who holds them.";
}

/// Okta permissions this product does not implement: refused with their own message
/// so that a Terraform plan written for Okta fails clearly, not as a typo.
pub const OKTA_PERMISSIONS_NOT_SUPPORTED: &[&str] = &[
    "okta.users.credentials.manageTemporaryAccessCode",
    "okta.users.apitokens.manage",
    "okta.users.apitokens.read",
    "okta.users.apitokens.clear",
    "okta.users.risk.manage",
    "okta.users.risk.read",
    "okta.apps.clientCredentials.read",
    "okta.apps.manageFirstPartyApps",
    "okta.apps.universalLogout.manage",
    "okta.apps.universalLogout.read",
    "okta.profilesources.import.run",
    "okta.policies.manage",
    "okta.policies.read",
    "okta.authzServers.manage",
    "okta.authzServers.read",
    "okta.customizations.manage",
    "okta.customizations.read",
    "okta.directories.manage",
    "okta.directories.read",
    "okta.devices.manage",
    "okta.devices.read",
    "okta.devices.lifecycle.manage",
    "okta.devices.lifecycle.activate",
    "okta.devices.lifecycle.deactivate",
    "okta.devices.lifecycle.suspend",
    "okta.devices.lifecycle.unsuspend",
    "okta.devices.lifecycle.delete",
    "okta.agents.manage",
    "okta.agents.read",
    "okta.agents.register",
    "okta.workflows.read",
    "okta.workflows.invoke",
    "okta.governance.accessCertifications.manage",
    "okta.governance.accessRequests.manage",
    "okta.support.cases.manage",
    "okta.ssf.securityEventsProviders.manage",
    "okta.ssf.securityEventsProviders.read",
];

/// OAuth 2.0 scopes that look like permissions, with what to use instead.
const OAUTH_SCOPES: &[(&str, &str)] = &[
    (
        "okta.roles.read",
        "admin roles are viewed with okta.iam.read",
    ),
    (
        "okta.roles.manage",
        "admin roles are managed by SUPER_ADMIN and ORG_ADMIN",
    ),
    (
        "okta.realmAssignments.read",
        "realm assignment rules are viewed with okta.realms.read",
    ),
    (
        "okta.realmAssignments.manage",
        "realm assignment rules are managed with okta.realms.manage on all realms",
    ),
];

const MAX_ECHO: usize = 100;

fn echo(input: &str) -> String {
    if input.chars().count() <= MAX_ECHO {
        input.to_string()
    } else {
        let mut s: String = input.chars().take(MAX_ECHO).collect();
        s.push('…');
        s
    }
}

fn did_you_mean(suggestion: &Option<Permission>) -> String {
    suggestion
        .map(|p| format!("; did you mean {p}?"))
        .unwrap_or_default()
}

/// Why a string is not a permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    #[error("'{input}' is not a known permission{}", did_you_mean(.suggestion))]
    Unknown {
        input: String,
        suggestion: Option<Permission>,
    },
    #[error("'{input}' is an Okta permission that Partner Portal does not support")]
    NotSupported { input: String },
    #[error("'{input}' is an OAuth 2.0 scope for API clients, not an admin permission; {hint}")]
    OAuthScope { input: String, hint: &'static str },
}

fn resolve_alias(s: &str) -> &str {
    match s {
        "okta.realm.read" => "okta.realms.read",
        "okta.realm.manage" => "okta.realms.manage",
        other => other,
    }
}

impl FromStr for Permission {
    type Err = PermissionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(p) = Self::from_canonical(resolve_alias(s)) {
            return Ok(p);
        }
        if let Some((_, hint)) = OAUTH_SCOPES.iter().find(|(scope, _)| *scope == s) {
            return Err(PermissionError::OAuthScope {
                input: s.to_string(),
                hint,
            });
        }
        if OKTA_PERMISSIONS_NOT_SUPPORTED.contains(&s) {
            return Err(PermissionError::NotSupported {
                input: s.to_string(),
            });
        }
        let trimmed = s.trim();
        let suggestion = Permission::ALL.iter().copied().find(|p| {
            p.as_str().eq_ignore_ascii_case(trimmed)
                || resolve_alias(&trimmed.to_ascii_lowercase()) == p.as_str().to_ascii_lowercase()
        });
        Err(PermissionError::Unknown {
            input: echo(s),
            suggestion,
        })
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Permission {
    /// The permissions this one directly includes (Okta's "included permissions").
    ///
    /// Where Okta's catalog is not explicit, a permission that edits something
    /// includes viewing it (`userprofile.manage` → `userprofile.read`,
    /// `users.read` → `userprofile.read`), and a "manage everything" permission
    /// includes every narrower one of its kind, creation included
    /// (`groups.manage` → `groups.create`; creating still needs All groups).
    /// Edit permissions do not include the kind's `read` unless Okta says so:
    /// the generated roles list `read` explicitly.
    pub fn includes(self) -> &'static [Permission] {
        use Permission as P;
        match self {
            P::UsersManage => &[
                P::UsersCreate,
                P::UsersRead,
                P::UsersUserprofileManage,
                P::UsersLifecycleManage,
                P::UsersCredentialsManage,
                P::UsersGroupMembershipManage,
                P::UsersAppAssignmentManage,
            ],
            P::UsersRead | P::UsersUserprofileManage => &[P::UsersUserprofileRead],
            P::UsersLifecycleManage => &[
                P::UsersLifecycleActivate,
                P::UsersLifecycleDeactivate,
                P::UsersLifecycleSuspend,
                P::UsersLifecycleUnsuspend,
                P::UsersLifecycleUnlock,
                P::UsersLifecycleDelete,
                P::UsersLifecycleClearSessions,
            ],
            P::UsersCredentialsManage => &[
                P::UsersCredentialsResetFactors,
                P::UsersCredentialsResetPassword,
                P::UsersCredentialsExpirePassword,
            ],
            P::GroupsManage => &[
                P::GroupsRead,
                P::GroupsCreate,
                P::GroupsMembersManage,
                P::GroupsAppAssignmentManage,
            ],
            P::AppsManage => &[P::AppsRead, P::AppsAssignmentManage],
            P::RealmsManage => &[P::RealmsRead],
            P::IdentityProvidersManage => &[P::IdentityProvidersRead],
            _ => &[],
        }
    }

    /// Holding `self` allows `other` (reflexive and transitive).
    pub fn implies(self, other: Permission) -> bool {
        self == other || self.includes().iter().any(|p| p.implies(other))
    }

    /// `self` and everything it includes, transitively.
    pub fn implied(self) -> BTreeSet<Permission> {
        Self::expand([self])
    }

    /// Everything a holder of `held` may do.
    pub fn expand(held: impl IntoIterator<Item = Permission>) -> BTreeSet<Permission> {
        let mut out = BTreeSet::new();
        let mut pending: Vec<Permission> = held.into_iter().collect();
        while let Some(p) = pending.pop() {
            if out.insert(p) {
                pending.extend_from_slice(p.includes());
            }
        }
        out
    }

    /// Okta's "related permissions" that matter for decisions: the other side of a
    /// two-sided operation (a user joins a group only with rights on both).
    pub fn related(self) -> &'static [Permission] {
        use Permission as P;
        match self {
            P::UsersGroupMembershipManage => &[P::GroupsMembersManage],
            P::GroupsMembersManage => &[P::UsersGroupMembershipManage],
            P::UsersAppAssignmentManage | P::GroupsAppAssignmentManage => {
                &[P::AppsAssignmentManage]
            }
            P::AppsAssignmentManage => &[P::UsersAppAssignmentManage, P::GroupsAppAssignmentManage],
            _ => &[],
        }
    }

    pub fn category(self) -> Category {
        self.resource_kind().category()
    }

    /// A `*.read` permission: what `READ_ONLY_ADMIN` holds.
    pub fn is_read_only(self) -> bool {
        self.as_str().ends_with(".read")
    }

    /// Okta allows attribute conditions only on these two.
    pub fn supports_conditions(self) -> bool {
        matches!(self, Self::UsersRead | Self::UsersUserprofileManage)
    }

    /// Refuses conditions on a permission that does not take them.
    pub fn check_conditions(
        self,
        conditions: Option<&PermissionConditions>,
    ) -> Result<(), ConditionsError> {
        match conditions {
            Some(_) if !self.supports_conditions() => {
                Err(ConditionsError::NotSupported { permission: self })
            }
            _ => Ok(()),
        }
    }

    /// The narrowest permission a lifecycle or credential operation needs.
    pub fn for_lifecycle_op(op: LifecycleOp) -> Permission {
        match op {
            LifecycleOp::Activate | LifecycleOp::Reactivate => Self::UsersLifecycleActivate,
            LifecycleOp::Deactivate => Self::UsersLifecycleDeactivate,
            LifecycleOp::Suspend => Self::UsersLifecycleSuspend,
            LifecycleOp::Unsuspend => Self::UsersLifecycleUnsuspend,
            LifecycleOp::Unlock => Self::UsersLifecycleUnlock,
            LifecycleOp::Delete => Self::UsersLifecycleDelete,
            LifecycleOp::ClearSessions => Self::UsersLifecycleClearSessions,
            LifecycleOp::ResetPassword => Self::UsersCredentialsResetPassword,
            LifecycleOp::ExpirePassword => Self::UsersCredentialsExpirePassword,
            LifecycleOp::ResetFactors => Self::UsersCredentialsResetFactors,
        }
    }
}

const MAX_CONDITION_ATTRIBUTES: usize = 256;
const MAX_ATTRIBUTE_NAME_LEN: usize = 128;

/// Why permission conditions are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionsError {
    #[error("conditions need 'include' or 'exclude'")]
    Missing,
    #[error("conditions take 'include' or 'exclude', not both")]
    IncludeAndExclude,
    #[error("the attribute list is empty; name at least one profile attribute")]
    EmptyList,
    #[error(
        "the attribute list has {count} entries; at most {MAX_CONDITION_ATTRIBUTES} are allowed"
    )]
    TooManyAttributes { count: usize },
    #[error("'{name}' is not a profile attribute name (1–128 letters, digits or '_')")]
    BadAttributeName { name: String },
    #[error("{permission} takes no attribute conditions; only okta.users.read and okta.users.userprofile.manage do")]
    NotSupported { permission: Permission },
}

/// Attribute conditions on a permission: which user profile attributes it reaches.
/// Exactly one of `include` (only these) or `exclude` (all but these), each a
/// non-empty, duplicate-free list of attribute names. Okta's wire shape:
/// `{"include":{"okta:ResourceAttribute/User/Profile":["firstName","lastName"]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConditionsWire", into = "ConditionsWire")]
pub struct PermissionConditions {
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionsWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include: Option<AttributesWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exclude: Option<AttributesWire>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributesWire {
    #[serde(rename = "okta:ResourceAttribute/User/Profile")]
    attributes: Vec<String>,
}

impl TryFrom<ConditionsWire> for PermissionConditions {
    type Error = ConditionsError;

    fn try_from(wire: ConditionsWire) -> Result<Self, Self::Error> {
        match (wire.include, wire.exclude) {
            (Some(list), None) => Self::include(list.attributes),
            (None, Some(list)) => Self::exclude(list.attributes),
            (Some(_), Some(_)) => Err(ConditionsError::IncludeAndExclude),
            (None, None) => Err(ConditionsError::Missing),
        }
    }
}

impl From<PermissionConditions> for ConditionsWire {
    fn from(c: PermissionConditions) -> Self {
        let wrap = |attributes| AttributesWire { attributes };
        Self {
            include: c.include.map(wrap),
            exclude: c.exclude.map(wrap),
        }
    }
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ATTRIBUTE_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn check_attributes(
    names: impl IntoIterator<Item = impl Into<String>>,
) -> Result<Vec<String>, ConditionsError> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let name = name.into();
        if !is_attribute_name(&name) {
            return Err(ConditionsError::BadAttributeName { name: echo(&name) });
        }
        if !out.contains(&name) {
            out.push(name);
        }
        if out.len() > MAX_CONDITION_ATTRIBUTES {
            return Err(ConditionsError::TooManyAttributes { count: out.len() });
        }
    }
    if out.is_empty() {
        return Err(ConditionsError::EmptyList);
    }
    Ok(out)
}

impl PermissionConditions {
    /// Only these attributes (duplicates are dropped).
    pub fn include(
        attributes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, ConditionsError> {
        Ok(Self {
            include: Some(check_attributes(attributes)?),
            exclude: None,
        })
    }

    /// Every attribute except these (duplicates are dropped).
    pub fn exclude(
        attributes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, ConditionsError> {
        Ok(Self {
            include: None,
            exclude: Some(check_attributes(attributes)?),
        })
    }

    pub fn included(&self) -> Option<&[String]> {
        self.include.as_deref()
    }

    pub fn excluded(&self) -> Option<&[String]> {
        self.exclude.as_deref()
    }

    /// Whether the permission reaches `attribute` (names are case-sensitive, as in Okta).
    pub fn allows_attribute(&self, attribute: &str) -> bool {
        let listed = |list: &Option<Vec<String>>| {
            list.as_ref()
                .is_some_and(|names| names.iter().any(|n| n == attribute))
        };
        match (&self.include, &self.exclude) {
            (Some(_), _) => listed(&self.include),
            (None, Some(_)) => !listed(&self.exclude),
            (None, None) => true,
        }
    }

    /// The first of `attributes` the permission does not reach, for error messages.
    pub fn first_denied<'a>(
        &self,
        attributes: impl IntoIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        attributes.into_iter().find(|a| !self.allows_attribute(a))
    }
}

/// Okta's console names of the eight base attributes (`BASE_ATTRIBUTES`).
pub fn base_attribute_label(attribute: &str) -> Option<&'static str> {
    Some(match attribute {
        "login" => "Username",
        "email" => "Primary email",
        "secondEmail" => "Secondary email",
        "firstName" => "First name",
        "lastName" => "Last name",
        "middleName" => "Middle name",
        "primaryPhone" => "Primary phone",
        "mobilePhone" => "Mobile phone",
        _ => return None,
    })
}

/// What standard roles hold. The enum lives in `model` (the browser shows
/// it); the rights live here, in the catalog's permissions, following Okta's
/// "Standard administrator roles and permissions" table:
///
/// - `SUPER_ADMIN`, `ORG_ADMIN`: every permission of the catalog; what sets
///   them apart is not a permission: only a super admin may grant
///   `SUPER_ADMIN` or act on a super admin.
/// - `APP_ADMIN` (Application administrator): creates, edits and deletes apps
///   and their assignments (`okta.apps.manage`); to assign them it views users
///   and groups and edits their app assignments (`okta.users.read`,
///   `okta.groups.read`, `okta.users.appAssignment.manage`,
///   `okta.groups.appAssignment.manage`) across the org, as Okta's app admins
///   do. App targets narrow the app side only: it then manages those apps
///   (and creates none: creating needs All apps).
/// - `USER_ADMIN` (Group administrator): creates users, views and edits
///   them, their lifecycle and credentials and their group membership
///   (`okta.users.create`, `.read`, `.userprofile.manage`,
///   `.lifecycle.manage`, `.credentials.manage`, `.groupMembership.manage`),
///   views groups and manages their members (`okta.groups.read`,
///   `okta.groups.members.manage`); no app assignments. Group targets narrow
///   both sides: the users in those groups, and those groups.
/// - `HELP_DESK_ADMIN`: views users and groups, resets passwords and
///   authenticators, unlocks users and clears their sessions
///   (`okta.users.read`, `.credentials.resetPassword`, `.resetFactors`,
///   `.lifecycle.unlock`, `.lifecycle.clearSessions`, `okta.groups.read`).
///   Group targets narrow both sides, as for `USER_ADMIN`.
/// - `GROUP_MEMBERSHIP_ADMIN`: views every user and adds them to or removes
///   them from groups (`okta.users.read`, `okta.users.groupMembership.manage`),
///   views groups and manages their members (`okta.groups.read`,
///   `okta.groups.members.manage`). Group targets narrow the group side only:
///   any user, into and out of those groups.
/// - `READ_ONLY_ADMIN`: every `*.read` permission.
/// - `REPORT_ADMIN`: no catalog permission; it reads the whole System Log
///   (`authz::log_scope`), which is what the portal has of Okta's reports.
/// - `API_ACCESS_MANAGEMENT_ADMIN`, `MOBILE_ADMIN`: nothing here — the portal
///   has no authorization servers or devices yet. They are assignable and
///   stored so that the API round-trips them.
impl StandardRole {
    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission as P;
        let all = Permission::ALL.iter().copied();
        match self {
            Self::SuperAdmin | Self::OrgAdmin => all.collect(),
            Self::AppAdmin => [
                P::AppsManage,
                P::UsersRead,
                P::UsersAppAssignmentManage,
                P::GroupsRead,
                P::GroupsAppAssignmentManage,
            ]
            .into(),
            Self::UserAdmin => [
                P::UsersCreate,
                P::UsersRead,
                P::UsersUserprofileManage,
                P::UsersLifecycleManage,
                P::UsersCredentialsManage,
                P::UsersGroupMembershipManage,
                P::GroupsRead,
                P::GroupsMembersManage,
            ]
            .into(),
            Self::HelpDeskAdmin => [
                P::UsersRead,
                P::UsersCredentialsResetPassword,
                P::UsersCredentialsResetFactors,
                P::UsersLifecycleUnlock,
                P::UsersLifecycleClearSessions,
                P::GroupsRead,
            ]
            .into(),
            Self::GroupMembershipAdmin => [
                P::UsersRead,
                P::UsersGroupMembershipManage,
                P::GroupsRead,
                P::GroupsMembersManage,
            ]
            .into(),
            Self::ReadOnlyAdmin => all.filter(|p| p.is_read_only()).collect(),
            Self::ReportAdmin | Self::ApiAccessManagementAdmin | Self::MobileAdmin => {
                BTreeSet::new()
            }
        }
    }

    /// Whether the holder reads the whole System Log (`REPORT_ADMIN`; super
    /// and org admins read it through their org-wide read permissions).
    pub fn reads_whole_log(self) -> bool {
        self == Self::ReportAdmin
    }

    /// Refuses targets the role does not take: the kind must be the role's
    /// (`StandardRole::target_kind`), and a role without targets takes none.
    pub fn check_targets(self, targets: &[RoleTarget]) -> Result<(), TargetError> {
        match (
            self.target_kind(),
            targets
                .iter()
                .find(|t| Some(t.kind()) != self.target_kind()),
        ) {
            (_, None) => Ok(()),
            (None, Some(_)) => Err(TargetError::TakesNone { role: self }),
            (Some(kind), Some(_)) => Err(TargetError::WrongKind { role: self, kind }),
        }
    }

    /// Whether a holder of `self` may assign or remove `role` (the guide's
    /// rule: super admins any, org admins any but `SUPER_ADMIN`, no one else).
    pub fn can_grant(self, role: StandardRole) -> bool {
        match self {
            Self::SuperAdmin => true,
            Self::OrgAdmin => role != Self::SuperAdmin,
            _ => false,
        }
    }

    /// Whether a holder of `self` may create and change custom roles, resource sets
    /// and bindings.
    pub fn can_manage_admin_roles(self) -> bool {
        matches!(self, Self::SuperAdmin | Self::OrgAdmin)
    }

    /// Whether a holder of `self` may change a user who holds `role` (anti-escalation:
    /// nobody below a super admin touches one).
    pub fn can_administer_holder_of(self, role: StandardRole) -> bool {
        match self {
            Self::SuperAdmin => true,
            Self::OrgAdmin => role != Self::SuperAdmin,
            _ => false,
        }
    }
}

/// Why a standard role refuses its targets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{role} takes no targets; it is always org-wide")]
    TakesNone { role: StandardRole },
    #[error("{role} takes {} as targets", match .kind { TargetKind::Groups => "groups", TargetKind::Apps => "apps" })]
    WrongKind {
        role: StandardRole,
        kind: TargetKind,
    },
}

/// A role the product defines (seeded into the database, then editable there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDefinition {
    pub label: &'static str,
    pub description: &'static str,
    pub permissions: Vec<(Permission, Option<PermissionConditions>)>,
}

impl RoleDefinition {
    /// Everything the role allows, included permissions expanded.
    pub fn expanded(&self) -> BTreeSet<Permission> {
        Permission::expand(self.permissions.iter().map(|(p, _)| *p))
    }
}

pub const PARTNER_ADMIN_LABEL: &str = "Partner Admin";

/// What the generated role edits of a profile (the seed FAQ's list): names,
/// email addresses and phone numbers — never the username, which identifies
/// the account at sign-in.
pub const PARTNER_ADMIN_ATTRIBUTES: [&str; 7] = [
    "email",
    "secondEmail",
    "firstName",
    "lastName",
    "middleName",
    "primaryPhone",
    "mobilePhone",
];

/// The generated role's definition version: permissions added to
/// `partner_admin_role` later name the version that brought them in
/// (`PARTNER_ADMIN_UPGRADES`), so an upgrade adds each exactly once.
pub const PARTNER_ADMIN_VERSION: u32 = 1;

/// Permissions added to the generated role after its first version, with the
/// version that added them (none yet).
pub const PARTNER_ADMIN_UPGRADES: &[(u32, Permission)] = &[];

/// Okta's Secure Partner Access recommendation: manage users (names, email and phone
/// only), lifecycle, authenticators and passwords, group membership and app
/// assignments, and view groups, apps and realms.
pub fn partner_admin_role() -> RoleDefinition {
    use Permission as P;
    // It views the base profile (the username included, which identifies a
    // user) but no custom attribute unless another role grants it.
    let view = PermissionConditions {
        include: Some(
            crate::model::BASE_ATTRIBUTES
                .iter()
                .map(|a| a.to_string())
                .collect(),
        ),
        exclude: None,
    };
    let profile = PermissionConditions {
        include: Some(
            PARTNER_ADMIN_ATTRIBUTES
                .iter()
                .map(|a| a.to_string())
                .collect(),
        ),
        exclude: None,
    };
    RoleDefinition {
        label: PARTNER_ADMIN_LABEL,
        description: "Generated at first start: creates and manages the users of its resource \
                      sets (names, email and phone, lifecycle, authenticators and passwords), their \
                      group membership and app assignments, and views groups, apps and realms.",
        permissions: vec![
            (P::UsersRead, Some(view)),
            (P::UsersCreate, None),
            (P::UsersUserprofileManage, Some(profile)),
            (P::UsersLifecycleManage, None),
            (P::UsersCredentialsResetFactors, None),
            (P::UsersCredentialsResetPassword, None),
            (P::UsersGroupMembershipManage, None),
            (P::UsersAppAssignmentManage, None),
            (P::GroupsRead, None),
            (P::GroupsMembersManage, None),
            (P::AppsRead, None),
            (P::AppsAssignmentManage, None),
            (P::RealmsRead, None),
        ],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/catalog.rs"]
mod tests;
