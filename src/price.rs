//! What a model costs: the estimate prices a book with it, the metrics turn tokens into dollars.

use serde::Serialize;

/// Dollars per million tokens, input and output, as Google lists them for a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl std::str::FromStr for Price {
    type Err = String;

    /// `"0.30/2.50"`: input and output dollars per million tokens.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (input, output) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}': expected INPUT/OUTPUT dollars per million tokens"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| format!("'{v}' is not a price"))
        };
        Ok(Self {
            input_per_million: parse(input)?,
            output_per_million: parse(output)?,
        })
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.input_per_million, self.output_per_million)
    }
}
