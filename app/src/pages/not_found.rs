use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path that matches no route; answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="space-y-3">
            <h1 class="text-2xl font-bold">"Page not found"</h1>
            <p class="text-slate-700 dark:text-slate-300">
                "There is nothing at this address, or you may not see it."
            </p>
            <a href="/" class="text-indigo-700 underline dark:text-indigo-300">"Go to the home page"</a>
        </section>
    }
}
