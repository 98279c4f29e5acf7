//! `/admin/roles`: the delegated admin model — who holds the standard roles,
//! custom roles (the permission catalog grouped and explained), resource sets
//! and bindings; each created, changed and deleted here.

use leptos::prelude::*;

use super::AdminNav;
use crate::components::ui::{
    error_alert, field_error, kept_value, outcome_besides_fields, select_field, text_field, BUTTON,
    INPUT, SMALL_BUTTON,
};
use crate::serverfns::admin::roles::{
    admin_iam, standard_assignments, AddBinding, ChangeResourceSet, CreateResourceSet, CreateRole,
    DeleteResourceSet, DeleteRole, GrantStandardRole, IamView, PermissionChoice, RemoveBinding,
    RevokeStandardRole, RoleView, SetView, UpdateRole,
};

fn error_line(message: Option<String>) -> Option<AnyView> {
    message.map(|m| view! { <p class="text-sm text-red-700 dark:text-red-300">{m}</p> }.into_any())
}

/// A fieldset of checkboxes named `name[i]`.
fn checkboxes(
    legend: &'static str,
    name: &'static str,
    id_prefix: &str,
    items: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <fieldset class="space-y-1">
            <legend class="text-sm font-medium">{legend}</legend>
            {items.into_iter().enumerate().map(|(i, (id, label))| {
                let input_id = format!("{id_prefix}-{i}");
                view! {
                    <div class="flex items-center gap-2">
                        <input type="checkbox" id=input_id.clone() name=format!("{name}[{i}]") value=id />
                        <label for=input_id>{label}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let role = ServerAction::<CreateRole>::new();
    let set = ServerAction::<CreateResourceSet>::new();
    let add = ServerAction::<AddBinding>::new();
    let remove = ServerAction::<RemoveBinding>::new();
    let update = ServerAction::<UpdateRole>::new();
    let change = ServerAction::<ChangeResourceSet>::new();
    let drop_role = ServerAction::<DeleteRole>::new();
    let drop_set = ServerAction::<DeleteResourceSet>::new();
    let iam = Resource::new(
        move || {
            (
                role.version().get(),
                set.version().get(),
                add.version().get(),
                remove.version().get(),
                update.version().get(),
                change.version().get(),
                drop_role.version().get(),
                drop_set.version().get(),
            )
        },
        |_| admin_iam(),
    );
    view! {
        <AdminNav />
        <section class="space-y-8">
            <h1 class="text-2xl font-bold">"Admin roles"</h1>
            <p class="max-w-3xl">
                "Who may administer what: a " <strong>"role"</strong> " (a set of permissions) on a "
                <strong>"resource set"</strong> " (realms, their users, groups, apps), held by users or groups through a "
                <strong>"binding"</strong> ". Nobody can bind more than it holds."
            </p>
            <Suspense fallback=|| view! { <p role="status">"Loading the admin model…"</p> }>
                {move || iam.get().map(|r| match r {
                    Ok(view) => view! {
                        {move || outcome_besides_fields(update.value().get())}
                        {move || outcome_besides_fields(change.value().get())}
                        {move || outcome_besides_fields(drop_role.value().get())}
                        {move || outcome_besides_fields(drop_set.value().get())}
                        <StandardRoles
                            roles=view.standard.iter().map(|r| (r.role.clone(), format!("{} ({})", r.role, r.label))).collect()
                            groups=view.groups.clone()
                            apps=view.apps.clone()
                        />
                        <IamSections view role set add remove update change drop_role drop_set />
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn IamSections(
    view: IamView,
    role: ServerAction<CreateRole>,
    set: ServerAction<CreateResourceSet>,
    add: ServerAction<AddBinding>,
    remove: ServerAction<RemoveBinding>,
    update: ServerAction<UpdateRole>,
    change: ServerAction<ChangeResourceSet>,
    drop_role: ServerAction<DeleteRole>,
    drop_set: ServerAction<DeleteResourceSet>,
) -> impl IntoView {
    let catalog = view.catalog.clone();
    let (realms, groups, apps) = (view.realms.clone(), view.groups.clone(), view.apps.clone());
    let set_choices: Vec<(String, String)> = view
        .resource_sets
        .iter()
        .map(|s| (s.id.clone(), s.label.clone()))
        .collect();
    let role_choices: Vec<(String, String)> = view
        .roles
        .iter()
        .map(|r| (r.id.clone(), r.label.clone()))
        .collect();
    let group_choices = view.groups.clone();
    let mut permission_index = 0usize;
    let roles_view = view! {
        <section aria-labelledby="roles" class="space-y-4">
            <h2 id="roles" class="text-xl font-semibold">"Roles"</h2>
            <ul class="list-disc pl-5 text-sm">
                {view.standard.into_iter().map(|r| {
                    let scope = if r.targets.is_empty() {
                        "standard, org-wide".to_string()
                    } else {
                        format!("standard, org-wide or for chosen {}", r.targets)
                    };
                    view! {
                        <li>
                            <strong>{r.role}</strong> {format!(" ({}) — {scope}, {} permissions: {}", r.label, r.permissions, r.note)}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {view.roles.into_iter().enumerate().map(|(i, r)| view! { <RoleCard index=i role=r catalog=catalog.clone() update drop_role /> }).collect_view()}
            <details class="rounded-lg border border-slate-200 p-3 dark:border-slate-800"
                open=move || role.value().with(|v| matches!(v, Some(Err(_))))>
                <summary class="cursor-pointer font-medium">"Create a custom role"</summary>
                {move || outcome_besides_fields(role.value().get())}
                <ActionForm action=role attr:class="mt-3 space-y-3" attr:novalidate=true>
                    {text_field("role-label", "label", "Role label", kept_value(role, "label", String::new()), None, move || field_error(role, "label"))}
                    {text_field("role-description", "description", "Role description", kept_value(role, "description", String::new()), None, move || field_error(role, "description"))}
                    {move || error_line(field_error(role, "permissions"))}
                    {view.catalog.into_iter().map(|(heading, permissions)| view! {
                        <fieldset class="space-y-1">
                            <legend class="font-medium">{heading}</legend>
                            {permissions.into_iter().map(|p| {
                                permission_index += 1;
                                let i = permission_index;
                                let input_id = format!("perm-{i}");
                                let hint_id = format!("perm-{i}-hint");
                                view! {
                                    <div class="flex items-start gap-2">
                                        <input type="checkbox" id=input_id.clone() name=format!("permissions[{i}]") value=p.value.clone() aria-describedby=hint_id.clone() class="mt-1" />
                                        <div>
                                            <label for=input_id>{p.label} " " <code class="text-xs">{p.value}</code></label>
                                            <p id=hint_id class="text-xs text-slate-600 dark:text-slate-400">{p.explanation}</p>
                                        </div>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                    }).collect_view()}
                    {text_field("role-attributes", "profile_attributes", "Limit profile edits to these attributes", kept_value(role, "profile_attributes", String::new()),
                        Some("Optional, comma-separated (e.g. firstName, lastName, mobilePhone): okta.users.userprofile.manage then reaches only these."),
                        move || field_error(role, "profileAttributes"))}
                    <button type="submit" class=BUTTON>"Create role"</button>
                </ActionForm>
            </details>
        </section>

    }
    .into_any();
    let sets_view = view! {
        <section aria-labelledby="sets" class="space-y-4">
            <h2 id="sets" class="text-xl font-semibold">"Resource sets"</h2>
            {view.resource_sets.into_iter().enumerate().map(|(i, s)| view! {
                <SetCard index=i set=s realms=realms.clone() groups=groups.clone() apps=apps.clone() change drop_set />
            }).collect_view()}
            <details class="rounded-lg border border-slate-200 p-3 dark:border-slate-800"
                open=move || set.value().with(|v| matches!(v, Some(Err(_))))>
                <summary class="cursor-pointer font-medium">"Create a resource set"</summary>
                {move || outcome_besides_fields(set.value().get())}
                <ActionForm action=set attr:class="mt-3 space-y-3" attr:novalidate=true>
                    {text_field("set-label", "label", "Resource set label", kept_value(set, "label", String::new()), None, move || field_error(set, "label"))}
                    {text_field("set-description", "description", "Resource set description", kept_value(set, "description", String::new()), None, move || field_error(set, "description"))}
                    {move || error_line(field_error(set, "resources"))}
    {checkboxes("Realms (the realm and its users)", "realms", "set-realm", view.realms)}
    {checkboxes("Groups (the group and its members)", "groups", "set-group", view.groups)}
    {checkboxes("Apps", "apps", "set-app", view.apps)}
                    <div class="space-y-1">
                        <label for="set-orns" class="block text-sm font-medium">"Or by ORN or REST URL (one per line)"</label>
                        <textarea id="set-orns" name="orns" rows="3" class=format!("{INPUT} w-full max-w-2xl font-mono text-sm")
                            aria-invalid=move || field_error(set, "orns").is_some().to_string()>{kept_value(set, "orns", String::new())}</textarea>
                        {move || error_line(field_error(set, "orns"))}
                    </div>
                    <button type="submit" class=BUTTON>"Create resource set"</button>
                </ActionForm>
            </details>
        </section>

    }
    .into_any();
    let bindings_view = view! {
        <section aria-labelledby="bindings" class="space-y-4">
            <h2 id="bindings" class="text-xl font-semibold">"Bindings"</h2>
            {move || outcome_besides_fields(remove.value().get())}
            <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
                <caption class="sr-only">"Bindings"</caption>
                <thead><tr class="border-b border-slate-300 dark:border-slate-700">
                    <th scope="col" class="py-2 pr-3">"Role"</th>
                    <th scope="col" class="py-2 pr-3">"Resource set"</th>
                    <th scope="col" class="py-2 pr-3">"Held by"</th>
                </tr></thead>
                <tbody>
                    {view.bindings.into_iter().map(|b| {
                        let (rs, role_id) = (b.resource_set_id.clone(), b.role_id.clone());
                        view! {
                            <tr class="border-b border-slate-200 align-top dark:border-slate-800">
                                <th scope="row" class="py-2 pr-3 font-medium">{b.role.clone()}</th>
                                <td class="py-2 pr-3">{b.resource_set.clone()}</td>
                                <td class="py-2 pr-3">
                                    <ul class="space-y-1">
                                        {b.members.into_iter().map(|(kind, id, name)| {
                                            let shown = if kind == "GROUP" { format!("group {name}") } else { name };
                                            let label = format!("Remove {shown} from {} on {}", b.role, b.resource_set);
                                            let (rs, role_id) = (rs.clone(), role_id.clone());
                                            view! {
                                                <li class="flex items-center gap-2">
                                                    <span>{shown}</span>
                                                    <ActionForm action=remove>
                                                        <input type="hidden" name="resource_set_id" value=rs />
                                                        <input type="hidden" name="role_id" value=role_id />
                                                        <input type="hidden" name="member_type" value=kind />
                                                        <input type="hidden" name="member_id" value=id />
                                                        <button type="submit" class=SMALL_BUTTON aria-label=label>"Remove"</button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            <section aria-labelledby="add-binding" class="space-y-3">
                <h3 id="add-binding" class="font-medium">"Bind a role"</h3>
                {move || outcome_besides_fields(add.value().get())}
                <ActionForm action=add attr:class="space-y-3" attr:novalidate=true>
                    {select_field("binding-set", "resource_set_id", "On resource set", "Choose a resource set", set_choices, String::new())}
                    {move || error_line(field_error(add, "resourceSetId"))}
                    {select_field("binding-role", "role_id", "Role", "Choose a role", role_choices, String::new())}
                    {move || error_line(field_error(add, "roleId"))}
                    {text_field("binding-login", "login", "To a user (username)", String::new(), None, move || field_error(add, "login"))}
                    {select_field("binding-group", "group_id", "Or to a group", "No group", group_choices, String::new())}
                    {move || error_line(field_error(add, "groupId"))}
                    <button type="submit" class=BUTTON>"Bind"</button>
                </ActionForm>
            </section>
        </section>
    }
    .into_any();
    view! { {roles_view} {sets_view} {bindings_view} }
}

/// The catalog as checkboxes named `permissions[i]`, `checked` ticked.
fn catalog_boxes(
    prefix: String,
    catalog: Vec<(String, Vec<PermissionChoice>)>,
    checked: Vec<String>,
) -> AnyView {
    let mut index = 0usize;
    catalog
        .into_iter()
        .map(|(heading, permissions)| {
            let boxes = permissions
                .into_iter()
                .map(|p| {
                    index += 1;
                    let input_id = format!("{prefix}-{index}");
                    let hint_id = format!("{prefix}-{index}-hint");
                    let on = checked.contains(&p.value);
                    view! {
                        <div class="flex items-start gap-2">
                            <input type="checkbox" id=input_id.clone() name=format!("permissions[{index}]") value=p.value.clone()
                                checked=on aria-describedby=hint_id.clone() class="mt-1" />
                            <div>
                                <label for=input_id>{p.label} " " <code class="text-xs">{p.value}</code></label>
                                <p id=hint_id class="text-xs text-slate-600 dark:text-slate-400">{p.explanation}</p>
                            </div>
                        </div>
                    }
                })
                .collect_view();
            view! { <fieldset class="space-y-1"><legend class="font-medium">{heading}</legend>{boxes}</fieldset> }
        })
        .collect_view()
        .into_any()
}

/// A custom role with its permissions and an editor.
#[component]
fn RoleCard(
    index: usize,
    role: RoleView,
    catalog: Vec<(String, Vec<PermissionChoice>)>,
    update: ServerAction<UpdateRole>,
    drop_role: ServerAction<DeleteRole>,
) -> impl IntoView {
    let label_id = format!("edit-role-{index}-label");
    let description_id = format!("edit-role-{index}-description");
    let attributes_id = format!("edit-role-{index}-attributes");
    let boxes = catalog_boxes(
        format!("edit-role-{index}-perm"),
        catalog,
        role.values.clone(),
    );
    let (drop_id, drop_label) = (role.id.clone(), format!("Delete {}", role.label));
    view! {
        <article class="space-y-1 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
            <h3 class="font-medium">{role.label.clone()}</h3>
            <p class="text-sm">{role.description.clone()}</p>
            <ul class="flex flex-wrap gap-1 text-xs">
                {role.permissions.into_iter().map(|p| view! { <li class="rounded bg-slate-100 px-2 py-0.5 font-mono dark:bg-slate-800">{p}</li> }).collect_view()}
            </ul>
            <details>
                <summary class="cursor-pointer text-sm text-indigo-700 underline dark:text-indigo-300">{format!("Edit {}", role.label)}</summary>
                <ActionForm action=update attr:class="mt-2 space-y-3" attr:novalidate=true>
                    <input type="hidden" name="id" value=role.id.clone() />
                    <div class="space-y-1">
                        <label for=label_id.clone() class="block text-sm font-medium">"Label"</label>
                        <input id=label_id name="label" type="text" value=role.label.clone() class=INPUT />
                    </div>
                    <div class="space-y-1">
                        <label for=description_id.clone() class="block text-sm font-medium">"Description"</label>
                        <input id=description_id name="description" type="text" value=role.description.clone() class=INPUT />
                    </div>
                    {boxes}
                    <div class="space-y-1">
                        <label for=attributes_id.clone() class="block text-sm font-medium">"Limit profile edits to these attributes"</label>
                        <input id=attributes_id name="profile_attributes" type="text" value=role.profile_attributes.clone() class=INPUT />
                    </div>
                    <button type="submit" class=BUTTON>{format!("Save {}", role.label)}</button>
                </ActionForm>
                <ActionForm action=drop_role attr:class="mt-2">
                    <input type="hidden" name="id" value=drop_id />
                    <button type="submit" class=SMALL_BUTTON>{drop_label}</button>
                </ActionForm>
            </details>
        </article>
    }
    .into_any()
}

/// A resource set with its resources (each removable) and an adder.
#[component]
fn SetCard(
    index: usize,
    set: SetView,
    realms: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    apps: Vec<(String, String)>,
    change: ServerAction<ChangeResourceSet>,
    drop_set: ServerAction<DeleteResourceSet>,
) -> impl IntoView {
    let id = set.id.clone();
    let drop_id = set.id.clone();
    let drop_label = format!("Delete {}", set.label);
    let orns_id = format!("set-{index}-orns");
    let resources = set
        .resources
        .into_iter()
        .map(|(what, orn)| {
            let label = format!("Remove {what} from {}", set.label);
            let id = id.clone();
            view! {
                <li class="flex flex-wrap items-center gap-2">
                    <span>{what}</span>
                    <code class="break-all text-xs">{orn.clone()}</code>
                    <ActionForm action=change>
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="remove" value=orn />
                        <button type="submit" class=SMALL_BUTTON aria-label=label>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <article class="space-y-1 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
            <h3 class="font-medium">{set.label.clone()}</h3>
            <p class="text-sm">{set.description.clone()}</p>
            <ul class="list-disc space-y-1 pl-5 text-sm">{resources}</ul>
            <details>
                <summary class="cursor-pointer text-sm text-indigo-700 underline dark:text-indigo-300">{format!("Add resources to {}", set.label)}</summary>
                <ActionForm action=change attr:class="mt-2 space-y-3" attr:novalidate=true>
                    <input type="hidden" name="id" value=set.id.clone() />
                    {checkboxes("Realms (the realm and its users)", "realms", &format!("set-{index}-realm"), realms).into_any()}
                    {checkboxes("Groups (the group and its members)", "groups", &format!("set-{index}-group"), groups).into_any()}
                    {checkboxes("Apps", "apps", &format!("set-{index}-app"), apps).into_any()}
                    <div class="space-y-1">
                        <label for=orns_id.clone() class="block text-sm font-medium">"ORNs or REST URLs (one per line)"</label>
                        <textarea id=orns_id name="orns" rows="2" class=format!("{INPUT} w-full max-w-2xl font-mono text-sm")></textarea>
                    </div>
                    <button type="submit" class=BUTTON>{format!("Add to {}", set.label)}</button>
                </ActionForm>
            </details>
            <ActionForm action=drop_set>
                <input type="hidden" name="id" value=drop_id />
                <button type="submit" class=SMALL_BUTTON>{drop_label}</button>
            </ActionForm>
        </article>
    }
    .into_any()
}

/// Who holds the standard roles (with their targets), with grant and take
/// back.
#[component]
fn StandardRoles(
    roles: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    apps: Vec<(String, String)>,
) -> impl IntoView {
    let grant = ServerAction::<GrantStandardRole>::new();
    let revoke = ServerAction::<RevokeStandardRole>::new();
    let held = Resource::new(
        move || (grant.version().get(), revoke.version().get()),
        |_| standard_assignments(),
    );
    let member_groups = groups.clone();
    view! {
        <section aria-labelledby="standard-roles" class="space-y-3">
            <h2 id="standard-roles" class="text-xl font-semibold">"Standard role assignments"</h2>
            {move || outcome_besides_fields(revoke.value().get())}
            <Suspense fallback=|| view! { <p role="status">"Loading assignments…"</p> }>
                {move || held.get().map(|r| match r {
                    Ok(rows) => view! {
                        <ul class="space-y-1 text-sm">
                            {rows.into_iter().map(|a| {
                                let shown = if a.member_type == "GROUP" { format!("group {}", a.name) } else { a.name.clone() };
                                let reach = if a.targets.is_empty() {
                                    "org-wide".to_string()
                                } else {
                                    format!("for {}", a.targets.join(", "))
                                };
                                let label = format!("Take back {} from {shown}", a.role);
                                view! {
                                    <li class="flex flex-wrap items-center gap-2">
                                        <span><strong>{a.role.clone()}</strong> " — " {shown} " — " {reach}</span>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="role" value=a.role />
                                            <input type="hidden" name="member_type" value=a.member_type />
                                            <input type="hidden" name="member_id" value=a.member_id />
                                            <button type="submit" class=SMALL_BUTTON aria-label=label>"Take back"</button>
                                        </ActionForm>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => error_alert(&e),
                })}
            </Suspense>
            <details class="rounded-lg border border-slate-200 p-3 dark:border-slate-800"
                open=move || grant.value().with(|v| matches!(v, Some(Err(_))))>
                <summary class="cursor-pointer font-medium">"Grant a standard role"</summary>
                {move || outcome_besides_fields(grant.value().get())}
                <ActionForm action=grant attr:class="mt-3 space-y-3" attr:novalidate=true>
                    {select_field("standard-role", "role", "Standard role", "Choose a role", roles, kept_value(grant, "role", String::new()))}
                    {move || error_line(field_error(grant, "role"))}
                    {text_field("standard-login", "login", "Holder's username", kept_value(grant, "login", String::new()), None, move || field_error(grant, "login"))}
                    {select_field("standard-group", "group_id", "Or a group that holds it", "No group", member_groups, String::new())}
                    {move || error_line(field_error(grant, "groupId"))}
                    <p class="text-sm">
                        "Targets narrow a role: none leaves it org-wide. APP_ADMIN takes apps; USER_ADMIN, HELP_DESK_ADMIN and GROUP_MEMBERSHIP_ADMIN take groups; the other roles take none."
                    </p>
                    {checkboxes("Target groups", "target_groups", "standard-target-group", groups)}
                    {checkboxes("Target apps", "target_apps", "standard-target-app", apps)}
                    {move || error_line(field_error(grant, "targets"))}
                    <button type="submit" class=BUTTON>"Grant role"</button>
                </ActionForm>
            </details>
        </section>
    }
}
