//! `Secret`: a key or password from the command line or the environment. A module of its own
//! so that what holds one (the Gemini and Google clients) need not depend on `config`.

/// A secret from the command line or the environment: never printed, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(Self(s.trim().to_owned()))
        }
    }
}
