//! `/apps`: the apps the admin may see; `/apps/{id}`: an app with its direct
//! assignees *within the admin's realms*, assign by username and unassign.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::groups::{username_field, LinkRow, LinkTable, MemberTable};
use super::provisioning::{ProvisioningActions, ProvisioningSettings};
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, text_field, BUTTON, INPUT, LINK, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::serverfns::apps::{
    get_app, list_apps, AppDetail, ChangeAssignment, NewOidcSecret, OidcClientView,
    SaveBookmarkUrl, SaveOidcClient,
};

#[component]
pub fn AppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_apps());
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Apps"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading apps…"</p> }>
                {move || apps.get().map(|r| match r {
                    Ok(apps) if apps.is_empty() => view! { <p>"You cannot see any app."</p> }.into_any(),
                    Ok(apps) => view! {
                        <LinkTable caption="Apps you can see" headers=["App", "Sign-on", "You can"]
                            rows=apps.into_iter().map(|a| LinkRow {
                                href: format!("/apps/{}", a.id),
                                name: a.label,
                                detail: a.sign_on_mode,
                                access: if a.manageable { "View and assign" } else { "View" },
                            }).collect() />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let after = move || query.read().get("after").unwrap_or_default();
    let change = ServerAction::<ChangeAssignment>::new();
    let settings = Settings {
        oidc: ServerAction::<SaveOidcClient>::new(),
        secret: ServerAction::<NewOidcSecret>::new(),
        bookmark: ServerAction::<SaveBookmarkUrl>::new(),
        provisioning: ProvisioningActions::new(),
    };
    let app = Resource::new(
        move || {
            (
                id(),
                after(),
                change.version().get(),
                settings.oidc.version().get(),
                settings.bookmark.version().get(),
                settings.provisioning.versions(),
            )
        },
        |(id, after, ..)| get_app(id, Some(after)),
    );
    view! {
        <section class="space-y-6">
            <p><A href="/apps" attr:class=LINK>"All apps"</A></p>
            <Suspense fallback=|| view! { <p role="status">"Loading the app…"</p> }>
                {move || app.get().map(|r| match r {
                    Ok(a) => view! { <AppView app=a change settings /> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1 class="text-2xl font-bold">"App not found"</h1>
                        <p>"There is no such app among those you can see."</p>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn AppView(
    app: AppDetail,
    change: ServerAction<ChangeAssignment>,
    settings: Settings,
) -> impl IntoView {
    let aid = app.id.clone();
    let sign_in = match (app.can_configure, app.sign_on_mode.as_str()) {
        (true, "OPENID_CONNECT") => Some(
            view! { <OidcSettings app_id=app.id.clone() client=app.oidc.clone() settings /> }
                .into_any(),
        ),
        (true, "BOOKMARK") => Some(
            view! { <BookmarkSettings app_id=app.id.clone() url=app.bookmark_url.clone().unwrap_or_default() settings /> }
                .into_any(),
        ),
        _ => None,
    };
    let provisioning = app.provisioning.clone().map(|panel| {
        view! { <ProvisioningSettings app_id=app.id.clone() panel actions=settings.provisioning /> }
    });
    let path = format!("/apps/{}", app.id);
    let manage = app.can_manage;
    let unassign = move |user_id: String, login: String| {
        let aid = aid.clone();
        manage.then(|| {
            view! {
                <ActionForm action=change>
                    <input type="hidden" name="app_id" value=aid />
                    <input type="hidden" name="user_id" value=user_id />
                    <input type="hidden" name="op" value="unassign" />
                    <button type="submit" class=SMALL_BUTTON aria-label=format!("Unassign {login}")>"Unassign"</button>
                </ActionForm>
            }
        })
    };
    let error = move || {
        change.value().with(|v| match v {
            Some(Err(e)) => e.field_message("login").map(str::to_string),
            _ => None,
        })
    };
    view! {
        <div class="space-y-1">
            <h1 class="text-2xl font-bold">{app.label.clone()}</h1>
            <p class="text-slate-700 dark:text-slate-300">{format!("Sign-on: {}", app.sign_on_mode)}</p>
        </div>
        {move || outcome(change.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
        {manage.then(|| view! {
            <ActionForm action=change attr:class="flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=app.id.clone() />
                <input type="hidden" name="op" value="assign" />
                {username_field("assignee-login", "Assign to username", error)}
                <button type="submit" class=BUTTON>"Assign"</button>
            </ActionForm>
        })}
        {sign_in}
        {provisioning}
        <h2 class="text-lg font-semibold">"Assigned directly"</h2>
        <MemberTable page=app.assignees caption="Direct assignees in your realms" path action=unassign />
    }
}

/// The app settings forms' actions.
#[derive(Clone, Copy)]
struct Settings {
    oidc: ServerAction<SaveOidcClient>,
    secret: ServerAction<NewOidcSecret>,
    bookmark: ServerAction<SaveBookmarkUrl>,
    provisioning: ProvisioningActions,
}

const APP_TYPES: [(&str, &str); 4] = [
    ("web", "Web app (server-side, with a client secret or key)"),
    ("browser", "Single-page app (public client, PKCE)"),
    ("native", "Native app (public client, PKCE)"),
    ("service", "Service (machine to machine, no user)"),
];

const AUTH_METHODS: [(&str, &str); 3] = [
    ("client_secret_basic", "Client secret (HTTP Basic)"),
    ("client_secret_post", "Client secret (in the form)"),
    ("private_key_jwt", "Private key JWT (public keys below)"),
];

/// An OpenID Connect app's client registration: the settings the portal, as
/// its OpenID Provider, signs users in to it with.
#[component]
fn OidcSettings(
    app_id: String,
    client: Option<OidcClientView>,
    settings: Settings,
) -> impl IntoView {
    let save = settings.oidc;
    let secret = settings.secret;
    let registered = client.is_some();
    let c = client.unwrap_or_else(|| OidcClientView {
        application_type: "web".into(),
        auth_method: "client_secret_basic".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        access_token_minutes: 60,
        id_token_minutes: 60,
        refresh_token_days: 30,
        realm_claim: true,
        ..OidcClientView::default()
    });
    let refresh = c.grant_types.iter().any(|g| g == "refresh_token");
    let has_secret = c.has_secret;
    let app_type = kept_value(save, "application_type", c.application_type.clone());
    let method = kept_value(save, "auth_method", c.auth_method.clone());
    let secret_id = app_id.clone();
    let area = move |id: &'static str,
                     name: &'static str,
                     label: &'static str,
                     hint: &'static str,
                     value: String,
                     error_field: &'static str| {
        let error_id = format!("{id}-error");
        let hint_id = format!("{id}-hint");
        let described = {
            let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
            move || {
                if field_error(save, error_field).is_some() {
                    format!("{hint_id} {error_id}")
                } else {
                    hint_id.clone()
                }
            }
        };
        view! {
            <div class="space-y-1">
                <label for=id class="block text-sm font-medium">{label}</label>
                <p id=hint_id.clone() class="text-sm text-slate-600 dark:text-slate-400">{hint}</p>
                <textarea id=id name=name rows="3" class=format!("{INPUT} w-full max-w-xl font-mono text-sm")
                    aria-invalid=move || field_error(save, error_field).is_some().to_string()
                    aria-describedby=described>{value}</textarea>
                {move || field_error(save, error_field).map(|m| view! { <p id=error_id.clone() class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
            </div>
        }
    };
    view! {
        <section aria-labelledby="oidc-settings" class="space-y-3">
            <h2 id="oidc-settings" class="text-lg font-semibold">"Sign-in (OpenID Connect)"</h2>
            {if registered {
                view! {
                    <p class="text-sm">"Client ID " <code class="font-mono">{c.client_id.clone()}</code>
                        " · the app discovers the portal at " <code class="font-mono">"/.well-known/openid-configuration"</code></p>
                }.into_any()
            } else {
                view! { <p class="text-sm">"Not set up yet: save these settings to register the app and get its client ID."</p> }.into_any()
            }}
            {move || outcome(save.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
            {move || outcome(secret.value().get())}
            <ActionForm action=save attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=app_id />
                <div class="space-y-1">
                    <label for="oidc-type" class="block text-sm font-medium">"Application type"</label>
                    <select id="oidc-type" name="application_type" class=INPUT>
                        {APP_TYPES.into_iter().map(|(v, t)| view! { <option value=v selected=app_type == v>{t}</option> }).collect_view()}
                    </select>
                    {move || field_error(save, "application_type").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                </div>
                <div class="space-y-1">
                    <label for="oidc-auth" class="block text-sm font-medium">"Client authentication"</label>
                    <p id="oidc-auth-hint" class="text-sm text-slate-600 dark:text-slate-400">"Web and service apps only: single-page and native apps use PKCE instead."</p>
                    <select id="oidc-auth" name="auth_method" class=INPUT aria-describedby="oidc-auth-hint">
                        {AUTH_METHODS.into_iter().map(|(v, t)| view! { <option value=v selected=method == v>{t}</option> }).collect_view()}
                    </select>
                    {move || field_error(save, "auth_method").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                </div>
                {area("oidc-redirects", "redirect_uris", "Sign-in redirect URIs", "One per line; they must match exactly.",
                    kept_value(save, "redirect_uris", c.redirect_uris.join("\n")), "redirect_uris")}
                {area("oidc-logout", "post_logout_redirect_uris", "Sign-out redirect URIs", "One per line: where the app may send users after signing them out.",
                    kept_value(save, "post_logout_redirect_uris", c.post_logout_redirect_uris.join("\n")), "post_logout_redirect_uris")}
                {text_field("oidc-initiate", "initiate_login_uri", "Initiate login URI", kept_value(save, "initiate_login_uri", c.initiate_login_uri.clone()),
                    Some("Where the app starts its own sign-in: the users' dashboard tile goes there."), move || field_error(save, "initiate_login_uri"))}
                <div class="flex items-center gap-2">
                    <input id="oidc-refresh" name="refresh_tokens" type="checkbox" value="true" checked=refresh />
                    <label for="oidc-refresh" class="text-sm font-medium">"Allow refresh tokens (offline_access)"</label>
                </div>
                {move || field_error(save, "grant_types").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                {text_field("oidc-access-ttl", "access_token_minutes", "Access token lifetime (minutes)", kept_value(save, "access_token_minutes", c.access_token_minutes.to_string()),
                    None, move || field_error(save, "access_token_minutes"))}
                {text_field("oidc-id-ttl", "id_token_minutes", "ID token lifetime (minutes)", kept_value(save, "id_token_minutes", c.id_token_minutes.to_string()),
                    None, move || field_error(save, "id_token_minutes"))}
                {text_field("oidc-refresh-ttl", "refresh_token_days", "Refresh token lifetime (days)", kept_value(save, "refresh_token_days", c.refresh_token_days.to_string()),
                    None, move || field_error(save, "refresh_token_days"))}
                {text_field("oidc-groups", "groups_filter", "Groups claim filter", kept_value(save, "groups_filter", c.groups_filter.clone()),
                    Some("A regular expression over group names (.* for all); empty: no groups claim."), move || field_error(save, "groups_filter"))}
                <div class="flex items-center gap-2">
                    <input id="oidc-realm" name="realm_claim" type="checkbox" value="true" checked=c.realm_claim />
                    <label for="oidc-realm" class="text-sm font-medium">"Tell the app the user's realm (realm, realm_id claims)"</label>
                </div>
                {text_field("oidc-scopes", "scopes", "Scopes the service may ask for", kept_value(save, "scopes", c.scopes.join(" ")),
                    Some("Service apps only, separated by spaces (e.g. inventory.read)."), move || field_error(save, "scopes"))}
                {area("oidc-jwks", "jwks", "Public keys (JWK Set)", "For private key JWT only: the app's public keys, as JSON.",
                    kept_value(save, "jwks", c.jwks.clone()), "jwks")}
                <button type="submit" class=BUTTON>"Save sign-in settings"</button>
            </ActionForm>
            {has_secret.then(|| view! {
                <ActionForm action=secret>
                    <input type="hidden" name="app_id" value=secret_id />
                    <button type="submit" class=SMALL_BUTTON>"Generate a new client secret"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// A bookmark app's address: its users' dashboard tile links there.
#[component]
fn BookmarkSettings(app_id: String, url: String, settings: Settings) -> impl IntoView {
    let save = settings.bookmark;
    view! {
        <section aria-labelledby="bookmark-settings" class="space-y-3">
            <h2 id="bookmark-settings" class="text-lg font-semibold">"Address"</h2>
            {move || outcome(save.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
            <ActionForm action=save attr:class="space-y-3" attr:novalidate=true>
                <input type="hidden" name="app_id" value=app_id />
                {text_field("bookmark-url", "url", "App URL", kept_value(save, "url", url),
                    Some("Users' dashboard tile opens it."), move || field_error(save, "url"))}
                <button type="submit" class=BUTTON>"Save address"</button>
            </ActionForm>
        </section>
    }
}
