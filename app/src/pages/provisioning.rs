//! The provisioning section of an app page: the connection (SCIM 2.0 or Okta
//! Org2Org), its features and attribute mappings, "Test API credentials",
//! a preview for one user, failed deliveries to retry or dismiss, and group
//! pushes. Every form is a plain form: it works without JavaScript.

use leptos::prelude::*;

use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, outcome_besides_fields, text_field, BUTTON,
    INPUT, SMALL_BUTTON,
};
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::ui::LINK;
use crate::serverfns::apps::{
    preview_import, ChangeGroupPush, PreviewProvisioning, ProvisioningPanel, ProvisioningView,
    PushGroup, ResolveDelivery, RunImport, SaveProvisioning, TestProvisioning,
};

/// The provisioning forms' actions (the page reloads the app after each).
#[derive(Clone, Copy)]
pub struct ProvisioningActions {
    pub save: ServerAction<SaveProvisioning>,
    pub test: ServerAction<TestProvisioning>,
    pub preview: ServerAction<PreviewProvisioning>,
    pub resolve: ServerAction<ResolveDelivery>,
    pub push: ServerAction<PushGroup>,
    pub change_push: ServerAction<ChangeGroupPush>,
    pub import: ServerAction<RunImport>,
}

impl ProvisioningActions {
    pub fn new() -> Self {
        Self {
            save: ServerAction::new(),
            test: ServerAction::new(),
            preview: ServerAction::new(),
            resolve: ServerAction::new(),
            push: ServerAction::new(),
            change_push: ServerAction::new(),
            import: ServerAction::new(),
        }
    }

    /// Changes after which the app page is read again.
    pub fn versions(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.save.version().get(),
            self.resolve.version().get(),
            self.push.version().get(),
            self.change_push.version().get(),
            self.import.version().get(),
        )
    }
}

impl Default for ProvisioningActions {
    fn default() -> Self {
        Self::new()
    }
}

const KINDS: [(&str, &str); 2] = [
    ("SCIM2", "SCIM 2.0"),
    ("OKTA_ORG2ORG", "Okta Org2Org (the hub's Management API)"),
];

const AUTH: [(&str, &str); 3] = [
    ("BEARER", "Bearer token (SCIM)"),
    ("BASIC", "Basic authentication (SCIM)"),
    ("SSWS", "API token, SSWS (Org2Org)"),
];

const FEATURES: [(&str, &str, &str); 6] = [
    (
        "create_users",
        "prov-create",
        "Create users: an assignment creates or links the account",
    ),
    (
        "update_users",
        "prov-update",
        "Update user attributes: profile changes are pushed",
    ),
    (
        "deactivate_users",
        "prov-deactivate",
        "Deactivate users: unassigning, suspending or deactivating deactivates the account",
    ),
    (
        "delete_users",
        "prov-delete",
        "Delete the account when the user is deleted (otherwise it is only deactivated)",
    ),
    ("push_groups", "prov-push", "Push groups"),
    ("import_users", "prov-import", "Import users from the app"),
];

fn flag(v: &ProvisioningView, name: &str) -> bool {
    match name {
        "create_users" => v.create_users,
        "update_users" => v.update_users,
        "deactivate_users" => v.deactivate_users,
        "delete_users" => v.delete_users,
        "push_groups" => v.push_groups,
        _ => v.import_users,
    }
}

