//! Strict JSON (RFC 8259 as I-JSON, RFC 7493, asks for it) into `serde_json::Value`.
//!
//! On top of serde_json's own strictness (UTF-8 checked, no BOM, no NaN/Infinity literals, no
//! lone surrogate escapes in strings, numbers must be finite, nesting limited to 128 levels,
//! nothing after the value) this parser rejects duplicate member names at any depth: two
//! parsers that keep different duplicates could otherwise read different headers or claims
//! out of the same signed bytes.

#![forbid(unsafe_code)]

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

/// Parses one JSON document strictly. The error is serde_json's description (line/column, no
/// quoted input), suitable for a bounded error message.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Parses a document that must be a JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match parse(bytes)? {
        Value::Object(map) => Ok(map),
        other => Err(format!("expected a JSON object, found {}", kind(&other))),
    }
}

/// Parses a document that must be a JSON object with `visitor` (which reads the object's
/// members itself, with the strictness of [`parse`]; see `header` and `payload`). Errors are
/// worded as by [`parse_object`]: a non-object is re-parsed by it, so its message (and any
/// deeper JSON error it finds first) is the same.
pub(crate) fn parse_object_with<'de, V: Visitor<'de>>(
    bytes: &'de [u8],
    visitor: V,
) -> Result<V::Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match de.deserialize_any(visitor) {
        Ok(value) => value,
        // serde's "invalid type: …, expected …": the document is not an object.
        Err(e) if e.is_data() && e.to_string().starts_with("invalid type") => {
            return Err(parse_object(bytes)
                .err()
                .unwrap_or_else(|| "expected a JSON object".to_owned()))
        }
        Err(e) => return Err(e.to_string()),
    };
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The JSON type name of a value, for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A seed that builds a `Value`, refusing duplicate member names.
#[derive(Clone, Copy)]
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(access.next_value_seed(StrictValue)?);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(duplicate(slot.key().len()));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// A member name (or any string), borrowed from the input when it holds no escape sequences.
pub(crate) struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// How many names [`Names`] keeps inline (compared linearly) before it moves to a B-tree.
const INLINE_NAMES: usize = 16;

/// The member names of one object seen so far, for duplicate detection without building the
/// object. Typical objects (a header, a payload) have a handful of members: those are kept
/// inline and compared linearly, with no allocation. The count is the sender's choice (up to
/// the token size cap), so past [`INLINE_NAMES`] they move to a B-tree and each lookup stays
/// logarithmic.
pub(crate) struct Names<'de> {
    inline: [Cow<'de, str>; INLINE_NAMES],
    inline_len: usize,
    /// Every name once the inline slots are full (then `inline_len` is 0).
    many: BTreeSet<Cow<'de, str>>,
}

impl Default for Names<'_> {
    fn default() -> Self {
        Names {
            inline: std::array::from_fn(|_| Cow::Borrowed("")),
            inline_len: 0,
            many: BTreeSet::new(),
        }
    }
}

impl<'de> Names<'de> {
    /// Records `name`; a name already seen is an error (same message as [`parse`]).
    pub(crate) fn admit<E: serde::de::Error>(&mut self, name: Cow<'de, str>) -> Result<(), E> {
        let len = name.len();
        if self.many.is_empty() {
            if self.inline[..self.inline_len].contains(&name) {
                return Err(duplicate(len));
            }
            if let Some(slot) = self.inline.get_mut(self.inline_len) {
                *slot = name;
                self.inline_len += 1;
                return Ok(());
            }
            // Full: move to the B-tree (the names are distinct, so nothing is lost).
            self.many.extend(self.inline.iter_mut().map(std::mem::take));
            self.inline_len = 0;
        }
        if self.many.insert(name) {
            Ok(())
        } else {
            Err(duplicate(len))
        }
    }
}

/// The duplicate-member error; names the member only by length (it is attacker-controlled).
fn duplicate<E: serde::de::Error>(name_len: usize) -> E {
    E::custom(format_args!(
        "duplicate member name ({name_len} bytes) in a JSON object"
    ))
}

/// A seed that checks a value with exactly the strictness of [`StrictValue`] but builds
/// nothing; it yields the value's JSON type name (as [`kind`]).
#[derive(Clone, Copy)]
pub(crate) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

