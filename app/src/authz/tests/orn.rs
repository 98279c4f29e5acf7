use super::*;
use proptest::prelude::*;

const ORG: &str = "00o1abcDEF";

fn ctx() -> OrnContext {
    OrnContext::new("okta", ORG, "https://portal.example.com/").unwrap()
}

fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}
fn group(s: &str) -> GroupId {
    GroupId::parse(s).unwrap()
}
fn realm(s: &str) -> RealmId {
    RealmId::parse(s).unwrap()
}
fn app(s: &str) -> AppId {
    AppId::parse(s).unwrap()
}
fn app_type(s: &str) -> AppType {
    AppType::parse(s).unwrap()
}

fn documented_orns() -> Vec<(String, Resource)> {
    let d = format!("orn:okta:directory:{ORG}");
    let i = format!("orn:okta:idp:{ORG}");
    vec![
        (format!("{d}:users"), Resource::AllUsers),
        (format!("{d}:users:00u1"), Resource::User(user("00u1"))),
        (format!("{d}:groups"), Resource::AllGroups),
        (format!("{d}:groups:00g1"), Resource::Group(group("00g1"))),
        (
            format!("{d}:groups:00g1:contained_resources"),
            Resource::UsersInGroup(group("00g1")),
        ),
        (format!("{d}:realms"), Resource::AllRealms),
        (format!("{d}:realms:guo1"), Resource::Realm(realm("guo1"))),
        (
            format!("{d}:realms:guo1:contained_resources"),
            Resource::UsersInRealm(realm("guo1")),
        ),
        (format!("{i}:apps"), Resource::AllApps),
        (
            format!("{i}:apps:oidc_client"),
            Resource::AppsOfType(app_type("oidc_client")),
        ),
        (
            format!("{i}:apps:bookmark:0oa1"),
            Resource::App {
                id: app("0oa1"),
                app_type: Some(app_type("bookmark")),
            },
        ),
        (
            format!("{i}:identity_providers"),
            Resource::AllIdentityProviders,
        ),
        (
            format!("orn:okta:iam:{ORG}:contained_resources"),
            Resource::AllIam,
        ),
    ]
}

fn documented_urls() -> Vec<(&'static str, Resource)> {
    vec![
        ("/api/v1/users", Resource::AllUsers),
        ("/api/v1/users/00u1", Resource::User(user("00u1"))),
        ("/api/v1/groups", Resource::AllGroups),
        ("/api/v1/groups/00g1", Resource::Group(group("00g1"))),
        (
            "/api/v1/groups/00g1/users",
            Resource::UsersInGroup(group("00g1")),
        ),
        ("/api/v1/realms", Resource::AllRealms),
        ("/api/v1/realms/guo1", Resource::Realm(realm("guo1"))),
        (
            "/api/v1/realms/guo1/users",
            Resource::UsersInRealm(realm("guo1")),
        ),
        ("/api/v1/apps", Resource::AllApps),
        (
            "/api/v1/apps/0oa1",
            Resource::App {
                id: app("0oa1"),
                app_type: None,
            },
        ),
        (
            "/api/v1/apps?filter=name+eq+\"bookmark\"",
            Resource::AppsOfType(app_type("bookmark")),
        ),
        ("/api/v1/idps", Resource::AllIdentityProviders),
    ]
}

#[test]
fn every_documented_orn_parses_and_prints_back() {
    let c = ctx();
    for (text, want) in documented_orns() {
        assert_eq!(parse_orn(&text, &c), Ok(want.clone()), "{text}");
        assert_eq!(parse_resource(&text, &c), Ok(want.clone()), "{text}");
        assert_eq!(want.to_orn(&c).as_deref(), Some(text.as_str()));
        assert_eq!(want.to_canonical_string(&c), text);
    }
}

#[test]
fn every_documented_rest_url_parses_and_prints_back() {
    let c = ctx();
    for (path, want) in documented_urls() {
        let url = format!("https://portal.example.com{path}");
        assert_eq!(parse_rest_url(&url, &c), Ok(want.clone()), "{url}");
        assert_eq!(parse_resource(&url, &c), Ok(want.clone()), "{url}");
        assert_eq!(want.to_rest_url(&c), Some(url));
    }
}

