//! CSV imports of users, called as operations (no HTTP) on SQLite and
//! PostgreSQL: the preview checks every line as the create form would (the
//! realm's domains, required and typed attributes) plus duplicates within the
//! file and usernames already taken, and writes nothing; the run creates each
//! valid line with its `user.lifecycle.create` event as the importing admin,
//! reports every line, resumes after a restart and stops when the admin
//! loses the right; a partner admin imports into its realms only and sees
//! only its own imports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use app::authz::{check, OrgContext, Permission, Principal, Target};
use app::ctx::Ctx;
use app::error::AppError;
use app::ids::ImportId;
use app::model::imports::{Import, ImportRow, ImportStatus, RowResult};
use app::model::{LifecycleOp, Realm, User, UserStatus};
use app::ops::imports::{self, Upload};
use app::store::imports::NewImport;
use app::store::users::AttributeType;
use app::store::{Store, StoreError};
use common::{on_both, principal, realm};

struct World {
    store: Store,
    org: OrgContext,
    /// Super admin (org-wide).
    olivia: Ctx,
    /// Acme's partner admin.
    alice: Ctx,
    alice_user: User,
    acme: Realm,
    globex: Realm,
}

async fn world(store: Store) -> World {
    let org = app::store::setup::bootstrap(&store, "http://127.0.0.1:3000")
        .await
        .unwrap();
    // Attributes first: a required one cannot be added while users lack it.
    let define = |name: &'static str, title: &'static str, t: AttributeType, required: bool| {
        let store = store.clone();
        async move {
            store
                .define_profile_attribute(
                    &common::system(Permission::UsersManage, Target::Org),
                    app::store::users::AttributeDef {
                        name: name.into(),
                        title: title.into(),
                        attr_type: t,
                        required,
                    },
                )
                .await
                .unwrap();
        }
    };
    define("partnerId", "Partner ID", AttributeType::String, true).await;
    define("contractor", "Contractor", AttributeType::Boolean, false).await;
    let acme = realm(&store, "Acme", &["acme.test"]).await;
    let globex = realm(&store, "Globex", &["globex.test"]).await;
    let home = realm(&store, "HostCo", &["hostco.test"]).await;
    let with_id = |id: &str| {
        let mut custom = serde_json::Map::new();
        custom.insert("partnerId".into(), id.into());
        custom
    };
    let olivia = common::create_user(
        &store,
        &home,
        common::profile("olivia@hostco.test", "Olivia", "Owner"),
        with_id("H-1"),
    )
    .await
    .unwrap();
    common::super_admin(&store, &olivia).await;
    let alice_user = common::create_user(
        &store,
        &acme,
        common::profile("alice@acme.test", "Alice", "Admin"),
        with_id("A-1"),
    )
    .await
    .unwrap();
    let alice = common::partner_admin(&store, &org, &[&acme], &alice_user).await;
    common::create_user(
        &store,
        &acme,
        common::profile("erin@acme.test", "Erin", "Existing"),
        with_id("A-2"),
    )
    .await
    .unwrap();
    let olivia = common::cx(&store, &org, &principal(&store, &org, &olivia).await);
    let alice = common::cx(&store, &org, &alice);
    World {
        store,
        org,
        olivia,
        alice,
        alice_user,
        acme,
        globex,
    }
}

fn upload(realm: &Realm, lines: &[&str]) -> Upload {
    Upload {
        realm_id: Some(realm.id.clone()),
        file_name: "C:\\Users\\me\\people.csv".into(),
        bytes: lines.join("\r\n").into_bytes(),
        activate: false,
    }
}

