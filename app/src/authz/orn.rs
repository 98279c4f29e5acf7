//! Resources of resource sets, named by ORN (`orn:{partition}:{service}:{orgId}:…`) or
//! by the equivalent REST URL (`{base}/api/v1/…`): a strict parser whose errors name
//! the offending segment, a printer, and the table of what each resource grants.
//!
//! Only resources of this installation parse: the org id must be this org's and a
//! REST URL must start with this portal's public base URL. The partition may be
//! `okta`, `oktapreview` or the configured one (it names an Okta environment, not a
//! tenant; the org id is the tenant check); printing always uses the configured one.
//!
//! Spellings Okta does not document, chosen by analogy (verify against a live org):
//! realms `orn:{p}:directory:{org}:realms[:{realmId}[:contained_resources]]` and
//! `/api/v1/realms[/{realmId}[/users]]`; identity providers
//! `orn:{p}:idp:{org}:identity_providers` (snake case like `authorization_servers`)
//! and `/api/v1/idps`; admin roles `orn:{p}:iam:{org}:contained_resources` (seen in
//! Okta's own resource listings; it has no REST URL).
//!
//! # What a resource grants
//!
//! A permission on a resource it does not apply to grants nothing (Okta: a user
//! permission on a set holding only `…:groups:{id}` gives no rights on users). A
//! resource designates objects of exactly one [`ResourceKind`], and grants exactly the
//! permissions of that kind, see [`grants`]:
//!
//! | resource                                      | kind              | coverage            |
//! |-----------------------------------------------|-------------------|---------------------|
//! | `directory:{org}:users`                       | user              | `AllUsers`          |
//! | `directory:{org}:users:{id}`                  | user              | `OneUser`           |
//! | `directory:{org}:groups:{id}:contained_resources` | user          | `UsersInGroup`      |
//! | `directory:{org}:realms:{id}:contained_resources` | user          | `UsersInRealm`      |
//! | `directory:{org}:groups`                      | group             | `AllGroups`         |
//! | `directory:{org}:groups:{id}`                 | group             | `OneGroup`          |
//! | `directory:{org}:realms`                      | realm             | `AllRealms`         |
//! | `directory:{org}:realms:{id}`                 | realm             | `OneRealm`          |
//! | `idp:{org}:apps`                              | app               | `AllApps`           |
//! | `idp:{org}:apps:{type}`                       | app               | `AppsOfType`        |
//! | `idp:{org}:apps:{type}:{id}`, `/apps/{id}`    | app               | `OneApp`            |
//! | `idp:{org}:identity_providers`                | identity provider | `AllIdps`           |
//! | `iam:{org}:contained_resources`               | admin roles       | `AllIam`            |
//!
//! A realm resource covers the realm object only, exactly like a group resource:
//! user permissions reach a realm's users only through
//! `…:realms:{id}:contained_resources`. This is stricter than Okta's console, where
//! picking a realm in a resource set also reaches its users; we keep one rule for
//! groups and realms and fail closed, and the console's one-step "realm and its
//! users" choice adds both resources ([`Resource::realm_and_users`]).
//!
//! Creating things at org level (a group, a realm, an app) needs the `All…` coverage
//! of its kind; `okta.users.create` needs `AllUsers` or `UsersInRealm` of the new
//! user's realm. Those rules are the kernel's; this table only says what is covered.

use std::fmt;

use super::catalog::ResourceKind;
use crate::ids::{AppId, GroupId, IdError, RealmId, UserId};

/// Longest resource string accepted (ORN or REST URL).
pub const MAX_RESOURCE_LEN: usize = 512;
const MAX_BASE_URL_LEN: usize = 200;
const MAX_ECHO: usize = 64;
/// The partitions Okta documents; the configured one is accepted besides.
pub const OKTA_PARTITIONS: [&str; 2] = ["okta", "oktapreview"];
const CONTAINED: &str = "contained_resources";

