//! `/users/import`: the CSV import's server functions — the upload form's
//! choices, the upload (a multipart form: the file, or pasted text) checked
//! into a preview, an import with a page of its lines, and starting it
//! (`ops::imports`).
//!
//! Authorization (in the operation, through the kernel): `authz::check(okta.users.create)`
//! on the chosen realm, the import read under `authz::scope(okta.users.create)`, and
//! each line created through the create form's checks as the importing admin.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use crate::error::AppError;
pub use crate::views::imports::*;

#[cfg(feature = "ssr")]
use crate::{ctx::Ctx, ops};

/// What the upload form offers: the realms the caller may create users in
/// and the columns a file may have.
#[server(prefix = "/_fn", endpoint = "users/import/form")]
pub async fn import_choices() -> Result<ImportForm, AppError> {
    crate::ctx::read_once("users/import/form".into(), || async {
        ops::imports::form(&Ctx::current().await?).await
    })
    .await
}

/// Checks an uploaded CSV file (the `file` field, else the pasted `csv_text`)
/// for the realm `realm_id` and stores the preview; the browser goes to it
/// (with or without JavaScript). Nothing is written to the directory.
#[server(prefix = "/_fn", endpoint = "users/import/upload", input = MultipartFormData)]
pub async fn upload_import(data: MultipartData) -> Result<String, AppError> {
    let unreadable = || {
        AppError::validation(
            "file",
            "The upload could not be read; choose the file again.",
        )
    };
    let too_large = || {
        AppError::validation(
            "file",
            format!(
                "The file is larger than {} MiB; split it.",
                IMPORT_MAX_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut form = data.into_inner().ok_or_else(unreadable)?;
    let mut upload = ops::imports::Upload::default();
    let mut pasted = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| unreadable())? {
            if bytes.len() + chunk.len() > IMPORT_MAX_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "realm_id" => {
                upload.realm_id = super::choice(&String::from_utf8_lossy(&bytes));
            }
            "activate" => upload.activate = true,
            "file" if !bytes.is_empty() => {
                upload.file_name = file_name;
                upload.bytes = bytes;
            }
            "csv_text" => pasted = bytes,
            _ => {}
        }
    }
    if upload.bytes.is_empty() {
        if pasted.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::validation(
                "file",
                "Choose a CSV file (or paste its text).",
            ));
        }
        upload.bytes = pasted;
    }
    let import = ops::imports::preview(&Ctx::current().await?, upload).await?;
    leptos_axum::redirect(&format!("/users/import/{}", import.id));
    // What a plain form post's next page says.
    Ok(format!(
        "Checked {} line{}: {} valid.",
        import.num_rows,
        if import.num_rows == 1 { "" } else { "s" },
        import.num_valid
    ))
}

/// An import with a page of its lines after line `after` (`result`: one
/// result only).
#[server(prefix = "/_fn", endpoint = "users/import/get")]
pub async fn get_import(
    id: String,
    result: Option<String>,
    after: Option<String>,
) -> Result<ImportView, AppError> {
    let result = result
        .as_deref()
        .and_then(crate::model::imports::RowResult::parse);
    let after = after.as_deref().and_then(super::choice).unwrap_or(0);
    ops::imports::get(&Ctx::current().await?, &super::id(&id)?, result, after).await
}

/// Starts a previewed import: its valid lines are created in the background.
#[server(prefix = "/_fn", endpoint = "users/import/start")]
pub async fn start_import(id: String) -> Result<String, AppError> {
    ops::imports::start(&Ctx::current().await?, &super::id(&id)?).await
}
