use super::*;
use Permission as P;

#[test]
fn every_permission_round_trips_through_its_string_and_json() {
    for &p in Permission::ALL {
        assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
        assert_eq!(p.to_string(), p.as_str());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, format!("\"{}\"", p.as_str()));
        assert_eq!(serde_json::from_str::<Permission>(&json).unwrap(), p);
    }
    let strings: BTreeSet<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(strings.len(), Permission::ALL.len());
}

#[test]
fn the_catalog_has_the_documented_permissions() {
    for s in [
        "okta.users.create",
        "okta.users.read",
        "okta.users.manage",
        "okta.users.userprofile.manage",
        "okta.users.userprofile.read",
        "okta.users.lifecycle.manage",
        "okta.users.lifecycle.activate",
        "okta.users.lifecycle.deactivate",
        "okta.users.lifecycle.suspend",
        "okta.users.lifecycle.unsuspend",
        "okta.users.lifecycle.unlock",
        "okta.users.lifecycle.delete",
        "okta.users.lifecycle.clearSessions",
        "okta.users.credentials.manage",
        "okta.users.credentials.resetFactors",
        "okta.users.credentials.resetPassword",
        "okta.users.credentials.expirePassword",
        "okta.users.groupMembership.manage",
        "okta.users.appAssignment.manage",
        "okta.groups.read",
        "okta.groups.manage",
        "okta.groups.create",
        "okta.groups.members.manage",
        "okta.groups.appAssignment.manage",
        "okta.apps.read",
        "okta.apps.manage",
        "okta.apps.assignment.manage",
        "okta.realms.read",
        "okta.realms.manage",
        "okta.identityProviders.read",
        "okta.identityProviders.manage",
        "okta.iam.read",
    ] {
        assert!(s.parse::<Permission>().is_ok(), "{s}");
    }
    assert_eq!(Permission::ALL.len(), 32);
}

#[test]
fn singular_realm_aliases_parse_to_the_plural_permission() {
    assert_eq!("okta.realm.read".parse(), Ok(P::RealmsRead));
    assert_eq!("okta.realm.manage".parse(), Ok(P::RealmsManage));
    let json = serde_json::from_str::<Permission>("\"okta.realm.read\"").unwrap();
    assert_eq!(
        serde_json::to_string(&json).unwrap(),
        "\"okta.realms.read\""
    );
}

#[test]
fn unknown_strings_are_refused_with_a_message_naming_them() {
    let err = "okta.userz.read".parse::<Permission>().unwrap_err();
    assert_eq!(
        err,
        PermissionError::Unknown {
            input: "okta.userz.read".into(),
            suggestion: None
        }
    );
    assert_eq!(
        err.to_string(),
        "'okta.userz.read' is not a known permission"
    );

    let err = "OKTA.USERS.READ".parse::<Permission>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "'OKTA.USERS.READ' is not a known permission; did you mean okta.users.read?"
    );
    let err = " okta.realm.Read ".parse::<Permission>().unwrap_err();
    assert!(matches!(
        err,
        PermissionError::Unknown {
            suggestion: Some(P::RealmsRead),
            ..
        }
    ));

    assert!(matches!(
        "".parse::<Permission>(),
        Err(PermissionError::Unknown { .. })
    ));
    let long = "x".repeat(10_000);
    let message = long.parse::<Permission>().unwrap_err().to_string();
    assert!(message.len() < 200, "{message}");

    assert!(serde_json::from_str::<Permission>("\"okta.nope\"").is_err());
}