#[test]
fn okta_spellings_of_the_app_type_filter_are_accepted() {
    let c = ctx();
    let want = Ok(Resource::AppsOfType(app_type("bookmark")));
    for q in [
        "/api/v1/apps?filter=name+eq+\"bookmark\"",
        "/api/v1/apps/?filter=name+eq+\"bookmark\"",
        "/api/v1/apps?filter=name%20eq%20%22bookmark%22",
        "/api/v1/apps?filter=name+eq+%22bookmark%22",
    ] {
        let url = format!("https://portal.example.com{q}");
        assert_eq!(parse_rest_url(&url, &c), want, "{q}");
    }
}

#[test]
fn scheme_and_host_compare_case_insensitively_and_partition_may_be_okta_s() {
    let c = ctx();
    assert_eq!(
        parse_resource("HTTPS://Portal.Example.com/api/v1/users", &c),
        Ok(Resource::AllUsers)
    );
    let preview = format!("orn:oktapreview:directory:{ORG}:users");
    assert_eq!(parse_orn(&preview, &c), Ok(Resource::AllUsers));
    assert_eq!(
        Resource::AllUsers.to_orn(&c),
        Some(format!("orn:okta:directory:{ORG}:users"))
    );
    let own = OrnContext::new("acme", ORG, "https://x.test").unwrap();
    let acme = format!("orn:acme:directory:{ORG}:users");
    assert_eq!(parse_orn(&acme, &own), Ok(Resource::AllUsers));
    assert!(parse_orn(&acme, &c).is_err());
    assert_eq!(Resource::AllUsers.to_orn(&own), Some(acme));
}

#[test]
fn a_base_url_with_a_path_prefix_works() {
    let c = OrnContext::new("okta", ORG, "https://example.com/portal").unwrap();
    assert_eq!(
        parse_rest_url("https://example.com/portal/api/v1/groups/00g1", &c),
        Ok(Resource::Group(group("00g1")))
    );
    assert!(matches!(
        parse_rest_url("https://example.com/api/v1/groups/00g1", &c),
        Err(OrnError::OtherBaseUrl { .. })
    ));
    assert_eq!(
        Resource::AllRealms.to_rest_url(&c).as_deref(),
        Some("https://example.com/portal/api/v1/realms")
    );
}

