//! Domain types shared by the server and the browser (wire shapes of the UI).

use serde::{Deserialize, Serialize};

use crate::ids::{AppId, GroupId, RealmId, UserId};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod imports;

string_enum!(
    /// Okta's user lifecycle states.
    UserStatus {
        Staged = "STAGED",
        Provisioned = "PROVISIONED",
        Active = "ACTIVE",
        Recovery = "RECOVERY",
        LockedOut = "LOCKED_OUT",
        PasswordExpired = "PASSWORD_EXPIRED",
        Suspended = "SUSPENDED",
        Deprovisioned = "DEPROVISIONED",
    }
);

string_enum!(
    RealmType {
        Default = "DEFAULT",
        Partner = "PARTNER",
    }
);

string_enum!(
    /// Okta's ten standard admin roles (the role assignment guide's list, in
    /// its order by label). Org-wide unless narrowed by targets (see
    /// [`StandardRole::target_kind`]); what each holds is in `authz::catalog`.
    StandardRole {
        SuperAdmin = "SUPER_ADMIN",
        OrgAdmin = "ORG_ADMIN",
        AppAdmin = "APP_ADMIN",
        UserAdmin = "USER_ADMIN",
        HelpDeskAdmin = "HELP_DESK_ADMIN",
        GroupMembershipAdmin = "GROUP_MEMBERSHIP_ADMIN",
        ReadOnlyAdmin = "READ_ONLY_ADMIN",
        ReportAdmin = "REPORT_ADMIN",
        ApiAccessManagementAdmin = "API_ACCESS_MANAGEMENT_ADMIN",
        MobileAdmin = "MOBILE_ADMIN",
    }
);

/// What a standard role's targets are: Okta's "optional targets" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetKind {
    Groups,
    Apps,
}

/// One target of a standard role assignment: a group or an app.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoleTarget {
    Group(GroupId),
    App(AppId),
}

impl RoleTarget {
    pub fn kind(&self) -> TargetKind {
        match self {
            RoleTarget::Group(_) => TargetKind::Groups,
            RoleTarget::App(_) => TargetKind::Apps,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            RoleTarget::Group(id) => id.as_str(),
            RoleTarget::App(id) => id.as_str(),
        }
    }
}

impl StandardRole {
    /// Okta's label for the role.
    pub fn label(self) -> &'static str {
        match self {
            Self::SuperAdmin => "Super administrator",
            Self::OrgAdmin => "Organization administrator",
            Self::AppAdmin => "Application administrator",
            Self::UserAdmin => "Group administrator",
            Self::HelpDeskAdmin => "Help desk administrator",
            Self::GroupMembershipAdmin => "Group membership administrator",
            Self::ReadOnlyAdmin => "Read-only administrator",
            Self::ReportAdmin => "Report administrator",
            Self::ApiAccessManagementAdmin => "API Access Management administrator",
            Self::MobileAdmin => "Mobile administrator",
        }
    }

    /// The targets the role takes (Okta: apps for `APP_ADMIN`; groups for
    /// `USER_ADMIN`, `HELP_DESK_ADMIN`, `GROUP_MEMBERSHIP_ADMIN`); `None`:
    /// always org-wide.
    pub fn target_kind(self) -> Option<TargetKind> {
        match self {
            Self::AppAdmin => Some(TargetKind::Apps),
            Self::UserAdmin | Self::HelpDeskAdmin | Self::GroupMembershipAdmin => {
                Some(TargetKind::Groups)
            }
            _ => None,
        }
    }
}

string_enum!(
    LifecycleStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
);

/// The eight base profile attributes (Okta's names).
pub const BASE_ATTRIBUTES: [&str; 8] = [
    "login",
    "email",
    "secondEmail",
    "firstName",
    "lastName",
    "middleName",
    "primaryPhone",
    "mobilePhone",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Realm {
    pub id: RealmId,
    pub name: String,
    pub realm_type: RealmType,
    pub is_default: bool,
    pub domains: Vec<String>,
    pub created: String,
    pub last_updated: String,
}

/// The base profile of a user; custom attributes travel beside it as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseProfile {
    pub login: String,
    pub email: String,
    pub second_email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub middle_name: Option<String>,
    pub primary_phone: Option<String>,
    pub mobile_phone: Option<String>,
}

