//! `/admin/wizard`: the partner realm wizard. The form is a plain GET to
//! `?step=review`, where the server checks everything and describes what it
//! will create; "Create partner realm" then writes it all in one transaction.
//! Both steps work without JavaScript.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::AdminNav;
use crate::components::ui::{error_alert, field_error, query_string, text_field, BUTTON, LINK};
use crate::error::AppError;
use crate::serverfns::admin::{
    review_partner_realm, wizard_options, CreatePartnerRealm, WizardChoices, WizardReview,
};

/// The wizard's fields as they travel in the address.
#[derive(Debug, Clone, Default, PartialEq)]
struct Fields {
    name: String,
    domains: String,
    groups: Vec<String>,
    apps: Vec<String>,
    existing_admins: String,
    new_admin_email: String,
    new_admin_first_name: String,
    new_admin_last_name: String,
    admin_home: String,
    idp_issuer: String,
    idp_client_id: String,
}

impl Fields {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("name", self.name.clone()),
            ("domains", self.domains.clone()),
            ("existing_admins", self.existing_admins.clone()),
            ("new_admin_email", self.new_admin_email.clone()),
            ("new_admin_first_name", self.new_admin_first_name.clone()),
            ("new_admin_last_name", self.new_admin_last_name.clone()),
            ("admin_home", self.admin_home.clone()),
            ("idp_issuer", self.idp_issuer.clone()),
            ("idp_client_id", self.idp_client_id.clone()),
        ];
        pairs.extend(self.groups.iter().map(|g| ("groups", g.clone())));
        pairs.extend(self.apps.iter().map(|a| ("apps", a.clone())));
        pairs
    }
}

fn some(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_string())
}

