//! The SCIM 2.0 client (RFC 7644): what Okta sends a SCIM app. Accounts are
//! matched on `userName` (then the work email) before one is created; they
//! are updated with `PUT`, deactivated with Okta's path-less
//! `PATCH replace {"active": false}`, and groups are kept with `PATCH`
//! member adds and removes.

use http::Method;
use serde_json::{json, Value};

use super::client::{self, quoted, seg, with_query, Endpoint};
use super::{target, Failure, Remote, RemoteUser, Setup};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn filter_path(resource: &str, filter: &str) -> String {
    with_query(&format!("/{resource}"), "filter", filter)
}

fn remote(body: &Value) -> Option<Remote> {
    client::remote(body, "/userName", |b| {
        b.get("active").and_then(Value::as_bool).unwrap_or(true)
    })
}

fn first_resource(body: &Value) -> Option<&Value> {
    body.get("Resources")?.as_array()?.first()
}

/// The account named `login` (or, failing that, with the work email `email`).
pub async fn find_user(
    ep: &Endpoint<'_>,
    login: &str,
    email: &str,
) -> Result<Option<Remote>, Failure> {
    let by_name = ep
        .call(
            Method::GET,
            &filter_path("Users", &format!("userName eq {}", quoted(login))),
            None,
        )
        .await?;
    if let Some(found) = first_resource(&by_name.body).and_then(remote) {
        return Ok(Some(found));
    }
    if email.is_empty() || email.eq_ignore_ascii_case(login) {
        return Ok(None);
    }
    // Not every service provider filters on emails: no answer is no match.
    match ep
        .call(
            Method::GET,
            &filter_path("Users", &format!("emails.value eq {}", quoted(email))),
            None,
        )
        .await
    {
        Ok(a) => Ok(first_resource(&a.body).and_then(remote)),
        Err(f) if !f.retryable => Ok(None),
        Err(f) => Err(f),
    }
}

/// Creates the account.
pub async fn create_user(
    ep: &Endpoint<'_>,
    setup: &Setup,
    attributes: &[(String, Value)],
    external_id: &str,
) -> Result<Remote, Failure> {
    let body = target::scim_user(attributes, &setup.extensions, external_id, true);
    let answer = ep.call(Method::POST, "/Users", Some(&body)).await?;
    remote(&answer.body).ok_or_else(|| Failure::permanent("POST /Users: the answer has no id"))
}

/// Replaces the account's attributes (and its `active`).
pub async fn update_user(
    ep: &Endpoint<'_>,
    setup: &Setup,
    id: &str,
    attributes: &[(String, Value)],
    external_id: &str,
    active: bool,
) -> Result<(), Failure> {
    let mut body = target::scim_user(attributes, &setup.extensions, external_id, active);
    if let Value::Object(o) = &mut body {
        o.insert("id".into(), json!(id));
    }
    ep.call(Method::PUT, &format!("/Users/{}", seg(id)), Some(&body))
        .await?;
    Ok(())
}

/// Activates or deactivates the account (Okta's path-less replace).
pub async fn set_active(ep: &Endpoint<'_>, id: &str, active: bool) -> Result<(), Failure> {
    let body = json!({
        "schemas": [PATCH_OP],
        "Operations": [{ "op": "replace", "value": { "active": active } }],
    });
    ep.call(Method::PATCH, &format!("/Users/{}", seg(id)), Some(&body))
        .await?;
    Ok(())
}

