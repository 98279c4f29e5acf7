//! `/users/import`: upload a CSV file of users (Okta's import template plus
//! custom attributes) for a realm, then `/users/import/{id}`: the preview —
//! every line valid or not, and why — then "Import N valid rows", a progress
//! bar (refreshed every second with JavaScript; without it the page reloads
//! itself and offers "Refresh"), and when done a summary and the result report
//! as CSV. The upload is a plain multipart form: with JavaScript it is sent
//! without leaving the page (a refusal shows in place), without it the browser
//! posts it.

use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{FormData, HtmlFormElement};
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ui::{error_alert, outcome, query_string, BUTTON, INPUT, LINK};
use crate::error::AppError;
use crate::model::imports::{Import, ImportStatus, RowResult};
use crate::serverfns::imports::{
    get_import, import_choices, upload_import, ImportForm, ImportView, StartImport, UploadImport,
    IMPORT_MAX_BYTES, IMPORT_MAX_ROWS,
};

#[component]
pub fn ImportPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| import_choices());
    view! {
        <section class="max-w-3xl space-y-6">
            <p><A href="/users" attr:class=LINK>"All users"</A></p>
            <h1 class="text-2xl font-bold">"Import users"</h1>
            <p>
                "Upload a CSV file in the columns of Okta's user import template, plus your custom attributes. "
                "Every line is checked first and shown to you; nothing is created until you start the import."
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading the form…"</p> }>
                {move || form.get().map(|result| match result {
                    Ok(form) => view! { <UploadForm form /> }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UploadForm(form: ImportForm) -> impl IntoView {
    // A plain form post's refusal comes back in the address.
    let refused = use_context::<ServerActionError>()
        .filter(|e| e.path() == <UploadImport as ServerFn>::PATH)
        .map(|e| ServerFnUrlError::<AppError>::decode_err(e.err()));
    let upload = Action::new_local(|data: &FormData| upload_import(data.clone().into()));
    let pending = upload.pending();
    let error = move || match upload.value().get() {
        Some(Err(e)) => Some(e),
        Some(Ok(_)) => None,
        None => refused.clone(),
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok());
        // Sent from here; if that cannot be set up, the browser posts it.
        if let Some(data) = form.and_then(|f| FormData::new_with_form(&f).ok()) {
            ev.prevent_default();
            upload.dispatch_local(data);
        }
    };
    if form.realms.is_empty() {
        return view! { <p>"You may not create users in any realm."</p> }.into_any();
    }
    let required: Vec<String> = form
        .columns
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name.clone())
        .collect();
    let optional: Vec<String> = form
        .columns
        .iter()
        .filter(|c| !c.required)
        .map(|c| c.name.clone())
        .collect();
    let action = <UploadImport as ServerFn>::PATH;
    view! {
        <div class="space-y-2 text-sm">
            <p><span class="font-medium">"Required columns: "</span><code>{required.join(", ")}</code></p>
            <p><span class="font-medium">"Optional columns: "</span><code>{optional.join(", ")}</code></p>
            <p>
                "The template's other columns (title, city, manager, …) are ignored and named in the preview; "
                "any other column refuses the file. Booleans: true or false. "
                {format!("At most {} MiB and {IMPORT_MAX_ROWS} users per file, UTF-8.", IMPORT_MAX_BYTES / (1024 * 1024))}
            </p>
        </div>
        <form method="post" action=action enctype="multipart/form-data"
            class="space-y-4" on:submit=on_submit>
            {move || error().map(|e| error_alert(&e))}
            <div class="space-y-1">
                <label for="f-realm" class="block text-sm font-medium">"Realm"</label>
                <select id="f-realm" name="realm_id" class=INPUT>
                    {form.realms.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
            </div>
            <div class="space-y-1">
                <label for="f-file" class="block text-sm font-medium">"CSV file"</label>
                <input id="f-file" name="file" type="file" accept=".csv,text/csv" class=INPUT />
            </div>
            <div class="space-y-1">
                <label for="f-csv-text" class="block text-sm font-medium">"Or paste the CSV text"</label>
                <textarea id="f-csv-text" name="csv_text" rows="6" class=format!("{INPUT} w-full font-mono text-sm")></textarea>
            </div>
            <div class="flex items-center gap-2">
                <input id="f-activate" name="activate" type="checkbox" value="true" />
                <label for="f-activate" class="text-sm font-medium">"Activate the imported users (otherwise staged)"</label>
            </div>
            <button type="submit" class=BUTTON disabled=move || pending.get()>"Check the file"</button>
            {move || pending.get().then(|| view! { <p role="status">"Checking the file…"</p> })}
        </form>
    }
    .into_any()
}

#[component]
pub fn ImportJobPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let result = move || query.read().get("result").unwrap_or_default();
    let after = move || query.read().get("after").unwrap_or_default();
    let start = ServerAction::<StartImport>::new();
    let tick = RwSignal::new(0u32);
    let import = Resource::new(
        move || (id(), result(), after(), tick.get(), start.version().get()),
        |(id, result, after, _, _)| get_import(id, Some(result), Some(after)),
    );
    // While it runs, look again every second (in the browser only).
    Effect::new(move |_| {
        let running = import
            .get()
            .is_some_and(|r| r.is_ok_and(|v| v.import.is_running()));
        if running {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_secs(1),
            );
        }
    });
    view! {
        <section class="space-y-6">
            <p class="flex gap-4">
                <A href="/users/import" attr:class=LINK>"Import another file"</A>
                <A href="/users" attr:class=LINK>"All users"</A>
            </p>
            {move || outcome(start.value().get())}
            <Transition fallback=|| view! { <p role="status">"Loading the import…"</p> }>
                {move || import.get().map(|r| match r {
                    Ok(view) => view! { <ImportDetail view start result=result() /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"Import not found"</h1>
                        <p>"There is no such import of yours."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Transition>
        </section>
    }
}

fn headline(import: &Import) -> String {
    let lines = |n: i64| format!("{n} line{}", if n == 1 { "" } else { "s" });
    match import.status {
        ImportStatus::Preview => format!(
            "Preview: {} of {} valid{}. Nothing has been created yet.",
            import.num_valid,
            lines(import.num_rows),
            match import.num_rows - import.num_valid {
                0 => String::new(),
                n => format!(", {} with errors (skipped)", lines(n)),
            }
        ),
        ImportStatus::InProgress => format!(
            "Importing: {} of {} done.",
            import.num_valid - import.remaining(),
            import.num_valid
        ),
        ImportStatus::Completed => format!(
            "Done: {} created, {} skipped, {} failed.",
            import.num_created, import.num_skipped, import.num_failed
        ),
        ImportStatus::Failed => format!(
            "Stopped: {}. {} created before it stopped, {} skipped, {} failed.",
            import.message.clone().unwrap_or_default(),
            import.num_created,
            import.num_skipped,
            import.num_failed
        ),
    }
}

fn result_label(result: RowResult) -> &'static str {
    match result {
        RowResult::Valid => "Valid",
        RowResult::Invalid => "Error",
        RowResult::Pending => "To create",
        RowResult::Created => "Created",
        RowResult::Skipped => "Skipped",
        RowResult::Failed => "Failed",
    }
}

#[component]
fn ImportDetail(
    view: ImportView,
    start: ServerAction<StartImport>,
    result: String,
) -> impl IntoView {
    let import = view.import.clone();
    let id = import.id.to_string();
    let path = format!("/users/import/{id}");
    let filter = |value: &'static str, text: &'static str| {
        let href = if value.is_empty() {
            path.clone()
        } else {
            format!("{path}?{}", query_string(&[("result", value.to_string())]))
        };
        let current = (result == value).then_some("page");
        view! { <A href=href attr:class="rounded px-2 py-1 underline aria-[current=page]:font-semibold" attr:aria-current=current>{text}</A> }
    };
    let filters = if import.status == ImportStatus::Preview {
        vec![
            filter("", "All"),
            filter(RowResult::Valid.as_str(), "Valid"),
            filter(RowResult::Invalid.as_str(), "Errors"),
        ]
    } else {
        vec![
            filter("", "All"),
            filter(RowResult::Created.as_str(), "Created"),
            filter(RowResult::Skipped.as_str(), "Skipped"),
            filter(RowResult::Failed.as_str(), "Failed"),
            filter(RowResult::Pending.as_str(), "To create"),
        ]
    };
    let next = view.next.map(|after| {
        format!(
            "{path}?{}",
            query_string(&[("result", result.clone()), ("after", after.to_string())])
        )
    });
    let percent = import.percent_done();
    let done = matches!(
        import.status,
        ImportStatus::Completed | ImportStatus::Failed
    );
    view! {
        <div class="space-y-2">
            <h1 class="text-2xl font-bold">{format!("Import of {}", import.file_name)}</h1>
            <p>{format!("Into realm {}; users are {}.", view.realm, if import.activate { "activated" } else { "staged" })}</p>
            <p class="text-lg" data-testid="import-headline">{headline(&import)}</p>
            {(!import.ignored.is_empty()).then(|| view! {
                <p class="text-sm">{format!("Ignored columns (Okta template columns the portal does not keep): {}.", import.ignored.join(", "))}</p>
            })}
            <dl class="grid max-w-xl grid-cols-2 gap-x-4 text-sm sm:grid-cols-3">
                <div><dt class="font-medium">"Lines"</dt><dd>{import.num_rows}</dd></div>
                <div><dt class="font-medium">"Valid"</dt><dd>{import.num_valid}</dd></div>
                <div><dt class="font-medium">"Created"</dt><dd>{import.num_created}</dd></div>
                <div><dt class="font-medium">"Skipped"</dt><dd>{import.num_skipped}</dd></div>
                <div><dt class="font-medium">"Failed"</dt><dd>{import.num_failed}</dd></div>
            </dl>
        </div>
        {(import.status != ImportStatus::Preview).then(|| view! {
            <div class="max-w-xl space-y-1">
                <progress aria-label="Import progress" max="100" value=percent.to_string() class="h-3 w-full">
                    {format!("{percent}%")}
                </progress>
                <p class="text-sm">{format!("{percent}% done")}</p>
            </div>
        })}
        <div class="flex flex-wrap items-center gap-3">
            {(import.status == ImportStatus::Preview && import.num_valid > 0).then(|| view! {
                <ActionForm action=start>
                    <input type="hidden" name="id" value=id.clone() />
                    <button type="submit" class=BUTTON>{format!("Import {} valid row{}", import.num_valid, if import.num_valid == 1 { "" } else { "s" })}</button>
                </ActionForm>
            })}
            {(import.status == ImportStatus::Preview && import.num_valid == 0).then(|| view! {
                <p>"No line is valid: correct the file and upload it again."</p>
            })}
            {import.is_running().then(|| view! {
                <a href=path.clone() class=LINK>"Refresh"</a>
                // Without JavaScript the page reloads itself while it runs.
                <noscript inner_html=r#"<meta http-equiv="refresh" content="2">"# />
            })}
            {done.then(|| view! {
                <a href=format!("{path}/results.csv") rel="external" download=format!("import-{}-results.csv", import.id) class=BUTTON>"Download results (CSV)"</a>
            })}
        </div>
        <nav aria-label="Filter by result" class="flex flex-wrap gap-2 text-sm">{filters}</nav>
        {if view.rows.is_empty() {
            view! { <p>"No lines here."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                    <caption class="sr-only">"Lines of the file"</caption>
                    <thead><tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-3">"Line"</th>
                        <th scope="col" class="py-2 pr-3">"Username"</th>
                        <th scope="col" class="py-2 pr-3">"Result"</th>
                        <th scope="col" class="py-2 pr-3">"Message"</th>
                    </tr></thead>
                    <tbody>
                        {view.rows.into_iter().map(|row| view! {
                            <tr class="border-b border-slate-200 dark:border-slate-800">
                                <th scope="row" class="py-2 pr-3 font-medium">{row.line}</th>
                                <td class="py-2 pr-3">{match row.user_id.clone() {
                                    Some(user) => view! { <A href=format!("/users/{user}") attr:class=LINK>{row.login.clone()}</A> }.into_any(),
                                    None => view! { <span>{row.login.clone()}</span> }.into_any(),
                                }}</td>
                                <td class="py-2 pr-3">{result_label(row.result)}</td>
                                <td class="py-2 pr-3">{row.message.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        {next.map(|href| view! { <p><A href=href attr:class=LINK>"Next page"</A></p> })}
    }
}