#[test]
fn unsupported_okta_permissions_and_oauth_scopes_have_their_own_errors() {
    assert_eq!(
        "okta.policies.read".parse::<Permission>(),
        Err(PermissionError::NotSupported {
            input: "okta.policies.read".into()
        })
    );
    for s in OKTA_PERMISSIONS_NOT_SUPPORTED {
        assert!(matches!(
            s.parse::<Permission>(),
            Err(PermissionError::NotSupported { .. })
        ));
    }
    for scope in [
        "okta.roles.read",
        "okta.roles.manage",
        "okta.realmAssignments.read",
        "okta.realmAssignments.manage",
    ] {
        let err = scope.parse::<Permission>().unwrap_err();
        assert!(matches!(err, PermissionError::OAuthScope { .. }), "{scope}");
        assert!(err.to_string().contains("OAuth 2.0 scope"), "{err}");
    }
}

/// Exactly what each permission allows, beyond itself.
fn expected_closure(p: Permission) -> Vec<Permission> {
    let lifecycle = [
        P::UsersLifecycleActivate,
        P::UsersLifecycleDeactivate,
        P::UsersLifecycleSuspend,
        P::UsersLifecycleUnsuspend,
        P::UsersLifecycleUnlock,
        P::UsersLifecycleDelete,
        P::UsersLifecycleClearSessions,
    ];
    let credentials = [
        P::UsersCredentialsResetFactors,
        P::UsersCredentialsResetPassword,
        P::UsersCredentialsExpirePassword,
    ];
    match p {
        P::UsersManage => {
            let mut v = vec![
                P::UsersCreate,
                P::UsersRead,
                P::UsersUserprofileManage,
                P::UsersUserprofileRead,
                P::UsersLifecycleManage,
                P::UsersCredentialsManage,
                P::UsersGroupMembershipManage,
                P::UsersAppAssignmentManage,
            ];
            v.extend(lifecycle);
            v.extend(credentials);
            v
        }
        P::UsersRead | P::UsersUserprofileManage => vec![P::UsersUserprofileRead],
        P::UsersLifecycleManage => lifecycle.to_vec(),
        P::UsersCredentialsManage => credentials.to_vec(),
        P::GroupsManage => vec![
            P::GroupsRead,
            P::GroupsCreate,
            P::GroupsMembersManage,
            P::GroupsAppAssignmentManage,
        ],
        P::AppsManage => vec![P::AppsRead, P::AppsAssignmentManage],
        P::RealmsManage => vec![P::RealmsRead],
        P::IdentityProvidersManage => vec![P::IdentityProvidersRead],
        _ => vec![],
    }
}

#[test]
fn implication_is_exactly_the_documented_table() {
    for &held in Permission::ALL {
        let mut want: BTreeSet<Permission> = expected_closure(held).into_iter().collect();
        want.insert(held);
        assert_eq!(held.implied(), want, "{held}");
        for &other in Permission::ALL {
            assert_eq!(
                held.implies(other),
                want.contains(&other),
                "{held} → {other}"
            );
        }
    }
}

#[test]
fn implication_twins() {
    // Allowed, then the denied twin.
    assert!(P::UsersManage.implies(P::UsersLifecycleSuspend));
    assert!(!P::UsersLifecycleSuspend.implies(P::UsersManage));
    assert!(P::UsersLifecycleManage.implies(P::UsersLifecycleClearSessions));
    assert!(!P::UsersLifecycleSuspend.implies(P::UsersLifecycleClearSessions));
    assert!(P::UsersCredentialsManage.implies(P::UsersCredentialsExpirePassword));
    assert!(!P::UsersCredentialsResetPassword.implies(P::UsersCredentialsExpirePassword));
    assert!(P::UsersUserprofileManage.implies(P::UsersUserprofileRead));
    assert!(!P::UsersUserprofileManage.implies(P::UsersRead));
    assert!(!P::UsersRead.implies(P::UsersUserprofileManage));
    assert!(P::GroupsManage.implies(P::GroupsMembersManage));
    assert!(!P::GroupsMembersManage.implies(P::GroupsRead));
    assert!(!P::GroupsMembersManage.implies(P::UsersGroupMembershipManage));
    assert!(P::AppsManage.implies(P::AppsAssignmentManage));
    assert!(!P::AppsAssignmentManage.implies(P::AppsRead));
    assert!(P::RealmsManage.implies(P::RealmsRead));
    assert!(!P::RealmsRead.implies(P::RealmsManage));
    assert!(P::IdentityProvidersManage.implies(P::IdentityProvidersRead));
    assert!(!P::IamRead.implies(P::RealmsRead));
}

