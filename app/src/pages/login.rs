use leptos::prelude::*;
use leptos_meta::Title;

/// Identifier-first sign-in: the email decides which identity provider signs the
/// person in. A plain form, so it works without JavaScript.
#[component]
pub fn LoginPage() -> impl IntoView {
    // Where to go once signed in (a gated page sends people here with it); the
    // server accepts only same-site paths.
    let query = leptos_router::hooks::use_query_map();
    let return_to = query
        .read_untracked()
        .get("return_to")
        .filter(|r| r.starts_with('/'))
        .unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <section class="mx-auto max-w-md space-y-6">
            <h1 class="text-2xl font-bold">"Sign in to Partner Portal"</h1>
            // Outside the form (joined to it by `form=`), so the form itself stays
            // static markup and keeps its `rel`.
            <input type="hidden" form="sign-in" name="return_to" value=return_to />
            <form id="sign-in" method="get" action="/auth/login" class="space-y-4" rel="external">
                <div class="space-y-1">
                    <label for="login_hint" class="block text-sm font-medium">"Email"</label>
                    <input
                        id="login_hint"
                        name="login_hint"
                        type="text"
                        autocomplete="username"
                        class="block w-full rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100"
                    />
                    <p class="text-sm text-slate-700 dark:text-slate-300">
                        "You will continue at your company's sign-in page."
                    </p>
                </div>
                <button
                    type="submit"
                    class="rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800"
                >
                    "Continue"
                </button>
            </form>
        </section>
    }
}
