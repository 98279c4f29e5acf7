//! The Org2Org client: a spoke provisions into a hub through the hub's Okta
//! Management API (`/api/v1`) with a super admin's API token — real Okta, or
//! another Partner Portal. Users are matched on `profile.login` (then
//! `profile.email`), created with `activate=true`, updated with a partial
//! `POST /users/{id}`, and deactivated and reactivated through their
//! lifecycle; pushed groups are kept with `PUT`/`DELETE` on their members.

use http::Method;
use serde_json::{json, Value};

use super::client::{self, quoted, seg, with_query, Endpoint};
use super::{target, Failure, Remote, RemoteUser};

fn search_path(resource: &str, search: &str) -> String {
    with_query(&format!("/api/v1/{resource}"), "search", search)
}

fn remote(body: &Value) -> Option<Remote> {
    client::remote(body, "/profile/login", |b| {
        b.get("status").and_then(Value::as_str) != Some("DEPROVISIONED")
    })
}

/// Pages of a group's members read at most (200 each).
const MAX_PAGES: usize = 500;

/// A 403 from the hub means the token's admin lacks the rights Org2Org needs.
fn explain(f: Failure) -> Failure {
    if f.is_forbidden() || f.message.contains("E0000006") {
        Failure {
            message: format!(
                "{} — the hub refused: Org2Org needs an API token of a super admin of the hub.",
                f.message
            ),
            ..f
        }
    } else {
        f
    }
}

pub async fn find_user(
    ep: &Endpoint<'_>,
    login: &str,
    email: &str,
) -> Result<Option<Remote>, Failure> {
    for search in [
        format!("profile.login eq {}", quoted(login)),
        format!("profile.email eq {}", quoted(email)),
    ] {
        if search.ends_with("eq \"\"") {
            continue;
        }
        let answer = ep
            .call(Method::GET, &search_path("users", &search), None)
            .await
            .map_err(explain)?;
        if let Some(found) = answer
            .body
            .as_array()
            .and_then(|a| a.first())
            .and_then(remote)
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

pub async fn create_user(
    ep: &Endpoint<'_>,
    attributes: &[(String, Value)],
) -> Result<Remote, Failure> {
    let body = json!({ "profile": target::okta_profile(attributes) });
    let answer = ep
        .call(Method::POST, "/api/v1/users?activate=true", Some(&body))
        .await
        .map_err(explain)?;
    remote(&answer.body)
        .ok_or_else(|| Failure::permanent("POST /api/v1/users: the answer has no id"))
}

pub async fn update_user(
    ep: &Endpoint<'_>,
    id: &str,
    attributes: &[(String, Value)],
) -> Result<(), Failure> {
    let body = json!({ "profile": target::okta_profile(attributes) });
    ep.call(
        Method::POST,
        &format!("/api/v1/users/{}", seg(id)),
        Some(&body),
    )
    .await
    .map_err(explain)?;
    Ok(())
}

/// Deactivates the hub user, or activates a deactivated one.
pub async fn set_active(ep: &Endpoint<'_>, id: &str, active: bool) -> Result<(), Failure> {
    let op = if active {
        "activate?sendEmail=false"
    } else {
        "deactivate"
    };
    match ep
        .call(
            Method::POST,
            &format!("/api/v1/users/{}/lifecycle/{op}", seg(id)),
            None,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(f) => Err(explain(f)),
    }
}

pub async fn delete_user(ep: &Endpoint<'_>, id: &str) -> Result<(), Failure> {
    for _ in 0..2 {
        // The first DELETE deactivates, the second deletes (Okta's semantics).
        match ep
            .call(Method::DELETE, &format!("/api/v1/users/{}", seg(id)), None)
            .await
        {
            Err(f) if f.is_not_found() => return Ok(()),
            Err(f) => return Err(explain(f)),
            Ok(_) => {}
        }
    }
    Ok(())
}

pub async fn find_group(ep: &Endpoint<'_>, name: &str) -> Result<Option<String>, Failure> {
    let answer = ep
        .call(
            Method::GET,
            &search_path("groups", &format!("profile.name eq {}", quoted(name))),
            None,
        )
        .await
        .map_err(explain)?;
    Ok(answer
        .body
        .as_array()
        .and_then(|a| a.first())
        .and_then(|g| g.get("id")?.as_str())
        .map(str::to_string))
}

pub async fn create_group(
    ep: &Endpoint<'_>,
    name: &str,
    description: &str,
) -> Result<String, Failure> {
    let body = json!({ "profile": { "name": name, "description": description } });
    let answer = ep
        .call(Method::POST, "/api/v1/groups", Some(&body))
        .await
        .map_err(explain)?;
    client::created_id(&answer, "POST /api/v1/groups")
}

/// The group's name and member ids; `None` when the hub has no such group.
pub async fn group(ep: &Endpoint<'_>, id: &str) -> Result<Option<(String, Vec<String>)>, Failure> {
    let name = match ep
        .call(Method::GET, &format!("/api/v1/groups/{}", seg(id)), None)
        .await
    {
        Ok(a) => a
            .body
            .pointer("/profile/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Err(f) if f.is_not_found() => return Ok(None),
        Err(f) => return Err(explain(f)),
    };
    let mut members = Vec::new();
    let mut next = Some(format!("/api/v1/groups/{}/users?limit=200", seg(id)));
    let mut pages = 0;
    while let Some(page) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(Failure::permanent(
                "the hub's group has too many pages of members",
            ));
        }
        let answer = ep.call(Method::GET, &page, None).await.map_err(explain)?;
        members.extend(
            answer
                .body
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u.get("id")?.as_str().map(str::to_string)),
        );
        // A next page pointing back at this one ends the walk.
        next = answer.next.filter(|n| !n.ends_with(page.as_str()));
    }
    Ok(Some((name, members)))
}