#[test]
fn implication_is_a_partial_order_within_one_resource_kind() {
    for &a in Permission::ALL {
        assert!(a.implies(a));
        for &b in Permission::ALL {
            if a.implies(b) {
                assert_eq!(a.resource_kind(), b.resource_kind(), "{a} → {b}");
                if a != b {
                    assert!(!b.implies(a), "cycle {a} ↔ {b}");
                }
                for &c in Permission::ALL {
                    if b.implies(c) {
                        assert!(a.implies(c), "{a} → {b} → {c}");
                    }
                }
            }
        }
    }
}

#[test]
fn expand_unions_closures() {
    let got = Permission::expand([P::UsersLifecycleManage, P::RealmsManage]);
    let mut want = P::UsersLifecycleManage.implied();
    want.extend(P::RealmsManage.implied());
    assert_eq!(got, want);
    assert!(Permission::expand([]).is_empty());
}

#[test]
fn related_permissions_are_the_two_sided_pairs() {
    assert_eq!(
        P::UsersGroupMembershipManage.related(),
        &[P::GroupsMembersManage]
    );
    assert_eq!(
        P::GroupsMembersManage.related(),
        &[P::UsersGroupMembershipManage]
    );
    assert_eq!(
        P::UsersAppAssignmentManage.related(),
        &[P::AppsAssignmentManage]
    );
    assert_eq!(
        P::GroupsAppAssignmentManage.related(),
        &[P::AppsAssignmentManage]
    );
    for &p in Permission::ALL {
        for &r in p.related() {
            assert!(r.related().contains(&p), "{p} ↔ {r} is not symmetric");
            assert_ne!(r.resource_kind(), p.resource_kind());
        }
    }
}

#[test]
fn every_permission_is_described_for_the_console() {
    let mut labels = BTreeSet::new();
    for &p in Permission::ALL {
        assert!(!p.label().is_empty(), "{p}");
        assert!(labels.insert(p.label()), "duplicate label {}", p.label());
        assert!(p.explanation().ends_with('.'), "{p}");
        assert!(p.category().permissions().any(|q| q == p));
    }
    let listed: usize = Category::ALL.iter().map(|c| c.permissions().count()).sum();
    assert_eq!(listed, Permission::ALL.len());
    for c in Category::ALL {
        assert!(c.permissions().next().is_some(), "{}", c.label());
    }
    for k in ResourceKind::ALL {
        assert!(!k.noun().is_empty());
    }
}

#[test]
fn resource_kinds_follow_the_permission_prefix() {
    for &p in Permission::ALL {
        let prefix = match p.resource_kind() {
            ResourceKind::User => "okta.users.",
            ResourceKind::Group => "okta.groups.",
            ResourceKind::App => "okta.apps.",
            ResourceKind::Realm => "okta.realms.",
            ResourceKind::IdentityProvider => "okta.identityProviders.",
            ResourceKind::Iam => "okta.iam.",
        };
        assert!(p.as_str().starts_with(prefix), "{p}");
    }
}

#[test]
fn conditions_have_okta_wire_shape() {
    let c = PermissionConditions::include(["firstName", "lastName"]).unwrap();
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"include":{"okta:ResourceAttribute/User/Profile":["firstName","lastName"]}}"#
    );
    let back: PermissionConditions = serde_json::from_str(
        r#"{"exclude":{"okta:ResourceAttribute/User/Profile":["costCenter"]}}"#,
    )
    .unwrap();
    assert_eq!(back, PermissionConditions::exclude(["costCenter"]).unwrap());
    assert_eq!(back.excluded(), Some(&["costCenter".to_string()][..]));
    assert_eq!(back.included(), None);
}

