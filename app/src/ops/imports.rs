//! CSV imports of users into a realm. An upload is parsed and every line is
//! checked as the create form would check it — the realm the caller may create
//! users in, the realm's domains, required and typed attributes, the custom
//! attributes the caller may set — plus duplicates within the file and
//! usernames already taken; the preview is stored, nothing is written to the
//! directory. Starting it runs the valid lines in the background as the
//! admin who uploaded it, with the rights that admin holds at each batch:
//! each line goes through `users::prepare_create` (the form's checks) and is
//! created with its `user.lifecycle.create` event in the transaction that
//! marks it done. A restart resumes what is left. An import is its
//! uploader's: anyone else gets "not found".
//!
//! Columns: Okta's import template. The attributes the portal keeps
//! (`model::BASE_ATTRIBUTES`) and the custom attributes of the profile schema
//! are read; the template's other columns (title, city, …) are ignored and
//! the preview names them; any other column refuses the file, so that a
//! misspelt attribute is not silently dropped.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::authz::{check, realms_for_new_users, scope, Client, Permission, Principal, Target};
use crate::ctx::Ctx;
use crate::error::{AppError, FieldError};
use crate::ids::{ImportId, RealmId, UserId};
use crate::model::imports::{Import, RowResult};
use crate::model::{BaseProfile, BASE_ATTRIBUTES};
use crate::store::imports::{NewImport, NewImportRow};
use crate::store::leases::Job;
use crate::store::users::{AttributeDef, AttributeType, NewUser};
use crate::store::StoreError;
use crate::views::imports::{
    ImportColumn, ImportForm, ImportView, IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, IMPORT_ROWS_PAGE,
    RESULT_COLUMNS,
};

use super::access::org_level;
use super::users::{csv_safe_cell, prepare_create, NewUserInput};

/// The columns of Okta's user import template.
pub const OKTA_TEMPLATE_COLUMNS: [&str; 31] = [
    "login",
    "firstName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "email",
    "title",
    "displayName",
    "nickName",
    "profileUrl",
    "secondEmail",
    "mobilePhone",
    "primaryPhone",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "postalAddress",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
];

/// Columns every file must have (Okta's required attributes).
const REQUIRED_COLUMNS: [&str; 4] = ["login", "email", "firstName", "lastName"];

/// Lines created between two looks at the importer's rights.
const RUN_BATCH: i64 = 25;

/// An uploaded file and the choices made beside it.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// `None`: none (or no valid one) chosen.
    pub realm_id: Option<RealmId>,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Activate the users (otherwise staged).
    pub activate: bool,
}

fn file_error(message: impl Into<String>) -> AppError {
    AppError::validation("file", message)
}

/// What the upload form offers: the realms the caller may create users in
/// and the columns a file may have (base attributes, then the custom
/// attributes it may or must set).
pub async fn form(cx: &Ctx) -> Result<ImportForm, AppError> {
    let principal = &cx.principal;
    let readable = cx
        .store
        .list_realms(&scope(principal, Permission::RealmsRead))
        .await?;
    let realms = realms_for_new_users(principal, readable)
        .into_iter()
        .map(|r| (r.id.to_string(), r.name))
        .collect();
    let mut columns: Vec<ImportColumn> = BASE_ATTRIBUTES
        .iter()
        .map(|name| ImportColumn {
            name: (*name).to_string(),
            required: REQUIRED_COLUMNS.contains(name),
            custom: false,
        })
        .collect();
    columns.extend(
        cx.store
            .profile_schema()
            .await?
            .into_iter()
            .filter(|a| a.required || crate::authz::may_set_attribute(principal, &a.name))
            .map(|a| ImportColumn {
                name: a.name,
                required: a.required,
                custom: true,
            }),
    );
    Ok(ImportForm { realms, columns })
}

