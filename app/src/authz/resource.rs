//! Resources of resource sets, named by ORN (`orn:{partition}:{service}:{orgId}:…`)
//! or by the equivalent REST URL. A strict parser with errors that say which
//! segment is wrong, a printer, and the table of what each resource covers.
//!
//! Coverage (a permission on a resource it does not apply to grants nothing):
//!
//! | resource                                   | user perms      | group perms | app perms | realm perms |
//! |--------------------------------------------|-----------------|-------------|-----------|-------------|
//! | `directory:{org}:users`                    | all users       |             |           |             |
//! | `directory:{org}:users:{id}`               | that user       |             |           |             |
//! | `directory:{org}:groups`                   |                 | all groups  |           |             |
//! | `directory:{org}:groups:{id}`              |                 | that group  |           |             |
//! | `directory:{org}:groups:{id}:contained_resources` | its members |          |           |             |
//! | `directory:{org}:realms`                   |                 |             |           | all realms  |
//! | `directory:{org}:realms:{id}`              |                 |             |           | that realm  |
//! | `directory:{org}:realms:{id}:contained_resources` | users in it |          |           |             |
//! | `idp:{org}:apps`, `…:apps:{type}`, `…:apps:{type}:{id}` |    |             | those apps |            |
//! | `idp:{org}:identity_providers`             | identity-provider permissions only              |||

use super::catalog::ResourceKind;
use super::Atom;
use crate::ids::{AppId, GroupId, IdError, RealmId, UserId};

const MAX_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    AllUsers,
    User(UserId),
    AllGroups,
    Group(GroupId),
    GroupUsers(GroupId),
    AllRealms,
    Realm(RealmId),
    RealmUsers(RealmId),
    AllApps,
    AppsOfType(String),
    App { app_type: String, id: AppId },
    AllIdentityProviders,
}

/// This installation's partition, org id and public base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrnContext {
    partition: String,
    org_id: String,
    base_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OrnError {
    /// 0-based index of the offending `:`-separated segment (ORNs) or path segment (URLs).
    pub segment: Option<usize>,
    pub message: String,
}

