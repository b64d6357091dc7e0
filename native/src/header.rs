//! The JOSE header of a JWS, read in one strict pass without building a JSON map.
//!
//! The header is parsed on every validation, and the policy (`jwt::check_header`) looks at
//! only four members: `alg`, `typ`, `kid` and the presence of `crit`. This reader keeps just
//! those (strings borrowed from the decoded bytes when they hold no escapes) and applies
//! exactly the strictness of [`crate::json::parse`]: serde_json's own rules (UTF-8, no BOM, no
//! NaN/Infinity, no lone surrogates, depth limit, nothing after the value), duplicate member
//! names rejected for *every* member — unknown ones included — and, inside every member value,
//! at any depth (the values it does not keep are checked by `json::Skip`, which builds nothing).

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};

use crate::json::{self, Name, Names, Skip};
use crate::payload::{Val, ValSeed};

/// A header member the policy reads: a string, or the JSON type name of whatever else it was.
#[derive(Debug, PartialEq, Eq)]
pub enum Member<'de> {
    Str(Cow<'de, str>),
    /// Not a string; the JSON type name (for messages), e.g. "an array".
    Other(&'static str),
}

/// The members of a header the policy needs; every other member was parsed strictly and
/// ignored.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Header<'de> {
    pub alg: Option<Member<'de>>,
    pub typ: Option<Member<'de>>,
    pub kid: Option<Member<'de>>,
    /// A `crit` member was present (whatever its value).
    pub crit: bool,
}

/// Parses a header that must be a JSON object. Errors are serde_json's descriptions (line and
/// column, never quoted input) or "expected a JSON object, found …", as `json::parse_object`.
pub fn parse(bytes: &[u8]) -> Result<Header<'_>, String> {
    json::parse_object_with(bytes, HeaderVisitor)
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Header<'de>, A::Error> {
        let mut header = Header::default();
        let mut names = Names::default();
        while let Some(name) = access.next_key_seed(Name)? {
            let slot = match &*name {
                "alg" => Some(&mut header.alg),
                "typ" => Some(&mut header.typ),
                "kid" => Some(&mut header.kid),
                other => {
                    header.crit |= other == "crit";
                    None
                }
            };
            names.admit(name)?;
            match slot {
                Some(slot) => {
                    *slot = Some(match access.next_value_seed(ValSeed)? {
                        Val::Str(s) => Member::Str(s),
                        other => Member::Other(other.kind()),
                    })
                }
                None => {
                    access.next_value_seed(Skip)?;
                }
            }
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Member<'_>> {
        Some(Member::Str(Cow::Borrowed(v)))
    }

    #[test]
    fn keeps_the_policy_members() {
        let h = parse(br#"{"alg":"RS256","typ":"at+jwt","kid":"k\u0031","x5c":["a"],"jku":"u"}"#)
            .unwrap();
        assert_eq!(h.alg, s("RS256"));
        assert_eq!(h.typ, s("at+jwt"));
        assert_eq!(h.kid, s("k1"), "escapes are decoded");
        assert!(!h.crit);
        let h = parse(br#"{"alg":["RS256"],"kid":1.5,"typ":null,"crit":[]}"#).unwrap();
        assert_eq!(h.alg, Some(Member::Other("an array")));
        assert_eq!(h.kid, Some(Member::Other("a number")));
        assert_eq!(h.typ, Some(Member::Other("null")));
        assert!(h.crit);
        assert_eq!(parse(b" {} ").unwrap(), Header::default());
    }

    #[test]
    fn duplicates_of_any_member_at_any_depth_are_rejected() {
        for doc in [
            r#"{"alg":"RS256","alg":"RS256"}"#,
            r#"{"x":1,"x":1}"#,
            r#"{"crit":[],"crit":[]}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"jwk":{"n":1,"n":2}}"#,
            r#"{"alg":[{"b":1,"b":2}]}"#,
            r#"{"kid":{"b":1,"b":2}}"#,
        ] {
            assert!(
                parse(doc.as_bytes()).unwrap_err().contains("duplicate"),
                "{doc}"
            );
        }
    }

    #[test]
    fn the_general_strictness_applies() {
        for doc in [
            &b"\xef\xbb\xbf{}"[..],
            b"{\"alg\":\"\xff\"}",
            br#"{"alg":"\ud800"}"#,
            br#"{"x":"\udc00"}"#,
            br#"{"\ud800":1}"#,
            br#"{"x":NaN}"#,
            br#"{"kid":1e400}"#,
            b"{} {}",
            b"{\"a\":1,}",
            b"",
        ] {
            assert!(parse(doc).is_err(), "{doc:?}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn non_objects_are_reported_like_the_general_parser() {
        for doc in [
            &b"[\"RS256\"]"[..],
            b"\"x\"",
            b"1",
            b"null",
            b"[{\"a\":1,\"a\":2}]",
        ] {
            assert_eq!(
                parse(doc).unwrap_err(),
                json::parse_object(doc).unwrap_err(),
                "{doc:?}"
            );
        }
    }
}