/// What one column of the file holds.
#[derive(Debug, Clone)]
enum Column {
    Base(&'static str),
    Custom(AttributeDef),
    Ignored,
}

/// The file's columns from its header, and the template columns it ignores.
fn columns_of(
    headers: &csv::StringRecord,
    schema: &[AttributeDef],
) -> Result<(Vec<Column>, Vec<String>), AppError> {
    let mut columns = Vec::with_capacity(headers.len());
    let mut ignored = Vec::new();
    let mut seen = HashSet::new();
    for (i, raw) in headers.iter().enumerate() {
        let name = raw.trim();
        if name.is_empty() {
            return Err(file_error(format!(
                "Column {} of the header has no name.",
                i + 1
            )));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(file_error(format!("The column {name} appears twice.")));
        }
        let same = |known: &str| known.eq_ignore_ascii_case(name);
        let column = if let Some(base) = BASE_ATTRIBUTES.iter().find(|b| same(b)) {
            Column::Base(base)
        } else if let Some(def) = schema.iter().find(|d| same(&d.name)) {
            Column::Custom(def.clone())
        } else if let Some(template) = OKTA_TEMPLATE_COLUMNS.iter().find(|t| same(t)) {
            ignored.push((*template).to_string());
            Column::Ignored
        } else {
            return Err(file_error(format!(
                "Unknown column {name}: it is neither a column of Okta's import template nor an attribute of the user profile."
            )));
        };
        columns.push(column);
    }
    let has = |name: &str| {
        columns.iter().any(|c| match c {
            Column::Base(b) => *b == name,
            Column::Custom(d) => d.name == name,
            Column::Ignored => false,
        })
    };
    let mut missing: Vec<String> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !has(c))
        .map(|c| (*c).to_string())
        .collect();
    missing.extend(
        schema
            .iter()
            .filter(|d| d.required && !has(&d.name))
            .map(|d| d.name.clone()),
    );
    if !missing.is_empty() {
        return Err(file_error(format!(
            "The file has no column for the required attribute{} {}.",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        )));
    }
    Ok((columns, ignored))
}

/// A boolean cell as text the profile schema takes (`true` / `false`).
fn boolean_cell(cell: &str) -> Option<&'static str> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some("true"),
        "false" | "no" | "n" | "0" => Some("false"),
        _ => None,
    }
}

/// The line of the file a record starts on, from its byte offset (the CSV
/// reader counts CRLF line ends a line late), counted forward only.
struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: i64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, byte: usize) -> i64 {
        // A record's offset may point at the end of the line before it.
        let mut start = byte.min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            start += 1;
        }
        if start >= self.at {
            let between = self.text.get(self.at..start).unwrap_or_default();
            self.line += between.iter().filter(|b| **b == b'\n').count() as i64;
            self.at = start;
        }
        self.line
    }
}

/// One parsed data line: its values by attribute name and what is wrong with
/// its cells.
struct ParsedLine {
    line: i64,
    profile: Map<String, Value>,
    errors: Vec<String>,
}

/// The file's data lines (blank lines left out), or why the file cannot be
/// read at all.
fn parse(
    bytes: &[u8],
    schema: &[AttributeDef],
) -> Result<(Vec<ParsedLine>, Vec<String>), AppError> {
    if bytes.len() > IMPORT_MAX_BYTES {
        return Err(file_error(format!(
            "The file is larger than {} MiB; split it.",
            IMPORT_MAX_BYTES / (1024 * 1024)
        )));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| file_error("The file is not UTF-8 text: save it as \"CSV UTF-8\"."))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(file_error(
            "The file is empty: choose a CSV file with a header line.",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| file_error(format!("The header line cannot be read: {e}.")))?
        .clone();
    let (columns, ignored) = columns_of(&headers, schema)?;
    let mut counter = LineCounter {
        text: text.as_bytes(),
        at: 0,
        line: 1,
    };
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let at = e
                .position()
                .map(|p| format!("Line {}", p.line()))
                .unwrap_or_else(|| "A line".to_string());
            file_error(format!("{at} cannot be read as CSV: {e}."))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if lines.len() == IMPORT_MAX_ROWS {
            return Err(file_error(format!(
                "The file has more than {IMPORT_MAX_ROWS} lines of users; split it."
            )));
        }
        let line = match record.position() {
            Some(p) => counter.line_at(p.byte() as usize),
            None => lines.len() as i64 + 2,
        };
        let mut errors = Vec::new();
        if record.len() != columns.len() {
            errors.push(format!(
                "This line has {} fields; the header has {}.",
                record.len(),
                columns.len()
            ));
        }
        let mut profile = Map::new();
        for (column, cell) in columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            match column {
                Column::Base(name) => {
                    profile.insert((*name).to_string(), cell.into());
                }
                Column::Custom(def) if def.attr_type == AttributeType::Boolean => {
                    match boolean_cell(cell) {
                        Some(b) => {
                            profile.insert(def.name.clone(), b.into());
                        }
                        None => errors.push(format!("{}: Enter true or false.", def.name)),
                    }
                }
                Column::Custom(def) => {
                    profile.insert(def.name.clone(), cell.into());
                }
                Column::Ignored => {}
            }
        }
        lines.push(ParsedLine {
            line,
            profile,
            errors,
        });
    }
    if lines.is_empty() {
        return Err(file_error("The file has a header but no users."));
    }
    Ok((lines, ignored))
}

