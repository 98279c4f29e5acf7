//! Small shared pieces of the portal's pages: classes, query strings, alerts,
//! labelled selects and the outcome of an action.

use leptos::prelude::*;

use crate::error::AppError;

pub const INPUT: &str = "block rounded-md border border-slate-400 bg-white px-3 py-2 text-slate-900 dark:bg-slate-900 dark:text-slate-100";
pub const BUTTON: &str =
    "rounded-md bg-indigo-700 px-4 py-2 font-medium text-white hover:bg-indigo-800";
pub const SMALL_BUTTON: &str =
    "rounded-md border border-slate-400 px-3 py-1.5 hover:bg-slate-100 dark:hover:bg-slate-800";
pub const LINK: &str = "text-indigo-700 underline dark:text-indigo-300";

/// `key=value&…`, percent-encoded, empty values left out.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An error where a page or a section would be.
pub fn error_alert(e: &AppError) -> AnyView {
    let message = match e {
        AppError::Validation { fields, .. } => fields
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    view! { <p role="alert" class="text-red-700 dark:text-red-300">{message}</p> }.into_any()
}

/// The latest outcome of an action: a toast for a success, an alert in place
/// for a refusal (next to what was refused).
pub fn outcome(result: Option<Result<String, AppError>>) -> Option<AnyView> {
    result.map(|r| match r {
        Ok(message) => view! { <Toast message /> }.into_any(),
        Err(e) => error_alert(&e),
    })
}

/// `outcome`, leaving field-level refusals to their fields.
pub fn outcome_besides_fields(result: Option<Result<String, AppError>>) -> Option<AnyView> {
    outcome(result.filter(|r| !matches!(r, Err(AppError::Validation { .. }))))
}

/// The outcome of a form posted without JavaScript, carried over the redirect
/// back to the page (the server keeps it in the session for one page view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice(pub String);

/// The notice a form posted without JavaScript left for this page, as a toast.
/// Hydration reads the server's answer, so the client never shows it twice.
#[component]
pub fn NoticeToast() -> impl IntoView {
    let notice = use_context::<Notice>().map(|Notice(message)| message);
    let notice = OnceResource::new(async move { notice });
    view! {
        <Suspense fallback=|| ()>
            {move || notice.get().flatten().map(|message| view! { <Toast message /> })}
        </Suspense>
    }
}

/// A success message in the corner of the screen, announced to screen readers,
/// until dismissed or replaced by the next one.
#[component]
pub fn Toast(message: String) -> impl IntoView {
    let open = RwSignal::new(true);
    view! {
        <Show when=move || open.get()>
            <div class="fixed bottom-4 right-4 z-50 flex max-w-sm items-start gap-3 rounded-md border border-green-300 bg-green-50 px-4 py-3 text-green-900 shadow-lg dark:border-green-800 dark:bg-green-950 dark:text-green-100">
                <p role="status">{message.clone()}</p>
                <button type="button" class="rounded px-1 hover:bg-green-100 dark:hover:bg-green-900"
                    aria-label="Dismiss" on:click=move |_| open.set(false)>"×"</button>
            </div>
        </Show>
    }
}

/// A labelled `<select>` with a first "any" option (`blank`), the current
/// value selected.
pub fn select_field(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    blank: &'static str,
    options: Vec<(String, String)>,
    current: String,
) -> impl IntoView {
    let none = current.is_empty();
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">{label}</label>
            <select id=id name=name class=INPUT>
                <option value="" selected=none>{blank}</option>
                {options.into_iter().map(|(value, text)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// A labelled text input showing `value`, with
/// its field error linked by `aria-describedby` and an optional hint.
pub fn text_field(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    value: String,
    hint: Option<&'static str>,
    error: impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="space-y-1">
            <label for=id class="block text-sm font-medium">{label}</label>
            {hint.map(|h| view! { <p id=hint_id.clone() class="text-sm text-slate-600 dark:text-slate-400">{h}</p> })}
            <input id=id name=name type="text" value=value class=format!("{INPUT} w-full max-w-xl")
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=described />
            {move || error().map(|m| view! { <p id=error_id.clone() class="text-sm text-red-700 dark:text-red-300">{m}</p> })}
        </div>
    }
}

/// The message for `field` in the latest result of `action`, if it was refused
/// for that field.
pub fn field_error<A>(action: ServerAction<A>, field: &'static str) -> Option<String>
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    action.value().with(|v| match v {
        Some(Err(e)) => e.field_message(field).map(str::to_string),
        _ => None,
    })
}

/// What the form held when `action` was last refused (`name`'s value), else
/// `fallback`.
pub fn kept_value<A>(action: ServerAction<A>, name: &str, fallback: String) -> String
where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    action
        .value()
        .with_untracked(|v| match v {
            Some(Err(e)) => e.kept(name).map(str::to_string),
            _ => None,
        })
        .unwrap_or(fallback)
}
