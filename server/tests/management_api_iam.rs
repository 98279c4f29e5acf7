//! The admin model over the Management API, black-box against the real
//! server: a super admin's token builds a custom role, a resource set of a
//! new realm and a binding, assigns and takes back standard and custom
//! roles (with targets), and every change is in the System Log naming the
//! token; a partner admin's token changes nothing and cannot raise itself,
//! and an org admin cannot grant SUPER_ADMIN.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::api::{api, events, token, user};
use common::oidc::Rig;
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

#[tokio::test]
async fn the_admin_model_over_the_api_is_okta_shaped_audited_and_escalation_proof() {
    let rig = Rig::new().await;
    let o = api(&rig, &token(&rig, "olivia.owner@hostco.test", "IAM script"));
    let base = rig.portal.base.clone();

    // A new realm with a fresh user, to delegate.
    let realm = o
        .call(
            "POST",
            "/realms",
            Some(json!({"profile": {"name": "Initech", "realmType": "PARTNER"}})),
        )
        .await;
    assert_eq!(realm.status, 200, "{}", realm.body);
    let realm = id(&realm.body);
    let ivan = o
        .call(
            "POST",
            "/users?activate=true",
            Some(json!({
                "profile": {"login": "ivan.iam@initech.test", "email": "ivan.iam@initech.test",
                            "firstName": "Ivan", "lastName": "Iam"},
                "realmId": realm,
            })),
        )
        .await;
    assert_eq!(ivan.status, 200, "{}", ivan.body);
    let ivan = id(&ivan.body);

    // Custom roles: a misspelt permission is refused with the right one named.
    let misspelt = o
        .call(
            "POST",
            "/iam/roles",
            Some(json!({"label": "Initech helpdesk", "description": "", "permissions": ["okta.users.READ"]})),
        )
        .await;
    assert_eq!(
        (misspelt.status, misspelt.code()),
        (400, "E0000001"),
        "{}",
        misspelt.body
    );
    let cause = misspelt.body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap();
    assert!(
        cause.starts_with("permissions:") && cause.contains("did you mean okta.users.read"),
        "{cause}"
    );
    let made = o
        .call(
            "POST",
            "/iam/roles",
            Some(json!({"label": "Initech helpdesk", "description": "",
                        "permissions": ["okta.users.read", "okta.users.lifecycle.suspend"]})),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(
        (
            made.body["label"].as_str(),
            made.body["description"].as_str()
        ),
        (Some("Initech helpdesk"), Some(""))
    );
    assert!(made.body["created"].is_string() && made.body["lastUpdated"].is_string());
    let role = id(&made.body);
    assert!(role.starts_with("cr0"), "{role}");
    let twice = o
        .call(
            "POST",
            "/iam/roles",
            Some(json!({"label": "INITECH HELPDESK", "description": "", "permissions": ["okta.users.read"]})),
        )
        .await;
    assert_eq!(
        (twice.status, twice.code()),
        (400, "E0000001"),
        "{}",
        twice.body
    );
    let listed = o.get("/iam/roles").await;
    assert_eq!(listed.status, 200);
    let roles = listed.body["roles"].as_array().unwrap();
    assert!(
        roles.iter().any(|r| r["id"] == role.as_str())
            && roles.iter().all(|r| r["description"].is_string())
    );
    assert!(listed.body["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/iam/roles"));
    assert_eq!(id(&o.get("/iam/roles/initech%20helpdesk").await.body), role);
    assert_eq!(
        o.get("/iam/roles/cr0NoSuchRole0000000").await.code(),
        "E0000007"
    );
    let renamed = o
        .call(
            "PUT",
            &format!("/iam/roles/{role}"),
            Some(json!({"label": "Initech help desk", "description": "Helps"})),
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.body["label"].as_str()),
        (200, Some("Initech help desk")),
        "{}",
        renamed.body
    );
    let added = o
        .call(
            "POST",
            &format!("/iam/roles/{role}/permissions/okta.groups.read"),
            None,
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.body);
    let permissions = o.get(&format!("/iam/roles/{role}/permissions")).await;
    let labels: Vec<&str> = permissions.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "okta.groups.read",
            "okta.users.lifecycle.suspend",
            "okta.users.read"
        ]
    );
    assert_eq!(
        o.get(&format!("/iam/roles/{role}/permissions/okta.groups.read"))
            .await
            .status,
        200
    );
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/iam/roles/{role}/permissions/okta.groups.read"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        o.get(&format!("/iam/roles/{role}/permissions/okta.groups.read"))
            .await
            .status,
        404
    );

    // A resource set of the realm and its users (an ORN and a REST URL).
    let acme_set = o
        .get("/iam/resource-sets/Acme%20partner%20administration")
        .await;
    assert_eq!(acme_set.status, 200, "{}", acme_set.body);
    let acme_resources = o
        .get(&format!(
            "/iam/resource-sets/{}/resources",
            id(&acme_set.body)
        ))
        .await;
    let some_orn = acme_resources.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["orn"].as_str())
        .find(|o| o.contains(":realms:"))
        .unwrap()
        .to_string();
    let prefix = &some_orn[..some_orn.find(":realms:").unwrap()];
    let made = o
        .call(
            "POST",
            "/iam/resource-sets",
            Some(json!({"label": "Initech", "description": "Initech's realm",
                        "resources": [format!("{prefix}:realms:{realm}")]})),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let set = id(&made.body);
    assert!(set.starts_with("iam"));
    let patched = o
        .call(
            "PATCH",
            &format!("/iam/resource-sets/{set}/resources"),
            Some(json!({"additions": [format!("{base}/api/v1/realms/{realm}/users")]})),
        )
        .await;
    assert_eq!(
        (patched.status, patched.body["id"].as_str()),
        (200, Some(set.as_str())),
        "{}",
        patched.body
    );
    let resources = o.get(&format!("/iam/resource-sets/{set}/resources")).await;
    let orns: Vec<&str> = resources.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["orn"].as_str().unwrap())
        .collect();
    assert_eq!(
        orns,
        [
            format!("{prefix}:realms:{realm}"),
            format!("{prefix}:realms:{realm}:contained_resources")
        ]
    );
    let sets = o.get("/iam/resource-sets").await;
    assert!(sets.body["resource-sets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == set.as_str()));
    let bad = o
        .call(
            "PATCH",
            &format!("/iam/resource-sets/{set}/resources"),
            Some(json!({"additions": ["orn:nope"]})),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (400, "E0000001"));

    // The binding: Ivan holds the role on the set, and so does a group.
    let bound = o
        .call(
            "POST",
            &format!("/iam/resource-sets/{set}/bindings"),
            Some(json!({"role": role, "members": [format!("{base}/api/v1/users/{ivan}")]})),
        )
        .await;
    assert_eq!(
        (bound.status, id(&bound.body)),
        (200, role.clone()),
        "{}",
        bound.body
    );
    let bindings = o.get(&format!("/iam/resource-sets/{set}/bindings")).await;
    assert_eq!(bindings.body["roles"][0]["id"], role.as_str());
    let members = o
        .get(&format!("/iam/resource-sets/{set}/bindings/{role}/members"))
        .await;
    let members = members.body["members"].as_array().unwrap().clone();
    assert_eq!(members.len(), 1);
    assert!(members[0]["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/users/{ivan}")));
    let member = id(&members[0]);
    assert_eq!(
        o.get(&format!(
            "/iam/resource-sets/{set}/bindings/{role}/members/{member}"
        ))
        .await
        .status,
        200
    );
    let held = o.get(&format!("/users/{ivan}/roles")).await;
    assert_eq!(held.status, 200, "{}", held.body);
    let held = held.body.as_array().unwrap().clone();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (
            &held[0]["type"],
            &held[0]["role"],
            &held[0]["resource-set"],
            &held[0]["assignmentType"],
            &held[0]["label"]
        ),
        (
            &json!("CUSTOM"),
            &json!(role),
            &json!(set),
            &json!("USER"),
            &json!("Initech help desk")
        )
    );
    // A set somebody holds rights through stays.
    let busy = o
        .call("DELETE", &format!("/iam/resource-sets/{set}"), None)
        .await;
    assert_eq!((busy.status, busy.code()), (400, "E0000001"));

    // Standard roles: granted (201), listed, read, taken back (204).
    let granted = o
        .call(
            "POST",
            &format!("/users/{ivan}/roles"),
            Some(json!({"type": "READ_ONLY_ADMIN"})),
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    assert_eq!(
        (&granted.body["type"], &granted.body["status"]),
        (&json!("READ_ONLY_ADMIN"), &json!("ACTIVE"))
    );
    let read_only = id(&granted.body);
    assert_eq!(
        o.get(&format!("/users/{ivan}/roles"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        o.get(&format!("/users/{ivan}/roles/{read_only}"))
            .await
            .body["label"],
        "Read-only administrator"
    );
    let admins = o.get("/iam/assignees/users").await;
    let admin = admins.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ivan.as_str())
        .cloned();
    assert!(admin.unwrap()["orn"]
        .as_str()
        .unwrap()
        .ends_with(&format!(":users:{ivan}")));
    assert_eq!(
        o.call("DELETE", &format!("/users/{ivan}/roles/{read_only}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        o.get(&format!("/users/{ivan}/roles/{read_only}"))
            .await
            .status,
        404
    );

    // A standard role narrowed to a group keeps its id.
    let acme_eng = rig
        .store
        .group_id_by_name("Acme Engineering")
        .await
        .unwrap()
        .unwrap();
    let user_admin = o
        .call(
            "POST",
            &format!("/users/{ivan}/roles"),
            Some(json!({"type": "USER_ADMIN"})),
        )
        .await;
    assert_eq!(user_admin.status, 201, "{}", user_admin.body);
    let user_admin = id(&user_admin.body);
    let narrowed = o
        .call(
            "PUT",
            &format!("/users/{ivan}/roles/{user_admin}/targets/groups/{acme_eng}"),
            None,
        )
        .await;
    assert_eq!(narrowed.status, 204, "{}", narrowed.body);
    let targets = o
        .get(&format!("/users/{ivan}/roles/{user_admin}/targets/groups"))
        .await;
    assert_eq!(
        targets
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        [acme_eng.to_string()]
    );
    let last = o
        .call(
            "DELETE",
            &format!("/users/{ivan}/roles/{user_admin}/targets/groups/{acme_eng}"),
            None,
        )
        .await;
    assert_eq!((last.status, last.code()), (400, "E0000001"));

    // An org admin grants what it holds, never SUPER_ADMIN.
    let org_admin = o
        .call(
            "POST",
            &format!("/users/{ivan}/roles"),
            Some(json!({"type": "ORG_ADMIN"})),
        )
        .await;
    assert_eq!(org_admin.status, 201, "{}", org_admin.body);
    let i = api(&rig, &token(&rig, "ivan.iam@initech.test", "Ivan's"));
    let refused = i
        .call(
            "POST",
            &format!("/users/{ivan}/roles"),
            Some(json!({"type": "SUPER_ADMIN"})),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "E0000006"),
        "{}",
        refused.body
    );
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/users/{ivan}/roles/{}", id(&org_admin.body)),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        o.call("DELETE", &format!("/users/{ivan}/roles/{user_admin}"), None)
            .await
            .status,
        204
    );

    // A group holds the custom role (200), then not.
    let group = o
        .call(
            "POST",
            "/groups",
            Some(json!({"profile": {"name": "Initech admins"}})),
        )
        .await;
    let group = id(&group.body);
    let custom = o
        .call(
            "POST",
            &format!("/groups/{group}/roles"),
            Some(json!({"type": "CUSTOM", "role": role, "resource-set": set})),
        )
        .await;
    assert_eq!(
        (custom.status, &custom.body["assignmentType"]),
        (200, &json!("GROUP")),
        "{}",
        custom.body
    );
    assert_eq!(
        o.get(&format!("/iam/resource-sets/{set}/bindings/{role}/members"))
            .await
            .body["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/groups/{group}/roles/{}", id(&custom.body)),
            None
        )
        .await
        .status,
        204
    );

    // Taking it all down.
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/iam/resource-sets/{set}/bindings/{role}/members/{member}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(o.get(&format!("/users/{ivan}/roles")).await.body, json!([]));
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/iam/resource-sets/{set}/bindings/{role}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        o.get(&format!("/iam/resource-sets/{set}/bindings/{role}"))
            .await
            .status,
        404
    );
    let resource = id(&resources.body["resources"][1]);
    assert_eq!(
        o.call(
            "DELETE",
            &format!("/iam/resource-sets/{set}/resources/{resource}"),
            None
        )
        .await
        .status,
        204
    );
    let renamed = o
        .call(
            "PUT",
            &format!("/iam/resource-sets/{set}"),
            Some(json!({"label": "Initech realm", "description": ""})),
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.body["label"].as_str()),
        (200, Some("Initech realm"))
    );
    assert_eq!(
        o.call("DELETE", &format!("/iam/resource-sets/{set}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        o.call("DELETE", &format!("/iam/roles/{role}"), None)
            .await
            .status,
        204
    );
    assert_eq!(o.get(&format!("/iam/roles/{role}")).await.status, 404);

    // Every change names the token in the System Log.
    let tokens = o.get("/api-tokens").await;
    let token_id = tokens
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "IAM script")
        .map(id)
        .unwrap();
    for event_type in [
        "iam.role.create",
        "iam.role.update",
        "iam.role.delete",
        "iam.resourceset.create",
        "iam.resourceset.update",
        "iam.resourceset.delete",
        "iam.resourceset.resources.add",
        "iam.resourceset.resources.delete",
        "iam.resourceset.bindings.add",
        "iam.resourceset.bindings.delete",
        "user.account.privilege.grant",
        "user.account.privilege.revoke",
    ] {
        let newest = events(&rig, event_type).await;
        let newest = newest
            .first()
            .unwrap_or_else(|| panic!("no {event_type} event"));
        assert_eq!(
            newest["transaction"]["detail"]["requestApiTokenId"],
            token_id.as_str(),
            "{event_type}: {newest}"
        );
    }
}