fn err(segment: Option<usize>, message: impl Into<String>) -> OrnError {
    OrnError {
        segment,
        message: message.into(),
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl OrnContext {
    pub fn new(partition: &str, org_id: &str) -> Result<Self, OrnError> {
        if !is_name(partition) || !is_name(org_id) {
            return Err(err(
                None,
                "partition and org id must be 1–64 letters, digits, '_' or '-'",
            ));
        }
        Ok(Self {
            partition: partition.into(),
            org_id: org_id.into(),
            base_url: String::new(),
        })
    }

    /// The public base URL that REST-URL resources must start with.
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_string();
        self
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }
}

fn id<T>(
    segment: usize,
    value: &str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Result<T, OrnError> {
    parse(value).map_err(|e| err(Some(segment), format!("segment {segment}: {e}")))
}

/// Parses an ORN of this org, strictly.
pub fn parse_orn(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    if s.len() > MAX_LEN {
        return Err(err(
            None,
            format!("an ORN has at most {MAX_LEN} characters"),
        ));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(err(None, "an ORN has no spaces"));
    }
    let parts: Vec<&str> = s.split(':').collect();
    if let Some(i) = parts.iter().position(|p| p.is_empty()) {
        return Err(err(
            Some(i),
            format!("segment {i} is empty (check for '::' or a trailing ':')"),
        ));
    }
    if parts.len() < 5 {
        return Err(err(
            None,
            "an ORN looks like orn:{partition}:{service}:{orgId}:{objectType}[:{id}]",
        ));
    }
    if parts[0] != "orn" {
        return Err(err(Some(0), "an ORN starts with 'orn:'"));
    }
    if parts[1] != ctx.partition {
        return Err(err(
            Some(1),
            format!(
                "segment 1: partition '{}' is not this org's ('{}')",
                parts[1], ctx.partition
            ),
        ));
    }
    if parts[3] != ctx.org_id {
        return Err(err(
            Some(3),
            format!(
                "segment 3: org id '{}' is not this org's ('{}')",
                parts[3], ctx.org_id
            ),
        ));
    }
    let rest = &parts[4..];
    match parts[2] {
        "directory" => match rest {
            ["users"] => Ok(Resource::AllUsers),
            ["users", u] => Ok(Resource::User(id(5, u, UserId::parse)?)),
            ["groups"] => Ok(Resource::AllGroups),
            ["groups", g] => Ok(Resource::Group(id(5, g, GroupId::parse)?)),
            ["groups", g, "contained_resources"] => Ok(Resource::GroupUsers(id(5, g, GroupId::parse)?)),
            ["realms"] => Ok(Resource::AllRealms),
            ["realms", r] => Ok(Resource::Realm(id(5, r, RealmId::parse)?)),
            ["realms", r, "contained_resources"] => Ok(Resource::RealmUsers(id(5, r, RealmId::parse)?)),
            [kind, ..] if !["users", "groups", "realms"].contains(kind) => Err(err(
                Some(4),
                format!("segment 4: unknown object type '{kind}'; expected one of users, groups, realms"),
            )),
            _ => Err(err(Some(6), "after the id only ':contained_resources' may follow (groups and realms)")),
        },
        "idp" => match rest {
            ["apps"] => Ok(Resource::AllApps),
            ["apps", t] if is_name(t) => Ok(Resource::AppsOfType(t.to_string())),
            ["apps", t, a] if is_name(t) => Ok(Resource::App { app_type: t.to_string(), id: id(6, a, AppId::parse)? }),
            ["identity_providers"] => Ok(Resource::AllIdentityProviders),
            ["apps", ..] => Err(err(Some(5), "segment 5: an app type is letters, digits, '_' or '-'")),
            [kind, ..] => Err(err(
                Some(4),
                format!("segment 4: unknown object type '{kind}'; expected apps or identity_providers"),
            )),
            [] => Err(err(Some(4), "missing object type")),
        },
        other => Err(err(Some(2), format!("segment 2: unknown service '{other}'; expected directory or idp"))),
    }
}

/// Parses a REST URL resource (`{base}/api/v1/…`) of this installation.
pub fn parse_rest_url(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    if s.len() > MAX_LEN {
        return Err(err(
            None,
            format!("a resource URL has at most {MAX_LEN} characters"),
        ));
    }
    let Some(rest) = s
        .strip_prefix(&ctx.base_url)
        .filter(|_| !ctx.base_url.is_empty())
    else {
        return Err(err(
            None,
            format!(
                "a resource URL starts with this portal's address ({})",
                ctx.base_url
            ),
        ));
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let Some(path) = path.strip_prefix("/api/v1/") else {
        return Err(err(None, "a resource URL's path starts with /api/v1/"));
    };
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let resource = match (segs.as_slice(), query) {
        (["users"], "") => Resource::AllUsers,
        (["users", u], "") => Resource::User(id(1, u, UserId::parse)?),
        (["groups"], "") => Resource::AllGroups,
        (["groups", g], "") => Resource::Group(id(1, g, GroupId::parse)?),
        (["groups", g, "users"], "") => Resource::GroupUsers(id(1, g, GroupId::parse)?),
        (["realms"], "") => Resource::AllRealms,
        (["realms", r], "") => Resource::Realm(id(1, r, RealmId::parse)?),
        (["realms", r, "users"], "") => Resource::RealmUsers(id(1, r, RealmId::parse)?),
        (["apps"], "") => Resource::AllApps,
        (["apps"], q) => {
            let t = q
                .strip_prefix("filter=name+eq+\"")
                .or_else(|| q.strip_prefix("filter=name%20eq%20%22"))
                .and_then(|t| t.strip_suffix('"').or_else(|| t.strip_suffix("%22")))
                .filter(|t| is_name(t))
                .ok_or_else(|| {
                    err(
                        None,
                        "an app-type URL looks like /api/v1/apps?filter=name+eq+\"{type}\"",
                    )
                })?;
            Resource::AppsOfType(t.to_string())
        }
        (["idps"], "") => Resource::AllIdentityProviders,
        _ => {
            return Err(err(
                None,
                format!("'/api/v1/{path}' is not a resource that can be put in a resource set"),
            ))
        }
    };
    Ok(resource)
}

/// An ORN or a REST URL.
pub fn parse_resource(s: &str, ctx: &OrnContext) -> Result<Resource, OrnError> {
    if s.starts_with("orn:") {
        parse_orn(s, ctx)
    } else if s.starts_with("http://") || s.starts_with("https://") {
        parse_rest_url(s, ctx)
    } else {
        Err(err(
            None,
            "a resource is an ORN (orn:…) or a REST URL (https://…/api/v1/…)",
        ))
    }
}

impl Resource {
    pub fn to_orn(&self, ctx: &OrnContext) -> String {
        let d = format!("orn:{}:directory:{}", ctx.partition, ctx.org_id);
        let i = format!("orn:{}:idp:{}", ctx.partition, ctx.org_id);
        match self {
            Self::AllUsers => format!("{d}:users"),
            Self::User(u) => format!("{d}:users:{u}"),
            Self::AllGroups => format!("{d}:groups"),
            Self::Group(g) => format!("{d}:groups:{g}"),
            Self::GroupUsers(g) => format!("{d}:groups:{g}:contained_resources"),
            Self::AllRealms => format!("{d}:realms"),
            Self::Realm(r) => format!("{d}:realms:{r}"),
            Self::RealmUsers(r) => format!("{d}:realms:{r}:contained_resources"),
            Self::AllApps => format!("{i}:apps"),
            Self::AppsOfType(t) => format!("{i}:apps:{t}"),
            Self::App { app_type, id } => format!("{i}:apps:{app_type}:{id}"),
            Self::AllIdentityProviders => format!("{i}:identity_providers"),
        }
    }

    pub fn to_rest_url(&self, ctx: &OrnContext) -> Option<String> {
        let b = format!("{}/api/v1", ctx.base_url);
        Some(match self {
            Self::AllUsers => format!("{b}/users"),
            Self::User(u) => format!("{b}/users/{u}"),
            Self::AllGroups => format!("{b}/groups"),
            Self::Group(g) => format!("{b}/groups/{g}"),
            Self::GroupUsers(g) => format!("{b}/groups/{g}/users"),
            Self::AllRealms => format!("{b}/realms"),
            Self::Realm(r) => format!("{b}/realms/{r}"),
            Self::RealmUsers(r) => format!("{b}/realms/{r}/users"),
            Self::AllApps => format!("{b}/apps"),
            Self::AppsOfType(t) => format!("{b}/apps?filter=name+eq+\"{t}\""),
            // Okta has no REST URL for one app by type and id other than by id.
            Self::App { .. } => return None,
            Self::AllIdentityProviders => format!("{b}/idps"),
        })
    }
}

/// What `resource` gives a permission acting on `kind` (see the table above).
pub fn atom_for(resource: &Resource, kind: ResourceKind) -> Option<Atom> {
    use ResourceKind as K;
    match (kind, resource) {
        (K::User, Resource::AllUsers) => Some(Atom::AllUsers),
        (K::User, Resource::User(u)) => Some(Atom::User(u.clone())),
        (K::User, Resource::GroupUsers(g)) => Some(Atom::UsersInGroup(g.clone())),
        (K::User, Resource::RealmUsers(r)) => Some(Atom::UsersInRealm(r.clone())),
        (K::Group, Resource::AllGroups) => Some(Atom::AllGroups),
        (K::Group, Resource::Group(g)) => Some(Atom::Group(g.clone())),
        (K::App, Resource::AllApps) => Some(Atom::AllApps),
        (K::App, Resource::AppsOfType(t)) => Some(Atom::AppsOfType(t.clone())),
        (K::App, Resource::App { id, .. }) => Some(Atom::App(id.clone())),
        (K::Realm, Resource::AllRealms) => Some(Atom::AllRealms),
        (K::Realm, Resource::Realm(r)) => Some(Atom::Realm(r.clone())),
        (K::IdentityProvider, Resource::AllIdentityProviders) => Some(Atom::Org),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx() -> OrnContext {
        OrnContext::new("okta", "00o1abc")
            .map(|c| c.with_base_url("https://portal.example/"))
            .unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn every_documented_form_parses() {
        let c = ctx();
        let cases = [
            ("orn:okta:directory:00o1abc:users", Resource::AllUsers),
            (
                "orn:okta:directory:00o1abc:groups:00g1",
                Resource::Group(GroupId::parse("00g1").unwrap_or_else(|_| unreachable!())),
            ),
            (
                "orn:okta:directory:00o1abc:realms:guo1:contained_resources",
                Resource::RealmUsers(RealmId::parse("guo1").unwrap_or_else(|_| unreachable!())),
            ),
            (
                "orn:okta:idp:00o1abc:apps:bookmark",
                Resource::AppsOfType("bookmark".into()),
            ),
            (
                "orn:okta:idp:00o1abc:identity_providers",
                Resource::AllIdentityProviders,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_orn(text, &c), Ok(want.clone()), "{text}");
            assert_eq!(want.to_orn(&c), text);
        }
        assert_eq!(
            parse_resource("https://portal.example/api/v1/groups/00g1/users", &c),
            Ok(Resource::GroupUsers(
                GroupId::parse("00g1").unwrap_or_else(|_| unreachable!())
            ))
        );
        assert_eq!(
            parse_resource(
                "https://portal.example/api/v1/apps?filter=name+eq+\"bookmark\"",
                &c
            ),
            Ok(Resource::AppsOfType("bookmark".into()))
        );
    }

    #[test]
    fn errors_name_the_bad_segment() {
        let c = ctx();
        let cases = [
            (
                "orn:okta:directory:00o1abc:userz",
                Some(4),
                "unknown object type 'userz'",
            ),
            ("orn:okta:directory:other:users", Some(3), "not this org's"),
            (
                "orn:oktapreview:directory:00o1abc:users",
                Some(1),
                "partition",
            ),
            (
                "orn:okta:workflow:00o1abc:flows",
                Some(2),
                "unknown service",
            ),
            ("orn:okta:directory:00o1abc:users:", Some(5), "empty"),
            (
                "orn:okta:directory:00o1abc:groups:00g1:members",
                Some(6),
                "contained_resources",
            ),
            ("orn:okta:directory:00o1abc:users:bad id", None, "no spaces"),
            (
                "xrn:okta:directory:00o1abc:users",
                Some(0),
                "starts with 'orn:'",
            ),
        ];
        for (text, segment, needle) in cases {
            let e = parse_orn(text, &c).expect_err(text);
            assert_eq!(e.segment, segment, "{text}: {e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
        assert!(parse_resource("https://evil.example/api/v1/users", &c).is_err());
        assert!(parse_resource("users", &c).is_err());
    }

    #[test]
    fn a_group_object_grants_no_user_permission() {
        let g = Resource::Group(GroupId::parse("00g1").unwrap_or_else(|_| unreachable!()));
        assert_eq!(atom_for(&g, ResourceKind::User), None);
        assert!(atom_for(&g, ResourceKind::Group).is_some());
        let r = Resource::Realm(RealmId::parse("guo1").unwrap_or_else(|_| unreachable!()));
        assert_eq!(atom_for(&r, ResourceKind::User), None);
    }

    fn arb_resource() -> impl Strategy<Value = Resource> {
        let id = "[A-Za-z0-9]{1,20}";
        prop_oneof![
            Just(Resource::AllUsers),
            Just(Resource::AllGroups),
            Just(Resource::AllRealms),
            Just(Resource::AllApps),
            Just(Resource::AllIdentityProviders),
            id.prop_map(|s| Resource::User(UserId::parse(&s).unwrap_or_else(|_| unreachable!()))),
            id.prop_map(|s| Resource::GroupUsers(
                GroupId::parse(&s).unwrap_or_else(|_| unreachable!())
            )),
            id.prop_map(|s| Resource::RealmUsers(
                RealmId::parse(&s).unwrap_or_else(|_| unreachable!())
            )),
            (id, id).prop_map(|(t, a)| Resource::App {
                app_type: t,
                id: AppId::parse(&a).unwrap_or_else(|_| unreachable!())
            }),
        ]
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_resource(r in arb_resource()) {
            let c = ctx();
            prop_assert_eq!(parse_orn(&r.to_orn(&c), &c), Ok(r.clone()));
            if let Some(url) = r.to_rest_url(&c) {
                prop_assert_eq!(parse_resource(&url, &c), Ok(r));
            }
        }

        #[test]
        fn the_parser_never_panics(s in "\\PC{0,80}") {
            let _ = parse_resource(&s, &ctx());
            let _ = parse_orn(&format!("orn:okta:directory:00o1abc:{s}"), &ctx());
        }
    }
}
