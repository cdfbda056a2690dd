//! Strict base64url (RFC 4648 section 5, RFC 7515 section 2): no padding, URL-safe alphabet
//! only, canonical trailing bits. Anything else is an error, never "repaired".

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;

/// Decoding failed. Carries no input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

/// Decodes strict unpadded base64url.
///
/// # Errors
/// [`DecodeError`] for padding, characters outside the URL-safe alphabet, an impossible length
/// or non-zero trailing bits.
pub fn decode(s: &str) -> Result<Vec<u8>, DecodeError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| DecodeError)
}

/// Decodes into `out` only if the decoded length is at most `cap` bytes (checked before
/// decoding).
///
/// # Errors
/// [`DecodeError`] as [`decode`], or when the input would decode to more than `cap` bytes.
pub fn decode_capped(s: &str, cap: usize) -> Result<Vec<u8>, DecodeError> {
    if decoded_len(s.len()) > cap {
        return Err(DecodeError);
    }
    decode(s)
}

/// The decoded length of `n` unpadded base64 characters (an upper bound for invalid input).
pub const fn decoded_len(n: usize) -> usize {
    n / 4 * 3 + (n % 4) * 3 / 4
}

/// Encodes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert_eq!(decode("AQAB").unwrap(), [1, 0, 1]);
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode(""), Ok(Vec::new()));
        for bad in ["AQAB=", "AQ==", "+/8", "A", "AR", "AQ B", "AQ\n", "AB.C"] {
            assert_eq!(decode(bad), Err(DecodeError), "{bad:?}");
        }
        // "AR" would be 0x01 with non-zero trailing bits; "AQ" is canonical.
        assert_eq!(decode("AQ").unwrap(), [1]);
    }

    #[test]
    fn caps() {
        assert_eq!(decoded_len(4), 3);
        assert_eq!(decoded_len(3), 2);
        assert_eq!(decoded_len(2), 1);
        assert!(decode_capped("AQAB", 2).is_err());
        assert!(decode_capped("AQAB", 3).is_ok());
    }

    #[test]
    fn round_trip() {
        for n in 0..40u8 {
            let v: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
    }
}
