//! `/admin/directory`: the directory basics an org admin sets up — groups,
//! app integrations and the custom attributes of the user profile schema.

use leptos::prelude::*;
use leptos_router::components::A;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, outcome_besides_fields, select_field,
    text_field, BUTTON, INPUT, LINK, SMALL_BUTTON,
};
use crate::serverfns::admin::{
    admin_directory, CreateApp, CreateGroup, DefineAttribute, DeleteApp, DeleteGroup,
    DirectoryView, UpdateApp, UpdateGroup,
};

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let group = ServerAction::<CreateGroup>::new();
    let app = ServerAction::<CreateApp>::new();
    let attribute = ServerAction::<DefineAttribute>::new();
    let edit = ServerAction::<UpdateGroup>::new();
    let drop_group = ServerAction::<DeleteGroup>::new();
    let drop_app = ServerAction::<DeleteApp>::new();
    let rename_app = ServerAction::<UpdateApp>::new();
    let directory = Resource::new(
        move || {
            (
                group.version().get(),
                app.version().get(),
                attribute.version().get(),
                edit.version().get(),
                drop_group.version().get(),
                drop_app.version().get(),
                rename_app.version().get(),
            )
        },
        |_| admin_directory(),
    );
    view! {
        <AdminNav />
        <section class="space-y-8">
            <h1 class="text-2xl font-bold">"Directory"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading the directory…"</p> }>
                {move || directory.get().map(|r| match r {
                    Ok(view) => view! {
                        {move || outcome(edit.value().get())}
                        {move || outcome(drop_group.value().get())}
                        {move || outcome(drop_app.value().get())}
                        {move || outcome(rename_app.value().get())}
                        <Lists view edit drop_group drop_app rename_app />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
            <section aria-labelledby="new-group" class="space-y-3">
                <h2 id="new-group" class="text-lg font-semibold">"Create a group"</h2>
                {move || outcome_besides_fields(group.value().get())}
                <ActionForm action=group attr:class="space-y-3" attr:novalidate=true>
                    {text_field("group-name", "name", "Group name", kept_value(group, "name", String::new()), None, move || field_error(group, "name"))}
                    {text_field("group-description", "description", "Group description", kept_value(group, "description", String::new()), None, move || field_error(group, "description"))}
                    <button type="submit" class=BUTTON>"Create group"</button>
                </ActionForm>
            </section>
            <section aria-labelledby="new-app" class="space-y-3">
                <h2 id="new-app" class="text-lg font-semibold">"Add an app integration"</h2>
                {move || outcome_besides_fields(app.value().get())}
                <ActionForm action=app attr:class="space-y-3" attr:novalidate=true>
                    {text_field("app-label", "label", "App label", kept_value(app, "label", String::new()), None, move || field_error(app, "label"))}
                    {text_field("app-name", "name", "App type", kept_value(app, "app_name", String::new()),
                        Some("Letters, digits and _ (bookmark, oidc_client, saml_2_0, …); resource sets can name all apps of a type."),
                        move || field_error(app, "name"))}
                    {select_field("app-mode", "sign_on_mode", "Sign-on mode", "Choose a mode", vec![
                        ("BOOKMARK".into(), "Bookmark".into()),
                        ("OPENID_CONNECT".into(), "OpenID Connect".into()),
                        ("SAML_2_0".into(), "SAML 2.0".into()),
                        ("AUTO_LOGIN".into(), "Auto login".into()),
                    ], String::new())}
                    {move || field_error(app, "signOnMode").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                    <button type="submit" class=BUTTON>"Add app"</button>
                </ActionForm>
            </section>
            <section aria-labelledby="new-attribute" class="space-y-3">
                <h2 id="new-attribute" class="text-lg font-semibold">"Add a profile attribute"</h2>
                {move || outcome_besides_fields(attribute.value().get())}
                <ActionForm action=attribute attr:class="space-y-3" attr:novalidate=true>
                    {text_field("attr-name", "name", "Attribute name", kept_value(attribute, "attr_name", String::new()),
                        Some("Letters, digits and _, starting with a letter, e.g. costCenter."),
                        move || field_error(attribute, "name"))}
                    {text_field("attr-title", "title", "Title", kept_value(attribute, "title", String::new()), None, move || field_error(attribute, "title"))}
                    {select_field("attr-type", "attr_type", "Type", "Choose a type", vec![
                        ("string".into(), "Text".into()),
                        ("boolean".into(), "Yes/no".into()),
                        ("integer".into(), "Whole number".into()),
                        ("number".into(), "Number".into()),
                    ], String::new())}
                    {move || field_error(attribute, "type").map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
                    <div class="flex items-center gap-2">
                        <input id="attr-required" type="checkbox" name="required" value="on" />
                        <label for="attr-required">"Required (refused while some user has no value)"</label>
                    </div>
                    <button type="submit" class=BUTTON>"Save attribute"</button>
                </ActionForm>
            </section>
        </section>
    }
}

#[component]
fn Lists(
    view: DirectoryView,
    edit: ServerAction<UpdateGroup>,
    drop_group: ServerAction<DeleteGroup>,
    drop_app: ServerAction<DeleteApp>,
    rename_app: ServerAction<UpdateApp>,
) -> impl IntoView {
    view! {
        <div class="grid gap-6 lg:grid-cols-3">
            <section aria-labelledby="groups-list" class="space-y-2">
                <h2 id="groups-list" class="text-lg font-semibold">{format!("Groups ({})", view.groups.len())}</h2>
                <ul class="list-disc pl-5 text-sm">
                    {view.groups.into_iter().enumerate().map(|(i, g)| {
                        let (name_id, description_id) = (format!("group-{i}-name"), format!("group-{i}-description"));
                        let href = format!("/groups/{}", g.id);
                        let (edit_id, delete_id) = (g.id.to_string(), g.id.to_string());
                        let summary = format!("Edit or delete {}", g.name);
                        let save = format!("Save {}", g.name);
                        let delete = format!("Delete {}", g.name);
                        let (name, value, description) = (g.name.clone(), g.name, g.description);
                        view! {
                            <li class="space-y-1">
                                <A href=href attr:class=LINK>{name}</A>
                                <details>
                                    <summary class="cursor-pointer text-xs">{summary}</summary>
                                    <ActionForm action=edit attr:class="mt-1 space-y-2">
                                        <input type="hidden" name="id" value=edit_id />
                                        <label for=name_id.clone() class="block text-xs font-medium">"Name"</label>
                                        <input id=name_id name="name" type="text" value=value class=INPUT />
                                        <label for=description_id.clone() class="block text-xs font-medium">"Description"</label>
                                        <input id=description_id name="description" type="text" value=description class=INPUT />
                                        <button type="submit" class=SMALL_BUTTON>{save}</button>
                                    </ActionForm>
                                    <ActionForm action=drop_group attr:class="mt-1">
                                        <input type="hidden" name="id" value=delete_id />
                                        <button type="submit" class=SMALL_BUTTON>{delete}</button>
                                    </ActionForm>
                                </details>
                            </li>
                        }.into_any()
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="apps-list" class="space-y-2">
                <h2 id="apps-list" class="text-lg font-semibold">{format!("Apps ({})", view.apps.len())}</h2>
                <ul class="list-disc pl-5 text-sm">
                    {view.apps.into_iter().enumerate().map(|(i, a)| {
                        let href = format!("/apps/{}", a.id);
                        let (id, rename_id) = (a.id.to_string(), a.id.to_string());
                        let label_id = format!("app-{i}-label");
                        let summary = format!("Rename or delete {}", a.label);
                        let save = format!("Save {}", a.label);
                        let delete = format!("Delete {}", a.label);
                        let current = a.label.clone();
                        view! {
                            <li class="space-y-1">
                                <span><A href=href attr:class=LINK>{a.label}</A> " (" {a.name} ", " {a.sign_on_mode} ")"</span>
                                <details>
                                    <summary class="cursor-pointer text-xs">{summary}</summary>
                                    <ActionForm action=rename_app attr:class="mt-1 space-y-2">
                                        <input type="hidden" name="id" value=rename_id />
                                        <label for=label_id.clone() class="block text-xs font-medium">"Label"</label>
                                        <input id=label_id name="label" type="text" value=current class=INPUT />
                                        <button type="submit" class=SMALL_BUTTON>{save}</button>
                                    </ActionForm>
                                    <ActionForm action=drop_app attr:class="mt-1">
                                        <input type="hidden" name="id" value=id />
                                        <button type="submit" class=SMALL_BUTTON>{delete}</button>
                                    </ActionForm>
                                </details>
                            </li>
                        }.into_any()
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="schema-list" class="space-y-2">
                <h2 id="schema-list" class="text-lg font-semibold">"Custom profile attributes"</h2>
                {if view.attributes.is_empty() {
                    view! { <p class="text-sm">"None yet: users have the base attributes only."</p> }.into_any()
                } else {
                    view! {
                        <ul class="list-disc pl-5 text-sm">
                            {view.attributes.into_iter().map(|a| view! {
                                <li><code>{a.name}</code> " — " {a.title} " (" {a.attr_type} {if a.required { ", required" } else { "" }} ")"</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}