pub async fn delete_user(ep: &Endpoint<'_>, id: &str) -> Result<(), Failure> {
    match ep
        .call(Method::DELETE, &format!("/Users/{}", seg(id)), None)
        .await
    {
        Err(f) if f.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

/// The group named `name`, if the app has one.
pub async fn find_group(ep: &Endpoint<'_>, name: &str) -> Result<Option<String>, Failure> {
    let answer = ep
        .call(
            Method::GET,
            &filter_path("Groups", &format!("displayName eq {}", quoted(name))),
            None,
        )
        .await?;
    Ok(first_resource(&answer.body)
        .and_then(|g| g.get("id")?.as_str())
        .map(str::to_string))
}

pub async fn create_group(ep: &Endpoint<'_>, name: &str) -> Result<String, Failure> {
    let body = json!({ "schemas": [GROUP], "displayName": name, "members": [] });
    let answer = ep.call(Method::POST, "/Groups", Some(&body)).await?;
    client::created_id(&answer, "POST /Groups")
}

/// The group's name and member ids; `None` when the app has no such group.
pub async fn group(ep: &Endpoint<'_>, id: &str) -> Result<Option<(String, Vec<String>)>, Failure> {
    match ep
        .call(Method::GET, &format!("/Groups/{}", seg(id)), None)
        .await
    {
        Ok(a) => {
            let name = a
                .body
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let members = a
                .body
                .get("members")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(|m| m.get("value")?.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Some((name.to_string(), members)))
        }
        Err(f) if f.is_not_found() => Ok(None),
        Err(f) => Err(f),
    }
}

/// Renames the group and adds and removes members, in one `PATCH`.
pub async fn change_group(
    ep: &Endpoint<'_>,
    id: &str,
    rename: Option<&str>,
    add: &[String],
    remove: &[String],
) -> Result<(), Failure> {
    let mut operations = Vec::new();
    if let Some(name) = rename {
        operations.push(json!({ "op": "replace", "path": "displayName", "value": name }));
    }
    if !add.is_empty() {
        let members: Vec<Value> = add.iter().map(|m| json!({ "value": m })).collect();
        operations.push(json!({ "op": "add", "path": "members", "value": members }));
    }
    for m in remove {
        operations
            .push(json!({ "op": "remove", "path": format!("members[value eq {}]", quoted(m)) }));
    }
    if operations.is_empty() {
        return Ok(());
    }
    let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
    ep.call(Method::PATCH, &format!("/Groups/{}", seg(id)), Some(&body))
        .await?;
    Ok(())
}

pub async fn delete_group(ep: &Endpoint<'_>, id: &str) -> Result<(), Failure> {
    match ep
        .call(Method::DELETE, &format!("/Groups/{}", seg(id)), None)
        .await
    {
        Err(f) if f.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Every account in the app (pages of 100), for an import.
pub async fn list_users(ep: &Endpoint<'_>, limit: usize) -> Result<Vec<RemoteUser>, Failure> {
    let mut users = Vec::new();
    let mut start = 1u64;
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > limit / 100 + 2 {
            break;
        }
        let answer = ep
            .call(
                Method::GET,
                &format!("/Users?startIndex={start}&count=100"),
                None,
            )
            .await?;
        let page = answer
            .body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = answer
            .body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        for r in &page {
            let Some(found) = remote(r) else { continue };
            let email = r
                .get("emails")
                .and_then(Value::as_array)
                .and_then(|e| {
                    e.iter()
                        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                        .or_else(|| e.first())
                })
                .and_then(|e| e.get("value")?.as_str())
                .unwrap_or_default();
            let name = |k: &str| {
                r.pointer(&format!("/name/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            users.push(RemoteUser {
                id: found.id,
                login: found.login,
                email: email.to_string(),
                first_name: name("givenName"),
                last_name: name("familyName"),
                active: found.active,
            });
        }
        start += page.len() as u64;
        if page.is_empty() || start > total || users.len() >= limit {
            break;
        }
    }
    users.truncate(limit);
    Ok(users)
}

/// Checks the credentials: one authenticated read.
pub async fn check(ep: &Endpoint<'_>) -> Result<String, Failure> {
    let answer = ep
        .call(Method::GET, "/Users?startIndex=1&count=1", None)
        .await?;
    let total = answer.body.get("totalResults").and_then(Value::as_u64);
    Ok(match total {
        Some(n) => format!("Connected: the SCIM service answers and holds {n} users."),
        None => "Connected: the SCIM service answers.".to_string(),
    })
}
