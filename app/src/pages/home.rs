use leptos::prelude::*;

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
