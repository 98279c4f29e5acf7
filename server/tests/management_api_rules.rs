//! The Realm Assignments API, its operations and the System Log API
//! (`/api/v1/realm-assignments*`, `/api/v1/operations/{id}`,
//! `/api/v1/logs`) black-box against the real server: a super admin's token
//! creates an assignment (INACTIVE, 201), activates it (204), dry-runs it
//! (our `plans` extension), executes it (201 `realm:assignment`) and polls
//! the run until the users have moved; `ALL`; paging by priority; Okta's
//! error objects; the System Log filtered, paged in both orders and polled
//! for new events; and a partner admin's token, confined to its realms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::api::{api, events, token, urlencode, Answer, Api};
use common::oidc::Rig;
use serde_json::{json, Value};

const OKTA_STATUSES: [&str; 4] = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED"];

fn links(a: &Answer) -> Vec<String> {
    a.headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// The `next` link's URL, if any (`self` must come first).
fn next_link(a: &Answer) -> Option<String> {
    let links = links(a);
    assert!(links[0].ends_with("rel=\"self\""), "{links:?}");
    links
        .iter()
        .find(|l| l.ends_with("rel=\"next\""))
        .map(|l| l[1..l.find('>').unwrap()].to_string())
}

/// Polls `GET /api/v1/operations/{id}` until the run is COMPLETED.
async fn completed(o: &Api, id: &str) -> Value {
    for _ in 0..200 {
        let run = o.get(&format!("/operations/{id}")).await;
        assert_eq!(run.status, 200, "{}", run.body);
        let status = run.body["status"].as_str().unwrap().to_string();
        assert!(OKTA_STATUSES.contains(&status.as_str()), "{status}");
        assert_ne!(status, "FAILED", "{}", run.body);
        if status == "COMPLETED" {
            return run.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("operation {id} did not complete");
}

async fn realm_of(o: &Api, user: &str) -> String {
    o.get(&format!("/users/{user}")).await.body["realmId"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn realm_assignments_run_as_okta_operations_and_the_system_log_is_polled() {
    let rig = Rig::new().await;
    let o = api(
        &rig,
        &token(&rig, "olivia.owner@hostco.test", "rules script"),
    );
    let alice = api(&rig, &token(&rig, "alice.admin@acme.test", "alice script"));

    // A realm and three users of the default realm the rule will move there.
    let movers = o
        .call(
            "POST",
            "/realms",
            Some(json!({"profile": {"name": "Movers"}})),
        )
        .await;
    assert_eq!(movers.status, 200, "{}", movers.body);
    let movers = movers.body["id"].as_str().unwrap().to_string();
    let mut moving = Vec::new();
    for n in 1..=3 {
        let u = o
            .call(
                "POST",
                "/users?activate=false",
                Some(json!({"profile": {
                    "login": format!("mover{n}@movers.test"),
                    "email": format!("mover{n}@movers.test"),
                    "firstName": "Mover",
                    "lastName": format!("Number{n}"),
                }})),
            )
            .await;
        assert_eq!(u.status, 200, "{}", u.body);
        assert_ne!(u.body["realmId"], movers.as_str());
        moving.push(u.body["id"].as_str().unwrap().to_string());
    }

    // Create: 201, INACTIVE, Okta's shape.
    let body = json!({
        "name": "Movers by email",
        "conditions": {"expression": {"value": "user.profile.email.endsWith(\"@movers.test\")"}},
        "actions": {"assignUserToRealm": {"realmId": movers}},
    });
    let created = o
        .call("POST", "/realm-assignments", Some(body.clone()))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let rule = created.body.clone();
    let rule_id = rule["id"].as_str().unwrap().to_string();
    assert_eq!(rule["status"], "INACTIVE");
    assert_eq!(rule["isDefault"], false);
    assert_eq!(
        rule["actions"]["assignUserToRealm"]["realmId"],
        movers.as_str()
    );
    assert_eq!(
        rule["conditions"]["expression"]["value"],
        "user.profile.email.endsWith(\"@movers.test\")"
    );
    assert_eq!(
        rule["_links"]["self"]["href"],
        format!("{}/api/v1/realm-assignments/{rule_id}", rig.portal.base)
    );
    assert_eq!(
        o.get(&format!("/realm-assignments/{rule_id}")).await.body["name"],
        "Movers by email"
    );

    // Bad input: 400 E0000001 naming Okta's field; unknown ids 404.
    let mut bad = body.clone();
    bad["conditions"]["expression"]["value"] = json!("user.profile.email.endsWith(");
    let refused = o.call("POST", "/realm-assignments", Some(bad)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "E0000001"),
        "{}",
        refused.body
    );
    let cause = refused.body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap();
    assert!(
        cause.starts_with("conditions.expression.value: "),
        "{cause}"
    );
    let mut bad = body.clone();
    bad["actions"]["assignUserToRealm"]["realmId"] = json!("guoNoSuchRealm000000");
    let refused = o.call("POST", "/realm-assignments", Some(bad)).await;
    assert_eq!(refused.code(), "E0000001", "{}", refused.body);
    assert!(refused.body["errorSummary"]
        .as_str()
        .unwrap()
        .contains("actions.assignUserToRealm.realmId"));
    let missing = o.get("/realm-assignments/rulNoSuchRule0000000").await;
    assert_eq!((missing.status, missing.code()), (404, "E0000007"));
    let missing = o
        .call(
            "POST",
            "/realm-assignments/operations",
            Some(json!({"assignmentId": "rulNoSuchRule0000000"})),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    // An inactive assignment does not run.
    let inactive = o
        .call(
            "POST",
            "/realm-assignments/operations",
            Some(json!({"assignmentId": rule_id})),
        )
        .await;
    assert_eq!(inactive.code(), "E0000001", "{}", inactive.body);

    // A second assignment at a chosen priority; priorities are unique.
    let mut second = body.clone();
    second["name"] = json!("Nobody");
    second["priority"] = json!(40);
    second["conditions"]["expression"]["value"] =
        json!("user.profile.email.endsWith(\"@nowhere.test\")");
    let second = o.call("POST", "/realm-assignments", Some(second)).await;
    assert_eq!(
        (second.status, second.body["priority"].as_i64()),
        (201, Some(40)),
        "{}",
        second.body
    );
    let second_id = second.body["id"].as_str().unwrap().to_string();
    let mut taken = body.clone();
    taken["priority"] = json!(40);
    let taken = o.call("POST", "/realm-assignments", Some(taken)).await;
    assert_eq!(taken.code(), "E0000001");
    assert!(taken.body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap()
        .starts_with("priority: "));
    // PUT replaces (and may move it).
    let mut replaced = second.body.clone();
    replaced["name"] = json!("Nobody at all");
    replaced["priority"] = json!(41);
    let replaced = o
        .call(
            "PUT",
            &format!("/realm-assignments/{second_id}"),
            Some(replaced),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(
        (
            replaced.body["name"].as_str(),
            replaced.body["priority"].as_i64()
        ),
        (Some("Nobody at all"), Some(41))
    );

    // Paging by priority, one at a time, following `next`; the catch-all last.
    let mut url = "/realm-assignments?limit=1".to_string();
    let mut seen: Vec<Value> = Vec::new();
    loop {
        let page = o.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.as_array().unwrap().len() <= 1);
        seen.extend(page.body.as_array().unwrap().iter().cloned());
        match next_link(&page) {
            Some(next) => url = next,
            None => break,
        }
    }
    let priorities: Vec<i64> = seen
        .iter()
        .map(|r| r["priority"].as_i64().unwrap())
        .collect();
    assert!(priorities.windows(2).all(|w| w[0] < w[1]), "{priorities:?}");
    assert!(seen.iter().any(|r| r["id"] == rule_id.as_str()));
    assert_eq!(seen.last().unwrap()["isDefault"], true);
    assert_eq!(
        seen.len(),
        o.get("/realm-assignments?limit=200")
            .await
            .body
            .as_array()
            .unwrap()
            .len()
    );

    // Activate: 204.
    let on = o
        .call(
            "POST",
            &format!("/realm-assignments/{rule_id}/lifecycle/activate"),
            None,
        )
        .await;
    assert_eq!((on.status, &on.body), (204, &Value::Null));
    assert_eq!(
        o.get(&format!("/realm-assignments/{rule_id}")).await.body["status"],
        "ACTIVE"
    );

    // Our dry run: who would move, nothing moved; never among Okta's operations.
    let plan = o
        .call(
            "POST",
            "/realm-assignments/plans",
            Some(json!({"assignmentId": rule_id})),
        )
        .await;
    assert_eq!(plan.status, 201, "{}", plan.body);
    assert_eq!(plan.body["status"], "PLANNED");
    assert_eq!(plan.body["numUserPlanned"], 3);
    let planned: Vec<&str> = plan.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    for id in &moving {
        assert!(planned.contains(&id.as_str()), "{planned:?}");
    }
    assert!(plan.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["toRealmId"] == movers.as_str()));
    let plan_id = plan.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        o.get(&format!("/realm-assignments/plans/{plan_id}"))
            .await
            .body["numUserPlanned"],
        3
    );
    assert_eq!(o.get(&format!("/operations/{plan_id}")).await.status, 404);
    assert_ne!(realm_of(&o, &moving[0]).await, movers);

    // Execute: 201 realm:assignment; poll until COMPLETED; the users moved.
    let run = o
        .call(
            "POST",
            "/realm-assignments/operations",
            Some(json!({"assignmentId": rule_id})),
        )
        .await;
    assert_eq!(run.status, 201, "{}", run.body);
    assert_eq!(run.body["type"], "realm:assignment");
    assert!(
        OKTA_STATUSES.contains(&run.body["status"].as_str().unwrap()),
        "{}",
        run.body
    );
    assert_eq!(
        run.body["assignmentOperation"]["configuration"]["id"],
        rule_id.as_str()
    );
    assert_eq!(
        run.body["assignmentOperation"]["configuration"]["name"],
        "Movers by email"
    );
    assert_eq!(run.body["realmId"], movers.as_str());
    assert_eq!(run.body["realmName"], "Movers");
    let run_id = run.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        run.body["_links"]["self"]["href"],
        format!("{}/api/v1/operations/{run_id}", rig.portal.base)
    );
    let done = completed(&o, &run_id).await;
    assert_eq!(done["numUserMoved"], 3);
    assert!(done["completed"].is_string() && done["started"].is_string());
    for id in &moving {
        assert_eq!(realm_of(&o, id).await, movers);
    }

    // A plan of every assignment at once.
    let all_plan = o
        .call(
            "POST",
            "/realm-assignments/plans",
            Some(json!({"assignmentId": "ALL"})),
        )
        .await;
    assert_eq!(all_plan.status, 201, "{}", all_plan.body);
    assert_eq!(all_plan.body["assignmentId"], "ALL");
    assert!(all_plan.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| !moving.contains(&u["id"].as_str().unwrap().to_string())));

    // The runs, newest first, Okta statuses only, no plans.
    let runs = o.get("/realm-assignments/operations").await;
    assert_eq!(runs.status, 200, "{}", runs.body);
    let runs = runs.body.as_array().unwrap();
    assert_eq!(runs[0]["id"], run_id.as_str());
    assert!(runs
        .iter()
        .all(|r| OKTA_STATUSES.contains(&r["status"].as_str().unwrap())
            && r["type"] == "realm:assignment"));
    assert!(runs
        .iter()
        .all(|r| r["id"] != plan_id.as_str() && r["id"] != all_plan.body["id"]));

    // The partner admin: reads only its realms' assignments, changes none,
    // reads no run.
    let hers = alice.get("/realm-assignments").await;
    assert_eq!(hers.status, 200);
    assert!(hers
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != rule_id.as_str()));
    let denied = alice
        .call("POST", "/realm-assignments", Some(body.clone()))
        .await;
    assert_eq!((denied.status, denied.code()), (403, "E0000006"));
    assert_eq!(
        alice
            .get(&format!("/realm-assignments/{rule_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        alice
            .call(
                "PUT",
                &format!("/realm-assignments/{rule_id}"),
                Some(body.clone())
            )
            .await
            .status,
        404
    );
    assert_eq!(
        alice
            .call("DELETE", &format!("/realm-assignments/{rule_id}"), None)
            .await
            .status,
        403
    );
    for path in [
        format!("/operations/{run_id}"),
        "/realm-assignments/operations".to_string(),
    ] {
        let a = alice.get(&path).await;
        assert!([403, 404].contains(&a.status), "{path}: {}", a.status);
    }
    let denied = alice
        .call(
            "POST",
            "/realm-assignments/operations",
            Some(json!({"assignmentId": "ALL"})),
        )
        .await;
    assert_eq!(denied.status, 403);

    // System Log: the creation, with the token named.
    let filter = urlencode("eventType eq \"directory.realm.assignment.create\"");
    let created_events = o.get(&format!("/logs?filter={filter}")).await;
    assert_eq!(created_events.status, 200, "{}", created_events.body);
    let event = created_events
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["target"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == rule_id.as_str())
        })
        .expect("the creation event")
        .clone();
    assert!(
        event["transaction"]["detail"]["requestApiTokenId"].is_string(),
        "{event}"
    );
    assert!(created_events
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["eventType"] == "directory.realm.assignment.create"));
    // `or` between event types; actor.id; keywords.
    let either = urlencode(&format!(
        "(eventType eq \"directory.realm.assignment.activate\" or eventType eq \"directory.realm.assignment.execution_started\") and actor.id eq \"{}\"",
        event["actor"]["id"].as_str().unwrap()
    ));
    let both = o.get(&format!("/logs?filter={either}")).await;
    let types: Vec<&str> = both
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"directory.realm.assignment.activate")
            && types.contains(&"directory.realm.assignment.execution_started"),
        "{types:?}"
    );
    let by_target = o
        .get(&format!(
            "/logs?filter={}",
            urlencode(&format!("target.id eq \"{}\"", moving[0]))
        ))
        .await;
    assert!(by_target
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["eventType"] == "user.realm.update"));
    let keyword = o
        .get(&format!("/logs?q={}", urlencode("Movers by email")))
        .await;
    assert!(!keyword.body.as_array().unwrap().is_empty());
    assert_eq!(
        o.get(&format!("/logs?filter={}", urlencode("published gt \"x\"")))
            .await
            .code(),
        "E0000001"
    );
    assert_eq!(o.get("/logs?sortOrder=SIDEWAYS").await.code(), "E0000001");

    // ASCENDING, two at a time; the last page still has `next` (polling).
    let rules_filter = urlencode("eventType sw \"directory.realm.assignment.\"");
    let mut url = format!("/logs?filter={rules_filter}&limit=2");
    let mut paged: Vec<Value> = Vec::new();
    let poll = loop {
        let page = o.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body.as_array().unwrap().clone();
        assert!(items.len() <= 2);
        let next = next_link(&page).expect("ascending pages always have next");
        assert!(
            next.starts_with(&format!("{}/api/v1/logs?", rig.portal.base)),
            "{next}"
        );
        if items.is_empty() {
            break next;
        }
        paged.extend(items);
        url = next;
    };
    let stored = events(&rig, "directory.realm.assignment.").await;
    assert_eq!(paged.len(), stored.len());
    let published: Vec<&str> = paged
        .iter()
        .map(|e| e["published"].as_str().unwrap())
        .collect();
    assert!(published.windows(2).all(|w| w[0] <= w[1]), "{published:?}");
    let mut uuids: Vec<&str> = paged.iter().map(|e| e["uuid"].as_str().unwrap()).collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), paged.len());
    // Polling again: nothing new, still `next`; then a new event shows up.
    let again = o.get(&poll).await;
    assert_eq!(again.body.as_array().unwrap().len(), 0);
    assert!(next_link(&again).is_some());
    let off = o
        .call(
            "POST",
            &format!("/realm-assignments/{second_id}/lifecycle/activate"),
            None,
        )
        .await;
    assert_eq!(off.status, 204);
    let dropped = o
        .call("DELETE", &format!("/realm-assignments/{second_id}"), None)
        .await;
    assert_eq!(dropped.status, 204);
    assert_eq!(
        o.get(&format!("/realm-assignments/{second_id}"))
            .await
            .status,
        404
    );
    let fresh = o.get(&poll).await;
    let fresh_types: Vec<&str> = fresh
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        fresh_types,
        [
            "directory.realm.assignment.activate",
            "directory.realm.assignment.delete"
        ]
    );
    // DESCENDING, or with `until`: `next` only while more remain.
    let newest = o
        .get(&format!(
            "/logs?filter={rules_filter}&limit=2&sortOrder=DESCENDING"
        ))
        .await;
    assert_eq!(
        newest.body[0]["eventType"],
        "directory.realm.assignment.delete"
    );
    let mut url = next_link(&newest).expect("more remain");
    let mut descending = 2;
    loop {
        let page = o.get(&url).await;
        descending += page.body.as_array().unwrap().len();
        match next_link(&page) {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(descending, stored.len() + 2);
    let bounded = o
        .get(&format!(
            "/logs?filter={rules_filter}&until={}",
            urlencode("2000-01-01T00:00:00Z")
        ))
        .await;
    assert_eq!(bounded.body.as_array().unwrap().len(), 0);
    assert!(next_link(&bounded).is_none());

    // The partner admin's log: only events about its realms.
    let acme_user = o.get("/users/dana.designer@acme.test").await.body;
    let acme = acme_user["realmId"].as_str().unwrap().to_string();
    let edit = o
        .call(
            "POST",
            &format!("/users/{}", acme_user["id"].as_str().unwrap()),
            Some(json!({"profile": {"mobilePhone": "+1 555 0100"}})),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let hers = alice.get("/logs?limit=1000").await;
    assert_eq!(hers.status, 200);
    let hers = hers.body.as_array().unwrap();
    assert!(hers.iter().any(|e| e["target"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == acme_user["id"])));
    assert!(hers.iter().all(|e| !e["eventType"]
        .as_str()
        .unwrap()
        .starts_with("directory.realm.assignment")));
    assert!(hers
        .iter()
        .all(|e| !e["target"].as_array().unwrap().iter().any(|t| moving
            .contains(&t["id"].as_str().unwrap_or("").to_string())
            || t["id"] == movers.as_str())));
    assert_ne!(acme, movers);

    // ALL: one operation of every active assignment; the rule's users stay.
    let all = o
        .call(
            "POST",
            "/realm-assignments/operations",
            Some(json!({"assignmentId": "ALL"})),
        )
        .await;
    assert_eq!(all.status, 201, "{}", all.body);
    assert_eq!(
        all.body["assignmentOperation"]["configuration"],
        json!({"id": "ALL", "name": "All Assignments"})
    );
    let all_id = all.body["id"].as_str().unwrap().to_string();
    completed(&o, &all_id).await;
    for id in &moving {
        assert_eq!(realm_of(&o, id).await, movers);
    }
    let runs = o.get("/realm-assignments/operations?limit=1").await;
    assert_eq!(runs.body[0]["id"], all_id.as_str());
    let older = o.get(&next_link(&runs).expect("an older run")).await;
    assert_eq!(older.body[0]["id"], run_id.as_str());
    let off = o
        .call(
            "POST",
            &format!("/realm-assignments/{rule_id}/lifecycle/deactivate"),
            None,
        )
        .await;
    assert_eq!(off.status, 204);
    assert_eq!(
        o.get(&format!("/realm-assignments/{rule_id}")).await.body["status"],
        "INACTIVE"
    );
}