/// (input, expected part, fragment of the message) for every ORN error class.
fn orn_error_cases() -> Vec<(String, OrnError)> {
    let o = ORG;
    let s = |x: &str| x.to_string();
    vec![
        (s(""), OrnError::Empty),
        (
            format!("orn:okta:directory:{o}:users:{}", "a".repeat(600)),
            OrnError::TooLong { len: 636 },
        ),
        (
            format!("orn:okta:directory:{o}:users:00u 1"),
            OrnError::ForbiddenCharacter { position: 39 },
        ),
        (
            format!("orn:okta:directory:{o}:users\n"),
            OrnError::ForbiddenCharacter { position: 35 },
        ),
        (
            format!("orn:okta:directory:{o}:users:00ü"),
            OrnError::ForbiddenCharacter { position: 38 },
        ),
        (
            format!("urn:okta:directory:{o}:users"),
            OrnError::NotAnOrn { found: s("urn") },
        ),
        (
            format!("orn:okta:directory:{o}:users:"),
            OrnError::EmptySegment {
                at: Part::Segment(5),
            },
        ),
        (
            format!("orn:okta::{o}:users"),
            OrnError::EmptySegment {
                at: Part::Segment(2),
            },
        ),
        (
            s("orn:okta:directory"),
            OrnError::MissingSegment {
                at: Part::Segment(3),
                expected: "the org id",
            },
        ),
        (
            format!("orn:okta:directory:{o}"),
            OrnError::MissingSegment {
                at: Part::Segment(4),
                expected: "the object type (users, groups or realms)",
            },
        ),
        (
            format!("orn:prod:directory:{o}:users"),
            OrnError::UnknownPartition {
                found: s("prod"),
                expected: s("okta, oktapreview"),
            },
        ),
        (
            format!("orn:okta:workflow:{o}:flows"),
            OrnError::UnknownService {
                found: s("workflow"),
            },
        ),
        (
            s("orn:okta:directory:00oOTHER:users"),
            OrnError::OtherOrg {
                found: s("00oOTHER"),
                expected: s(o),
            },
        ),
        (
            format!("orn:okta:directory:{o}:userz"),
            OrnError::UnknownObjectType {
                at: Part::Segment(4),
                found: s("userz"),
                expected: "users, groups, realms",
            },
        ),
        (
            format!("orn:okta:idp:{o}:authorization_servers"),
            OrnError::UnknownObjectType {
                at: Part::Segment(4),
                found: s("authorization_servers"),
                expected: "apps, identity_providers",
            },
        ),
        (
            format!("orn:okta:iam:{o}:roles"),
            OrnError::UnknownObjectType {
                at: Part::Segment(4),
                found: s("roles"),
                expected: "contained_resources",
            },
        ),
        (
            format!("orn:okta:directory:{o}:groups:00g$1"),
            OrnError::BadId {
                at: Part::Segment(5),
                kind: "group",
                found: s("00g$1"),
            },
        ),
        (
            format!("orn:okta:directory:{o}:realms:{}", "r".repeat(65)),
            OrnError::BadId {
                at: Part::Segment(5),
                kind: "realm",
                found: format!("{}…", "r".repeat(64)),
            },
        ),
        (
            format!("orn:okta:idp:{o}:apps:bookmark:0oa.1"),
            OrnError::BadId {
                at: Part::Segment(6),
                kind: "app",
                found: s("0oa.1"),
            },
        ),
        (
            format!("orn:okta:idp:{o}:apps:book.mark"),
            OrnError::BadAppType {
                at: Part::Segment(5),
                found: s("book.mark"),
            },
        ),
        (
            format!("orn:okta:directory:{o}:groups:00g1:members"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(6),
                found: s("members"),
                expected: "'contained_resources' or nothing after the id",
            },
        ),
        (
            format!("orn:okta:directory:{o}:groups:00g1:contained_resources:x"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(7),
                found: s("x"),
                expected: "nothing after contained_resources",
            },
        ),
        (
            format!("orn:okta:directory:{o}:users:00u1:contained_resources"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(6),
                found: s("contained_resources"),
                expected: "nothing after a user id",
            },
        ),
        (
            format!("orn:okta:directory:{o}:groups:contained_resources"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(5),
                found: s("contained_resources"),
                expected: "an id before 'contained_resources'",
            },
        ),
        (
            format!("orn:okta:idp:{o}:apps:bookmark:0oa1:x"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(7),
                found: s("x"),
                expected: "nothing after an app id",
            },
        ),
        (
            format!("orn:okta:idp:{o}:identity_providers:0oi1"),
            OrnError::UnexpectedSegment {
                at: Part::Segment(5),
                found: s("0oi1"),
                expected: "nothing after identity_providers",
            },
        ),
    ]
}

#[test]
fn every_orn_error_class_names_its_segment() {
    let c = ctx();
    for (input, want) in orn_error_cases() {
        let got = parse_orn(&input, &c);
        assert_eq!(got.as_ref().err(), Some(&want), "{input}");
        let message = want.to_string();
        assert!(message.len() < 300, "{message}");
        if let Some(part) = want.part() {
            assert!(message.contains(&part.to_string()), "{message}");
        }
    }
}

#[test]
fn error_messages_read_well() {
    let c = ctx();
    let message = |s: String| parse_orn(&s, &c).unwrap_err().to_string();
    assert_eq!(
        message(format!("orn:okta:directory:{ORG}:userz")),
        "segment 4: unknown object type 'userz'; expected one of users, groups, realms"
    );
    assert_eq!(
        message(format!("orn:okta:directory:{ORG}:users:")),
        "segment 5 is empty (look for a doubled or trailing ':')"
    );
    assert_eq!(
        message("orn:okta:directory:00oOTHER:users".into()),
        format!("segment 3: org id '00oOTHER' is not this org's ('{ORG}')")
    );
    assert_eq!(
        message(format!("orn:okta:directory:{ORG}:users:a b")),
        "character 37: only printable ASCII is allowed (no spaces or line breaks)"
    );
    let e = parse_orn(&format!("orn:okta:directory:{ORG}:users: "), &c).unwrap_err();
    assert_eq!(e.position(), Some(36));
    assert_eq!(e.part(), None);
}

