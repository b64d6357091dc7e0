//! The JWT payload, read in one strict pass that keeps only the claims the engine uses
//! (`sub`, `iss`, `aud`, `exp`, `nbf`, `iat`, `scope`, `scp`; the token-kind markers `typ`,
//! `token_use`, `nonce`, `at_hash`, `cnf`; the client id sources `client_id`, `azp`, `cid`,
//! `appid`) without building a JSON map.
//!
//! Strictness is exactly that of [`crate::json::parse`]: serde_json's own rules (UTF-8, no
//! BOM, no NaN/Infinity, no lone surrogates, depth limit, nothing after the value) and
//! duplicate member names rejected in every object at any depth — the claims not kept are
//! checked by `json::Skip`, which builds nothing. The full claims map is built from the same
//! bytes only when someone asks for it (`Claims::raw`).

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::json::{self, Name, Names, Skip, SkipVisitor};

/// A claim value, as far as the engine reads it.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    Str(Cow<'a, str>),
    /// A JSON number (always finite).
    Num(f64),
    /// An array made only of strings (possibly empty).
    Strings(Vec<Cow<'a, str>>),
    /// Anything else; the JSON type name (for messages), e.g. "an object".
    Other(&'static str),
}

impl<'a> Val<'a> {
    /// The JSON type name, as `json::kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Num(_) => "a number",
            Val::Strings(_) => "an array",
            Val::Other(kind) => kind,
        }
    }

    /// The same view of an already parsed value.
    pub fn from_value(value: &'a Value) -> Val<'a> {
        match value {
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Number(n) => n.as_f64().map_or(Val::Other("a number"), Val::Num),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(Cow::Borrowed))
                .collect::<Option<Vec<_>>>()
                .map_or(Val::Other("an array"), Val::Strings),
            other => Val::Other(json::kind(other)),
        }
    }
}

/// The registered claims the engine reads; None when absent.
#[derive(Debug, Default, PartialEq)]
pub struct Registered<'a> {
    pub sub: Option<Val<'a>>,
    pub iss: Option<Val<'a>>,
    pub aud: Option<Val<'a>>,
    pub exp: Option<Val<'a>>,
    pub nbf: Option<Val<'a>>,
    pub iat: Option<Val<'a>>,
    pub scope: Option<Val<'a>>,
    pub scp: Option<Val<'a>>,
    /// Token-kind markers: an ID, refresh or logout token, or a key-bound (`cnf`) token.
    pub typ: Option<Val<'a>>,
    pub token_use: Option<Val<'a>>,
    pub nonce: Option<Val<'a>>,
    pub at_hash: Option<Val<'a>>,
    pub cnf: Option<Val<'a>>,
    /// Client id sources, in the order they are consulted.
    pub client_id: Option<Val<'a>>,
    pub azp: Option<Val<'a>>,
    pub cid: Option<Val<'a>>,
    pub appid: Option<Val<'a>>,
}

impl<'a> Registered<'a> {
    /// The slot of a claim name, or None for a claim the engine does not read.
    fn slot(&mut self, name: &str) -> Option<&mut Option<Val<'a>>> {
        Some(match name {
            "sub" => &mut self.sub,
            "iss" => &mut self.iss,
            "aud" => &mut self.aud,
            "exp" => &mut self.exp,
            "nbf" => &mut self.nbf,
            "iat" => &mut self.iat,
            "scope" => &mut self.scope,
            "scp" => &mut self.scp,
            "typ" => &mut self.typ,
            "token_use" => &mut self.token_use,
            "nonce" => &mut self.nonce,
            "at_hash" => &mut self.at_hash,
            "cnf" => &mut self.cnf,
            "client_id" => &mut self.client_id,
            "azp" => &mut self.azp,
            "cid" => &mut self.cid,
            "appid" => &mut self.appid,
            _ => return None,
        })
    }

    /// The same view of an already parsed claims map.
    pub fn from_map(map: &'a Map<String, Value>) -> Registered<'a> {
        let mut registered = Registered::default();
        for (name, value) in map {
            if let Some(slot) = registered.slot(name) {
                *slot = Some(Val::from_value(value));
            }
        }
        registered
    }
}