impl BaseProfile {
    /// A base attribute by its Okta name (`firstName`, …); `None` when unset or
    /// not a base attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        match name {
            "login" => Some(self.login.as_str()),
            "email" => Some(self.email.as_str()),
            "secondEmail" => self.second_email.as_deref(),
            "firstName" => Some(self.first_name.as_str()),
            "lastName" => Some(self.last_name.as_str()),
            "middleName" => self.middle_name.as_deref(),
            "primaryPhone" => self.primary_phone.as_deref(),
            "mobilePhone" => self.mobile_phone.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub realm_id: RealmId,
    pub status: UserStatus,
    pub transitioning_to_status: Option<UserStatus>,
    pub profile: BaseProfile,
    pub custom_profile: serde_json::Map<String, serde_json::Value>,
    pub profile_source_id: Option<String>,
    pub created: String,
    pub activated: Option<String>,
    pub status_changed: Option<String>,
    pub last_login: Option<String>,
    pub last_updated: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub created: String,
    pub last_updated: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: AppId,
    pub name: String,
    pub label: String,
    pub sign_on_mode: String,
    pub status: LifecycleStatus,
    pub created: String,
    pub last_updated: String,
}

/// Lifecycle operations an admin can apply to a user (Okta's endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleOp {
    Activate,
    Reactivate,
    Suspend,
    Unsuspend,
    Unlock,
    Deactivate,
    ResetPassword,
    ExpirePassword,
    ResetFactors,
    ClearSessions,
    Delete,
}

/// Where a user's credentials live: at an identity provider (the org IdP or
/// a partner's, as Okta's federated users), or with the portal itself (a
/// realm whose users have no IdP), with whether a password is set yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialHolder {
    Federated,
    Portal { has_password: bool },
}

impl LifecycleOp {
    pub const ALL: [LifecycleOp; 11] = [
        Self::Activate,
        Self::Reactivate,
        Self::Suspend,
        Self::Unsuspend,
        Self::Unlock,
        Self::Deactivate,
        Self::ResetPassword,
        Self::ExpirePassword,
        Self::ResetFactors,
        Self::ClearSessions,
        Self::Delete,
    ];

    /// The status after this operation, or `None` when it is not valid from
    /// `from` for a user whose credentials are held as `holder`. `Delete`
    /// yields `Deprovisioned` (the row is then removed).
    ///
    /// Portal-held credentials follow Okta: activating a user without a
    /// password makes it `PROVISIONED` (an activation link is mailed; the
    /// user sets a password and becomes `ACTIVE`), *Reactivate* mails a new
    /// link, *Reset password* puts it in `RECOVERY` (a reset link), *Expire
    /// password* in `PASSWORD_EXPIRED` (a change at the next sign-in). For
    /// federated users the password lives at the IdP, so those two do not
    /// apply, and a user left in `RECOVERY` or `PASSWORD_EXPIRED` is
    /// activated back. Every status has a way back to `ACTIVE` (tested).
    pub fn next_status(self, from: UserStatus, holder: CredentialHolder) -> Option<UserStatus> {
        use CredentialHolder as H;
        use UserStatus as S;
        let portal = matches!(holder, H::Portal { .. });
        let has_password = matches!(holder, H::Portal { has_password: true });
        match (self, from) {
            (Self::Activate, S::Staged | S::Deprovisioned) => Some(if portal && !has_password {
                S::Provisioned
            } else {
                S::Active
            }),
            (Self::Activate, S::Recovery | S::PasswordExpired) if !portal => Some(S::Active),
            (Self::Reactivate, S::Provisioned) => Some(S::Provisioned),
            (Self::Reactivate, S::Recovery) if !portal => Some(S::Recovery),
            (Self::Suspend, S::Active) => Some(S::Suspended),
            (Self::Unsuspend, S::Suspended) => Some(S::Active),
            (Self::Unlock, S::LockedOut) => Some(S::Active),
            (Self::Deactivate, s) if s != S::Deprovisioned => Some(S::Deprovisioned),
            (Self::ResetPassword | Self::ExpirePassword, _) if !portal => None,
            (Self::ResetPassword, S::Active | S::PasswordExpired | S::LockedOut | S::Recovery) => {
                Some(S::Recovery)
            }
            (Self::ExpirePassword, S::Active) if has_password => Some(S::PasswordExpired),
            (Self::ResetFactors, s)
                if !matches!(s, S::Staged | S::Deprovisioned | S::Suspended) =>
            {
                Some(s)
            }
            (Self::ClearSessions, s) => Some(s),
            (Self::Delete, S::Deprovisioned) => Some(S::Deprovisioned),
            _ => None,
        }
    }

