//! Okta's wire shapes, field for field, for what the portal keeps: built from
//! the domain model, never from view models. Rules the official SDKs enforce
//! (integrations-research §1.3): closed enums only, no `""` where Okta
//! requires a non-empty string (`null` instead), `profile.name` on realms.

use serde::Serialize;
use serde_json::{json, Map, Value};

use app::model::{App, Group, Realm, User};

/// `{"self": {"href": …}}` and any further named links.
pub fn links(base: &str, path: &str) -> Value {
    json!({ "self": { "href": format!("{}/api/v1/{path}", base.trim_end_matches('/')) } })
}

/// `null` for an empty string (Okta's profiles never hold `""`).
fn text(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::String(value.to_string())
    }
}

fn optional(value: &Option<String>) -> Value {
    value.as_deref().map(text).unwrap_or(Value::Null)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRealm {
    pub id: String,
    pub created: String,
    pub last_updated: String,
    pub is_default: bool,
    pub profile: Value,
    #[serde(rename = "_links")]
    pub links: Value,
}

pub fn realm(base: &str, r: &Realm) -> WireRealm {
    WireRealm {
        id: r.id.to_string(),
        created: r.created.clone(),
        last_updated: r.last_updated.clone(),
        is_default: r.is_default,
        profile: json!({
            "name": r.name,
            "realmType": r.realm_type.as_str(),
            "domains": r.domains,
        }),
        links: links(base, &format!("realms/{}", r.id)),
    }
}

/// A user's profile: the base attributes (`null` when unset) and the custom
/// ones as stored.
pub fn profile(u: &User) -> Value {
    let p = &u.profile;
    let mut profile = Map::new();
    for (k, v) in [
        ("login", text(&p.login)),
        ("email", text(&p.email)),
        ("secondEmail", optional(&p.second_email)),
        ("firstName", text(&p.first_name)),
        ("lastName", text(&p.last_name)),
        ("middleName", optional(&p.middle_name)),
        ("primaryPhone", optional(&p.primary_phone)),
        ("mobilePhone", optional(&p.mobile_phone)),
    ] {
        profile.insert(k.to_string(), v);
    }
    for (k, v) in &u.custom_profile {
        profile.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(profile)
}

pub fn user(base: &str, u: &User) -> Value {
    let provider = match &u.profile_source_id {
        Some(_) => json!({ "type": "FEDERATION", "name": "FEDERATION" }),
        None => json!({ "type": "OKTA", "name": "OKTA" }),
    };
    json!({
        "id": u.id.as_str(),
        "status": u.status.as_str(),
        "transitioningToStatus": u.transitioning_to_status.map(|s| s.as_str()),
        "created": u.created,
        "activated": u.activated,
        "statusChanged": u.status_changed,
        "lastLogin": u.last_login,
        "lastUpdated": u.last_updated,
        "passwordChanged": Value::Null,
        "realmId": u.realm_id.as_str(),
        "profile": profile(u),
        "credentials": { "provider": provider },
        "_links": links(base, &format!("users/{}", u.id)),
    })
}

pub fn group(base: &str, g: &Group) -> Value {
    json!({
        "id": g.id.as_str(),
        "created": g.created,
        "lastUpdated": g.last_updated,
        "lastMembershipUpdated": g.last_updated,
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": { "name": g.name, "description": g.description },
        "_links": links(base, &format!("groups/{}", g.id)),
    })
}

pub fn app(base: &str, a: &App) -> Value {
    json!({
        "id": a.id.as_str(),
        "name": a.name,
        "label": a.label,
        "status": a.status.as_str(),
        "created": a.created,
        "lastUpdated": a.last_updated,
        "signOnMode": a.sign_on_mode,
        "features": [],
        "visibility": { "autoSubmitToolbar": false, "hide": { "iOS": false, "web": false } },
        "accessibility": { "selfService": false },
        "settings": { "app": {} },
        "credentials": { "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" } },
        "_links": links(base, &format!("apps/{}", a.id)),
    })
}

/// Okta's `OpenIdConnectApplication`: the app with its OAuth client
/// (`credentials.oauthClient`, `settings.oauthClient`); `secret` only in the
/// answer that made it.
pub fn oidc_app(base: &str, a: &App, client: &app::oidc::Client, secret: Option<&str>) -> Value {
    let mut v = app(base, a);
    let s = &client.settings;
    let mut credentials = json!({
        "client_id": client.client_id,
        "autoKeyRotation": true,
        "token_endpoint_auth_method": client.auth_method.as_str(),
    });
    if let Some(secret) = secret {
        credentials["client_secret"] = json!(secret);
    }
    v["credentials"]["oauthClient"] = credentials;
    v["settings"]["oauthClient"] = json!({
        "application_type": client.app_type.as_str(),
        "redirect_uris": s.redirect_uris,
        "post_logout_redirect_uris": s.post_logout_redirect_uris,
        "response_types": if s.allows("authorization_code") { json!(["code"]) } else { json!(["token"]) },
        "grant_types": s.grant_types,
        "initiate_login_uri": s.initiate_login_uri,
        "consent_method": "TRUSTED",
        "jwks": s.jwks,
    });
    v
}

pub fn api_token(base: &str, t: &app::ops::api_tokens::ApiToken) -> Value {
    json!({
        "id": t.id.as_str(),
        "name": t.name,
        "userId": t.user_id.as_str(),
        "clientName": "Partner Portal",
        "created": t.created,
        "lastUpdated": t.last_updated(),
        "expiresAt": t.expires_at,
        "lastUsed": t.last_used,
        "tokenWindow": app::ops::api_tokens::TOKEN_WINDOW,
        "network": { "connection": "ANYWHERE", "include": [], "exclude": [] },
        "_link": links(base, &format!("api-tokens/{}", t.id)),
    })
}
