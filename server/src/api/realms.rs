//! `/api/v1/realms`: list (with `search=profile.name co "…"`), create, read,
//! replace, delete — Okta's Realms API, decided per realm by the kernel.

use axum::extract::{OriginalUri, Path};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::ids::RealmId;
use app::model::RealmType;
use app::ops::realms;

use super::filter::{self, Op};
use super::openapi::{op, Endpoint};
use super::{id, no_content, wire, Api, ApiError, Body, Cursor, Paged, Params};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        op("GET", "/realms", "listRealms", "List realms", 200, list),
        op(
            "POST",
            "/realms",
            "createRealm",
            "Create a realm",
            200,
            create,
        ),
        op(
            "GET",
            "/realms/{id}",
            "getRealm",
            "Retrieve a realm",
            200,
            read,
        ),
        op(
            "PUT",
            "/realms/{id}",
            "replaceRealm",
            "Replace a realm's profile",
            200,
            replace,
        ),
        op(
            "POST",
            "/realms/{id}",
            "updateRealm",
            "Update a realm's profile (older form)",
            200,
            replace,
        ),
        op(
            "DELETE",
            "/realms/{id}",
            "deleteRealm",
            "Delete an empty realm",
            204,
            delete,
        ),
    ]
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    limit: Option<String>,
    after: Option<String>,
    search: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

/// What `search` may say: `profile.name co "…"` only, as in Okta.
fn name_contains(search: &str) -> Result<Vec<String>, ApiError> {
    let dnf = filter::parse(search, "search")?;
    dnf.into_iter()
        .map(|all| match all.as_slice() {
            [c] if c.attribute == "profile.name" && c.op == Op::Co => {
                Ok(c.value.clone().unwrap_or_default().to_lowercase())
            }
            _ => Err(ApiError::invalid(
                "search",
                "Realms can be searched only with profile.name co \"…\".",
            )),
        })
        .collect()
}

async fn list(
    Api(cx): Api,
    OriginalUri(uri): OriginalUri,
    Params(p): Params<ListParams>,
) -> Result<Response, ApiError> {
    let search = p.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let default = if search.is_some() { 10 } else { 200 };
    let cursor = Cursor::new(p.limit.as_deref(), p.after.as_deref(), default, 200)?;
    let mut all = realms::list(&cx).await?;
    if let Some(search) = search {
        let terms = name_contains(search)?;
        all.retain(|r| {
            let name = r.name.to_lowercase();
            terms.iter().any(|t| name.contains(t.as_str()))
        });
        match p.sort_by.as_deref() {
            None | Some("") | Some("profile.name") => {}
            Some(_) => {
                return Err(ApiError::invalid(
                    "sortBy",
                    "Realms sort by profile.name only.",
                ))
            }
        }
        if p.sort_order.as_deref() == Some("desc") {
            all.reverse();
        }
    }
    let (page, next) = cursor.page(all, |r| r.id.to_string());
    let base = &cx.settings.public_url;
    Ok(Paged {
        items: page.iter().map(|r| wire::realm(base, r)).collect(),
        uri,
        public_url: base.clone(),
        limit: cursor.limit,
        next,
    }
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RealmBody {
    profile: Option<ProfileBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileBody {
    name: Option<String>,
    realm_type: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
}

fn realm_type(raw: Option<&str>) -> Result<Option<RealmType>, ApiError> {
    raw.map(|t| {
        RealmType::parse(t)
            .ok_or_else(|| ApiError::invalid("profile.realmType", "Use PARTNER or DEFAULT."))
    })
    .transpose()
}

fn profile_of(body: RealmBody) -> Result<(String, Option<RealmType>, Vec<String>), ApiError> {
    let profile = body.profile.ok_or_else(|| ApiError::missing("profile"))?;
    let name = profile
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("profile.name", "Enter a name."))?;
    Ok((
        name,
        realm_type(profile.realm_type.as_deref())?,
        profile.domains,
    ))
}

async fn create(Api(cx): Api, Body(body): Body<RealmBody>) -> Result<Response, ApiError> {
    let (name, kind, domains) = profile_of(body)?;
    // Okta's default for a new realm is a partner realm.
    let realm = realms::create(&cx, name, kind.unwrap_or(RealmType::Partner), domains).await?;
    Ok(Json(wire::realm(&cx.settings.public_url, &realm)).into_response())
}

async fn read(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    let realm = realms::read(&cx, &id::<RealmId>(&raw, "Realm")?).await?;
    Ok(Json(wire::realm(&cx.settings.public_url, &realm)).into_response())
}

async fn replace(
    Api(cx): Api,
    Path(raw): Path<String>,
    Body(body): Body<RealmBody>,
) -> Result<Response, ApiError> {
    let id = id::<RealmId>(&raw, "Realm")?;
    let (name, kind, domains) = profile_of(body)?;
    let realm = realms::replace(
        &cx,
        &id,
        realms::RealmChange {
            name: &name,
            realm_type: kind,
            domains: &domains,
        },
    )
    .await?;
    Ok(Json(wire::realm(&cx.settings.public_url, &realm)).into_response())
}

async fn delete(Api(cx): Api, Path(raw): Path<String>) -> Result<Response, ApiError> {
    realms::delete(&cx, &id::<RealmId>(&raw, "Realm")?).await?;
    Ok(no_content())
}