#[tokio::test]
async fn a_partner_admins_token_changes_nothing_in_the_admin_model_and_cannot_raise_itself() {
    let rig = Rig::new().await;
    let o = api(&rig, &token(&rig, "olivia.owner@hostco.test", "Olivia's"));
    let a = api(&rig, &token(&rig, "alice.admin@acme.test", "Alice's"));
    let alice = user(&rig, "alice.admin@acme.test").await.id;
    let dana = user(&rig, "dana.designer@acme.test").await.id;
    let set = id(&o
        .get("/iam/resource-sets/Acme%20partner%20administration")
        .await
        .body);
    let role = id(&o.get("/iam/roles/Partner%20Admin").await.body);
    let before = o.get(&format!("/users/{alice}/roles")).await.body;
    assert_eq!(before[0]["type"], "CUSTOM", "{before}");
    let acme_eng = rig
        .store
        .group_id_by_name("Acme Engineering")
        .await
        .unwrap()
        .unwrap();
    let resource = id(&o
        .get(&format!("/iam/resource-sets/{set}/resources"))
        .await
        .body["resources"][0]);
    let members = o
        .get(&format!("/iam/resource-sets/{set}/bindings/{role}/members"))
        .await
        .body;
    let member = id(&members["members"][0]);
    let assignment = id(&before[0]);
    let me = format!("{}/api/v1/users/{alice}", rig.portal.base);
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            format!("/users/{alice}/roles"),
            Some(json!({"type": "SUPER_ADMIN"})),
        ),
        (
            "POST",
            format!("/users/{alice}/roles"),
            Some(json!({"type": "ORG_ADMIN"})),
        ),
        (
            "POST",
            format!("/users/{dana}/roles"),
            Some(json!({"type": "CUSTOM", "role": role, "resource-set": set})),
        ),
        (
            "POST",
            format!("/groups/{acme_eng}/roles"),
            Some(json!({"type": "READ_ONLY_ADMIN"})),
        ),
        (
            "POST",
            format!("/iam/resource-sets/{set}/bindings"),
            Some(json!({"role": role, "members": [me]})),
        ),
        (
            "PATCH",
            format!("/iam/resource-sets/{set}/bindings/{role}/members"),
            Some(json!({"additions": [me]})),
        ),
        (
            "DELETE",
            format!("/iam/resource-sets/{set}/bindings/{role}/members/{member}"),
            None,
        ),
        (
            "DELETE",
            format!("/iam/resource-sets/{set}/bindings/{role}"),
            None,
        ),
        ("DELETE", format!("/users/{alice}/roles/{assignment}"), None),
        (
            "POST",
            "/iam/roles".into(),
            Some(json!({"label": "Mine", "description": "", "permissions": ["okta.users.read"]})),
        ),
        (
            "PUT",
            format!("/iam/roles/{role}"),
            Some(json!({"label": "Hacked", "description": ""})),
        ),
        (
            "POST",
            format!("/iam/roles/{role}/permissions/okta.iam.read"),
            None,
        ),
        (
            "DELETE",
            format!("/iam/roles/{role}/permissions/okta.users.read"),
            None,
        ),
        ("DELETE", format!("/iam/roles/{role}"), None),
        (
            "POST",
            "/iam/resource-sets".into(),
            Some(json!({"label": "Mine", "description": "", "resources": []})),
        ),
        (
            "PUT",
            format!("/iam/resource-sets/{set}"),
            Some(json!({"label": "Hacked", "description": ""})),
        ),
        (
            "PATCH",
            format!("/iam/resource-sets/{set}/resources"),
            Some(json!({"additions": [format!("{}/api/v1/users", rig.portal.base)]})),
        ),
        (
            "DELETE",
            format!("/iam/resource-sets/{set}/resources/{resource}"),
            None,
        ),
        ("DELETE", format!("/iam/resource-sets/{set}"), None),
    ];
    for (method, path, body) in writes {
        let answer = a.call(method, &path, body).await;
        assert!(
            [(403, "E0000006"), (404, "E0000007")].contains(&(answer.status, answer.code())),
            "{method} {path}: {} {}",
            answer.status,
            answer.body
        );
    }
    for path in ["/iam/roles", "/iam/resource-sets", "/iam/assignees/users"] {
        assert!([403, 404].contains(&a.get(path).await.status), "{path}");
    }
    // Nothing changed.
    assert_eq!(o.get(&format!("/users/{alice}/roles")).await.body, before);
    assert_eq!(o.get(&format!("/users/{dana}/roles")).await.body, json!([]));
    assert_eq!(
        o.get(&format!("/iam/roles/{role}")).await.body["label"],
        "Partner Admin"
    );
    assert_eq!(
        o.get(&format!("/iam/resource-sets/{set}/bindings/{role}/members"))
            .await
            .body,
        members
    );
    assert!(
        o.get("/iam/roles/Mine").await.status == 404
            && o.get("/iam/resource-sets/Mine").await.status == 404
    );
}