/// Parses a payload that must be a JSON object. Errors are serde_json's descriptions (line
/// and column, never quoted input) or, for a non-object, `json::parse_object`'s message.
pub fn parse(bytes: &[u8]) -> Result<Registered<'_>, String> {
    json::parse_object_with(bytes, PayloadVisitor)
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Registered<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut registered = Registered::default();
        let mut names = Names::default();
        while let Some(name) = access.next_key_seed(Name)? {
            let slot = registered.slot(&name);
            names.admit(name)?;
            match slot {
                Some(slot) => *slot = Some(access.next_value_seed(ValSeed)?),
                None => {
                    access.next_value_seed(Skip)?;
                }
            }
        }
        Ok(registered)
    }
}

/// A claim value the engine reads (the JOSE header's `alg`, `typ` and `kid` too).
pub(crate) struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Val<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }

    // Numbers convert as serde_json's `Value::as_f64` does.
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Val::Num(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Val::Num(v as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        SkipVisitor.visit_f64(v).map(|_| Val::Num(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        SkipVisitor.visit_unit().map(Val::Other)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        SkipVisitor.visit_bool(v).map(Val::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        SkipVisitor.visit_map(map).map(Val::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut strings = Vec::new();
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            match item {
                Some(s) => strings.push(s),
                None => {
                    // Not an array of strings: check the rest strictly, keep nothing.
                    while seq.next_element_seed(Skip)?.is_some() {}
                    return Ok(Val::Other("an array"));
                }
            }
        }
        Ok(Val::Strings(strings))
    }
}

/// An array element: a string is kept, anything else is checked strictly and gives None.
struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match deserializer.deserialize_any(ValVisitor)? {
            Val::Str(s) => Ok(Some(s)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(doc: &str) -> Registered<'static> {
        let map = json::parse_object(doc.as_bytes()).unwrap();
        let streamed = parse(doc.as_bytes()).unwrap();
        let from_map = Registered::from_map(&map);
        assert_eq!(format!("{streamed:?}"), format!("{from_map:?}"), "{doc}");
        // Owned copy for the caller (the inputs are local).
        let own = |v: Option<Val<'_>>| {
            v.map(|v| match v {
                Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
                Val::Num(n) => Val::Num(n),
                Val::Strings(l) => {
                    Val::Strings(l.into_iter().map(|s| Cow::Owned(s.into_owned())).collect())
                }
                Val::Other(k) => Val::Other(k),
            })
        };
        Registered {
            sub: own(streamed.sub),
            iss: own(streamed.iss),
            aud: own(streamed.aud),
            exp: own(streamed.exp),
            nbf: own(streamed.nbf),
            iat: own(streamed.iat),
            scope: own(streamed.scope),
            scp: own(streamed.scp),
            typ: own(streamed.typ),
            token_use: own(streamed.token_use),
            nonce: own(streamed.nonce),
            at_hash: own(streamed.at_hash),
            cnf: own(streamed.cnf),
            client_id: own(streamed.client_id),
            azp: own(streamed.azp),
            cid: own(streamed.cid),
            appid: own(streamed.appid),
        }
    }

    #[test]
    fn reads_the_registered_claims_like_the_map_view() {
        let r = both(
            r#"{"iss":"i","sub":"s\u0031","aud":["a","b"],"exp":5.5,"nbf":1,"iat":-2,
                "scope":"x y","scp":["p",1,{"q":[]}],"jti":"j","ext":{"a":[1,{"b":null}]}}"#,
        );
        assert_eq!(r.sub, Some(Val::Str(Cow::Borrowed("s1"))));
        assert_eq!(r.exp, Some(Val::Num(5.5)));
        assert_eq!(r.iat, Some(Val::Num(-2.0)));
        assert_eq!(r.scp, Some(Val::Other("an array")));
        let r = both(r#"{"aud":[],"exp":"5","iss":null,"sub":true,"scope":{"a":1},"nbf":[1]}"#);
        assert_eq!(r.aud, Some(Val::Strings(vec![])));
        assert_eq!(r.exp.as_ref().map(Val::kind), Some("a string"));
        assert_eq!(r.iss, Some(Val::Other("null")));
        assert_eq!(r.sub, Some(Val::Other("a boolean")));
        assert_eq!(r.scope, Some(Val::Other("an object")));
        assert_eq!(r.nbf, Some(Val::Other("an array")));
        assert_eq!(both("{}"), Registered::default());
        let r = both(
            r#"{"typ":"ID","token_use":"id","nonce":"n","at_hash":"h","cnf":{"jkt":"t"},
                "client_id":"c","azp":["a"],"cid":"o","appid":"e"}"#,
        );
        assert_eq!(r.typ, Some(Val::Str(Cow::Borrowed("ID"))));
        assert_eq!(r.token_use, Some(Val::Str(Cow::Borrowed("id"))));
        assert_eq!(r.cnf, Some(Val::Other("an object")));
        assert_eq!(r.azp, Some(Val::Strings(vec![Cow::Borrowed("a")])));
        assert_eq!(
            (
                r.nonce.is_some(),
                r.at_hash.is_some(),
                r.client_id.is_some()
            ),
            (true, true, true)
        );
        assert_eq!(r.cid, Some(Val::Str(Cow::Borrowed("o"))));
        assert_eq!(r.appid, Some(Val::Str(Cow::Borrowed("e"))));
        both(r#"{"exp":18446744073709551615,"iat":-9223372036854775808,"nbf":1e300}"#);
    }

    #[test]
    fn duplicates_anywhere_are_rejected() {
        for doc in [
            r#"{"exp":1,"exp":2}"#,
            r#"{"jti":1,"jti":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"ext":{"a":{"b":1,"b":2}}}"#,
            r#"{"aud":["x",{"b":1,"b":2}]}"#,
            r#"{"scp":[1,{"b":1,"b":2}]}"#,
            r#"{"iss":{"b":1,"b":2}}"#,
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
            b"{\"sub\":\"\xff\"}",
            b"{\"x\":\"\xed\xa0\x80\"}",
            br#"{"sub":"\ud800"}"#,
            br#"{"x":["\udc00"]}"#,
            br#"{"aud":["\ud800\u0041"]}"#,
            br#"{"exp":NaN}"#,
            br#"{"exp":Infinity}"#,
            br#"{"x":-Infinity}"#,
            br#"{"exp":1e400}"#,
            b"{} {}",
            b"{},",
            b"{\"a\":1,}",
            b"{'a':1}",
            b"",
        ] {
            assert!(parse(doc).is_err(), "{doc:?}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(deep.as_bytes()).is_err());
        let deep_obj = "{\"a\":".repeat(10_000);
        assert!(parse(deep_obj.as_bytes()).is_err());
    }

    #[test]
    fn accepts_exactly_what_the_general_parser_accepts() {
        // Every registered and unregistered position, filled with valid and invalid values.
        let values = [
            "1",
            "-0",
            "1.5e3",
            "1e400",
            "NaN",
            "\"s\"",
            "\"\\ud800\"",
            "\"\\ud83d\\ude00\"",
            "[]",
            "[\"a\",1]",
            "[[{\"a\":1,\"a\":1}]]",
            "{}",
            "{\"a\":{\"a\":1}}",
            "{\"a\":1,\"a\":2}",
            "null",
            "true",
            "tru",
            "[1,]",
            "\"\x01\"",
            "01",
        ];
        for name in ["exp", "aud", "scp", "sub", "alg", "kid", "crit", "other"] {
            for value in values {
                let doc = format!("{{\"iss\":\"i\",\"{name}\":{value}}}");
                assert_eq!(
                    parse(doc.as_bytes()).is_ok(),
                    json::parse_object(doc.as_bytes()).is_ok(),
                    "{doc}"
                );
                assert_eq!(
                    crate::header::parse(doc.as_bytes()).is_ok(),
                    json::parse_object(doc.as_bytes()).is_ok(),
                    "header {doc}"
                );
            }
        }
    }

    #[test]
    fn non_objects_are_reported_like_the_general_parser() {
        for doc in [
            &b"[]"[..],
            b"\"x\"",
            b"1",
            b"null",
            b"[{\"a\":1,\"a\":2}]",
            b"[1",
        ] {
            assert_eq!(
                parse(doc).unwrap_err(),
                json::parse_object(doc).unwrap_err(),
                "{doc:?}"
            );
        }
    }
}