#[test]
fn every_rest_url_error_class_is_reported() {
    let c = ctx();
    let b = "https://portal.example.com";
    let cases: Vec<(String, OrnError)> = vec![
        (
            "https://evil.example.com/api/v1/users".into(),
            OrnError::OtherBaseUrl { expected: b.into() },
        ),
        (
            "https://portal.example.com.evil.test/api/v1/users".into(),
            OrnError::OtherBaseUrl { expected: b.into() },
        ),
        (
            "http://portal.example.com/api/v1/users".into(),
            OrnError::OtherBaseUrl { expected: b.into() },
        ),
        (
            format!("{b}/api/v2/users"),
            OrnError::NotAnApiPath {
                found: "/api/v2/users".into(),
            },
        ),
        (b.to_string(), OrnError::NotAnApiPath { found: "/".into() }),
        (
            format!("{b}/api/v1/users/"),
            OrnError::EmptySegment {
                at: Part::PathSegment(3),
            },
        ),
        (
            format!("{b}/api/v1//users"),
            OrnError::EmptySegment {
                at: Part::PathSegment(2),
            },
        ),
        (
            format!("{b}/api/v1/"),
            OrnError::EmptySegment {
                at: Part::PathSegment(2),
            },
        ),
        (
            format!("{b}/api/v1/userz"),
            OrnError::UnknownObjectType {
                at: Part::PathSegment(2),
                found: "userz".into(),
                expected: "users, groups, realms, apps, idps",
            },
        ),
        (
            format!("{b}/api/v1/groups/00g$/users"),
            OrnError::BadId {
                at: Part::PathSegment(3),
                kind: "group",
                found: "00g$".into(),
            },
        ),
        (
            format!("{b}/api/v1/groups/00g1/members"),
            OrnError::UnexpectedSegment {
                at: Part::PathSegment(4),
                found: "members".into(),
                expected: "'/users' or nothing after a group id",
            },
        ),
        (
            format!("{b}/api/v1/realms/guo1/users/00u1"),
            OrnError::UnexpectedSegment {
                at: Part::PathSegment(5),
                found: "00u1".into(),
                expected: "nothing after /users",
            },
        ),
        (
            format!("{b}/api/v1/apps/0oa1/users"),
            OrnError::UnexpectedSegment {
                at: Part::PathSegment(4),
                found: "users".into(),
                expected: "nothing after an app id",
            },
        ),
        (
            format!("{b}/api/v1/idps/0oi1"),
            OrnError::UnexpectedSegment {
                at: Part::PathSegment(3),
                found: "0oi1".into(),
                expected: "nothing after /idps",
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(parse_rest_url(&input, &c).err(), Some(want), "{input}");
    }
    let queries = [
        "/api/v1/users?filter=name+eq+\"x\"",
        "/api/v1/apps?",
        "/api/v1/apps?q=bookmark",
        "/api/v1/apps?filter=name+eq+\"bookmark\"&limit=5",
        "/api/v1/apps?filter=name+eq+%2",
        "/api/v1/apps?filter=name+eq+%+2bookmark%22",
        "/api/v1/apps?filter=label+eq+\"bookmark\"",
        "/api/v1/apps?filter=name+eq+\"book+mark\"",
        "/api/v1/apps?filter=name+eq+%22%0A%22",
        "/api/v1/apps/0oa1?filter=name+eq+\"bookmark\"",
    ];
    for q in queries {
        let url = format!("{b}{q}");
        assert!(
            matches!(parse_rest_url(&url, &c), Err(OrnError::BadQuery { .. })),
            "{q}: {:?}",
            parse_rest_url(&url, &c)
        );
    }
}

#[test]
fn inputs_that_are_neither_form_are_refused() {
    let c = ctx();
    for s in [
        "users",
        "ORN:okta:directory:x:users",
        "ftp://portal.example.com/api/v1/users",
    ] {
        assert!(matches!(
            parse_resource(s, &c),
            Err(OrnError::UnknownForm { .. })
        ));
    }
    assert_eq!(parse_resource("", &c), Err(OrnError::Empty));
    assert_eq!(
        parse_resource(" orn:okta", &c),
        Err(OrnError::ForbiddenCharacter { position: 0 })
    );
    assert_eq!(
        parse_resource(&"x".repeat(513), &c),
        Err(OrnError::TooLong { len: 513 })
    );
}

#[test]
fn contexts_are_validated() {
    assert!(matches!(
        OrnContext::new("OKTA", ORG, "https://x.test"),
        Err(OrnContextError::Partition(_))
    ));
    assert!(matches!(
        OrnContext::new("okta", "org:1", "https://x.test"),
        Err(OrnContextError::OrgId(_))
    ));
    for bad in [
        "x.test",
        "https://",
        "https://user@x.test",
        "https://x.test/a//b",
        "https://x.test/?a",
        "https://x.test/a#b",
        "https://x .test",
    ] {
        assert!(
            matches!(
                OrnContext::new("okta", ORG, bad),
                Err(OrnContextError::BaseUrl { .. })
            ),
            "{bad}"
        );
    }
    let c = OrnContext::new("okta", ORG, "https://x.test/").unwrap();
    assert_eq!(c.base_url(), "https://x.test");
    assert_eq!(c.partition(), "okta");
    assert_eq!(c.org_id(), ORG);
}

fn representative_resources() -> Vec<Resource> {
    documented_orns().into_iter().map(|(_, r)| r).collect()
}

#[test]
fn grants_follow_the_table() {
    use ResourceKind as K;
    let table: Vec<(Resource, K, Coverage)> = vec![
        (Resource::AllUsers, K::User, Coverage::AllUsers),
        (
            Resource::User(user("00u1")),
            K::User,
            Coverage::OneUser(user("00u1")),
        ),
        (
            Resource::UsersInGroup(group("00g1")),
            K::User,
            Coverage::UsersInGroup(group("00g1")),
        ),
        (
            Resource::UsersInRealm(realm("guo1")),
            K::User,
            Coverage::UsersInRealm(realm("guo1")),
        ),
        (Resource::AllGroups, K::Group, Coverage::AllGroups),
        (
            Resource::Group(group("00g1")),
            K::Group,
            Coverage::OneGroup(group("00g1")),
        ),
        (Resource::AllRealms, K::Realm, Coverage::AllRealms),
        (
            Resource::Realm(realm("guo1")),
            K::Realm,
            Coverage::OneRealm(realm("guo1")),
        ),
        (Resource::AllApps, K::App, Coverage::AllApps),
        (
            Resource::AppsOfType(app_type("bookmark")),
            K::App,
            Coverage::AppsOfType(app_type("bookmark")),
        ),
        (
            Resource::App {
                id: app("0oa1"),
                app_type: None,
            },
            K::App,
            Coverage::OneApp(app("0oa1")),
        ),
        (
            Resource::AllIdentityProviders,
            K::IdentityProvider,
            Coverage::AllIdps,
        ),
        (Resource::AllIam, K::Iam, Coverage::AllIam),
    ];
    for (resource, kind, coverage) in &table {
        for other in ResourceKind::ALL {
            let want = (other == *kind).then(|| coverage.clone());
            assert_eq!(grants(other, resource), want, "{resource:?} for {other:?}");
        }
    }
    assert_eq!(table.len(), representative_resources().len());
}

#[test]
fn an_object_grants_nothing_on_its_members_and_vice_versa() {
    use ResourceKind as K;
    // Okta's example: userprofile.manage on a group object gives nothing on users.
    assert_eq!(grants(K::User, &Resource::Group(group("00g1"))), None);
    assert_eq!(grants(K::User, &Resource::AllGroups), None);
    // A realm object is like a group object.
    assert_eq!(grants(K::User, &Resource::Realm(realm("guo1"))), None);
    assert_eq!(grants(K::User, &Resource::AllRealms), None);
    // Members are not the container.
    assert_eq!(
        grants(K::Group, &Resource::UsersInGroup(group("00g1"))),
        None
    );
    assert_eq!(
        grants(K::Realm, &Resource::UsersInRealm(realm("guo1"))),
        None
    );
    let [object, users] = Resource::realm_and_users(realm("guo1"));
    assert_eq!(
        grants(K::Realm, &object),
        Some(Coverage::OneRealm(realm("guo1")))
    );
    assert_eq!(
        grants(K::User, &users),
        Some(Coverage::UsersInRealm(realm("guo1")))
    );
}

#[test]
fn coverage_helpers() {
    for kind in ResourceKind::ALL {
        let all = Coverage::all_of(kind);
        assert_eq!(all.kind(), kind);
        assert!(all.is_all());
    }
    assert!(!Coverage::UsersInRealm(realm("guo1")).is_all());
    assert!(!Coverage::AppsOfType(app_type("bookmark")).is_all());
    assert_eq!(
        Resource::UsersInRealm(realm("guo1")).to_string(),
        "users in realm guo1"
    );
    assert_eq!(Resource::Group(group("00g1")).to_string(), "group 00g1");
}

#[test]
fn every_resource_prints_in_at_least_one_form() {
    let c = ctx();
    let untyped = Resource::App {
        id: app("0oa1"),
        app_type: None,
    };
    assert_eq!(untyped.to_orn(&c), None);
    assert_eq!(
        untyped.to_canonical_string(&c),
        "https://portal.example.com/api/v1/apps/0oa1"
    );
    assert_eq!(Resource::AllIam.to_rest_url(&c), None);
    for r in representative_resources().into_iter().chain([untyped]) {
        assert_eq!(parse_resource(&r.to_canonical_string(&c), &c), Ok(r));
    }
}

fn arb_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,64}".prop_filter("reserved", |s| s != CONTAINED)
}