#[component]
pub fn ProvisioningSettings(
    app_id: String,
    panel: ProvisioningPanel,
    actions: ProvisioningActions,
) -> impl IntoView {
    let save = actions.save;
    let configured = panel.connection.is_some();
    let c = panel
        .connection
        .clone()
        .unwrap_or_else(|| panel.defaults.clone());
    let imports = c.import_users;
    let kind = kept_value(save, "kind", c.kind.clone());
    let auth = kept_value(save, "auth_scheme", c.auth_scheme.clone());
    let error_of = move |field: &'static str| {
        move || {
            field_error(save, field)
                .map(|m| view! { <p id=format!("prov-{field}-error") class="text-sm text-red-700 dark:text-red-300">{m}</p> })
        }
    };
    let area = move |id: &'static str,
                     name: &'static str,
                     label: &'static str,
                     hint: &'static str,
                     value: String| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="space-y-1">
                <label for=id class="block text-sm font-medium">{label}</label>
                <p id=hint_id.clone() class="text-sm text-slate-600 dark:text-slate-400">{hint}</p>
                <textarea id=id name=name rows="5" class=format!("{INPUT} w-full max-w-2xl font-mono text-sm")
                    aria-invalid=move || field_error(save, name).is_some().to_string()
                    aria-describedby=move || if field_error(save, name).is_some() { format!("{hint_id} prov-{name}-error") } else { hint_id.clone() }>{value}</textarea>
                {error_of(name)}
            </div>
        }
    };
    let id = app_id.clone();
    view! {
        <section aria-labelledby="provisioning" class="space-y-4">
            <h2 id="provisioning" class="text-lg font-semibold">"Provisioning"</h2>
            {if configured {
                view! { <p class="text-sm">{format!("{} deliveries waiting or under way.", panel.pending)}</p> }.into_any()
            } else {
                view! { <p class="text-sm">"Not set up: assignments reach no account in the app yet."</p> }.into_any()
            }}
            {move || outcome_besides_fields(save.value().get())}
            <ActionForm action=save attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=id.clone() />
                <div class="space-y-1">
                    <label for="prov-kind" class="block text-sm font-medium">"Connection"</label>
                    <select id="prov-kind" name="kind" class=INPUT>
                        {KINDS.into_iter().map(|(v, t)| view! { <option value=v selected=kind == v>{t}</option> }).collect_view()}
                    </select>
                    {error_of("kind")}
                </div>
                {text_field("prov-base-url", "base_url", "Base URL", kept_value(save, "base_url", c.base_url.clone()),
                    Some("SCIM: the service's base (…/scim/v2). Org2Org: the hub org's address (https://hub.example.com)."), move || field_error(save, "base_url"))}
                <div class="space-y-1">
                    <label for="prov-auth" class="block text-sm font-medium">"Authentication"</label>
                    <select id="prov-auth" name="auth_scheme" class=INPUT>
                        {AUTH.into_iter().map(|(v, t)| view! { <option value=v selected=auth == v>{t}</option> }).collect_view()}
                    </select>
                    {error_of("auth_scheme")}
                </div>
                {text_field("prov-username", "username", "User name (basic authentication)", kept_value(save, "username", c.username.clone()),
                    None, move || field_error(save, "username"))}
                <div class="space-y-1">
                    <label for="prov-secret" class="block text-sm font-medium">"Token or password"</label>
                    <p id="prov-secret-hint" class="text-sm text-slate-600 dark:text-slate-400">
                        {if c.has_secret { "Stored sealed. Leave empty to keep it." } else { "The bearer token, password or API token the app accepts; stored sealed." }}
                    </p>
                    <input id="prov-secret" name="secret" type="password" autocomplete="off" class=format!("{INPUT} w-full max-w-xl")
                        aria-describedby="prov-secret-hint" aria-invalid=move || field_error(save, "secret").is_some().to_string() />
                    {error_of("secret")}
                </div>
                {area("prov-extensions", "extensions", "SCIM schema extensions", "One URN a line (e.g. urn:ietf:params:scim:schemas:extension:enterprise:2.0:User).",
                    kept_value(save, "extensions", c.extensions.clone()))}
                <fieldset class="space-y-1">
                    <legend class="text-sm font-medium">"Features"</legend>
                    {FEATURES.into_iter().map(|(name, fid, label)| view! {
                        <div class="flex items-center gap-2">
                            <input id=fid name=name type="checkbox" value="true" checked=flag(&c, name) />
                            <label for=fid class="text-sm">{label}</label>
                        </div>
                    }).collect_view()}
                </fieldset>
                {area("prov-mappings", "mappings", "Attribute mappings", "appAttribute = expression, one a line; expressions as in realm rules (user.profile.email, user.profile.login.toLowerCase(), \"Partner\").",
                    kept_value(save, "mappings", c.mappings.clone()))}
                {text_field("prov-import-every", "import_every_minutes", "Import every (minutes)", kept_value(save, "import_every_minutes", c.import_every_minutes.to_string()),
                    Some("0: import only by hand."), move || field_error(save, "import_every_minutes"))}
                <button type="submit" class=BUTTON>"Save provisioning"</button>
            </ActionForm>
            {configured.then(|| view! { <Checks app_id=app_id.clone() actions /> })}
            {configured.then(|| view! { <Failed app_id=app_id.clone() panel=panel.clone() actions /> })}
            {configured.then(|| view! { <Pushes app_id=app_id.clone() panel=panel.clone() actions /> })}
            {(configured && imports).then(|| view! { <Import app_id=app_id.clone() actions /> })}
        </section>
    }
}