    pub fn is_valid_from(self, from: UserStatus, holder: CredentialHolder) -> bool {
        self.next_status(from, holder).is_some()
    }

    /// The button's label for a user whose credentials are held as `holder`.
    pub fn label_for(self, holder: CredentialHolder) -> &'static str {
        match (self, holder) {
            (Self::Reactivate, CredentialHolder::Portal { .. }) => "Resend activation email",
            _ => self.label(),
        }
    }

    /// Okta's System Log event type for this operation.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Activate => "user.lifecycle.activate",
            Self::Reactivate => "user.lifecycle.reactivate",
            Self::Suspend => "user.lifecycle.suspend",
            Self::Unsuspend => "user.lifecycle.unsuspend",
            Self::Unlock => "user.account.unlock_by_admin",
            Self::Deactivate => "user.lifecycle.deactivate",
            Self::ResetPassword => "user.account.reset_password",
            Self::ExpirePassword => "user.account.expire_password",
            Self::ResetFactors => "user.mfa.factor.reset_all",
            Self::ClearSessions => "user.session.clear",
            Self::Delete => "user.lifecycle.delete.completed",
        }
    }

    /// A short label for buttons.
    pub fn label(self) -> &'static str {
        match self {
            Self::Activate => "Activate",
            Self::Reactivate => "Reactivate",
            Self::Suspend => "Suspend",
            Self::Unsuspend => "Unsuspend",
            Self::Unlock => "Unlock",
            Self::Deactivate => "Deactivate",
            Self::ResetPassword => "Reset password",
            Self::ExpirePassword => "Expire password",
            Self::ResetFactors => "Reset authenticators",
            Self::ClearSessions => "Clear sessions",
            Self::Delete => "Delete",
        }
    }

    /// Destructive operations ask for confirmation in the UI.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            Self::Deactivate | Self::Delete | Self::Suspend | Self::ResetFactors
        )
    }
}

