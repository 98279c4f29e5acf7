//! Unit tests of `api::filter`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

fn c(attribute: &str, op: Op, value: &str) -> Comparison {
    Comparison {
        attribute: attribute.into(),
        op,
        value: Some(value.into()),
    }
}

#[test]
fn expressions_parse_to_alternatives_of_conjunctions() {
    assert_eq!(
        parse(r#"profile.name co "Acme""#, "search").unwrap(),
        vec![vec![c("profile.name", Op::Co, "Acme")]]
    );
    assert_eq!(
        parse(
            r#"realmId eq "guo1" and (status eq "ACTIVE" or status eq "STAGED")"#,
            "search"
        )
        .unwrap(),
        vec![
            vec![c("realmId", Op::Eq, "guo1"), c("status", Op::Eq, "ACTIVE")],
            vec![c("realmId", Op::Eq, "guo1"), c("status", Op::Eq, "STAGED")],
        ]
    );
    assert_eq!(
        parse(r#"profile.login eq "a\"b" OR id pr"#, "filter").unwrap(),
        vec![
            vec![c("profile.login", Op::Eq, "a\"b")],
            vec![Comparison {
                attribute: "id".into(),
                op: Op::Pr,
                value: None
            }]
        ]
    );
    for bad in [
        r#"profile.name"#,
        r#"profile.name zz "x""#,
        r#"profile.name eq "x"#,
        r#"(status eq "A""#,
        r#"status eq "A" status"#,
        "",
    ] {
        assert!(parse(bad, "search").is_err(), "{bad}");
    }
}