pub async fn change_group(
    ep: &Endpoint<'_>,
    id: &str,
    rename: Option<(&str, &str)>,
    add: &[String],
    remove: &[String],
) -> Result<(), Failure> {
    if let Some((name, description)) = rename {
        let body = json!({ "profile": { "name": name, "description": description } });
        ep.call(
            Method::PUT,
            &format!("/api/v1/groups/{}", seg(id)),
            Some(&body),
        )
        .await
        .map_err(explain)?;
    }
    for user in add {
        ep.call(
            Method::PUT,
            &format!("/api/v1/groups/{}/users/{}", seg(id), seg(user)),
            None,
        )
        .await
        .map_err(explain)?;
    }
    for user in remove {
        match ep
            .call(
                Method::DELETE,
                &format!("/api/v1/groups/{}/users/{}", seg(id), seg(user)),
                None,
            )
            .await
        {
            Err(f) if f.is_not_found() => {}
            Err(f) => return Err(explain(f)),
            Ok(_) => {}
        }
    }
    Ok(())
}

pub async fn delete_group(ep: &Endpoint<'_>, id: &str) -> Result<(), Failure> {
    match ep
        .call(Method::DELETE, &format!("/api/v1/groups/{}", seg(id)), None)
        .await
    {
        Err(f) if f.is_not_found() => Ok(()),
        Err(f) => Err(explain(f)),
        Ok(_) => Ok(()),
    }
}

/// Every hub user (pages of 200, through the `Link` headers), for an import.
pub async fn list_users(ep: &Endpoint<'_>, limit: usize) -> Result<Vec<RemoteUser>, Failure> {
    let mut users = Vec::new();
    let mut next = Some("/api/v1/users?limit=200".to_string());
    let mut pages = 0;
    while let Some(page) = next.take() {
        pages += 1;
        if pages > limit / 200 + 2 {
            break;
        }
        let answer = ep.call(Method::GET, &page, None).await.map_err(explain)?;
        for u in answer.body.as_array().into_iter().flatten() {
            let Some(found) = remote(u) else { continue };
            let text = |k: &str| {
                u.pointer(&format!("/profile/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            users.push(RemoteUser {
                id: found.id,
                login: found.login,
                email: text("email"),
                first_name: text("firstName"),
                last_name: text("lastName"),
                active: found.active,
            });
        }
        if users.len() >= limit {
            break;
        }
        next = answer.next.filter(|n| !n.ends_with(page.as_str()));
    }
    users.truncate(limit);
    Ok(users)
}

/// Checks the token: it must work, and its owner must be a super admin of
/// the hub (the Org2Org guide's requirement).
pub async fn check(ep: &Endpoint<'_>) -> Result<String, Failure> {
    let me = ep
        .call(Method::GET, "/api/v1/users/me", None)
        .await
        .map_err(explain)?;
    let id = me
        .body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let login = me
        .body
        .pointer("/profile/login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let not_super = || {
        Failure::permanent(format!(
            "The API token belongs to {login}, who is not a super admin of the hub: \
             Org2Org needs an API token of a super admin (SUPER_ADMIN) to create users and push groups."
        ))
    };
    let roles = match ep
        .call(
            Method::GET,
            &format!("/api/v1/users/{}/roles", seg(&id)),
            None,
        )
        .await
    {
        Ok(a) => a.body,
        Err(f) if f.is_forbidden() || f.is_not_found() => return Err(not_super()),
        Err(f) => return Err(f),
    };
    let is_super = roles.as_array().is_some_and(|r| {
        r.iter()
            .any(|r| r.get("type").and_then(Value::as_str) == Some("SUPER_ADMIN"))
    });
    if !is_super {
        return Err(not_super());
    }
    Ok(format!("Connected to the hub as {login}, a super admin."))
}