/// The visitor behind [`Skip`]; other visitors delegate the values they do not keep to it.
pub(crate) struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok("null")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok("a boolean")
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok("a number")
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok("a number")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.is_finite() {
            Ok("a number")
        } else {
            Err(E::custom("non-finite number"))
        }
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok("a string")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok("an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut names = Names::default();
        while let Some(name) = access.next_key_seed(Name)? {
            names.admit(name)?;
            access.next_value_seed(Skip)?;
        }
        Ok("an object")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_documents() {
        let v = parse(br#" {"a": [1, -2, 3.5, "x", true, false, null, {"b": {}}]} "#).unwrap();
        assert_eq!(v["a"][2], serde_json::json!(3.5));
        assert_eq!(v["a"][7]["b"], serde_json::json!({}));
        assert_eq!(
            parse(b"18446744073709551615").unwrap(),
            serde_json::json!(18446744073709551615u64)
        );
    }

    #[test]
    fn duplicate_members_rejected_at_any_depth() {
        assert!(parse(br#"{"alg":"none","alg":"RS256"}"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(parse(br#"{"a":{"b":1,"b":1}}"#)
            .unwrap_err()
            .contains("duplicate"));
        assert!(parse(br#"[{"x":1},{"y":[{"z":1,"z":2}]}]"#)
            .unwrap_err()
            .contains("duplicate"));
        // Same name in sibling objects is fine.
        assert!(parse(br#"[{"x":1},{"x":2}]"#).is_ok());
    }

    #[test]
    fn duplicate_detection_uses_decoded_names() {
        // "\u0061" and "a" are the same member name.
        assert!(parse(br#"{"a":1,"\u0061":2}"#)
            .unwrap_err()
            .contains("duplicate"));
    }

    #[test]
    fn bom_rejected() {
        assert!(parse(b"\xef\xbb\xbf{}").is_err());
    }

    #[test]
    fn invalid_utf8_rejected() {
        assert!(parse(b"{\"a\":\"\xff\"}").is_err());
        // Overlong encoding of '/'.
        assert!(parse(b"{\"a\":\"\xc0\xaf\"}").is_err());
        // UTF-8 encoded surrogate (CESU-8 style).
        assert!(parse(b"{\"a\":\"\xed\xa0\x80\"}").is_err());
    }

    #[test]
    fn nan_and_infinity_rejected() {
        for doc in [
            "NaN",
            "Infinity",
            "-Infinity",
            r#"{"exp":NaN}"#,
            r#"{"exp":Infinity}"#,
        ] {
            assert!(parse(doc.as_bytes()).is_err(), "{doc}");
        }
        // Out-of-range numbers do not become infinities.
        assert!(parse(b"1e400").is_err());
    }

    #[test]
    fn lone_surrogate_escapes_rejected() {
        assert!(parse(br#""\ud800""#).is_err());
        assert!(parse(br#""\udc00""#).is_err());
        assert!(parse(br#"{"\ud800":1}"#).is_err());
        assert!(parse(br#""\ud800\u0041""#).is_err());
        // A proper pair is fine.
        assert_eq!(
            parse(br#""\ud83d\ude00""#).unwrap(),
            serde_json::json!("😀")
        );
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(deep.as_bytes()).is_err());
        let deep_obj = "{\"a\":".repeat(10_000);
        assert!(parse(deep_obj.as_bytes()).is_err());
    }

    #[test]
    fn trailing_content_and_garbage_rejected() {
        assert!(parse(b"{} {}").is_err());
        assert!(parse(b"{},").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"{'a':1}").is_err());
        assert!(parse(b"{\"a\":1,}").is_err());
    }

    #[test]
    fn names_find_duplicates_inline_and_past_the_inline_slots() {
        let object = |names: &[usize]| {
            let members: Vec<String> = names.iter().map(|i| format!("\"m{i}\":{i}")).collect();
            format!("{{\"x\":{{{}}}}}", members.join(","))
        };
        let skip = |doc: &str| parse_object_with(doc.as_bytes(), SkipVisitor);
        let distinct: Vec<usize> = (0..200).collect();
        assert!(skip(&object(&distinct)).is_ok());
        for (first, again) in [
            (0, 1),
            (3, 15),
            (3, 16),
            (3, 40),
            (20, 17),
            (16, 199),
            (199, 150),
        ] {
            let mut names = distinct.clone();
            names[again] = names[first];
            let e = skip(&object(&names)).unwrap_err();
            assert!(e.contains("duplicate"), "{first}/{again}: {e}");
            assert!(parse(object(&names).as_bytes()).is_err());
        }
    }

    #[test]
    fn parse_object_requires_an_object() {
        assert!(parse_object(b"{}").is_ok());
        assert!(parse_object(b"[]").unwrap_err().contains("an array"));
        assert!(parse_object(b"\"x\"").unwrap_err().contains("a string"));
    }
}
