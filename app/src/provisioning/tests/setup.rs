use super::*;
use crate::ids::{RealmId, UserId};
use crate::model::{BaseProfile, UserStatus};

fn view(kind: Kind) -> ProvisioningView {
    crate::ops::provisioning::blank(kind)
}

fn fields(errors: Vec<FieldError>) -> Vec<String> {
    errors.into_iter().map(|e| e.field).collect()
}

fn user() -> User {
    User {
        id: UserId::parse("00uAbCdEfGhIjKlMnOp").unwrap(),
        realm_id: RealmId::parse("rlmAbCdEfGhIjKlMnOp").unwrap(),
        status: UserStatus::Active,
        transitioning_to_status: None,
        profile: BaseProfile {
            login: "erin@acme.example".into(),
            email: "Erin@Acme.example".into(),
            second_email: None,
            first_name: "Erin".into(),
            last_name: "Ng".into(),
            middle_name: None,
            primary_phone: None,
            mobile_phone: None,
        },
        custom_profile: serde_json::json!({ "department": "Sales" })
            .as_object()
            .cloned()
            .unwrap(),
        profile_source_id: None,
        created: String::new(),
        activated: None,
        status_changed: None,
        last_login: None,
        last_updated: String::new(),
        version: 1,
    }
}

#[test]
fn a_scim_connection_needs_a_public_https_url_and_a_login_mapping() {
    let policy = OutboundPolicy::STRICT;
    let mut v = view(Kind::Scim2);
    v.base_url = "http://10.0.0.5/scim/v2".into();
    v.mappings = "name.givenName = user.profile.firstName".into();
    let errors = fields(Setup::from_view(&v, policy).unwrap_err());
    assert_eq!(errors, vec!["base_url", "mappings"]);

    v.base_url = "https://scim.example.com/scim/v2/".into();
    v.mappings = crate::provisioning::mappings_text(&default_mappings(Kind::Scim2));
    let setup = Setup::from_view(&v, policy).unwrap();
    assert_eq!(setup.base_url.as_str(), "https://scim.example.com/scim/v2");
    assert_eq!(setup.auth, AuthScheme::Bearer);
}

#[test]
fn mappings_are_checked_line_by_line() {
    let policy = OutboundPolicy::STRICT;
    let mut v = view(Kind::Scim2);
    v.base_url = "https://scim.example.com".into();
    for (text, says) in [
        ("userName user.profile.login", "Line 1: write"),
        (
            "userName = user.profile.login\nactive = true",
            "Line 2: active is managed",
        ),
        (
            "userName = user.profile.login\nuserName = user.profile.email",
            "mapped twice",
        ),
        ("userName = user.profile.login +", "Line 1:"),
        (
            "userName = user.profile.login\nurn:x:y:User:dept = 'a'",
            "no schema extension",
        ),
    ] {
        v.mappings = text.into();
        let errors = Setup::from_view(&v, policy).unwrap_err();
        assert!(
            errors[0].message.contains(says),
            "{text}: {}",
            errors[0].message
        );
    }
}

#[test]
fn org2org_takes_an_api_token_only() {
    let mut v = view(Kind::OktaOrg2Org);
    v.base_url = "https://hub.example.com".into();
    v.auth_scheme = "BASIC".into();
    assert_eq!(
        fields(Setup::from_view(&v, OutboundPolicy::STRICT).unwrap_err()),
        vec!["auth_scheme"]
    );
    v.auth_scheme = "SSWS".into();
    assert!(Setup::from_view(&v, OutboundPolicy::STRICT).is_ok());
}

#[test]
fn a_scim_user_carries_the_mapped_attributes_and_extensions() {
    let mut v = view(Kind::Scim2);
    v.base_url = "https://scim.example.com".into();
    v.extensions = SCIM_ENTERPRISE.into();
    v.mappings = format!(
        "{}\n{SCIM_ENTERPRISE}:department = user.profile.department\ntitle = \"Partner\"\nemails[type eq \"work\"].value = user.profile.email.toLowerCase()",
        "userName = user.profile.login\nname.givenName = user.profile.firstName"
    );
    let setup = Setup::from_view(&v, OutboundPolicy::STRICT).unwrap();
    let u = user();
    let body = target::scim_user(
        &setup.attributes(&u),
        &setup.extensions,
        u.id.as_str(),
        false,
    );
    assert_eq!(body["userName"], "erin@acme.example");
    assert_eq!(body["name"]["givenName"], "Erin");
    assert_eq!(body["title"], "Partner");
    assert_eq!(body["emails"][0]["value"], "erin@acme.example");
    assert_eq!(body["emails"][0]["type"], "work");
    assert_eq!(body["emails"][0]["primary"], true);
    assert_eq!(body[SCIM_ENTERPRISE]["department"], "Sales");
    assert_eq!(body["schemas"][1], SCIM_ENTERPRISE);
    assert_eq!(body["externalId"], u.id.as_str());
    assert_eq!(body["active"], false);
    assert_eq!(setup.login_of(&u), "erin@acme.example");
}

#[test]
fn ids_stay_one_path_segment() {
    assert_eq!(client::seg("00uAbC-_~"), "00uAbC-_~");
    assert_eq!(client::seg("x/../../users"), "x%2F%2E%2E%2F%2E%2E%2Fusers");
    assert_eq!(client::quoted(r#"a"b\c"#), r#""a\"b\\c""#);
}
