//! The permission catalog: Okta's permission strings, what each one includes,
//! what kind of resource it acts on, and the standard and generated roles.
//!
//! Canonical strings are Okta's (plural `okta.realms.*`); the singular aliases
//! `okta.realm.*` from older Okta documentation are accepted on input.

use serde::{Deserialize, Serialize};

use crate::model::StandardRole;

/// The kind of object a permission acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    User,
    Group,
    App,
    Realm,
    IdentityProvider,
    /// Admin roles, resource sets, bindings.
    Iam,
}

impl ResourceKind {
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
}

macro_rules! permissions {
    ($($variant:ident = $text:literal, $kind:ident, $label:literal, $explain:literal;)+) => {
        /// An Okta admin permission.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission { $($variant),+ }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $text),+ }
            }

            pub fn resource_kind(self) -> ResourceKind {
                match self { $(Permission::$variant => ResourceKind::$kind),+ }
            }

            /// A short label for the admin console.
            pub fn label(self) -> &'static str {
                match self { $(Permission::$variant => $label),+ }
            }

            /// One sentence on what it allows.
            pub fn explanation(self) -> &'static str {
                match self { $(Permission::$variant => $explain),+ }
            }

            fn from_canonical(s: &str) -> Option<Self> {
                match s { $($text => Some(Permission::$variant),)+ _ => None }
            }
        }
    };
}

permissions! {
    UsersCreate = "okta.users.create", User, "Create users",
        "Create users; with group membership rights, add them to groups at creation.";
    UsersRead = "okta.users.read", User, "View users",
        "View users' profiles and status.";
    UsersManage = "okta.users.manage", User, "Manage users",
        "Create users and perform every operation on them: profile, lifecycle, credentials, groups, apps.";
    UsersUserprofileManage = "okta.users.userprofile.manage", User, "Edit profiles",
        "Edit user profile attributes (optionally only some attributes).";
    UsersUserprofileRead = "okta.users.userprofile.read", User, "View profiles",
        "View user profile attributes.";
    UsersLifecycleManage = "okta.users.lifecycle.manage", User, "Manage lifecycle",
        "Activate, deactivate, suspend, unsuspend, unlock, delete users and clear their sessions.";
    UsersLifecycleActivate = "okta.users.lifecycle.activate", User, "Activate users",
        "Activate and reactivate users.";
    UsersLifecycleDeactivate = "okta.users.lifecycle.deactivate", User, "Deactivate users",
        "Deactivate users.";
    UsersLifecycleSuspend = "okta.users.lifecycle.suspend", User, "Suspend users",
        "Suspend users; their sessions end.";
    UsersLifecycleUnsuspend = "okta.users.lifecycle.unsuspend", User, "Unsuspend users",
        "Unsuspend suspended users.";
    UsersLifecycleUnlock = "okta.users.lifecycle.unlock", User, "Unlock users",
        "Unlock locked-out users.";
    UsersLifecycleDelete = "okta.users.lifecycle.delete", User, "Delete users",
        "Delete deactivated users.";
    UsersLifecycleClearSessions = "okta.users.lifecycle.clearSessions", User, "Clear sessions",
        "End all of a user's sessions.";
    UsersCredentialsManage = "okta.users.credentials.manage", User, "Manage credentials",
        "Reset authenticators and passwords, expire passwords.";
    UsersCredentialsResetFactors = "okta.users.credentials.resetFactors", User, "Reset authenticators",
        "Reset a user's enrolled authenticators.";
    UsersCredentialsResetPassword = "okta.users.credentials.resetPassword", User, "Reset passwords",
        "Reset a user's password.";
    UsersCredentialsExpirePassword = "okta.users.credentials.expirePassword", User, "Expire passwords",
        "Expire a user's password.";
    UsersGroupMembershipManage = "okta.users.groupMembership.manage", User, "Edit group membership",
        "Add users to and remove them from groups (also needs the group's members permission).";
    UsersAppAssignmentManage = "okta.users.appAssignment.manage", User, "Edit app assignments",
        "Assign apps to users and unassign them (also needs the app's assignment permission).";
    GroupsRead = "okta.groups.read", Group, "View groups",
        "View groups.";
    GroupsManage = "okta.groups.manage", Group, "Manage groups",
        "Create, edit and delete groups and manage their members and apps.";
    GroupsCreate = "okta.groups.create", Group, "Create groups",
        "Create groups.";
    GroupsMembersManage = "okta.groups.members.manage", Group, "Manage group members",
        "Add members to and remove members from groups.";
    GroupsAppAssignmentManage = "okta.groups.appAssignment.manage", Group, "Edit group app assignments",
        "Assign apps to groups (also needs the app's assignment permission).";
    AppsRead = "okta.apps.read", App, "View apps",
        "View app integrations.";
    AppsManage = "okta.apps.manage", App, "Manage apps",
        "Create, edit and delete app integrations and manage their assignments.";
    AppsAssignmentManage = "okta.apps.assignment.manage", App, "Manage app assignments",
        "Assign the app to users and groups and unassign it.";
    RealmsRead = "okta.realms.read", Realm, "View realms",
        "View realms.";
    RealmsManage = "okta.realms.manage", Realm, "Manage realms",
        "Create, edit and delete realms and their allowed domains.";
    IdentityProvidersRead = "okta.identityProviders.read", IdentityProvider, "View identity providers",
        "View identity providers.";
    IdentityProvidersManage = "okta.identityProviders.manage", IdentityProvider, "Manage identity providers",
        "Create, edit and delete identity providers.";
    IamRead = "okta.iam.read", Iam, "View admin roles",
        "View roles, resource sets and bindings.";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a known permission")]
pub struct UnknownPermission(pub String);

impl std::str::FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let canonical = match s {
            "okta.realm.read" => "okta.realms.read",
            "okta.realm.manage" => "okta.realms.manage",
            other => other,
        };
        Self::from_canonical(canonical)
            .ok_or_else(|| UnknownPermission(s.chars().take(100).collect()))
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Permission {
    /// The permissions this one directly includes (Okta's "included permissions").
    fn includes(self) -> &'static [Permission] {
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
            P::UsersUserprofileManage => &[P::UsersUserprofileRead],
            P::UsersRead => &[P::UsersUserprofileRead],
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

    /// Whether Okta allows attribute conditions on this permission.
    pub fn supports_conditions(self) -> bool {
        matches!(
            self,
            Permission::UsersRead | Permission::UsersUserprofileManage
        )
    }

    /// The admin-console group this permission is listed under.
    pub fn category(self) -> &'static str {
        match self.resource_kind() {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
            ResourceKind::App => "Apps",
            ResourceKind::Realm => "Realms",
            ResourceKind::IdentityProvider => "Identity providers",
            ResourceKind::Iam => "Admin roles",
        }
    }

    /// Read-only permissions (what READ_ONLY_ADMIN holds).
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Permission::UsersRead
                | Permission::UsersUserprofileRead
                | Permission::GroupsRead
                | Permission::AppsRead
                | Permission::RealmsRead
                | Permission::IdentityProvidersRead
                | Permission::IamRead
        )
    }
}

