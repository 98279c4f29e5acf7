//! The browser entry point: hydrate the server-rendered page, nothing else.

// Hydrating the app asynchronously awaits its whole view type.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (`app::routes`): hydration first fetches the
    // current page's wasm chunk, so it runs as a task.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // A marker for end-to-end tests and styles: the page is now interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
