//! `/api-tokens`: the caller's Management API tokens (every admin's for a
//! super admin) — create one (its secret shown once), see when each was last
//! used and when it expires, revoke.

use leptos::prelude::*;

use crate::components::ui::{
    error_alert, field_error, kept_value, outcome, text_field, BUTTON, SMALL_BUTTON,
};
use crate::error::AppError;
use crate::serverfns::tokens::{list_api_tokens, CreateApiToken, RevokeApiToken, TokenList};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    view! {
        <section class="space-y-8">
            <div class="space-y-2">
                <h1 class="text-2xl font-bold">"API tokens"</h1>
                <p class="max-w-3xl text-slate-700 dark:text-slate-300">
                    "A token lets a program call the Okta-compatible Management API (/api/v1) as you: it has your admin rights at the time of each call, so narrowing your role narrows it, and it stops working when your account is deactivated, when it expires, or after 30 days unused. Send it as "
                    <code>"Authorization: SSWS <token>"</code> "."
                </p>
            </div>
            <section aria-labelledby="create-token" class="space-y-3">
                <h2 id="create-token" class="text-lg font-semibold">"Create a token"</h2>
                {move || outcome(create.value().get().filter(|r| !matches!(r, Err(AppError::Validation { .. }))))}
                <ActionForm action=create attr:class="space-y-3" attr:novalidate=true>
                    {text_field("token-name", "name", "Token name", kept_value(create, "name", String::new()),
                        Some("What the token is for, e.g. the tool that uses it."),
                        move || field_error(create, "name"))}
                    {text_field("token-expiry", "expires_in_days", "Expires after (days)", kept_value(create, "expires_in_days", String::new()),
                        Some("Optional. Leave empty for a token that expires only when unused for 30 days."),
                        move || field_error(create, "expiresInDays"))}
                    <button type="submit" class=BUTTON>"Create token"</button>
                </ActionForm>
            </section>
            <section aria-labelledby="your-tokens" class="space-y-3">
                <h2 id="your-tokens" class="text-lg font-semibold">"Tokens"</h2>
                {move || outcome(revoke.value().get())}
                <Suspense fallback=|| view! { <p role="status">"Loading tokens…"</p> }>
                    {move || tokens.get().map(|r| match r {
                        Ok(list) => view! { <TokenTable list revoke /> }.into_any(),
                        Err(e) => error_alert(&e),
                    })}
                </Suspense>
            </section>
        </section>
    }
}

#[component]
fn TokenTable(list: TokenList, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    if list.tokens.is_empty() {
        return view! { <p>"No tokens yet."</p> }.into_any();
    }
    let everyone = list.everyone;
    view! {
        <div class="overflow-x-auto"><table class="w-full border-collapse text-left text-sm">
            <caption class="sr-only">"API tokens"</caption>
            <thead>
                <tr class="border-b border-slate-300 dark:border-slate-700">
                    <th scope="col" class="py-2 pr-4">"Name"</th>
                    {everyone.then(|| view! { <th scope="col" class="py-2 pr-4">"Acts as"</th> })}
                    <th scope="col" class="py-2 pr-4">"Created"</th>
                    <th scope="col" class="py-2 pr-4">"Expires"</th>
                    <th scope="col" class="py-2 pr-4">"Last used"</th>
                    <th scope="col" class="py-2 pr-4"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list.tokens.into_iter().map(|t| {
                    let label = format!("Revoke {}", t.name);
                    view! {
                        <tr class="border-b border-slate-200 dark:border-slate-800">
                            <th scope="row" class="py-2 pr-4 font-medium">{t.name}</th>
                            {everyone.then(|| view! { <td class="py-2 pr-4">{t.owner}</td> })}
                            <td class="py-2 pr-4">{t.created}</td>
                            <td class="py-2 pr-4">{t.expires}</td>
                            <td class="py-2 pr-4">{t.last_used}</td>
                            <td class="py-2 pr-4">
                                <ActionForm action=revoke>
                                    <input type="hidden" name="id" value=t.id />
                                    <button type="submit" class=SMALL_BUTTON aria-label=label>"Revoke"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