#[test]
fn conditions_limit_attributes() {
    let include = PermissionConditions::include(["firstName", "lastName", "firstName"]).unwrap();
    assert_eq!(include.included().map(<[String]>::len), Some(2));
    assert!(include.allows_attribute("firstName"));
    assert!(!include.allows_attribute("firstname"));
    assert!(!include.allows_attribute("costCenter"));
    let exclude = PermissionConditions::exclude(["costCenter"]).unwrap();
    assert!(exclude.allows_attribute("firstName"));
    assert!(!exclude.allows_attribute("costCenter"));
    assert_eq!(
        include.first_denied(["firstName", "costCenter", "email"]),
        Some("costCenter")
    );
    assert_eq!(exclude.first_denied(["firstName", "email"]), None);
}

#[test]
fn malformed_conditions_are_refused() {
    let parse = |json: &str| serde_json::from_str::<PermissionConditions>(json);
    let cases = [
        (r#"{}"#, "need 'include' or 'exclude'"),
        (
            r#"{"include":{"okta:ResourceAttribute/User/Profile":["a"]},"exclude":{"okta:ResourceAttribute/User/Profile":["b"]}}"#,
            "not both",
        ),
        (
            r#"{"include":{"okta:ResourceAttribute/User/Profile":[]}}"#,
            "empty",
        ),
        (
            r#"{"include":{"okta:ResourceAttribute/User/Profile":["first name"]}}"#,
            "not a profile attribute name",
        ),
        (
            r#"{"include":{"okta:ResourceAttribute/Group/Profile":["name"]}}"#,
            "unknown field",
        ),
        (r#"{"Include":{}}"#, "unknown field"),
    ];
    for (json, needle) in cases {
        let err = parse(json).unwrap_err().to_string();
        assert!(err.contains(needle), "{json}: {err}");
    }
    assert_eq!(
        PermissionConditions::include(Vec::<String>::new()),
        Err(ConditionsError::EmptyList)
    );
    let many: Vec<String> = (0..300).map(|i| format!("a{i}")).collect();
    assert!(matches!(
        PermissionConditions::exclude(many),
        Err(ConditionsError::TooManyAttributes { .. })
    ));
    let long = "a".repeat(129);
    assert!(matches!(
        PermissionConditions::include([long]),
        Err(ConditionsError::BadAttributeName { .. })
    ));
}

#[test]
fn only_two_permissions_take_conditions() {
    let c = PermissionConditions::include(["email"]).unwrap();
    for &p in Permission::ALL {
        let want = matches!(p, P::UsersRead | P::UsersUserprofileManage);
        assert_eq!(p.supports_conditions(), want, "{p}");
        assert_eq!(p.check_conditions(Some(&c)).is_ok(), want, "{p}");
        assert_eq!(p.check_conditions(None), Ok(()));
    }
    assert_eq!(
        P::UsersManage.check_conditions(Some(&c)),
        Err(ConditionsError::NotSupported {
            permission: P::UsersManage
        })
    );
}

#[test]
fn standard_roles_hold_what_they_should() {
    let all: BTreeSet<Permission> = Permission::ALL.iter().copied().collect();
    assert_eq!(StandardRole::SuperAdmin.permissions(), all);
    assert_eq!(StandardRole::OrgAdmin.permissions(), all);
    let read_only = StandardRole::ReadOnlyAdmin.permissions();
    let want: BTreeSet<Permission> = [
        P::UsersRead,
        P::UsersUserprofileRead,
        P::GroupsRead,
        P::AppsRead,
        P::RealmsRead,
        P::IdentityProvidersRead,
        P::IamRead,
    ]
    .into_iter()
    .collect();
    assert_eq!(read_only, want);
    assert_eq!(Permission::expand(read_only.iter().copied()), read_only);
}

#[test]
fn only_a_super_admin_grants_or_touches_super_admin() {
    use StandardRole as R;
    for role in R::ALL.iter().copied() {
        assert!(R::SuperAdmin.can_grant(role));
        assert!(R::SuperAdmin.can_administer_holder_of(role));
        assert!(!R::ReadOnlyAdmin.can_grant(role));
        assert!(!R::ReadOnlyAdmin.can_administer_holder_of(role));
    }
    assert!(R::OrgAdmin.can_grant(R::OrgAdmin));
    assert!(R::OrgAdmin.can_grant(R::ReadOnlyAdmin));
    assert!(!R::OrgAdmin.can_grant(R::SuperAdmin));
    assert!(R::OrgAdmin.can_administer_holder_of(R::OrgAdmin));
    assert!(!R::OrgAdmin.can_administer_holder_of(R::SuperAdmin));
    assert!(R::SuperAdmin.can_manage_admin_roles());
    assert!(R::OrgAdmin.can_manage_admin_roles());
    assert!(!R::ReadOnlyAdmin.can_manage_admin_roles());
}

#[test]
fn partner_admin_role_has_the_recommended_permissions() {
    let role = partner_admin_role();
    assert_eq!(role.label, "Partner Admin");
    let held: Vec<Permission> = role.permissions.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        held,
        vec![
            P::UsersRead,
            P::UsersCreate,
            P::UsersUserprofileManage,
            P::UsersLifecycleManage,
            P::UsersCredentialsResetFactors,
            P::UsersCredentialsResetPassword,
            P::UsersGroupMembershipManage,
            P::UsersAppAssignmentManage,
            P::GroupsRead,
            P::GroupsMembersManage,
            P::AppsRead,
            P::AppsAssignmentManage,
            P::RealmsRead,
        ]
    );
    for (p, c) in &role.permissions {
        assert_eq!(p.check_conditions(c.as_ref()), Ok(()), "{p}");
    }
    let profile = role
        .permissions
        .iter()
        .find_map(|(p, c)| (*p == P::UsersUserprofileManage).then_some(c.clone()))
        .flatten()
        .unwrap();
    // The generated conditions pass the same validation as stored ones.
    let json = serde_json::to_string(&profile).unwrap();
    assert_eq!(
        serde_json::from_str::<PermissionConditions>(&json).unwrap(),
        profile
    );
    // Never the username: it identifies the account at sign-in.
    assert!(!profile.allows_attribute("login"));
    assert!(base_attribute_label("login").is_some());
    for attribute in [
        "email",
        "secondEmail",
        "firstName",
        "lastName",
        "middleName",
        "primaryPhone",
        "mobilePhone",
    ] {
        assert!(profile.allows_attribute(attribute), "{attribute}");
        assert!(base_attribute_label(attribute).is_some(), "{attribute}");
    }
    assert!(!profile.allows_attribute("costCenter"));
    assert_eq!(base_attribute_label("costCenter"), None);
}

#[test]
fn partner_admin_role_stays_narrow() {
    let allowed = partner_admin_role().expanded();
    for denied in [
        P::UsersManage,
        P::UsersCredentialsManage,
        P::UsersCredentialsExpirePassword,
        P::GroupsManage,
        P::GroupsCreate,
        P::GroupsAppAssignmentManage,
        P::AppsManage,
        P::RealmsManage,
        P::IdentityProvidersRead,
        P::IamRead,
    ] {
        assert!(!allowed.contains(&denied), "{denied}");
    }
    for op in LifecycleOp::ALL {
        let needed = Permission::for_lifecycle_op(op);
        assert_eq!(needed.resource_kind(), ResourceKind::User);
        assert_eq!(
            allowed.contains(&needed),
            op != LifecycleOp::ExpirePassword,
            "{op:?}"
        );
    }
}