/// "Test API credentials" and the preview for one user.
#[component]
fn Checks(app_id: String, actions: ProvisioningActions) -> impl IntoView {
    let test = actions.test;
    let preview = actions.preview;
    let preview_id = app_id.clone();
    view! {
        <div class="space-y-3">
            <ActionForm action=test>
                <input type="hidden" name="app_id" value=app_id.clone() />
                <button type="submit" class=SMALL_BUTTON>"Test API credentials"</button>
            </ActionForm>
            {move || outcome(test.value().get())}
            <ActionForm action=preview attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=preview_id />
                {text_field("prov-preview-login", "login", "Preview for username", kept_value(preview, "login", String::new()),
                    None, move || field_error(preview, "login"))}
                <button type="submit" class=SMALL_BUTTON>"Preview"</button>
            </ActionForm>
            {move || preview.value().get().and_then(|r| match r {
                Ok(json) => Some(view! { <pre aria-label="What the app receives" class="overflow-x-auto rounded-md bg-slate-100 p-3 text-sm dark:bg-slate-800">{json}</pre> }.into_any()),
                Err(e) if !matches!(e, crate::error::AppError::Validation { .. }) => Some(error_alert(&e)),
                Err(_) => None,
            })}
        </div>
    }
}

/// Deliveries that gave up, with Retry and Dismiss.
#[component]
fn Failed(app_id: String, panel: ProvisioningPanel, actions: ProvisioningActions) -> impl IntoView {
    let resolve = actions.resolve;
    if panel.failed.is_empty() {
        return view! { <p class="text-sm">"No failed deliveries."</p> }.into_any();
    }
    view! {
        <div class="space-y-2">
            {move || outcome(resolve.value().get())}
            <table class="min-w-full text-left text-sm">
                <caption class="text-left font-semibold">"Failed deliveries"</caption>
                <thead><tr><th scope="col">"For"</th><th scope="col">"What the app said"</th><th scope="col">"Attempts"</th><th scope="col">"Action"</th></tr></thead>
                <tbody>
                    {panel.failed.into_iter().map(|f| {
                        let (a1, a2) = (app_id.clone(), app_id.clone());
                        let (retry_label, dismiss_label) = (format!("Retry for {}", f.subject), format!("Dismiss for {}", f.subject));
                        let (t1, t2) = (f.id.clone(), f.id.clone());
                        view! {
                            <tr class="border-t border-slate-300 dark:border-slate-700">
                                <td>{f.subject.clone()}</td>
                                <td>{f.error.clone()}</td>
                                <td>{f.attempts}</td>
                                <td class="flex gap-2 py-1">
                                    <ActionForm action=resolve>
                                        <input type="hidden" name="app_id" value=a1 />
                                        <input type="hidden" name="task" value=t1 />
                                        <input type="hidden" name="op" value="retry" />
                                        <button type="submit" class=SMALL_BUTTON aria-label=retry_label>"Retry"</button>
                                    </ActionForm>
                                    <ActionForm action=resolve>
                                        <input type="hidden" name="app_id" value=a2 />
                                        <input type="hidden" name="task" value=t2 />
                                        <input type="hidden" name="op" value="dismiss" />
                                        <button type="submit" class=SMALL_BUTTON aria-label=dismiss_label>"Dismiss"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Group pushes: the mappings with their state, and a form to push a group.
#[component]
fn Pushes(app_id: String, panel: ProvisioningPanel, actions: ProvisioningActions) -> impl IntoView {
    let push = actions.push;
    let change = actions.change_push;
    let rows = panel.pushes.clone();
    view! {
        <div class="space-y-3">
            <h3 class="font-semibold">"Push groups"</h3>
            {move || outcome_besides_fields(push.value().get())}
            {move || outcome(change.value().get())}
            {(!rows.is_empty()).then(|| view! {
                <table class="min-w-full text-left text-sm">
                    <caption class="text-left font-semibold">"Pushed groups"</caption>
                    <thead><tr><th scope="col">"Group"</th><th scope="col">"In the app"</th><th scope="col">"Status"</th><th scope="col">"Last push"</th><th scope="col">"Action"</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|m| {
                            let op = if m.status == "INACTIVE" { "activate" } else { "deactivate" };
                            let label = if op == "activate" { "Activate" } else { "Deactivate" };
                            let (a1, a2) = (app_id.clone(), app_id.clone());
                            let (i1, i2) = (m.id.clone(), m.id.clone());
                            let inactive = m.status == "INACTIVE";
                            let (toggle_label, delete_label) = (format!("{label} the push of {}", m.group_name), format!("Delete the push of {}", m.group_name));
                            let status = match &m.error_summary {
                                Some(e) if m.status == "ERROR" => format!("ERROR: {e}"),
                                _ => m.status.clone(),
                            };
                            view! {
                                <tr class="border-t border-slate-300 dark:border-slate-700">
                                    <td>{m.group_name.clone()}</td>
                                    <td>{m.target_group_name.clone()}</td>
                                    <td>{status}</td>
                                    <td>{m.last_push.clone().unwrap_or_else(|| "never".into())}</td>
                                    <td class="flex gap-2 py-1">
                                        <ActionForm action=change>
                                            <input type="hidden" name="app_id" value=a1 />
                                            <input type="hidden" name="mapping_id" value=i1 />
                                            <input type="hidden" name="op" value=op />
                                            <button type="submit" class=SMALL_BUTTON aria-label=toggle_label>{label}</button>
                                        </ActionForm>
                                        {inactive.then(|| view! {
                                            <ActionForm action=change>
                                                <input type="hidden" name="app_id" value=a2 />
                                                <input type="hidden" name="mapping_id" value=i2 />
                                                <input type="hidden" name="op" value="delete" />
                                                <button type="submit" class=SMALL_BUTTON aria-label=delete_label>"Delete"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <ActionForm action=push attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=app_id.clone() />
                <div class="space-y-1">
                    <label for="push-group" class="block text-sm font-medium">"Group to push"</label>
                    <select id="push-group" name="group_id" class=INPUT
                        aria-invalid=move || field_error(push, "groupId").is_some().to_string()>
                        <option value="">"Choose a group"</option>
                        {panel.groups.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
                    </select>
                    {move || field_error(push, "groupId").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                </div>
                {text_field("push-name", "target_name", "Name in the app", kept_value(push, "target_name", String::new()),
                    Some("Empty: the group's own name. An existing group of that name is linked."), move || field_error(push, "targetGroupName"))}
                <button type="submit" class=BUTTON>"Push group"</button>
            </ActionForm>
        </div>
    }
}

/// Import: a preview (`?import=preview`, a plain link) of what importing
/// the app's users would do, then the import.
#[component]
fn Import(app_id: String, actions: ProvisioningActions) -> impl IntoView {
    let run = actions.import;
    let query = use_query_map();
    let wanted = move || query.read().get("import").is_some_and(|v| v == "preview");
    let id = app_id.clone();
    let preview = Resource::new(
        move || (wanted(), run.version().get()),
        move |(wanted, _)| {
            let id = id.clone();
            async move {
                if wanted {
                    preview_import(id).await.map(Some)
                } else {
                    Ok(None)
                }
            }
        },
    );
    let href = format!("/apps/{app_id}?import=preview");
    view! {
        <div class="space-y-3">
            <h3 class="font-semibold">"Import users"</h3>
            <p><A href=href attr:class=LINK>"Preview an import"</A></p>
            {move || outcome(run.value().get())}
            <Suspense fallback=|| view! { <p role="status">"Reading the app's users…"</p> }>
                {move || preview.get().map(|r| match r {
                    Ok(Some(p)) => {
                        let importable = p.rows.iter().filter(|r| r.outcome == "MATCH" || r.outcome == "NEW").count();
                        let app_id = app_id.clone();
                        view! {
                            <p class="text-sm">{format!("{} accounts already linked.", p.linked)}</p>
                            <table class="min-w-full text-left text-sm">
                                <caption class="text-left font-semibold">"What an import would do"</caption>
                                <thead><tr><th scope="col">"Account"</th><th scope="col">"Email"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th></tr></thead>
                                <tbody>
                                    {p.rows.into_iter().map(|r| view! {
                                        <tr class="border-t border-slate-300 dark:border-slate-700">
                                            <td>{r.login}</td><td>{r.email}</td><td>{r.outcome}</td><td>{r.detail}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=run>
                                <input type="hidden" name="app_id" value=app_id />
                                <button type="submit" class=BUTTON>{format!("Import {importable} users")}</button>
                            </ActionForm>
                        }.into_any()
                    }
                    Ok(None) => ().into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </div>
    }
}
