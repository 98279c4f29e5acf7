//! App attributes: which a mapping may fill, and the resource a user's mapped
//! attributes make — a SCIM User (RFC 7643 §4.1, with the extensions the app
//! supports) or an Okta user profile.

use serde_json::{json, Map, Value};

use super::{is_reserved, Kind, SCIM_USER};

/// A mapping target, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Path<'a> {
    /// `userName`, `name.givenName`, an Okta profile attribute.
    Plain(Vec<&'a str>),
    /// `emails[type eq "work"].value`
    Typed {
        attr: &'a str,
        kind: &'a str,
        sub: &'a str,
    },
    /// `urn:…:User:department`, `urn:…:User:manager.value`
    Extension { schema: &'a str, path: Vec<&'a str> },
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && s.len() <= 64
}

fn dotted(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.split('.').collect();
    (parts.len() <= 2 && parts.iter().all(|p| is_name(p))).then_some(parts)
}

fn parse<'a>(kind: Kind, target: &'a str, extensions: &'a [String]) -> Result<Path<'a>, String> {
    if kind == Kind::OktaOrg2Org {
        return if is_name(target) && !target.contains('-') {
            Ok(Path::Plain(vec![target]))
        } else {
            Err(format!("{target} is not an Okta profile attribute name."))
        };
    }
    if target.starts_with("urn:") {
        let Some(schema) = extensions.iter().find(|e| {
            target.len() > e.len() + 1
                && target.starts_with(e.as_str())
                && target.as_bytes()[e.len()] == b':'
        }) else {
            return Err(format!(
                "{target} belongs to no schema extension listed for this app."
            ));
        };
        let rest = &target[schema.len() + 1..];
        return dotted(rest)
            .map(|path| Path::Extension {
                schema: schema.as_str(),
                path,
            })
            .ok_or_else(|| format!("{target}: {rest} is not an attribute name."));
    }
    if let Some((attr, rest)) = target.split_once('[') {
        let parsed = rest.split_once("].").and_then(|(filter, sub)| {
            let kind = filter
                .trim()
                .strip_prefix("type eq \"")?
                .strip_suffix('"')?;
            (is_name(attr) && is_name(sub) && !kind.is_empty() && !kind.contains('"'))
                .then_some(Path::Typed { attr, kind, sub })
        });
        return parsed.ok_or_else(|| {
            format!("{target}: write a multi-valued attribute as emails[type eq \"work\"].value.")
        });
    }
    dotted(target)
        .map(Path::Plain)
        .ok_or_else(|| format!("{target} is not a SCIM attribute (e.g. name.givenName)."))
}

/// Whether `target` is an attribute a mapping may fill in an app of `kind`.
pub fn check(kind: Kind, target: &str, extensions: &[String]) -> Result<(), String> {
    let path = parse(kind, target, extensions)?;
    let root = match &path {
        Path::Plain(p) => p.first().copied().unwrap_or_default(),
        Path::Typed { attr, .. } => attr,
        Path::Extension { .. } => "",
    };
    if is_reserved(root) {
        return Err(format!(
            "{root} is managed by the portal and cannot be mapped."
        ));
    }
    Ok(())
}

fn put(object: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            object.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = object
                .entry((*first).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                put(inner, rest, value);
            }
        }
    }
}

/// A SCIM User from mapped attributes: `externalId` is the portal user's
/// id; `active` what the app should hold.
pub fn scim_user(
    attributes: &[(String, Value)],
    extensions: &[String],
    external_id: &str,
    active: bool,
) -> Value {
    let mut user = Map::new();
    let mut schemas = vec![SCIM_USER.to_string()];
    for (target, value) in attributes {
        match parse(Kind::Scim2, target, extensions) {
            Ok(Path::Plain(path)) => put(&mut user, &path, value.clone()),
            Ok(Path::Typed { attr, kind, sub }) => {
                let list = user
                    .entry(attr.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    let first = items.is_empty();
                    let at = items
                        .iter()
                        .position(|i| i.get("type").and_then(Value::as_str) == Some(kind));
                    let item = match at {
                        Some(i) => &mut items[i],
                        None => {
                            items.push(json!({ "type": kind, "primary": first }));
                            let last = items.len() - 1;
                            &mut items[last]
                        }
                    };
                    if let Value::Object(o) = item {
                        o.insert(sub.to_string(), value.clone());
                    }
                }
            }
            Ok(Path::Extension { schema, path }) => {
                if !schemas.iter().any(|s| s == schema) {
                    schemas.push(schema.to_string());
                }
                let ext = user
                    .entry(schema.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(o) = ext {
                    put(o, &path, value.clone());
                }
            }
            Err(_) => {}
        }
    }
    user.insert("schemas".into(), json!(schemas));
    user.insert("externalId".into(), json!(external_id));
    user.insert("active".into(), json!(active));
    Value::Object(user)
}

/// An Okta user profile from mapped attributes (values as strings where the
/// hub expects strings).
pub fn okta_profile(attributes: &[(String, Value)]) -> Value {
    let mut profile = Map::new();
    for (target, value) in attributes {
        profile.insert(target.clone(), value.clone());
    }
    Value::Object(profile)
}
