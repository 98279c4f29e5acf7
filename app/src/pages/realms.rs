//! `/realms`: the realms the admin may read, with their allowed email domains.

use leptos::prelude::*;

use crate::serverfns::realms::list_my_realms;

#[component]
pub fn RealmsPage() -> impl IntoView {
    let realms = Resource::new(|| (), |_| list_my_realms());
    view! {
        <section class="space-y-6">
            <h1 class="text-2xl font-bold">"Realms"</h1>
            <Suspense fallback=|| view! { <p role="status">"Loading realms…"</p> }>
                {move || realms.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p>"You may not see any realm."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="overflow-x-auto"><table class="w-full max-w-3xl border-collapse text-left text-sm">
                            <caption class="sr-only">"Realms you may see"</caption>
                            <thead>
                                <tr class="border-b border-slate-300 dark:border-slate-700">
                                    <th scope="col" class="py-2 pr-4">"Realm"</th>
                                    <th scope="col" class="py-2 pr-4">"Type"</th>
                                    <th scope="col" class="py-2 pr-4">"Email domains"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|r| view! {
                                    <tr class="border-b border-slate-200 dark:border-slate-800">
                                        <th scope="row" class="py-2 pr-4 font-medium">{r.name}</th>
                                        <td class="py-2 pr-4">{r.realm_type.as_str()}</td>
                                        <td class="py-2 pr-4">
                                            {if r.domains.is_empty() { "any".to_string() } else { r.domains.join(", ") }}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                    Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
