//! The app shell: skip link, header with product name and navigation, the main
//! landmark with an error boundary, and a footer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::ui::NoticeToast;
use crate::error::AppError;
use crate::serverfns::session::get_current_user;
use crate::PRODUCT_NAME;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
        >
            "Skip to content"
        </a>
        <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
                <A href="/" attr:class="text-lg font-semibold tracking-tight">
                    {PRODUCT_NAME}
                </A>
                <nav aria-label="Main" class="flex flex-1 flex-wrap gap-3 text-sm">
                    <A href="/" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Home"
                    </A>
                    <A href="/users" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Users"
                    </A>
                    <A href="/groups" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Groups"
                    </A>
                    <A href="/apps" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Apps"
                    </A>
                    <A href="/activity" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Activity"
                    </A>
                    <A href="/realms" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "Realms"
                    </A>
                    <A href="/api-tokens" attr:class="rounded px-2 py-1 hover:bg-slate-100 aria-[current=page]:font-semibold dark:hover:bg-slate-800">
                        "API tokens"
                    </A>
                </nav>
                <SessionControls />
            </div>
        </header>
        <main id="main" class="mx-auto max-w-6xl px-4 py-8">
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors /> }>{children()}</ErrorBoundary>
        </main>
        <NoticeToast />
        <footer class="mx-auto max-w-6xl px-4 pb-8 text-xs text-slate-600 dark:text-slate-400">
            {PRODUCT_NAME} " — self-hosted Secure Partner Access"
        </footer>
    }
}

/// What a page shows when rendering it failed: the message and, for server-side
/// failures, the reference id that is also in the server log.
#[component]
pub fn ErrorPanel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<AppError>() {
                Some(app) => app.to_string(),
                None => "Something went wrong.".to_string(),
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section
            role="alert"
            class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
        >
            <h1 class="text-lg font-semibold">"This page could not be shown"</h1>
            <ul class="mt-2 list-disc pl-5">
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        </section>
    }
}

/// "Sign in", or who is signed in and a sign-out button (a plain form POST, so it
/// works without JavaScript).
#[component]
fn SessionControls() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let sign_in = || {
        view! {
            <a
                href="/login"
                class="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
            >
                "Sign in"
            </a>
        }
    };
    view! {
        <Suspense fallback=sign_in>
            {move || {
                user.get()
                    .map(|result| match result {
                        Ok(Some(me)) => {
                            view! {
                                <div class="flex items-center gap-3 text-sm">
                                    <span>
                                        <span class="sr-only">"Signed in as "</span>
                                        <span data-testid="signed-in-user">{me.display_name}</span>
                                    </span>
                                    {me.console.then(|| view! {
                                        <A href="/admin" attr:class="rounded px-2 py-1 font-medium text-indigo-700 underline dark:text-indigo-300">"Admin console"</A>
                                    })}
                                    <form method="post" action="/auth/logout">
                                        <button
                                            type="submit"
                                            class="rounded-md border border-slate-400 px-3 py-1.5 hover:bg-slate-100 dark:hover:bg-slate-800"
                                        >
                                            "Sign out"
                                        </button>
                                    </form>
                                </div>
                            }
                                .into_any()
                        }
                        _ => sign_in().into_any(),
                    })
            }}
        </Suspense>
    }
}