fn arb_app_type() -> impl Strategy<Value = AppType> {
    arb_id().prop_map(|t| AppType::parse(&t).unwrap())
}

fn arb_resource() -> impl Strategy<Value = Resource> {
    prop_oneof![
        Just(Resource::AllUsers),
        Just(Resource::AllGroups),
        Just(Resource::AllRealms),
        Just(Resource::AllApps),
        Just(Resource::AllIdentityProviders),
        Just(Resource::AllIam),
        arb_id().prop_map(|s| Resource::User(user(&s))),
        arb_id().prop_map(|s| Resource::Group(group(&s))),
        arb_id().prop_map(|s| Resource::UsersInGroup(group(&s))),
        arb_id().prop_map(|s| Resource::Realm(realm(&s))),
        arb_id().prop_map(|s| Resource::UsersInRealm(realm(&s))),
        arb_app_type().prop_map(Resource::AppsOfType),
        (arb_id(), proptest::option::of(arb_app_type())).prop_map(|(a, t)| Resource::App {
            id: app(&a),
            app_type: t,
        }),
    ]
}

fn arb_ctx() -> impl Strategy<Value = OrnContext> {
    (
        prop_oneof![
            Just("okta".to_string()),
            Just("oktapreview".to_string()),
            "[a-z0-9-]{1,32}"
        ],
        "[A-Za-z0-9]{1,64}",
        prop_oneof![
            Just("https://portal.example.com".to_string()),
            Just("http://localhost:3000".to_string()),
            Just("https://example.com/partner-portal".to_string()),
        ],
    )
        .prop_map(|(p, o, b)| OrnContext::new(&p, &o, &b).unwrap())
}