#[component]
pub fn WizardPage() -> impl IntoView {
    let query = use_query_map();
    let fields = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        Fields {
            name: get("name"),
            domains: get("domains"),
            groups: q.get_all("groups").unwrap_or_default(),
            apps: q.get_all("apps").unwrap_or_default(),
            existing_admins: get("existing_admins"),
            new_admin_email: get("new_admin_email"),
            new_admin_first_name: get("new_admin_first_name"),
            new_admin_last_name: get("new_admin_last_name"),
            admin_home: get("admin_home"),
            idp_issuer: get("idp_issuer"),
            idp_client_id: get("idp_client_id"),
        }
    };
    let reviewing = move || query.read().get("step").as_deref() == Some("review");
    let options = Resource::new(|| (), |_| wizard_options());
    let review = Resource::new(
        move || (reviewing(), fields()),
        |(reviewing, f)| async move {
            if !reviewing {
                return None;
            }
            Some(
                review_partner_realm(
                    f.name,
                    f.domains,
                    Some(f.groups),
                    Some(f.apps),
                    some(&f.existing_admins),
                    some(&f.new_admin_email),
                    some(&f.new_admin_first_name),
                    some(&f.new_admin_last_name),
                    some(&f.admin_home),
                    some(&f.idp_issuer),
                    some(&f.idp_client_id),
                )
                .await,
            )
        },
    );
    view! {
        <AdminNav />
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"New partner realm"</h1>
            <p class="max-w-3xl">
                "One step makes a partner realm, the resource set its admins manage (the realm, its users, and the groups and apps you choose), "
                "and binds the Partner Admin role to them — existing users, a new admin created in the realm, or both. "
                "You review it all before anything is written; then it is created all together or not at all."
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
                {move || {
                    let options = options.get()?;
                    let review = review.get()?;
                    Some(match (options, review) {
                        (Err(e), _) => error_alert(&e),
                        (Ok(_), Some(Ok(r))) => view! { <Review review=r fields=fields() /> }.into_any(),
                        (Ok(o), Some(Err(e))) => view! { <WizardForm options=o fields=fields() error=Some(e) /> }.into_any(),
                        (Ok(o), None) => view! { <WizardForm options=o fields=fields() error=None /> }.into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn WizardForm(options: WizardChoices, fields: Fields, error: Option<AppError>) -> impl IntoView {
    let error = StoredValue::new(error);
    let field = move |name: &'static str| {
        move || {
            error.with_value(|e| {
                e.as_ref()
                    .and_then(|e| e.field_message(name).map(str::to_string))
            })
        }
    };
    let other = error.with_value(|e| {
        e.as_ref()
            .filter(|e| !matches!(e, AppError::Validation { .. }))
            .map(error_alert)
    });
    let checkboxes = |legend: &'static str,
                      name: &'static str,
                      id_prefix: &'static str,
                      items: Vec<(String, String)>,
                      chosen: Vec<String>,
                      err: Option<String>| {
        view! {
            <fieldset class="space-y-1">
                <legend class="text-sm font-medium">{legend}</legend>
                {if items.is_empty() {
                    view! { <p class="text-sm">"None exist yet."</p> }.into_any()
                } else {
                    items.into_iter().enumerate().map(|(i, (id, label))| {
                        let input_id = format!("{id_prefix}-{i}");
                        let checked = chosen.contains(&id);
                        view! {
                            <div class="flex items-center gap-2">
                                <input type="checkbox" id=input_id.clone() name=name value=id checked=checked />
                                <label for=input_id>{label}</label>
                            </div>
                        }
                    }).collect_view().into_any()
                }}
                {err.map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </fieldset>
        }
    };
    view! {
        {other}
        <form method="get" action="/admin/wizard" class="space-y-6" novalidate>
            <input type="hidden" name="step" value="review" />
            <fieldset class="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                <legend class="px-1 font-semibold">"1. The realm"</legend>
                {text_field("wizard-name", "name", "Realm name", fields.name.clone(), None, field("name"))}
                {text_field("wizard-domains", "domains", "Allowed email domains", fields.domains.clone(),
                    Some("Separated by commas, e.g. initech.test. Users of the realm must have addresses there; empty allows any."),
                    field("domains"))}
            </fieldset>
            <fieldset class="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                <legend class="px-1 font-semibold">"2. What its admins manage"</legend>
                <p class="text-sm">"Always the realm and its users; add groups whose membership they manage and apps they assign."</p>
                {checkboxes("Groups", "groups", "wizard-group", options.groups, fields.groups.clone(), field("groups")())}
                {checkboxes("Apps", "apps", "wizard-app", options.apps, fields.apps.clone(), field("apps")())}
            </fieldset>
            <fieldset class="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                <legend class="px-1 font-semibold">"3. Its partner admins"</legend>
                {text_field("wizard-existing", "existing_admins", "Existing users (usernames)", fields.existing_admins.clone(),
                    Some("Separated by commas. They keep their own realm and administer this one."),
                    field("existingAdmins"))}
                <p class="text-sm">"And/or a new admin, created active:"</p>
                {text_field("wizard-new-email", "new_admin_email", "New admin's email (also the username)", fields.new_admin_email.clone(), None, field("newAdminEmail"))}
                {text_field("wizard-new-first", "new_admin_first_name", "New admin's first name", fields.new_admin_first_name.clone(), None, field("newAdminFirstName"))}
                {text_field("wizard-new-last", "new_admin_last_name", "New admin's last name", fields.new_admin_last_name.clone(), None, field("newAdminLastName"))}
                {admin_home_choice(&fields.admin_home, field("adminHome")())}
            </fieldset>
            <fieldset class="space-y-3 rounded-lg border border-slate-200 p-4 dark:border-slate-800">
                <legend class="px-1 font-semibold">"4. Optional: the partner's identity provider"</legend>
                <p class="text-sm">"Its users then sign in there (routed by the realm's domains) and get accounts in this realm at first sign-in. The client secret is asked for on the review page."</p>
                {text_field("wizard-idp-issuer", "idp_issuer", "IdP issuer URL", fields.idp_issuer.clone(), None, field("idpIssuer"))}
                {text_field("wizard-idp-client", "idp_client_id", "IdP client id", fields.idp_client_id.clone(), None, field("idpClientId"))}
            </fieldset>
            <button type="submit" class=BUTTON>"Review"</button>
        </form>
    }
}

#[component]
fn Review(review: WizardReview, fields: Fields) -> impl IntoView {
    let create = ServerAction::<CreatePartnerRealm>::new();
    let has_idp = review.idp.is_some();
    let back = format!("/admin/wizard?{}", query_string(&fields.pairs()));
    let hidden = fields
        .pairs()
        .into_iter()
        .enumerate()
        .map(|(i, (name, value))| {
            // Repeated names become indexed ones for the server function.
            let name = match name {
                "groups" | "apps" => format!("{name}[{i}]"),
                other => other.to_string(),
            };
            view! { <input type="hidden" name=name value=value /> }
        })
        .collect_view();
    view! {
        <section aria-labelledby="review" class="space-y-4 rounded-lg border border-slate-300 p-4 dark:border-slate-700">
            <h2 id="review" class="text-lg font-semibold">"Review"</h2>
            <dl class="space-y-3">
                <div><dt class="font-medium">"Realm"</dt><dd>{review.realm.clone()} " (partner)"</dd></div>
                <div><dt class="font-medium">"Allowed email domains"</dt>
                    <dd>{if review.domains.is_empty() { "any".to_string() } else { review.domains.join(", ") }}</dd></div>
                <div><dt class="font-medium">"Resource set " {review.resource_set.clone()}</dt>
                    <dd><ul class="list-disc pl-5">{review.resources.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul></dd></div>
                <div><dt class="font-medium">"Partner Admin role bound to"</dt>
                    <dd><ul class="list-disc pl-5">
                        {review.admins.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                        {review.new_admin.map(|a| view! { <li>{a}</li> })}
                    </ul></dd></div>
                {has_idp.then(|| view! { <div><dt class="font-medium">"Identity provider"</dt><dd>{review.idp.clone()}</dd></div> })}
            </dl>
            {move || create.value().get().and_then(|r| r.err()).map(|e| error_alert(&e))}
            <div class="flex flex-wrap items-center gap-4">
                <ActionForm action=create attr:class="space-y-3" attr:novalidate=true>
                    {hidden}
                    {has_idp.then(|| view! {
                        <div class="space-y-1">
                            <label for="wizard-idp-secret" class="block text-sm font-medium">"IdP client secret"</label>
                            <input id="wizard-idp-secret" name="idp_client_secret" type="password" autocomplete="off"
                                aria-invalid=move || field_error(create, "idpClientSecret").is_some().to_string()
                                class="block w-full max-w-xl rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100" />
                        </div>
                    })}
                    <button type="submit" class=BUTTON>"Create partner realm"</button>
                </ActionForm>
                <A href=back attr:class=LINK>"Change"</A>
            </div>
        </section>
        <p class="text-sm text-slate-600 dark:text-slate-400">"Nothing has been created yet."</p>
    }
}

/// Where the new admin's account lives, with Okta's recommendation beside
/// the choice (type-erased: the wizard's form is large).
fn admin_home_choice(current: &str, error: Option<String>) -> AnyView {
    let in_default = current == "default";
    view! {
        <fieldset class="space-y-1" aria-describedby="wizard-home-hint">
            <legend class="text-sm font-medium">"Where the new admin's account lives"</legend>
            <p id="wizard-home-hint" class="text-sm text-slate-600 dark:text-slate-400">
                "Okta doesn't recommend adding partner admins to the partner realm they manage: there, they fall under their own admin rights. In the default realm they stay out of the realm's user list. Either way, no admin can suspend, deactivate or delete itself or an admin with rights it does not hold."
            </p>
            <div class="flex items-center gap-2">
                <input id="wizard-home-realm" type="radio" name="admin_home" value="realm" checked=!in_default />
                <label for="wizard-home-realm">"In the realm it manages"</label>
            </div>
            <div class="flex items-center gap-2">
                <input id="wizard-home-default" type="radio" name="admin_home" value="default" checked=in_default />
                <label for="wizard-home-default">"In the default realm (Okta's recommendation)"</label>
            </div>
            <p class="text-sm text-red-700 dark:text-red-300">{error}</p>
        </fieldset>
    }
    .into_any()
}
