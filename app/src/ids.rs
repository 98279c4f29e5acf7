//! Opaque, prefixed, random identifiers in Okta's style (`00u…` users, `00g…`
//! groups, `0oa…` apps, `guo…` realms, …), one newtype per kind so that swapped
//! arguments fail to compile.

use serde::{Deserialize, Serialize};

/// Length of every generated id: a 3-character prefix and 17 random base-62 characters.
pub const ID_LEN: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {kind} id")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub const KIND: &'static str = $kind;

            /// A fresh random id.
            #[cfg(feature = "ssr")]
            pub fn generate() -> Self {
                Self(generate_with_prefix($prefix))
            }

            /// Accepts any well-formed id of this kind (ids are opaque: only the
            /// character set and length are checked, not the prefix, so ids
            /// imported from elsewhere keep working).
            pub fn parse(value: &str) -> Result<Self, IdError> {
                if is_well_formed(value) {
                    Ok(Self(value.to_string()))
                } else {
                    Err(IdError { kind: $kind, value: value.chars().take(64).collect() })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A user of the directory.
    UserId, "00u", "user"
);
id_type!(
    /// An org-level group (spans realms).
    GroupId, "00g", "group"
);
id_type!(
    /// An application integration.
    AppId, "0oa", "app"
);
id_type!(
    /// A realm: a partition of the directory.
    RealmId, "guo", "realm"
);
id_type!(
    /// A realm-assignment rule.
    RuleId, "rul", "realm assignment"
);
id_type!(
    /// A realm-assignment operation (plan + execution).
    OperationId, "rao", "operation"
);
id_type!(
    /// A custom admin role.
    RoleId, "cr0", "role"
);
id_type!(
    /// A resource set.
    ResourceSetId, "iam", "resource set"
);
id_type!(
    /// One resource inside a resource set.
    ResourceId, "ire", "resource"
);
id_type!(
    /// An identity provider (org-level, optionally bound to a realm).
    IdpId, "0oi", "identity provider"
);
id_type!(
    /// An API token.
    TokenId, "00t", "API token"
);
id_type!(
    /// A CSV import of users into a realm (preview + run).
    ImportId, "imp", "import"
);
id_type!(
    /// A group push mapping (a portal group pushed to an app).
    PushMappingId, "gPm", "group push mapping"
);

/// Ids are 1–64 ASCII letters, digits, `_` or `-`.
pub fn is_well_formed(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(feature = "ssr")]
fn generate_with_prefix(prefix: &str) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(ID_LEN);
    id.push_str(prefix);
    while id.len() < ID_LEN {
        let i = rng.random_range(0..ALPHABET.len());
        id.push(char::from(ALPHABET[i]));
    }
    id
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_prefix_length_and_parse_back() {
        let id = UserId::generate();
        assert!(id.as_str().starts_with("00u"));
        assert_eq!(id.as_str().len(), ID_LEN);
        assert_eq!(UserId::parse(id.as_str()), Ok(id.clone()));
        assert_ne!(UserId::generate(), id);
        assert!(RealmId::generate().as_str().starts_with("guo"));
    }

    #[test]
    fn malformed_ids_are_refused_with_their_kind() {
        for bad in [
            "",
            "a b",
            "x'; DROP TABLE users; --",
            &"a".repeat(65),
            "ünïcode",
        ] {
            let err = GroupId::parse(bad).err();
            assert_eq!(err.map(|e| e.kind), Some("group"), "{bad}");
        }
    }
}