/// A refusal: `Forbidden` (visible, not allowed) or `NotFound` (not visible).
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>) {
    match result {
        Err(AppError::Forbidden | AppError::NotFound) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A field error on `field` whose message contains `text`.
#[track_caller]
fn field_error<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str, text: &str) {
    match result {
        Err(AppError::Validation { fields, .. })
            if fields
                .iter()
                .any(|f| f.field == field && f.message.contains(text)) => {}
        other => panic!("expected a field error on {field} saying {text:?}, got {other:?}"),
    }
}

async fn rows(cx: &Ctx, id: &ImportId) -> Vec<ImportRow> {
    imports::get(cx, id, None, 0).await.unwrap().rows
}

/// The import once its run has ended.
async fn finished(cx: &Ctx, id: &ImportId) -> Import {
    for _ in 0..500 {
        let import = imports::get(cx, id, None, 0).await.unwrap().import;
        if !import.is_running() {
            return import;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the import did not finish");
}

async fn user_count(store: &Store) -> u64 {
    store.count_users().await.unwrap()
}

const HEADER: &str = "login,firstName,lastName,email,partnerId,title,contractor";

/// Lines 2–10 of a mixed file: one valid, the rest wrong in one way each.
const MIXED: [&str; 9] = [
    "ann@acme.test,Ann,Archer,ann@acme.test,P-1,Engineer,",
    "bob@globex.test,Bob,Baker,bob@globex.test,P-2,,",
    "ANN@acme.test,Ann,Again,ann@acme.test,P-3,,",
    "erin@acme.test,Erin,Again,erin@acme.test,P-4,,",
    "cat@acme.test,Cat,Cole,cat@acme.test,,,",
    "dan@acme.test,Dan,Dale,dan@acme.test,P-6,,maybe",
    "eve@acme.test,,Eve,eve@acme.test,P-7,,",
    "=1+2,Formula,Cell,mal@acme.test,P-8,,",
    "fred@acme.test,Fred,Fox,fred@acme.test,P-9,,yes",
];

fn mixed() -> Vec<&'static str> {
    let mut lines = vec![HEADER];
    lines.extend(MIXED);
    lines
}

#[tokio::test]
async fn the_preview_checks_every_line_and_writes_nothing() {
    on_both(|store, engine| async move {
        let w = world(store).await;
        let users = user_count(&w.store).await;
        let events = w.store.count_events("user.lifecycle.create").await.unwrap();
        let import = imports::preview(&w.alice, upload(&w.acme, &mixed()))
            .await
            .unwrap();
        assert_eq!(import.status, ImportStatus::Preview);
        assert_eq!(import.file_name, "people.csv");
        assert_eq!((import.num_rows, import.num_valid), (9, 1), "{engine}");
        assert_eq!(import.ignored, vec!["title".to_string()]);
        let rows = rows(&w.alice, &import.id).await;
        let expect = |line: i64, result: RowResult, text: &str| {
            let row = rows.iter().find(|r| r.line == line).unwrap();
            assert_eq!(row.result, result, "{engine}: line {line}: {row:?}");
            let message = row.message.clone().unwrap_or_default();
            assert!(message.contains(text), "{engine}: line {line}: {message}");
        };
        expect(2, RowResult::Valid, "");
        expect(
            3,
            RowResult::Invalid,
            "must be in one of these domains: acme.test",
        );
        expect(4, RowResult::Invalid, "The same username as line 2");
        expect(5, RowResult::Invalid, "This username is already taken");
        expect(6, RowResult::Invalid, "partnerId: Partner ID is required");
        expect(7, RowResult::Invalid, "contractor: Enter true or false");
        expect(8, RowResult::Invalid, "firstName: Enter a first name");
        expect(
            9,
            RowResult::Invalid,
            "login: A username is an email address",
        );
        // Nothing was written to the directory.
        assert_eq!(user_count(&w.store).await, users);
        assert_eq!(
            w.store.count_events("user.lifecycle.create").await.unwrap(),
            events
        );
        // Starting an import with nothing valid is refused.
        let nothing = imports::preview(&w.alice, upload(&w.acme, &[HEADER, MIXED[1]]))
            .await
            .unwrap();
        assert!(matches!(
            imports::start(&w.alice, &nothing.id).await,
            Err(AppError::Conflict { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_file_the_portal_cannot_read_is_refused_whole() {
    on_both(|store, _| async move {
        let w = world(store).await;
        let refuse = |lines: Vec<String>, text: &'static str| {
            let alice = w.alice.clone();
            let acme = w.acme.clone();
            async move {
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                field_error(
                    imports::preview(&alice, upload(&acme, &lines)).await,
                    "file",
                    text,
                );
            }
        };
        let row = "ann@acme.test,Ann,Archer,ann@acme.test,P-1";
        let own = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        refuse(
            own(&[
                "login,firstName,lastName,email,partnerId,favouriteColour",
                row,
            ]),
            "Unknown column favouriteColour",
        )
        .await;
        refuse(
            own(&[
                "login,firstName,lastName,partnerId",
                "ann@acme.test,Ann,Archer,P-1",
            ]),
            "required attribute email",
        )
        .await;
        refuse(
            own(&[
                "login,firstName,lastName,email",
                "ann@acme.test,Ann,Archer,ann@acme.test",
            ]),
            "required attribute partnerId",
        )
        .await;
        refuse(
            own(&["login,firstName,lastName,email,partnerId,Email", row]),
            "appears twice",
        )
        .await;
        refuse(
            own(&["login,firstName,lastName,email,partnerId"]),
            "no users",
        )
        .await;
        refuse(own(&[""]), "empty").await;
        let mut many = vec!["login,firstName,lastName,email,partnerId".to_string()];
        many.extend((0..5001).map(|i| format!("u{i}@acme.test,U,{i},u{i}@acme.test,P")));
        refuse(many, "more than 5000 lines").await;
        let big = "x".repeat(app::views::imports::IMPORT_MAX_BYTES + 1);
        refuse(vec![big], "larger than 2 MiB").await;
        let mut latin1 = upload(&w.acme, &["login,firstName,lastName,email,partnerId"]);
        latin1
            .bytes
            .extend_from_slice(b"\r\nz@acme.test,Zo\xe9,Z,z@acme.test,P");
        field_error(imports::preview(&w.alice, latin1).await, "file", "UTF-8");
        // Excel's byte-order mark and Okta's own template columns are fine.
        let mut bom = upload(&w.acme, &[HEADER, MIXED[0]]);
        bom.bytes.splice(0..0, "\u{feff}".bytes());
        assert_eq!(imports::preview(&w.alice, bom).await.unwrap().num_valid, 1);
        // Lines are the file's, whatever the line ends and multi-line cells.
        let mut lf = upload(&w.acme, &[]);
        lf.bytes = format!(
            "{HEADER}\n{}\n\"x@acme.test\",\"Multi\nLine\",X,x@acme.test,P-5,,\n\n{}\n",
            MIXED[0], MIXED[1]
        )
        .into_bytes();
        let import = imports::preview(&w.alice, lf).await.unwrap();
        let lines: Vec<i64> = rows(&w.alice, &import.id)
            .await
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, vec![2, 3, 6]);
    })
    .await;
}

#[tokio::test]
async fn a_partner_admin_imports_into_its_realms_only_and_sees_only_its_imports() {
    on_both(|store, _| async move {
        let w = world(store).await;
        let globex_file = [HEADER, "gus@globex.test,Gus,Green,gus@globex.test,G-1,,"];
        // Another realm is, to Acme's admin, not a choice (as on the create form).
        field_error(
            imports::preview(&w.alice, upload(&w.globex, &globex_file)).await,
            "realmId",
            "Choose a realm",
        );
        let mut none = upload(&w.acme, &globex_file);
        none.realm_id = None;
        field_error(
            imports::preview(&w.alice, none).await,
            "realmId",
            "Choose a realm",
        );
        let form = imports::form(&w.alice).await.unwrap();
        assert_eq!(form.realms, vec![(w.acme.id.to_string(), "Acme".into())]);
        assert!(form
            .columns
            .iter()
            .any(|c| c.name == "partnerId" && c.required));
        // The org admin imports into Globex.
        let olivias = imports::preview(&w.olivia, upload(&w.globex, &globex_file))
            .await
            .unwrap();
        assert_eq!(olivias.num_valid, 1);
        assert!(imports::form(&w.olivia).await.unwrap().realms.len() >= 3);
        // An import is its uploader's: anyone else gets "not found".
        refused(imports::get(&w.alice, &olivias.id, None, 0).await);
        refused(imports::start(&w.alice, &olivias.id).await);
        refused(imports::results_csv(&w.alice, &olivias.id).await);
        let alices = imports::preview(&w.alice, upload(&w.acme, &mixed()))
            .await
            .unwrap();
        refused(imports::get(&w.olivia, &alices.id, None, 0).await);
        refused(imports::start(&w.olivia, &alices.id).await);
        let nobody = common::cx(&w.store, &w.org, &Principal::system());
        refused(imports::get(&nobody, &alices.id, None, 0).await);
        // Only the server's start resumes imports.
        refused(imports::resume(&w.alice).await);
        // Nothing of Globex was written.
        assert!(w
            .store
            .system_user_by_login("gus@globex.test")
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn the_run_creates_each_valid_line_with_its_event_and_reports_every_line() {
    on_both(|store, engine| async move {
        let w = world(store).await;
        let events = w.store.count_events("user.lifecycle.create").await.unwrap();
        let import = imports::preview(&w.alice, upload(&w.acme, &mixed()))
            .await
            .unwrap();
        let message = imports::start(&w.alice, &import.id).await.unwrap();
        assert_eq!(message, "Started: importing 1 user.");
        // Started once only.
        assert!(matches!(
            imports::start(&w.alice, &import.id).await,
            Err(AppError::Conflict { .. })
        ));
        let done = finished(&w.alice, &import.id).await;
        assert_eq!(done.status, ImportStatus::Completed, "{engine}: {done:?}");
        assert_eq!(
            (done.num_created, done.num_skipped, done.num_failed),
            (1, 8, 0)
        );
        assert_eq!(done.percent_done(), 100);
        let ann = w
            .store
            .system_user_by_login("ann@acme.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ann.realm_id, w.acme.id);
        assert_eq!(ann.status, UserStatus::Staged);
        assert_eq!(ann.custom_profile["partnerId"], "P-1");
        assert_eq!(
            w.store.count_events("user.lifecycle.create").await.unwrap(),
            events + 1
        );
        assert_eq!(
            w.store.count_events("system.import.start").await.unwrap(),
            1
        );
        assert_eq!(
            w.store
                .count_events("system.import.complete")
                .await
                .unwrap(),
            1
        );
        // The creation event is Alice's.
        let log = app::ops::log::list(
            &w.olivia,
            &app::ops::log::LogFilter {
                event_type: Some("user.lifecycle.create".into()),
                actor_id: Some(w.alice_user.id.to_string()),
                target_id: Some(ann.id.to_string()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(log.rows.len(), 1, "{engine}");
        let rows = rows(&w.alice, &import.id).await;
        assert_eq!(rows[0].result, RowResult::Created);
        assert_eq!(rows[0].user_id.as_deref(), Some(ann.id.as_str()));
        assert!(rows[1..].iter().all(|r| r.result == RowResult::Skipped));
        // The report: one row per line, formula cells neutralised.
        let csv =
            String::from_utf8(imports::results_csv(&w.alice, &import.id).await.unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "line,login,result,message,user id");
        assert_eq!(lines.len(), 10, "{csv}");
        assert_eq!(lines[1], format!("2,ann@acme.test,created,,{}", ann.id));
        assert!(lines[2].starts_with("3,bob@globex.test,skipped,"), "{csv}");
        assert!(lines[8].starts_with("9,'=1+2,skipped,"), "{csv}");
    })
    .await;
}

#[tokio::test]
async fn a_line_taken_since_the_preview_fails_and_the_others_go_on() {
    on_both(|store, _| async move {
        let w = world(store).await;
        // The org admin may set every attribute.
        let import = imports::preview(
            &w.olivia,
            upload(
                &w.acme,
                &[
                    HEADER,
                    "fay@acme.test,Fay,Fox,fay@acme.test,P-1,,yes",
                    "gil@acme.test,Gil,Gray,gil@acme.test,P-2,,No",
                    "hub@acme.test,Hub,Hart,hub@acme.test,P-3,,1",
                ],
            ),
        )
        .await
        .unwrap();
        assert_eq!(import.num_valid, 3);
        let mut custom = serde_json::Map::new();
        custom.insert("partnerId".into(), "X".into());
        common::create_user(
            &w.store,
            &w.acme,
            common::profile("fay@acme.test", "Fay", "First"),
            custom,
        )
        .await
        .unwrap();
        imports::start(&w.olivia, &import.id).await.unwrap();
        let done = finished(&w.olivia, &import.id).await;
        assert_eq!(
            (done.status, done.num_created, done.num_failed),
            (ImportStatus::Completed, 2, 1)
        );
        let rows = rows(&w.olivia, &import.id).await;
        assert_eq!(rows[0].result, RowResult::Failed);
        assert!(rows[0]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("already taken"));
        assert_eq!(rows[1].result, RowResult::Created);
        let gil = w
            .store
            .system_user_by_login("gil@acme.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gil.custom_profile["contractor"], false);
        let hub = w
            .store
            .system_user_by_login("hub@acme.test")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hub.custom_profile["contractor"], true);
    })
    .await;
}

/// A started import whose server stopped before running it.
async fn started_without_a_runner(w: &World, lines: &[&str]) -> ImportId {
    let import = imports::preview(&w.alice, upload(&w.acme, lines))
        .await
        .unwrap();
    let grant = check(
        &w.alice.principal,
        Permission::UsersCreate,
        &Target::NewUserIn {
            realm_id: w.acme.id.clone(),
        },
    )
    .unwrap();
    // Started by an instance that stopped at once: its lease has run out.
    let stopped =
        app::store::leases::Lease::new(std::time::Duration::ZERO).held_by("a stopped instance");
    w.store
        .clone()
        .with_lease(stopped)
        .start_import(&grant, &w.alice_user.id, &import.id)
        .await
        .unwrap();
    import.id
}

#[tokio::test]
async fn an_import_resumes_after_a_restart_as_its_admin() {
    on_both(|store, _| async move {
        let w = world(store).await;
        let id = started_without_a_runner(
            &w,
            &[
                HEADER,
                "hal@acme.test,Hal,Hill,hal@acme.test,P-1,,",
                "ivy@acme.test,Ivy,Ives,ivy@acme.test,P-2,,",
                "jo@acme.test,Jo,Jones,jo@acme.test,P-3,,",
            ],
        )
        .await;
        assert!(imports::get(&w.alice, &id, None, 0)
            .await
            .unwrap()
            .import
            .is_running());
        let events = w.store.count_events("user.lifecycle.create").await.unwrap();
        // What the server does at start.
        let boot = common::cx(&w.store, &w.org, &Principal::system());
        assert_eq!(imports::resume(&boot).await.unwrap(), 1);
        let done = finished(&w.alice, &id).await;
        assert_eq!(
            (done.status, done.num_created),
            (ImportStatus::Completed, 3)
        );
        let created = rows(&w.alice, &id).await;
        assert!(created.iter().all(|r| r.result == RowResult::Created));
        // Resuming again finds nothing to do; nothing is created twice.
        assert_eq!(imports::resume(&boot).await.unwrap(), 0);
        assert_eq!(
            w.store.count_events("user.lifecycle.create").await.unwrap(),
            events + 3
        );
    })
    .await;
}

#[tokio::test]
async fn an_import_stops_when_its_admin_loses_the_right() {
    on_both(|store, _| async move {
        let w = world(store).await;
        let id =
            started_without_a_runner(&w, &[HEADER, "kim@acme.test,Kim,King,kim@acme.test,P-1,,"])
                .await;
        app::ops::users::apply_lifecycle(&w.olivia, &w.alice_user.id, LifecycleOp::Deactivate)
            .await
            .unwrap();
        let boot = common::cx(&w.store, &w.org, &Principal::system());
        imports::resume(&boot).await.unwrap();
        // Alice can no longer look: her import is read as the system would.
        let mut status = ImportStatus::InProgress;
        for _ in 0..500 {
            let import = w
                .store
                .get_import(
                    &app::authz::scope(&Principal::system(), Permission::UsersCreate),
                    &w.alice_user.id,
                    &id,
                )
                .await
                .unwrap();
            status = import.status;
            if status != ImportStatus::InProgress {
                assert_eq!(import.num_failed, 1);
                assert!(import
                    .message
                    .unwrap_or_default()
                    .contains("no longer an active user"));
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status, ImportStatus::Failed);
        assert!(w
            .store
            .system_user_by_login("kim@acme.test")
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[track_caller]
fn internal<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Internal(_))),
        "expected a refused grant, got {result:?}"
    );
}

#[tokio::test]
async fn the_import_writes_take_only_a_grant_to_create_users_in_the_realm() {
    on_both(|store, _| async move {
        let w = world(store).await;
        let in_acme = Target::NewUserIn {
            realm_id: w.acme.id.clone(),
        };
        // Minted by the kernel, but for a neighbouring permission or target.
        let neighbour = common::system(Permission::UsersLifecycleActivate, in_acme);
        let org_wide = common::system(Permission::UsersCreate, Target::Org);
        let import = imports::preview(&w.alice, upload(&w.acme, &[HEADER, MIXED[0]]))
            .await
            .unwrap();
        for grant in [&neighbour, &org_wide] {
            let new = NewImport {
                file_name: "x.csv".into(),
                activate: false,
                ignored: Vec::new(),
                rows: Vec::new(),
            };
            internal(w.store.create_import(grant, &w.alice_user.id, new).await);
            internal(
                w.store
                    .start_import(grant, &w.alice_user.id, &import.id)
                    .await,
            );
            internal(w.store.fail_import_row(grant, &import.id, 2, "x").await);
            internal(w.store.finish_import(grant, &import.id, Some("x")).await);
            internal(w.store.logins_taken(grant, &["a@acme.test".into()]).await);
        }
        // Another realm's grant starts nothing.
        let in_globex = common::system(
            Permission::UsersCreate,
            Target::NewUserIn {
                realm_id: w.globex.id.clone(),
            },
        );
        assert!(matches!(
            w.store
                .start_import(&in_globex, &w.alice_user.id, &import.id)
                .await,
            Err(StoreError::NotFound)
        ));
        let still = imports::get(&w.alice, &import.id, None, 0).await.unwrap();
        assert_eq!(still.import.status, ImportStatus::Preview);
    })
    .await;
}