/// A line's values as the create form's input.
fn input_of(realm_id: &RealmId, activate: bool, profile: &Map<String, Value>) -> NewUserInput {
    let opt = |name: &str| {
        profile
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let text = |name: &str| opt(name).unwrap_or_default();
    NewUserInput {
        realm_id: Some(realm_id.clone()),
        source: None,
        profile: BaseProfile {
            login: text("login"),
            email: text("email"),
            second_email: opt("secondEmail"),
            first_name: text("firstName"),
            last_name: text("lastName"),
            middle_name: opt("middleName"),
            primary_phone: opt("primaryPhone"),
            mobile_phone: opt("mobilePhone"),
        },
        custom: profile
            .iter()
            .filter(|(name, _)| !BASE_ATTRIBUTES.contains(&name.as_str()))
            .filter_map(|(name, v)| v.as_str().map(|v| (name.clone(), v.to_string())))
            .collect(),
        activate,
        groups: Vec::new(),
    }
}

fn field_messages(fields: &[FieldError]) -> impl Iterator<Item = String> + '_ {
    fields.iter().map(|f| match f.field.as_str() {
        "realmId" => "You may not create users in this realm.".to_string(),
        "" => f.message.clone(),
        field => format!("{field}: {}", f.message),
    })
}

/// Why a line was refused, as its report says it.
fn describe(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => field_messages(fields).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Checks an uploaded file line by line and stores the preview: nothing is
/// written to the directory. The realm must be one the caller may create
/// users in.
pub async fn preview(cx: &Ctx, upload: Upload) -> Result<Import, AppError> {
    let choose = || AppError::validation("realmId", "Choose a realm.");
    let realm_id = upload.realm_id.ok_or_else(choose)?;
    let grant = check(
        &cx.principal,
        Permission::UsersCreate,
        &Target::NewUserIn {
            realm_id: realm_id.clone(),
        },
    )
    // A realm the caller may not create in is, to it, not a choice at all.
    .map_err(|_| choose())?;
    let schema = cx.store.profile_schema().await?;
    let (mut lines, ignored) = parse(&upload.bytes, &schema)?;
    // The create form's checks, line by line (the caller's rights), then the
    // store's record checks for those that pass them.
    let mut prepared: Vec<(usize, NewUser)> = Vec::new();
    for (i, line) in lines.iter_mut().enumerate() {
        let input = input_of(&realm_id, upload.activate, &line.profile);
        match prepare_create(cx, input, &schema).await {
            Ok(p) => prepared.push((i, p.new)),
            Err(AppError::Validation { fields, .. }) => line.errors.extend(field_messages(&fields)),
            Err(e) => return Err(e),
        }
    }
    let news: Vec<NewUser> = prepared.iter().map(|(_, n)| n.clone()).collect();
    let checked = cx.store.check_new_users(&grant, &news).await?;
    for ((i, _), errors) in prepared.iter().zip(checked) {
        if let Some(line) = lines.get_mut(*i) {
            line.errors.extend(field_messages(&errors));
        }
    }
    // Duplicates within the file, and usernames already taken.
    let login_of = |line: &ParsedLine| {
        line.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_lowercase()
    };
    let logins: Vec<String> = lines
        .iter()
        .map(login_of)
        .filter(|l| !l.is_empty())
        .collect();
    let taken = cx.store.logins_taken(&grant, &logins).await?;
    let mut first: HashMap<String, i64> = HashMap::new();
    for line in &mut lines {
        let login = login_of(line);
        if login.is_empty() {
            continue;
        }
        if let Some(earlier) = first.get(&login) {
            line.errors
                .push(format!("login: The same username as line {earlier}."));
        } else {
            first.insert(login.clone(), line.line);
            if taken.contains(&login) {
                line.errors
                    .push("login: This username is already taken.".to_string());
            }
        }
    }
    let rows = lines
        .into_iter()
        .map(|line| NewImportRow {
            line: line.line,
            login: line
                .profile
                .get("login")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            profile: line.profile,
            message: (!line.errors.is_empty()).then(|| line.errors.join(" ")),
        })
        .collect();
    let file_name: String = upload
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(200)
        .collect();
    let owner = cx.principal.user_id().ok_or(AppError::Forbidden)?;
    let import = cx
        .store
        .create_import(
            &grant,
            owner,
            NewImport {
                file_name: if file_name.is_empty() {
                    "pasted.csv".to_string()
                } else {
                    file_name
                },
                activate: upload.activate,
                ignored,
                rows,
            },
        )
        .await?;
    Ok(import)
}

/// The caller's own import in a realm it may (still) create users in;
/// anything else is `NotFound`.
async fn load(cx: &Ctx, id: &ImportId) -> Result<Import, AppError> {
    let owner = cx.principal.user_id().ok_or(AppError::NotFound)?;
    Ok(cx
        .store
        .get_import(&scope(&cx.principal, Permission::UsersCreate), owner, id)
        .await?)
}

/// An import with a page of its lines after line `after` (`result`: of one
/// result only).
pub async fn get(
    cx: &Ctx,
    id: &ImportId,
    result: Option<RowResult>,
    after: i64,
) -> Result<ImportView, AppError> {
    let import = load(cx, id).await?;
    let mut rows = cx
        .store
        .import_rows(&import, result, after, IMPORT_ROWS_PAGE + 1)
        .await?;
    let next = if rows.len() as i64 > IMPORT_ROWS_PAGE {
        rows.truncate(IMPORT_ROWS_PAGE as usize);
        rows.last().map(|r| r.line)
    } else {
        None
    };
    let realm = match cx
        .store
        .get_realm(
            &scope(&cx.principal, Permission::RealmsRead),
            &import.realm_id,
        )
        .await
    {
        Ok(realm) => realm.name,
        Err(StoreError::NotFound) => String::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(ImportView {
        import,
        realm,
        rows,
        next,
    })
}

/// Starts a previewed import: its valid lines are created in the background,
/// as the caller, with the rights it holds at each batch.
pub async fn start(cx: &Ctx, id: &ImportId) -> Result<String, AppError> {
    let import = load(cx, id).await?;
    let grant = check(
        &cx.principal,
        Permission::UsersCreate,
        &Target::NewUserIn {
            realm_id: import.realm_id.clone(),
        },
    )?;
    if import.num_valid == 0 {
        return Err(AppError::conflict(
            "No line of this file is valid: there is nothing to import.",
        ));
    }
    let owner = cx.principal.user_id().cloned().ok_or(AppError::NotFound)?;
    let started = cx.store.start_import(&grant, &owner, id).await?;
    tokio::spawn(run(Run {
        cx: cx.clone(),
        id: id.clone(),
        owner,
        realm_id: started.realm_id.clone(),
        activate: started.activate,
        client: cx.principal.client().clone(),
    }));
    Ok(format!(
        "Started: importing {} user{}.",
        started.num_valid,
        if started.num_valid == 1 { "" } else { "s" }
    ))
}

/// Goes on with the imports whose instance stopped (killed, or this one
/// before a restart) once its lease has run out, each as the admin who
/// started it, with the rights that admin holds now; answers how many this
/// instance took over. Every instance calls it from time to time (as the
/// system).
pub async fn resume(cx: &Ctx) -> Result<usize, AppError> {
    org_level(&cx.principal, Permission::UsersCreate)?;
    let mut count = 0;
    while let Some(import) = cx.store.system_claim_abandoned_import().await? {
        tracing::info!(import = %import.id, "resuming a CSV import");
        count += 1;
        tokio::spawn(run(Run {
            cx: cx.clone(),
            id: import.id,
            owner: import.owner,
            realm_id: import.realm_id,
            activate: import.activate,
            client: Client::default(),
        }));
    }
    Ok(count)
}

/// A running import and who runs it.
struct Run {
    cx: Ctx,
    id: ImportId,
    owner: UserId,
    realm_id: RealmId,
    activate: bool,
    client: Client,
}

/// Runs a started import to its end, a batch at a time, yielding between
/// batches so that other requests and writers keep going.
async fn run(run: Run) {
    loop {
        match run_batch(&run).await {
            Ok(true) => tokio::time::sleep(Duration::from_millis(2)).await,
            Ok(false) => return,
            Err(e) => {
                tracing::error!(import = %run.id, error = %e, "CSV import stopped");
                stop(&run, &format!("stopped by an error on the server ({e})")).await;
                return;
            }
        }
    }
}

/// One batch of pending lines, as the importer with its rights now; `false`
/// when the import has ended.
async fn run_batch(run: &Run) -> Result<bool, AppError> {
    let base = &run.cx;
    // Still this instance's to run (its lease renewed), or ended, or taken
    // over by another instance after this one stalled past its lease.
    let store = &base.store;
    if !store
        .renew(Job::Import, run.id.as_str(), store.lease())
        .await?
    {
        return Ok(false);
    }
    let principal =
        match crate::ctx::principal_of_user(&base.store, &base.org, &run.owner, run.client.clone())
            .await
        {
            Ok(principal) => principal,
            Err(AppError::Unauthenticated) => {
                stop(run, "the admin who started it is no longer an active user").await;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
    let realm = Target::NewUserIn {
        realm_id: run.realm_id.clone(),
    };
    let Ok(grant) = check(&principal, Permission::UsersCreate, &realm) else {
        stop(
            run,
            "the admin who started it may no longer create users in this realm",
        )
        .await;
        return Ok(false);
    };
    let cx = base.acting_as(principal);
    let pending = cx
        .store
        .pending_import_rows(&grant, &run.id, RUN_BATCH)
        .await?;
    if pending.is_empty() {
        cx.store.finish_import(&grant, &run.id, None).await?;
        return Ok(false);
    }
    let schema = cx.store.profile_schema().await?;
    for row in pending {
        let input = input_of(&run.realm_id, run.activate, &row.profile);
        let created = match prepare_create(&cx, input, &schema).await {
            Ok(p) => cx
                .store
                .create_imported_user(&p.grant, p.new, &run.id, row.line)
                .await
                .map(|_| ())
                .map_err(AppError::from),
            Err(e) => Err(e),
        };
        match created {
            Ok(()) => {}
            Err(e @ AppError::Internal { .. }) => return Err(e),
            Err(e) => {
                cx.store
                    .fail_import_row(&grant, &run.id, row.line, &describe(&e))
                    .await?
            }
        }
    }
    Ok(true)
}

/// Ends a running import that cannot go on: its pending lines fail with
/// `why`. Recorded by the system, since the importer may have lost its right.
async fn stop(run: &Run, why: &str) {
    let realm = Target::NewUserIn {
        realm_id: run.realm_id.clone(),
    };
    let stopped = match check(&Principal::system(), Permission::UsersCreate, &realm) {
        Ok(grant) => run
            .cx
            .store
            .finish_import(&grant, &run.id, Some(why))
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = stopped {
        tracing::error!(import = %run.id, error = %e, "could not mark a CSV import failed");
    }
}

fn csv_failed(e: impl std::fmt::Display) -> AppError {
    let ref_id = crate::error::new_ref_id();
    tracing::error!(ref_id, error = %e, "import result csv");
    AppError::Internal { ref_id }
}

/// The import's result report: one row per line of the file — line, login,
/// result (created / skipped / failed; valid / invalid / pending before it
/// ends), message, the id of the user created — with formula cells
/// neutralised.
pub async fn results_csv(cx: &Ctx, id: &ImportId) -> Result<Vec<u8>, AppError> {
    let import = load(cx, id).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(RESULT_COLUMNS).map_err(csv_failed)?;
    let mut after = 0;
    loop {
        let rows = cx.store.import_rows(&import, None, after, 1000).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.line;
        for row in rows {
            let record = [
                row.line.to_string(),
                row.login,
                row.result.report_word().to_string(),
                row.message.unwrap_or_default(),
                row.user_id.unwrap_or_default(),
            ];
            out.write_record(record.iter().map(|c| csv_safe_cell(c).into_owned()))
                .map_err(csv_failed)?;
        }
    }
    out.into_inner().map_err(|e| csv_failed(e.into_error()))
}
