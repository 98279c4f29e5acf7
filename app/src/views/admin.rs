//! The admin console's wire types: realms, rules and operations, the wizard,
//! explain, identity providers and the directory basics.

use serde::{Deserialize, Serialize};

use crate::model::{Operation, OperationItem, RealmRule, RealmSummary};

/// Items of an operation shown per page.
pub const ITEMS_PAGE: i64 = 50;

/// A line of the realm report: counts by status, who administers the realm,
/// which rules place users in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmReportRow {
    pub summary: RealmSummary,
    pub admins: Vec<String>,
    pub rules: Vec<String>,
}

/// A partner identity provider as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub realm: Option<String>,
    pub jit_enabled: bool,
    pub routing_domains: Vec<String>,
}

/// The IdP page: the IdPs, the realms they may be bound to, and the redirect
/// URI to register at each IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpsView {
    pub idps: Vec<IdpRow>,
    pub realms: Vec<(String, String)>,
    pub redirect_uri: String,
    /// Groups an IdP may sync (id, name).
    pub groups: Vec<(String, String)>,
}

/// A realm with what the console shows beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealmDetail {
    pub summary: RealmSummary,
    /// Why it cannot be deleted now (empty: it can).
    pub blockers: Vec<String>,
    /// Rules that place users in it.
    pub rules: Vec<RealmRule>,
    /// How its users sign in (passwords held by the portal, or an IdP).
    pub sign_in: SignInPolicyView,
}

/// A realm's sign-in policy (`credentials::Policy` on the server): whether
/// its users sign in with passwords the portal holds, and the rules for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInPolicyView {
    /// The realm's users (those no identity provider created or links) sign
    /// in with a password held here.
    pub hosted: bool,
    pub min_length: u32,
    /// How many previous passwords may not be used again.
    pub history_count: u32,
    /// Days after which a password expires (0: never).
    pub max_age_days: u32,
    /// A second factor (TOTP app or passkey) is required at sign-in.
    pub require_mfa: bool,
    /// Failed passwords in a row that lock the account (0: never locks).
    pub lockout_attempts: u32,
    /// Minutes after which a locked account unlocks itself (0: only an
    /// admin or a password reset unlocks it).
    pub lockout_minutes: u32,
}

impl Default for SignInPolicyView {
    /// No row for a realm: its users sign in at an identity provider; these
    /// rules apply to anyone who nonetheless holds a portal password.
    fn default() -> Self {
        Self {
            hosted: false,
            min_length: 12,
            history_count: 4,
            max_age_days: 0,
            require_mfa: false,
            lockout_attempts: 10,
            lockout_minutes: 15,
        }
    }
}

/// A rule as listed: with the names of its realm and profile source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub rule: RealmRule,
    pub realm: String,
    pub source: Option<String>,
}

/// The rules page: rules in priority order, what a rule may point at, and the
/// latest operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesView {
    pub rules: Vec<RuleRow>,
    pub realms: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub operations: Vec<Operation>,
}

/// The live check of a rule's expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    /// The error, with the character position (1-based) it names.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// Users the expression selects, users looked at, and whether more exist.
    pub matches: Option<(i64, i64, bool)>,
}

/// An operation with a page of its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    pub operation: Operation,
    pub items: Vec<OperationItem>,
    /// Cursor of the next page of items, if any.
    pub next: Option<String>,
}

/// What the wizard offers to put in a partner realm's resource set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardChoices {
    pub groups: Vec<(String, String)>,
    pub apps: Vec<(String, String)>,
}

/// What the wizard will create, shown for review before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardReview {
    pub realm: String,
    pub domains: Vec<String>,
    pub resource_set: String,
    /// The resource set's resources, described.
    pub resources: Vec<String>,
    /// Existing users who become partner admins ("login (realm)").
    pub admins: Vec<String>,
    /// The new admin created in the realm, if any ("First Last <email>").
    pub new_admin: Option<String>,
    /// The partner IdP bound to the realm, if any, described.
    pub idp: Option<String>,
}

/// One entitlement of an admin, for "explain access".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainedRight {
    /// "Role Partner Admin on resource set Acme partner administration".
    pub source: String,
    pub permissions: Vec<String>,
    /// `None`: org-wide.
    pub resources: Option<Vec<String>>,
}

/// Everything an admin can do and, for a question, the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainView {
    pub admin: String,
    pub admin_id: String,
    pub rights: Vec<ExplainedRight>,
    pub decision: Option<crate::model::ExplainedDecision>,
}

/// Most users one move may name (selected or matched by a filter); a rule
/// moves more.
pub const MOVE_MAX: usize = 10_000;

/// One identity provider for its edit page (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpEdit {
    pub idp: IdpRow,
    pub realm_id: String,
    pub claim_mapping: String,
    pub last_updated: String,
    pub realms: Vec<(String, String)>,
    pub redirect_uri: String,
    /// Group sync: `NONE`, `APPEND` or `SYNC`, the claim, the group ids.
    pub groups_action: String,
    pub groups_claim: String,
    pub groups_filter: Vec<String>,
    pub groups: Vec<(String, String)>,
}

/// A custom attribute of the user profile schema, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeRow {
    pub name: String,
    pub title: String,
    pub attr_type: String,
    pub required: bool,
}

/// The directory basics an org admin sets up: groups, apps, the profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryView {
    pub groups: Vec<crate::model::Group>,
    pub apps: Vec<crate::model::App>,
    pub attributes: Vec<AttributeRow>,
}