/// An app integration's type (Okta's app `name`: `oidc_client`, `bookmark`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppType(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid app type (1–64 letters, digits, '_' or '-')")]
pub struct AppTypeError(String);

impl AppType {
    pub fn parse(value: &str) -> Result<Self, AppTypeError> {
        let well_formed = !value.is_empty()
            && value.len() <= 64
            && value != CONTAINED
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if well_formed {
            Ok(Self(value.to_string()))
        } else {
            Err(AppTypeError(excerpt(value)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of a resource set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    AllUsers,
    User(UserId),
    AllGroups,
    /// The group object itself (not its members).
    Group(GroupId),
    /// `…:groups:{id}:contained_resources`, `/api/v1/groups/{id}/users`.
    UsersInGroup(GroupId),
    AllRealms,
    /// The realm object itself (not its users).
    Realm(RealmId),
    /// `…:realms:{id}:contained_resources`, `/api/v1/realms/{id}/users`.
    UsersInRealm(RealmId),
    AllApps,
    AppsOfType(AppType),
    /// `app_type` is known from an ORN and unknown from `/api/v1/apps/{id}`; the
    /// store can fill it in to print an ORN.
    App {
        id: AppId,
        app_type: Option<AppType>,
    },
    AllIdentityProviders,
    /// Admin roles, resource sets and admin assignments.
    AllIam,
}

impl Resource {
    /// Every resource of every kind: what an org-wide right covers (the
    /// yardstick for roles that must not exceed what their maker holds).
    pub const EVERYTHING: [Resource; 6] = [
        Resource::AllUsers,
        Resource::AllGroups,
        Resource::AllApps,
        Resource::AllRealms,
        Resource::AllIdentityProviders,
        Resource::AllIam,
    ];
}

/// What a resource grants to permissions of its kind, in terms the kernel compiles
/// to SQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Coverage {
    AllUsers,
    UsersInRealm(RealmId),
    UsersInGroup(GroupId),
    OneUser(UserId),
    AllGroups,
    OneGroup(GroupId),
    AllRealms,
    OneRealm(RealmId),
    AllApps,
    AppsOfType(AppType),
    OneApp(AppId),
    AllIdps,
    AllIam,
}

impl Coverage {
    /// Everything of `kind` (what an org-wide standard role covers).
    pub fn all_of(kind: ResourceKind) -> Coverage {
        match kind {
            ResourceKind::User => Self::AllUsers,
            ResourceKind::Group => Self::AllGroups,
            ResourceKind::App => Self::AllApps,
            ResourceKind::Realm => Self::AllRealms,
            ResourceKind::IdentityProvider => Self::AllIdps,
            ResourceKind::Iam => Self::AllIam,
        }
    }

    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::AllUsers | Self::UsersInRealm(_) | Self::UsersInGroup(_) | Self::OneUser(_) => {
                ResourceKind::User
            }
            Self::AllGroups | Self::OneGroup(_) => ResourceKind::Group,
            Self::AllRealms | Self::OneRealm(_) => ResourceKind::Realm,
            Self::AllApps | Self::AppsOfType(_) | Self::OneApp(_) => ResourceKind::App,
            Self::AllIdps => ResourceKind::IdentityProvider,
            Self::AllIam => ResourceKind::Iam,
        }
    }

    /// Covers every object of its kind (needed to create objects at org level).
    pub fn is_all(&self) -> bool {
        *self == Self::all_of(self.kind())
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllUsers => f.write_str("all users"),
            Self::UsersInRealm(id) => write!(f, "users in realm {id}"),
            Self::UsersInGroup(id) => write!(f, "users in group {id}"),
            Self::OneUser(id) => write!(f, "user {id}"),
            Self::AllGroups => f.write_str("all groups"),
            Self::OneGroup(id) => write!(f, "group {id}"),
            Self::AllRealms => f.write_str("all realms"),
            Self::OneRealm(id) => write!(f, "realm {id}"),
            Self::AllApps => f.write_str("all apps"),
            Self::AppsOfType(t) => write!(f, "apps of type {t}"),
            Self::OneApp(id) => write!(f, "app {id}"),
            Self::AllIdps => f.write_str("all identity providers"),
            Self::AllIam => f.write_str("all admin roles, resource sets and assignments"),
        }
    }
}