/// What a user can do alone to get back to `ACTIVE` from `status` when the
/// portal holds its credentials: use the mailed link (activation from
/// `PROVISIONED`, reset from `RECOVERY`, forgot-password from `LOCKED_OUT`,
/// which also unlocks) or sign in and choose a new password
/// (`PASSWORD_EXPIRED`). The hosted sign-in pages accept exactly these.
pub fn self_service_exit(status: UserStatus, holder: CredentialHolder) -> Option<UserStatus> {
    use UserStatus as S;
    match (holder, status) {
        (CredentialHolder::Federated, _) => None,
        (_, S::Provisioned | S::Recovery | S::LockedOut | S::PasswordExpired) => Some(S::Active),
        _ => None,
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use super::{self_service_exit, CredentialHolder as H, LifecycleOp as Op, UserStatus as S};

    const HOLDERS: [H; 3] = [
        H::Federated,
        H::Portal {
            has_password: false,
        },
        H::Portal { has_password: true },
    ];

    #[test]
    fn transitions_follow_okta() {
        for h in HOLDERS {
            assert_eq!(Op::Suspend.next_status(S::Active, h), Some(S::Suspended));
            assert_eq!(Op::Suspend.next_status(S::Staged, h), None);
            assert_eq!(Op::Unsuspend.next_status(S::Suspended, h), Some(S::Active));
            assert_eq!(Op::Activate.next_status(S::Active, h), None);
            assert_eq!(
                Op::Deactivate.next_status(S::Suspended, h),
                Some(S::Deprovisioned)
            );
            assert_eq!(Op::Deactivate.next_status(S::Deprovisioned, h), None);
            assert_eq!(Op::Delete.next_status(S::Active, h), None);
            assert_eq!(
                Op::Delete.next_status(S::Deprovisioned, h),
                Some(S::Deprovisioned)
            );
            assert_eq!(Op::Unlock.next_status(S::LockedOut, h), Some(S::Active));
            for status in S::ALL {
                assert!(Op::ClearSessions.is_valid_from(*status, h));
            }
        }
        // Activation: straight to ACTIVE unless the portal must first mail a
        // link to set a password.
        assert_eq!(
            Op::Activate.next_status(S::Staged, H::Federated),
            Some(S::Active)
        );
        assert_eq!(
            Op::Activate.next_status(
                S::Staged,
                H::Portal {
                    has_password: false
                }
            ),
            Some(S::Provisioned)
        );
        assert_eq!(
            Op::Activate.next_status(S::Staged, H::Portal { has_password: true }),
            Some(S::Active)
        );
        let portal = H::Portal { has_password: true };
        assert_eq!(
            Op::ResetPassword.next_status(S::Active, portal),
            Some(S::Recovery)
        );
        assert_eq!(
            Op::ResetPassword.next_status(S::LockedOut, portal),
            Some(S::Recovery)
        );
        assert_eq!(
            Op::ExpirePassword.next_status(S::Active, portal),
            Some(S::PasswordExpired)
        );
        assert_eq!(
            Op::ExpirePassword.next_status(
                S::Active,
                H::Portal {
                    has_password: false
                }
            ),
            None
        );
        assert_eq!(
            Op::Reactivate.next_status(S::Provisioned, portal),
            Some(S::Provisioned)
        );
        assert_eq!(Op::Reactivate.label_for(portal), "Resend activation email");
    }

    /// No operation leaves a user in a status whose only way back to
    /// `ACTIVE` is deactivation (which deprovisions every app): each status an
    /// operation sets reaches `ACTIVE` again through operations the UI
    /// offers or what the user can do alone (`self_service_exit`), without
    /// deactivating — for every way credentials are held.
    #[test]
    fn no_status_strands_a_user() {
        let gentle: Vec<Op> = Op::ALL
            .into_iter()
            .filter(|op| !matches!(op, Op::Deactivate | Op::Delete))
            .collect();
        for h in HOLDERS {
            // Setting a password (activation, reset) gives the user one.
            let after_self = |h: H| match h {
                H::Federated => H::Federated,
                H::Portal { .. } => H::Portal { has_password: true },
            };
            let back_to_active = |from: S| {
                let mut seen = vec![(from, h)];
                let mut frontier = vec![(from, h)];
                while let Some((s, h)) = frontier.pop() {
                    if s == S::Active {
                        return true;
                    }
                    let mut next: Vec<(S, H)> = gentle
                        .iter()
                        .filter_map(|op| op.next_status(s, h).map(|n| (n, h)))
                        .collect();
                    next.extend(self_service_exit(s, h).map(|n| (n, after_self(h))));
                    for n in next {
                        if !seen.contains(&n) {
                            seen.push(n);
                            frontier.push(n);
                        }
                    }
                }
                false
            };
            for op in Op::ALL {
                for from in S::ALL {
                    if let Some(to) = op.next_status(*from, h).filter(|to| to != from) {
                        assert!(
                            back_to_active(to),
                            "{} from {} leaves a {h:?} user in {} with no way back",
                            op.label(),
                            from.as_str(),
                            to.as_str()
                        );
                    }
                }
            }
        }
        // Federated users left in a password status by an earlier version
        // come back; their passwords are the IdP's.
        assert_eq!(
            Op::Activate.next_status(S::Recovery, H::Federated),
            Some(S::Active)
        );
        assert_eq!(
            Op::Activate.next_status(S::PasswordExpired, H::Federated),
            Some(S::Active)
        );
        assert_eq!(Op::ResetPassword.next_status(S::Active, H::Federated), None);
        assert_eq!(
            Op::ExpirePassword.next_status(S::Active, H::Federated),
            None
        );
    }
}

/// A realm-assignment rule (Okta's `RealmAssignment`): users from
/// `profile_source_id` (any source when `None`) whose profile matches
/// `expression` belong in `target_realm_id`. Lower `priority` wins; the
/// catch-all (`is_default`) is last, always active and cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmRule {
    pub id: crate::ids::RuleId,
    pub name: String,
    pub priority: i64,
    pub status: LifecycleStatus,
    pub is_default: bool,
    pub profile_source_id: Option<String>,
    pub expression: Option<String>,
    pub target_realm_id: RealmId,
    pub created: String,
    pub last_updated: String,
}

