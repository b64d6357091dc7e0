//! JWS algorithms the engine accepts, and per-client allow-lists.

#![forbid(unsafe_code)]

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

impl Algorithm {
    pub const ALL: [Algorithm; 10] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// Exact, case-sensitive JWA name → algorithm; `none`, HS* and unknown names → None.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }
}

/// A set of algorithms (a bit set; `Copy`, cheap to check on the hot path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    pub fn all() -> Self {
        AlgorithmSet(Algorithm::ALL.iter().fold(0, |m, a| m | (1 << *a as u16)))
    }

    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & (1 << alg as u16) != 0
    }

    /// Parses "RS256,ES256" (comma-separated, surrounding spaces allowed). Empty lists and
    /// unknown names are errors whose message names the offending entry.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut bits = 0u16;
        for part in list.split(',') {
            let name = part.trim();
            match Algorithm::from_name(name) {
                Some(a) => bits |= 1 << a as u16,
                None => return Err(format!("unsupported algorithm {name:?} (supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)")),
            }
        }
        if bits == 0 {
            return Err("the algorithm list is empty".into());
        }
        Ok(AlgorithmSet(bits))
    }
}

impl Default for AlgorithmSet {
    fn default() -> Self {
        AlgorithmSet::all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
        }
        for bad in [
            "none", "None", "HS256", "rs256", "Rs256", "es512", "ES256K", "Ed25519", "EDDSA", "",
            " RS256",
        ] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sets() {
        let all = AlgorithmSet::all();
        assert!(Algorithm::ALL.iter().all(|a| all.contains(*a)));
        assert_eq!(AlgorithmSet::default(), all);
        let some = AlgorithmSet::parse(" RS256 , ES256,EdDSA").unwrap();
        assert!(
            some.contains(Algorithm::RS256)
                && some.contains(Algorithm::ES256)
                && some.contains(Algorithm::EdDSA)
        );
        assert!(!some.contains(Algorithm::PS256) && !some.contains(Algorithm::RS384));
        assert!(AlgorithmSet::parse("").unwrap_err().contains("\"\""));
        assert!(AlgorithmSet::parse("RS256,HS256")
            .unwrap_err()
            .contains("HS256"));
        assert!(AlgorithmSet::parse("RS256,,ES256").is_err());
        assert!(AlgorithmSet::parse("none").is_err());
    }
}