/// What `resource` grants a permission acting on `kind`: its coverage when the
/// kinds match, nothing otherwise (see the table in the module documentation).
pub fn grants(kind: ResourceKind, resource: &Resource) -> Option<Coverage> {
    (resource.kind() == kind).then(|| resource.coverage())
}

impl Resource {
    /// The kind of the objects this resource designates (the members of a group or
    /// realm are users).
    pub fn kind(&self) -> ResourceKind {
        self.coverage().kind()
    }

    pub fn coverage(&self) -> Coverage {
        match self {
            Self::AllUsers => Coverage::AllUsers,
            Self::User(id) => Coverage::OneUser(id.clone()),
            Self::AllGroups => Coverage::AllGroups,
            Self::Group(id) => Coverage::OneGroup(id.clone()),
            Self::UsersInGroup(id) => Coverage::UsersInGroup(id.clone()),
            Self::AllRealms => Coverage::AllRealms,
            Self::Realm(id) => Coverage::OneRealm(id.clone()),
            Self::UsersInRealm(id) => Coverage::UsersInRealm(id.clone()),
            Self::AllApps => Coverage::AllApps,
            Self::AppsOfType(t) => Coverage::AppsOfType(t.clone()),
            Self::App { id, .. } => Coverage::OneApp(id.clone()),
            Self::AllIdentityProviders => Coverage::AllIdps,
            Self::AllIam => Coverage::AllIam,
        }
    }

    /// The realm object and its users: what picking a realm in the console means.
    pub fn realm_and_users(id: RealmId) -> [Resource; 2] {
        [Self::Realm(id.clone()), Self::UsersInRealm(id)]
    }

    /// The ORN, or `None` for an app whose type is unknown (added by REST URL).
    pub fn to_orn(&self, ctx: &OrnContext) -> Option<String> {
        let dir = format!("orn:{}:directory:{}", ctx.partition, ctx.org_id);
        let idp = format!("orn:{}:idp:{}", ctx.partition, ctx.org_id);
        Some(match self {
            Self::AllUsers => format!("{dir}:users"),
            Self::User(id) => format!("{dir}:users:{id}"),
            Self::AllGroups => format!("{dir}:groups"),
            Self::Group(id) => format!("{dir}:groups:{id}"),
            Self::UsersInGroup(id) => format!("{dir}:groups:{id}:{CONTAINED}"),
            Self::AllRealms => format!("{dir}:realms"),
            Self::Realm(id) => format!("{dir}:realms:{id}"),
            Self::UsersInRealm(id) => format!("{dir}:realms:{id}:{CONTAINED}"),
            Self::AllApps => format!("{idp}:apps"),
            Self::AppsOfType(t) => format!("{idp}:apps:{t}"),
            Self::App {
                id,
                app_type: Some(t),
            } => format!("{idp}:apps:{t}:{id}"),
            Self::App { app_type: None, .. } => return None,
            Self::AllIdentityProviders => format!("{idp}:identity_providers"),
            Self::AllIam => format!("orn:{}:iam:{}:{CONTAINED}", ctx.partition, ctx.org_id),
        })
    }