fn forget_app_type(r: Resource) -> Resource {
    match r {
        Resource::App { id, .. } => Resource::App { id, app_type: None },
        other => other,
    }
}

proptest! {
    #[test]
    fn printing_then_parsing_gives_the_same_resource(r in arb_resource(), c in arb_ctx()) {
        if let Some(orn) = r.to_orn(&c) {
            prop_assert!(orn.len() <= MAX_RESOURCE_LEN);
            prop_assert_eq!(parse_orn(&orn, &c), Ok(r.clone()));
            prop_assert_eq!(parse_resource(&orn, &c), Ok(r.clone()));
        }
        if let Some(url) = r.to_rest_url(&c) {
            prop_assert_eq!(parse_rest_url(&url, &c), Ok(forget_app_type(r.clone())));
        }
        prop_assert_eq!(parse_resource(&r.to_canonical_string(&c), &c), Ok(r));
    }

    #[test]
    fn parsing_then_printing_is_stable(r in arb_resource(), c in arb_ctx()) {
        let text = r.to_canonical_string(&c);
        let parsed = parse_resource(&text, &c).unwrap();
        prop_assert_eq!(parsed.to_canonical_string(&c), text);
    }

    #[test]
    fn the_parser_never_panics(s in "\\PC{0,600}") {
        let c = ctx();
        let _ = parse_resource(&s, &c);
        let _ = parse_orn(&format!("orn:okta:directory:{ORG}:{s}"), &c);
        let _ = parse_rest_url(&format!("https://portal.example.com/api/v1/{s}"), &c);
    }

    #[test]
    fn mutated_resources_parse_or_fail_cleanly(
        r in arb_resource(),
        cut in 0usize..600,
        insert in "[:/?%\"a-z_]{0,3}",
    ) {
        let c = ctx();
        let text = r.to_canonical_string(&c);
        let at = cut.min(text.len());
        let mutated = format!("{}{}{}", &text[..at], insert, &text[at..]);
        match parse_resource(&mutated, &c) {
            Ok(parsed) => {
                prop_assert_eq!(parse_resource(&parsed.to_canonical_string(&c), &c), Ok(parsed))
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
