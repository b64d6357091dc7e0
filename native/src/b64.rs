//! Strict base64url (RFC 4648 §5) as JWS compact serialization requires (RFC 7515 §2):
//! URL-safe alphabet only, no `=` padding, no whitespace, and canonical — the unused bits of the
//! last character must be zero, so every byte string has exactly one accepted encoding.

#![forbid(unsafe_code)]

/// Why a base64url string was refused. Messages never quote the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum B64Error {
    /// A character outside `A-Z a-z 0-9 - _` (this includes `=`, `+`, `/` and whitespace).
    InvalidCharacter { position: usize },
    /// Length mod 4 == 1 can never encode whole bytes.
    InvalidLength,
    /// The last character carries non-zero unused bits (a non-canonical encoding).
    NonCanonical,
}

impl std::fmt::Display for B64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            B64Error::InvalidCharacter { position } => {
                write!(f, "character at offset {position} is not in the base64url alphabet (no padding or whitespace allowed)")
            }
            B64Error::InvalidLength => {
                f.write_str("length is not a valid unpadded base64url length")
            }
            B64Error::NonCanonical => {
                f.write_str("non-canonical base64url (unused trailing bits are not zero)")
            }
        }
    }
}

/// Marks a byte outside the base64url alphabet in [`DECODE`].
const INVALID: u8 = 0xff;

/// Byte → 6-bit value, or [`INVALID`].
static DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 6-bit value of a byte; [`INVALID`] (which has bit 7 set) when not in the alphabet.
#[inline(always)]
fn sextet(c: u8) -> u8 {
    DECODE[usize::from(c)]
}

/// Offset of the first non-alphabet byte (only called once a chunk is known to hold one).
fn first_invalid(input: &[u8]) -> B64Error {
    let position = input
        .iter()
        .position(|&c| sextet(c) == INVALID)
        .unwrap_or(0);
    B64Error::InvalidCharacter { position }
}

/// Decodes strict, unpadded, canonical base64url.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, B64Error> {
    let tail_out = match input.len() % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return Err(B64Error::InvalidLength),
    };
    let whole = input.len() / 4;
    let mut out = vec![0u8; whole * 3 + tail_out];
    let (body_out, tail_slot) = out.split_at_mut(whole * 3);
    // No branch per chunk: the sextets of every chunk are OR-ed together and checked once
    // (valid sextets are < 64; INVALID has bit 7 set). An invalid input is then re-scanned
    // for the offset of its first bad byte.
    let mut seen = 0u8;
    let mut chunks = input.chunks_exact(4);
    for (chunk, dst) in chunks.by_ref().zip(body_out.chunks_exact_mut(3)) {
        let &[a, b, c, d] = chunk else { continue };
        let (a, b, c, d) = (sextet(a), sextet(b), sextet(c), sextet(d));
        seen |= a | b | c | d;
        let v = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        dst.copy_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
    }
    if seen & 0x80 != 0 {
        return Err(first_invalid(input));
    }
    let tail = chunks.remainder();
    let mut acc = 0u32;
    for &c in tail {
        let v = sextet(c);
        if v == INVALID {
            return Err(first_invalid(input));
        }
        acc = (acc << 6) | u32::from(v);
    }
    match tail.len() {
        0 => {}
        2 => {
            // 12 bits: 8 data bits, 4 unused.
            if acc & 0x0f != 0 {
                return Err(B64Error::NonCanonical);
            }
            tail_slot.copy_from_slice(&[(acc >> 4) as u8]);
        }
        _ => {
            // 18 bits: 16 data bits, 2 unused.
            if acc & 0x03 != 0 {
                return Err(B64Error::NonCanonical);
            }
            tail_slot.copy_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
        }
    }
    Ok(out)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes as unpadded base64url (used for canonical key forms and tests).
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    let push = |out: &mut String, v: u32| out.push(char::from(ALPHABET[(v & 0x3f) as usize]));
    let mut chunks = data.chunks_exact(3);
    for c in chunks.by_ref() {
        let v = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            push(&mut out, v >> shift);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let v = u32::from(a) << 16;
            push(&mut out, v >> 18);
            push(&mut out, v >> 12);
        }
        [a, b] => {
            let v = (u32::from(a) << 16) | (u32::from(b) << 8);
            push(&mut out, v >> 18);
            push(&mut out, v >> 12);
            push(&mut out, v >> 6);
        }
        _ => {}
    }
    out
}

/// Encodes as padded standard base64 (RFC 4648 §4), as HTTP Basic credentials need.
pub fn encode_standard(data: &[u8]) -> String {
    let mut out: String = encode(data)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_padded_encoding() {
        assert_eq!(encode_standard(b"foob"), "Zm9vYg==");
        assert_eq!(encode_standard(b"fooba"), "Zm9vYmE=");
        assert_eq!(encode_standard(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn rfc4648_vectors_round_trip() {
        // RFC 4648 §10 test vectors, unpadded.
        let vectors: [(&str, &str); 7] = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, enc) in vectors {
            assert_eq!(encode(plain.as_bytes()), enc);
            assert_eq!(decode(enc.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn url_safe_alphabet_only() {
        assert_eq!(decode(b"-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(matches!(
            decode(b"+/8"),
            Err(B64Error::InvalidCharacter { position: 0 })
        ));
        assert!(matches!(
            decode(b"ab/8"),
            Err(B64Error::InvalidCharacter { position: 2 })
        ));
    }

    #[test]
    fn padding_and_whitespace_rejected() {
        assert!(decode(b"Zg==").is_err());
        assert!(decode(b"Zm8=").is_err());
        assert!(decode(b"Zm9v\n").is_err());
        assert!(decode(b" Zm9v").is_err());
        assert!(decode(b"Zm 9v").is_err());
        assert!(decode("Zm9vé".as_bytes()).is_err());
    }

    #[test]
    fn impossible_length_rejected() {
        assert_eq!(decode(b"Z"), Err(B64Error::InvalidLength));
        assert_eq!(decode(b"Zm9vY"), Err(B64Error::InvalidLength));
    }

    #[test]
    fn non_canonical_trailing_bits_rejected() {
        // "Zg" is canonical for "f"; "Zh" differs only in the unused bits.
        assert_eq!(decode(b"Zh"), Err(B64Error::NonCanonical));
        assert_eq!(decode(b"Zm9"), Err(B64Error::NonCanonical));
        assert_eq!(decode(b"Zm8").unwrap(), b"fo");
    }

    #[test]
    fn every_byte_value_round_trips() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let slice = &data[..len];
            assert_eq!(decode(encode(slice).as_bytes()).unwrap(), slice);
        }
    }
}