    /// The REST URL, or `None` for the admin-roles resource (Okta has no URL for it).
    /// An app's URL does not carry its type.
    pub fn to_rest_url(&self, ctx: &OrnContext) -> Option<String> {
        let api = format!("{}/api/v1", ctx.base_url);
        Some(match self {
            Self::AllUsers => format!("{api}/users"),
            Self::User(id) => format!("{api}/users/{id}"),
            Self::AllGroups => format!("{api}/groups"),
            Self::Group(id) => format!("{api}/groups/{id}"),
            Self::UsersInGroup(id) => format!("{api}/groups/{id}/users"),
            Self::AllRealms => format!("{api}/realms"),
            Self::Realm(id) => format!("{api}/realms/{id}"),
            Self::UsersInRealm(id) => format!("{api}/realms/{id}/users"),
            Self::AllApps => format!("{api}/apps"),
            Self::AppsOfType(t) => format!("{api}/apps?filter=name+eq+\"{t}\""),
            Self::App { id, .. } => format!("{api}/apps/{id}"),
            Self::AllIdentityProviders => format!("{api}/idps"),
            Self::AllIam => return None,
        })
    }

    /// The ORN when there is one, else the REST URL: what to store and show. Every
    /// resource has at least one of the two.
    pub fn to_canonical_string(&self, ctx: &OrnContext) -> String {
        self.to_orn(ctx)
            .or_else(|| self.to_rest_url(ctx))
            .unwrap_or_default()
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.coverage().fmt(f)
    }
}

/// This installation's partition, org id and public base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrnContext {
    partition: String,
    org_id: String,
    base_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrnContextError {
    #[error("partition '{0}' is not valid (1–32 lowercase letters, digits or '-')")]
    Partition(String),
    #[error("org id '{0}' is not valid (1–64 letters, digits, '_' or '-')")]
    OrgId(String),
    #[error("base URL '{value}' is not valid: {reason}")]
    BaseUrl { value: String, reason: &'static str },
}

impl OrnContext {
    /// `base_url` is the public address of the portal (`https://portal.example.com`,
    /// optionally with a path prefix); one trailing `/` is dropped.
    pub fn new(partition: &str, org_id: &str, base_url: &str) -> Result<Self, OrnContextError> {
        let partition_ok = !partition.is_empty()
            && partition.len() <= 32
            && partition
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !partition_ok {
            return Err(OrnContextError::Partition(excerpt(partition)));
        }
        if !is_token(org_id) {
            return Err(OrnContextError::OrgId(excerpt(org_id)));
        }
        let base_url = base_url.strip_suffix('/').unwrap_or(base_url);
        check_base_url(base_url).map_err(|reason| OrnContextError::BaseUrl {
            value: excerpt(base_url),
            reason,
        })?;
        Ok(Self {
            partition: partition.to_string(),
            org_id: org_id.to_string(),
            base_url: base_url.to_string(),
        })
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn is_accepted_partition(&self, partition: &str) -> bool {
        partition == self.partition || OKTA_PARTITIONS.contains(&partition)
    }

    fn accepted_partitions(&self) -> String {
        let mut list: Vec<&str> = OKTA_PARTITIONS.to_vec();
        if !list.contains(&self.partition.as_str()) {
            list.push(&self.partition);
        }
        list.join(", ")
    }
}

fn check_base_url(url: &str) -> Result<(), &'static str> {
    if url.len() > MAX_BASE_URL_LEN {
        return Err("longer than 200 characters");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("only printable ASCII without spaces is allowed");
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return Err("it must start with https:// or http://");
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || host.contains('@') {
        return Err("it needs a host and no user name");
    }
    if url.contains(['?', '#']) {
        return Err("it can have no query or fragment");
    }
    if !path.is_empty() && (path.ends_with('/') || path.contains("//")) {
        return Err("its path has an empty segment");
    }
    Ok(())
}

/// Where in the input a problem is: a `:`-separated ORN segment or a `/`-separated
/// URL path segment after the base URL (`api` is path segment 0), both 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Segment(usize),
    PathSegment(usize),
}

impl Part {
    fn separator(self) -> char {
        match self {
            Self::Segment(_) => ':',
            Self::PathSegment(_) => '/',
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Segment(i) => write!(f, "segment {i}"),
            Self::PathSegment(i) => write!(f, "path segment {i}"),
        }
    }
}

/// Why a string is not a resource of this installation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrnError {
    #[error("the resource is empty")]
    Empty,
    #[error(
        "the resource is too long ({len} bytes); at most {MAX_RESOURCE_LEN} characters are allowed"
    )]
    TooLong { len: usize },
    #[error("character {position}: only printable ASCII is allowed (no spaces or line breaks)")]
    ForbiddenCharacter { position: usize },
    #[error("'{found}' is neither an ORN (orn:…) nor a REST URL (https://…/api/v1/…)")]
    UnknownForm { found: String },
    #[error("segment 0: an ORN starts with 'orn', found '{found}'")]
    NotAnOrn { found: String },
    #[error("{at} is empty (look for a doubled or trailing '{}')", .at.separator())]
    EmptySegment { at: Part },
    #[error("{at}: missing {expected}")]
    MissingSegment { at: Part, expected: &'static str },
    #[error("segment 1: unknown partition '{found}'; expected one of {expected}")]
    UnknownPartition { found: String, expected: String },
    #[error("segment 2: unknown service '{found}'; expected one of directory, idp, iam")]
    UnknownService { found: String },
    #[error("segment 3: org id '{found}' is not this org's ('{expected}')")]
    OtherOrg { found: String, expected: String },
    #[error("{at}: unknown object type '{found}'; expected one of {expected}")]
    UnknownObjectType {
        at: Part,
        found: String,
        expected: &'static str,
    },
    #[error("{at}: '{found}' is not a valid {kind} id")]
    BadId {
        at: Part,
        kind: &'static str,
        found: String,
    },
    #[error("{at}: '{found}' is not a valid app type (1–64 letters, digits, '_' or '-')")]
    BadAppType { at: Part, found: String },
    #[error("{at}: unexpected '{found}'; expected {expected}")]
    UnexpectedSegment {
        at: Part,
        found: String,
        expected: &'static str,
    },
    #[error("not a resource of this portal: a resource URL starts with {expected}/api/v1/")]
    OtherBaseUrl { expected: String },
    #[error("a resource URL's path starts with /api/v1/, found '{found}'")]
    NotAnApiPath { found: String },
    #[error("query: {reason}")]
    BadQuery { reason: String },
}

