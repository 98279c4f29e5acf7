use leptos::prelude::*;
use leptos_router::components::A;

use crate::serverfns::home::{home_overview, Overview};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="space-y-6">
            <div class="space-y-2">
                <h1 class="text-3xl font-bold tracking-tight">"Secure Partner Access"</h1>
                <p class="max-w-2xl text-slate-700 dark:text-slate-300">
                    "Partner Portal lets your partner companies' own administrators manage their users, \
                     group memberships and app access — inside their realms and nowhere else."
                </p>
            </div>
            <AboutDisclosure />
            <OverviewPanel />
        </section>
    }
}

#[component]
fn OverviewPanel() -> impl IntoView {
    let data = Resource::new(|| (), |_| home_overview());
    view! {
        <div class="flex flex-wrap gap-3">
            <A href="/users" attr:class="rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800">"All users"</A>
            <A href="/users/new" attr:class="rounded-md border border-slate-400 px-4 py-2 hover:bg-slate-100 dark:hover:bg-slate-800">"Create user"</A>
        </div>
        <Suspense fallback=|| view! { <p role="status">"Loading your realms…"</p> }>
            {move || data.get().map(|result| match result {
                Ok(o) => view! { <OverviewView o /> }.into_any(),
                Err(e) => view! { <p role="alert" class="text-red-700 dark:text-red-300">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn OverviewView(o: Overview) -> impl IntoView {
    view! {
        <section aria-labelledby="your-realms" class="space-y-3">
            <h2 id="your-realms" class="text-xl font-semibold">"Your realms"</h2>
            <div class="overflow-x-auto"><table class="w-full max-w-2xl border-collapse text-left text-sm">
                <caption class="sr-only">"Users per realm by status"</caption>
                <thead>
                    <tr class="border-b border-slate-300 dark:border-slate-700">
                        <th scope="col" class="py-2 pr-4">"Realm"</th>
                        <th scope="col" class="py-2 pr-4">"Active"</th>
                        <th scope="col" class="py-2 pr-4">"Suspended"</th>
                        <th scope="col" class="py-2 pr-4">"Other"</th>
                    </tr>
                </thead>
                <tbody>
                    {o.realms.into_iter().map(|r| view! {
                        <tr class="border-b border-slate-200 dark:border-slate-800">
                            <th scope="row" class="py-2 pr-4 font-medium">{r.name}</th>
                            <td class="py-2 pr-4">{r.active}</td>
                            <td class="py-2 pr-4">{r.suspended}</td>
                            <td class="py-2 pr-4">{r.other}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
        <section aria-labelledby="latest-activity" class="space-y-3">
            <h2 id="latest-activity" class="text-xl font-semibold">"Latest activity"</h2>
            {if o.activity.is_empty() {
                view! { <p>"Nothing has happened in your realms yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="space-y-2 text-sm">
                        {o.activity.into_iter().map(|a| view! {
                            <li>
                                <span class="font-medium">{a.message}</span>
                                " · " {a.actor} " → " {a.targets}
                                <span class="block text-slate-600 dark:text-slate-400">{a.published}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// A disclosure that opens only once the page is hydrated: its button is inert in
/// the server-rendered HTML.
#[component]
fn AboutDisclosure() -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="max-w-2xl rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
            <button
                type="button"
                class="font-medium text-indigo-700 underline-offset-2 hover:underline dark:text-indigo-300"
                aria-expanded=move || open.get().to_string()
                aria-controls="about-partner-admins"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "What can a partner admin do here?"
            </button>
            <ul
                id="about-partner-admins"
                class="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-700 dark:text-slate-300"
                hidden=move || !open.get()
            >
                <li>"Create users and edit their profiles in the partner's realm."</li>
                <li>"Suspend, unsuspend, deactivate users and reset their authenticators."</li>
                <li>"Add users to groups and assign apps, within the scope they were given."</li>
                <li>"See the activity of their realm in the System Log."</li>
            </ul>
        </div>
    }
}