string_enum!(
    /// Where a realm-assignment operation stands.
    OperationStatus {
        Planned = "PLANNED",
        Scheduled = "SCHEDULED",
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Failed = "FAILED",
        Canceled = "CANCELED",
    }
);

string_enum!(
    /// What an operation did (or will do) with one user.
    ItemResult {
        Pending = "PENDING",
        Moved = "MOVED",
        SkippedChanged = "SKIPPED_CHANGED",
        Failed = "FAILED",
        Canceled = "CANCELED",
    }
);

string_enum!(
    /// What planned an operation.
    OperationKind {
        Rule = "RULE",
        BulkMove = "BULK_MOVE",
    }
);

/// A planned (dry-run) or executed move of users between realms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub id: crate::ids::OperationId,
    pub kind: OperationKind,
    pub rule_id: Option<crate::ids::RuleId>,
    /// The rule's name, or "Bulk move to …", as planned.
    pub label: String,
    pub status: OperationStatus,
    pub created: String,
    pub started: Option<String>,
    pub completed: Option<String>,
    /// Users the plan moves.
    pub num_planned: i64,
    /// Users the rule selects but the plan refuses (e.g. an email outside the
    /// target realm's domains); listed, never moved.
    pub num_refused: i64,
    pub num_moved: i64,
    /// Changed since the plan: reported, not applied.
    pub num_skipped: i64,
    /// Refused when applied.
    pub num_failed: i64,
}

impl Operation {
    /// Planned users not applied yet.
    pub fn remaining(&self) -> i64 {
        (self.num_planned - self.num_moved - self.num_skipped - self.num_failed).max(0)
    }

    /// Share of the plan applied, 0–100.
    pub fn percent_done(&self) -> i64 {
        if self.num_planned == 0 {
            100
        } else {
            (self.num_planned - self.remaining()) * 100 / self.num_planned
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(
            self.status,
            OperationStatus::Scheduled | OperationStatus::InProgress
        )
    }
}

/// One user in an operation's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationItem {
    pub user_id: UserId,
    pub login: String,
    pub name: String,
    pub from_realm_id: RealmId,
    pub from_realm: String,
    pub to_realm_id: RealmId,
    pub to_realm: String,
    pub result: ItemResult,
    pub message: Option<String>,
}

/// A realm with its users counted by status, for the admin console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmSummary {
    pub realm: Realm,
    pub users: i64,
    pub by_status: Vec<(UserStatus, i64)>,
}

/// The answer to "may this admin do this to that?", for the explain page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainedDecision {
    pub allowed: bool,
    pub permission: String,
    pub target: String,
    /// "allowed by role Partner Admin on resource set …" or why not.
    pub reason: String,
}