impl OrnError {
    /// The segment the problem is in, when there is one.
    pub fn part(&self) -> Option<Part> {
        match self {
            Self::NotAnOrn { .. } => Some(Part::Segment(0)),
            Self::UnknownPartition { .. } => Some(Part::Segment(1)),
            Self::UnknownService { .. } => Some(Part::Segment(2)),
            Self::OtherOrg { .. } => Some(Part::Segment(3)),
            Self::EmptySegment { at }
            | Self::MissingSegment { at, .. }
            | Self::UnknownObjectType { at, .. }
            | Self::BadId { at, .. }
            | Self::BadAppType { at, .. }
            | Self::UnexpectedSegment { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// The 0-based character position of the problem, when it is one character.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::ForbiddenCharacter { position } => Some(*position),
            _ => None,
        }
    }
}

fn excerpt(s: &str) -> String {
    if s.chars().count() <= MAX_ECHO {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_ECHO).collect();
        out.push('…');
        out
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Length and character checks shared by both forms. After this, `s` is non-empty
/// printable ASCII, so byte and character positions agree.
fn check_text(s: &str) -> Result<(), OrnError> {
    if s.is_empty() {
        return Err(OrnError::Empty);
    }
    if s.len() > MAX_RESOURCE_LEN {
        return Err(OrnError::TooLong { len: s.len() });
    }
    match s.chars().position(|c| !c.is_ascii_graphic()) {
        Some(position) => Err(OrnError::ForbiddenCharacter { position }),
        None => Ok(()),
    }
}

fn parse_id<T>(
    at: Part,
    value: &str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Result<T, OrnError> {
    if value == CONTAINED {
        return Err(OrnError::UnexpectedSegment {
            at,
            found: CONTAINED.to_string(),
            expected: "an id before 'contained_resources'",
        });
    }
    parse(value).map_err(|e| OrnError::BadId {
        at,
        kind: e.kind,
        found: excerpt(value),
    })
}

fn parse_app_type(at: Part, value: &str) -> Result<AppType, OrnError> {
    if value == CONTAINED {
        return Err(OrnError::UnexpectedSegment {
            at,
            found: CONTAINED.to_string(),
            expected: "an app type; apps have no contained resources",
        });
    }
    AppType::parse(value).map_err(|_| OrnError::BadAppType {
        at,
        found: excerpt(value),
    })
}

/// Nothing may follow `parts[index - 1]`.
fn check_end(parts: &[&str], index: usize, expected: &'static str) -> Result<(), OrnError> {
    match parts.get(index) {
        None => Ok(()),
        Some(found) => Err(OrnError::UnexpectedSegment {
            at: Part::Segment(index),
            found: excerpt(found),
            expected,
        }),
    }
}

/// An ORN of this org, strictly: exact segment counts, known services and object
/// types, valid ids, no empty segments.
pub fn parse_orn(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    check_text(s)?;
    let parts: Vec<&str> = s.split(':').collect();
    let head = parts.first().copied().unwrap_or_default();
    if head != "orn" {
        return Err(OrnError::NotAnOrn {
            found: excerpt(head),
        });
    }
    if let Some(index) = parts.iter().position(|p| p.is_empty()) {
        return Err(OrnError::EmptySegment {
            at: Part::Segment(index),
        });
    }
    let segment = |index: usize, expected: &'static str| {
        parts.get(index).copied().ok_or(OrnError::MissingSegment {
            at: Part::Segment(index),
            expected,
        })
    };
    let partition = segment(1, "the partition (okta or oktapreview)")?;
    if !ctx.is_accepted_partition(partition) {
        return Err(OrnError::UnknownPartition {
            found: excerpt(partition),
            expected: ctx.accepted_partitions(),
        });
    }
    let service = segment(2, "the service (directory, idp or iam)")?;
    if !matches!(service, "directory" | "idp" | "iam") {
        return Err(OrnError::UnknownService {
            found: excerpt(service),
        });
    }
    let org_id = segment(3, "the org id")?;
    if org_id != ctx.org_id {
        return Err(OrnError::OtherOrg {
            found: excerpt(org_id),
            expected: ctx.org_id.clone(),
        });
    }
    match service {
        "directory" => parse_directory_orn(&parts),
        "idp" => parse_idp_orn(&parts),
        _ => parse_iam_orn(&parts),
    }
}

fn parse_directory_orn(parts: &[&str]) -> Result<Resource, OrnError> {
    let object_type = parts.get(4).copied().ok_or(OrnError::MissingSegment {
        at: Part::Segment(4),
        expected: "the object type (users, groups or realms)",
    })?;
    let id = parts.get(5).copied();
    let resource = match (object_type, id) {
        ("users", None) => Resource::AllUsers,
        ("users", Some(id)) => {
            let id = parse_id(Part::Segment(5), id, UserId::parse)?;
            check_end(parts, 6, "nothing after a user id")?;
            Resource::User(id)
        }
        ("groups", None) => Resource::AllGroups,
        ("groups", Some(id)) => {
            let id = parse_id(Part::Segment(5), id, GroupId::parse)?;
            if has_contained_resources(parts)? {
                Resource::UsersInGroup(id)
            } else {
                Resource::Group(id)
            }
        }
        ("realms", None) => Resource::AllRealms,
        ("realms", Some(id)) => {
            let id = parse_id(Part::Segment(5), id, RealmId::parse)?;
            if has_contained_resources(parts)? {
                Resource::UsersInRealm(id)
            } else {
                Resource::Realm(id)
            }
        }
        (other, _) => {
            return Err(OrnError::UnknownObjectType {
                at: Part::Segment(4),
                found: excerpt(other),
                expected: "users, groups, realms",
            })
        }
    };
    Ok(resource)
}

/// After a group or realm id: nothing, or `contained_resources` and nothing more.
fn has_contained_resources(parts: &[&str]) -> Result<bool, OrnError> {
    match parts.get(6).copied() {
        None => Ok(false),
        Some(CONTAINED) => {
            check_end(parts, 7, "nothing after contained_resources")?;
            Ok(true)
        }
        Some(found) => Err(OrnError::UnexpectedSegment {
            at: Part::Segment(6),
            found: excerpt(found),
            expected: "'contained_resources' or nothing after the id",
        }),
    }
}

fn parse_idp_orn(parts: &[&str]) -> Result<Resource, OrnError> {
    let object_type = parts.get(4).copied().ok_or(OrnError::MissingSegment {
        at: Part::Segment(4),
        expected: "the object type (apps or identity_providers)",
    })?;
    match object_type {
        "apps" => {
            let Some(app_type) = parts.get(5) else {
                return Ok(Resource::AllApps);
            };
            let app_type = parse_app_type(Part::Segment(5), app_type)?;
            let Some(id) = parts.get(6) else {
                return Ok(Resource::AppsOfType(app_type));
            };
            let id = parse_id(Part::Segment(6), id, AppId::parse)?;
            check_end(parts, 7, "nothing after an app id")?;
            Ok(Resource::App {
                id,
                app_type: Some(app_type),
            })
        }
        "identity_providers" => {
            check_end(parts, 5, "nothing after identity_providers")?;
            Ok(Resource::AllIdentityProviders)
        }
        other => Err(OrnError::UnknownObjectType {
            at: Part::Segment(4),
            found: excerpt(other),
            expected: "apps, identity_providers",
        }),
    }
}

fn parse_iam_orn(parts: &[&str]) -> Result<Resource, OrnError> {
    let object_type = parts.get(4).copied().ok_or(OrnError::MissingSegment {
        at: Part::Segment(4),
        expected: "contained_resources",
    })?;
    if object_type != CONTAINED {
        return Err(OrnError::UnknownObjectType {
            at: Part::Segment(4),
            found: excerpt(object_type),
            expected: "contained_resources",
        });
    }
    check_end(parts, 5, "nothing after contained_resources")?;
    Ok(Resource::AllIam)
}

/// A REST URL of this portal: `{base}/api/v1/…`, path exact (no trailing `/`,
/// except in Okta's documented `/api/v1/apps/?filter=…`). Scheme and host compare
/// case-insensitively.
pub fn parse_rest_url(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    check_text(s)?;
    let base = ctx.base_url.as_str();
    let rest = match s.get(..base.len()) {
        Some(head) if head.eq_ignore_ascii_case(base) => &s[base.len()..],
        _ => {
            return Err(OrnError::OtherBaseUrl {
                expected: base.to_string(),
            })
        }
    };
    // `https://portal.example.com.evil.test/…` shares the prefix but not the host.
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return Err(OrnError::OtherBaseUrl {
            expected: base.to_string(),
        });
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if !path.starts_with("/api/v1/") {
        return Err(OrnError::NotAnApiPath {
            found: excerpt(if path.is_empty() { "/" } else { path }),
        });
    }
    let mut segments: Vec<&str> = path[1..].split('/').collect();
    if query.is_some() && segments == ["api", "v1", "apps", ""] {
        segments.pop();
    }
    if let Some(index) = segments.iter().position(|p| p.is_empty()) {
        return Err(OrnError::EmptySegment {
            at: Part::PathSegment(index),
        });
    }
    let resource = parse_api_path(&segments)?;
    match (query, &resource) {
        (None, _) => Ok(resource),
        (Some(query), Resource::AllApps) => Ok(Resource::AppsOfType(parse_app_filter(query)?)),
        (Some(_), _) => Err(OrnError::BadQuery {
            reason: "only /api/v1/apps takes a query: ?filter=name+eq+\"{type}\"".to_string(),
        }),
    }
}

fn parse_api_path(segments: &[&str]) -> Result<Resource, OrnError> {
    let at = Part::PathSegment;
    let end = |index: usize, expected: &'static str| match segments.get(index) {
        None => Ok(()),
        Some(found) => Err(OrnError::UnexpectedSegment {
            at: at(index),
            found: excerpt(found),
            expected,
        }),
    };
    // After a group or realm id: nothing, or `/users` and nothing more.
    let members = |expected: &'static str| match segments.get(4).copied() {
        None => Ok(false),
        Some("users") => end(5, "nothing after /users").map(|()| true),
        Some(found) => Err(OrnError::UnexpectedSegment {
            at: at(4),
            found: excerpt(found),
            expected,
        }),
    };
    let object_type = segments.get(2).copied().unwrap_or_default();
    let id = segments.get(3).copied();
    let resource = match (object_type, id) {
        ("users", None) => Resource::AllUsers,
        ("users", Some(id)) => {
            let id = parse_id(at(3), id, UserId::parse)?;
            end(4, "nothing after a user id")?;
            Resource::User(id)
        }
        ("groups", None) => Resource::AllGroups,
        ("groups", Some(id)) => {
            let id = parse_id(at(3), id, GroupId::parse)?;
            if members("'/users' or nothing after a group id")? {
                Resource::UsersInGroup(id)
            } else {
                Resource::Group(id)
            }
        }
        ("realms", None) => Resource::AllRealms,
        ("realms", Some(id)) => {
            let id = parse_id(at(3), id, RealmId::parse)?;
            if members("'/users' or nothing after a realm id")? {
                Resource::UsersInRealm(id)
            } else {
                Resource::Realm(id)
            }
        }
        ("apps", None) => Resource::AllApps,
        ("apps", Some(id)) => {
            let id = parse_id(at(3), id, AppId::parse)?;
            end(4, "nothing after an app id")?;
            Resource::App { id, app_type: None }
        }
        ("idps", _) => {
            end(3, "nothing after /idps")?;
            Resource::AllIdentityProviders
        }
        (other, _) => {
            return Err(OrnError::UnknownObjectType {
                at: at(2),
                found: excerpt(other),
                expected: "users, groups, realms, apps, idps",
            })
        }
    };
    Ok(resource)
}