/// Attribute conditions on a permission, in Okta's shape:
/// `{"include": {"okta:ResourceAttribute/User/Profile": ["firstName", …]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermissionConditions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include: Option<AttributeList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<AttributeList>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttributeList {
    #[serde(rename = "okta:ResourceAttribute/User/Profile")]
    pub attributes: Vec<String>,
}

impl PermissionConditions {
    pub fn include(attributes: &[&str]) -> Self {
        Self {
            include: Some(AttributeList {
                attributes: attributes.iter().map(|a| a.to_string()).collect(),
            }),
            exclude: None,
        }
    }

    /// Whether a profile attribute may be acted on under these conditions.
    pub fn allows_attribute(&self, attribute: &str) -> bool {
        let included = self
            .include
            .as_ref()
            .is_none_or(|list| list.attributes.iter().any(|a| a == attribute));
        let excluded = self
            .exclude
            .as_ref()
            .is_some_and(|list| list.attributes.iter().any(|a| a == attribute));
        included && !excluded
    }
}

/// What each standard role holds, org-wide.
pub fn standard_role_permissions(role: StandardRole) -> Vec<Permission> {
    match role {
        StandardRole::SuperAdmin | StandardRole::OrgAdmin => Permission::ALL.to_vec(),
        StandardRole::ReadOnlyAdmin => Permission::ALL
            .iter()
            .copied()
            .filter(|p| p.is_read_only())
            .collect(),
    }
}

/// A role definition the product generates.
#[derive(Debug, Clone)]
pub struct RoleDefinition {
    pub label: &'static str,
    pub description: &'static str,
    pub permissions: Vec<(Permission, Option<PermissionConditions>)>,
}

/// The "Partner Admin" role generated at first start (Okta's Secure Partner
/// Access recommendation): manage users, group membership and app access.
pub fn partner_admin_role() -> RoleDefinition {
    use Permission as P;
    let profile = PermissionConditions::include(&crate::model::BASE_ATTRIBUTES);
    RoleDefinition {
        label: "Partner Admin",
        description:
            "Generated: manages the users of its realms, their group membership and app access.",
        permissions: vec![
            (P::UsersRead, None),
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
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_string() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(*p));
        }
        assert_eq!(
            "okta.realm.read".parse::<Permission>(),
            Ok(Permission::RealmsRead)
        );
        assert!("okta.users.delete".parse::<Permission>().is_err());
        assert!("".parse::<Permission>().is_err());
    }

    #[test]
    fn implication_follows_okta() {
        use Permission as P;
        assert!(P::UsersManage.implies(P::UsersLifecycleSuspend));
        assert!(P::UsersLifecycleManage.implies(P::UsersLifecycleClearSessions));
        assert!(!P::UsersLifecycleSuspend.implies(P::UsersLifecycleManage));
        assert!(P::UsersCredentialsManage.implies(P::UsersCredentialsResetFactors));
        assert!(!P::UsersRead.implies(P::UsersUserprofileManage));
        assert!(P::GroupsManage.implies(P::GroupsMembersManage));
        assert!(P::RealmsManage.implies(P::RealmsRead));
        assert!(!P::GroupsMembersManage.implies(P::UsersGroupMembershipManage));
    }

    #[test]
    fn conditions_limit_attributes() {
        let c = PermissionConditions::include(&["firstName", "lastName"]);
        assert!(c.allows_attribute("firstName"));
        assert!(!c.allows_attribute("costCenter"));
        let json = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"include":{"okta:ResourceAttribute/User/Profile":["firstName","lastName"]}}"#
        );
        let none = PermissionConditions::default();
        assert!(none.allows_attribute("anything"));
    }

    #[test]
    fn partner_admin_role_has_the_recommended_permissions() {
        let role = partner_admin_role();
        assert_eq!(role.permissions.len(), 13);
        assert!(role
            .permissions
            .iter()
            .all(|(p, c)| c.is_none() || p.supports_conditions()));
    }
}