/// `filter=name eq "{type}"`, with `+` or `%20` for spaces and `"` or `%22` for quotes.
fn parse_app_filter(query: &str) -> Result<AppType, OrnError> {
    let bad = |reason: &str| OrnError::BadQuery {
        reason: reason.to_string(),
    };
    let value = query
        .strip_prefix("filter=")
        .ok_or_else(|| bad("the only query is filter=name+eq+\"{type}\""))?;
    if value.contains('&') {
        return Err(bad("only one query parameter (filter) is allowed"));
    }
    let decoded = decode_query_value(value).ok_or_else(|| bad("malformed %-escape"))?;
    let app_type = decoded
        .strip_prefix("name eq \"")
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| bad("the filter must be exactly name eq \"{type}\""))?;
    AppType::parse(app_type).map_err(|e| OrnError::BadQuery {
        reason: e.to_string(),
    })
}

fn decode_query_value(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    let text = String::from_utf8(out).ok()?;
    text.chars()
        .all(|c| c == ' ' || c.is_ascii_graphic())
        .then_some(text)
}

/// An ORN or a REST URL of this installation.
pub fn parse_resource(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    check_text(s)?;
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    if s.starts_with("orn:") {
        parse_orn(s, ctx)
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        parse_rest_url(s, ctx)
    } else {
        Err(OrnError::UnknownForm { found: excerpt(s) })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[path = "tests/orn.rs"]
mod tests;
