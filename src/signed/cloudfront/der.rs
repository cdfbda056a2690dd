//! Strict DER for exactly what `CloudFront` needs, and nothing more: the `SubjectPublicKeyInfo`
//! of an RSA or P-256 public key (in a PEM `PUBLIC KEY` block), and the `ECDSA-Sig-Value`
//! (`SEQUENCE { r INTEGER, s INTEGER }`) that `CloudFront`'s signers emit for ECDSA keys.
//!
//! Definite lengths in their shortest form only, no indefinite length, INTEGERs minimal and
//! non-negative (a leading zero byte only to clear the sign bit), no trailing bytes at any
//! level. Anything else is refused, never repaired.

use alloc::vec::Vec;

use base64::Engine as _;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

/// 1.2.840.113549.1.1.1 (`rsaEncryption`), content bytes.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.2.840.10045.2.1 (`id-ecPublicKey`).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// 1.2.840.10045.3.1.7 (`prime256v1`, P-256).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A P-256 scalar is 32 bytes.
const SCALAR_LEN: usize = 32;

/// Reads TLVs from a byte string; every read is bounds-checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    /// A definite length in its shortest form: short form below 128, else `0x81 n` (n >= 128)
    /// or `0x82 hi lo` (>= 256). Longer forms are never needed here.
    fn length(&mut self) -> Option<usize> {
        match self.byte()? {
            b @ 0..=0x7f => Some(usize::from(b)),
            0x81 => {
                let n = self.byte()?;
                (n >= 0x80).then_some(usize::from(n))
            }
            0x82 => {
                let hi = self.byte()?;
                let lo = self.byte()?;
                let n = (usize::from(hi) << 8) | usize::from(lo);
                (n >= 0x100).then_some(n)
            }
            _ => None,
        }
    }

    /// The content of the next element, which must have tag `tag`.
    fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.byte()? != tag {
            return None;
        }
        let len = self.length()?;
        let (content, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(content)
    }

    /// `Some(())` when everything was read.
    fn finish(self) -> Option<()> {
        self.rest.is_empty().then_some(())
    }
}

/// Reads `bytes` as exactly one element with tag `tag` and returns its content.
fn only(bytes: &[u8], tag: u8) -> Option<&[u8]> {
    let mut r = Reader::new(bytes);
    let content = r.read(tag)?;
    r.finish()?;
    Some(content)
}

/// The magnitude of a minimal, non-negative DER INTEGER (its content bytes), without the
/// sign-clearing zero byte. Zero is the empty slice.
fn unsigned_integer(content: &[u8]) -> Option<&[u8]> {
    match content {
        [] => None,
        [b, ..] if b & 0x80 != 0 => None,
        [0] => Some(&[]),
        [0, next, ..] if next & 0x80 == 0 => None,
        [0, rest @ ..] => Some(rest),
        _ => Some(content),
    }
}

/// A public key as found in a `SubjectPublicKeyInfo`, not yet checked beyond its encoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Spki<'a> {
    /// `rsaEncryption` with NULL parameters: the modulus and the exponent (magnitudes).
    Rsa {
        /// The modulus, big-endian, no leading zero byte.
        n: &'a [u8],
        /// The public exponent, big-endian, no leading zero byte.
        e: &'a [u8],
    },
    /// `id-ecPublicKey` on `prime256v1`: the uncompressed point, `04 || X || Y`.
    P256(&'a [u8; 65]),
}

/// Parses a DER `SubjectPublicKeyInfo` holding an RSA key or an uncompressed P-256 point.
pub(crate) fn spki(der: &[u8]) -> Option<Spki<'_>> {
    let mut r = Reader::new(only(der, SEQUENCE)?);
    let mut alg = Reader::new(r.read(SEQUENCE)?);
    let bits = r.read(BIT_STRING)?;
    r.finish()?;
    // No unused bits: the key is a whole number of bytes.
    let (&0, key) = bits.split_first()? else {
        return None;
    };
    let oid = alg.read(OID)?;
    if oid == OID_RSA {
        if !alg.read(NULL)?.is_empty() {
            return None;
        }
        alg.finish()?;
        let mut k = Reader::new(only(key, SEQUENCE)?);
        let n = unsigned_integer(k.read(INTEGER)?)?;
        let e = unsigned_integer(k.read(INTEGER)?)?;
        k.finish()?;
        Some(Spki::Rsa { n, e })
    } else if oid == OID_EC {
        if alg.read(OID)? != OID_P256 {
            return None;
        }
        alg.finish()?;
        let point: &[u8; 65] = key.try_into().ok()?;
        (point[0] == 0x04).then_some(Spki::P256(point))
    } else {
        None
    }
}

/// The DER body of a PEM `PUBLIC KEY` block: `-----BEGIN PUBLIC KEY-----`, base64 lines
/// (standard alphabet, canonical, padded; `\n` or `\r\n` line ends), `-----END PUBLIC KEY-----`.
/// Surrounding ASCII whitespace is ignored; any other text before or after is refused.
pub(crate) fn pem_public_key(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let body = pem.trim_ascii().strip_prefix(BEGIN)?.strip_suffix(END)?;
    let mut b64 = Vec::with_capacity(body.len());
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line
            .bytes()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')))
        {
            return None;
        }
        b64.extend_from_slice(line.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()
}

/// Converts a strict DER `ECDSA-Sig-Value` into the fixed 64-byte `r || s` form. `None` for
/// any encoding flaw, or for r or s zero or longer than 32 bytes (the curve check that they
/// are below the group order is the verifier's).
pub(crate) fn ecdsa_signature(der: &[u8]) -> Option<[u8; 64]> {
    let mut r = Reader::new(only(der, SEQUENCE)?);
    let rv = unsigned_integer(r.read(INTEGER)?)?;
    let sv = unsigned_integer(r.read(INTEGER)?)?;
    r.finish()?;
    let mut out = [0u8; 64];
    let (ro, so) = out.split_at_mut(SCALAR_LEN);
    for (v, o) in [(rv, ro), (sv, so)] {
        if v.is_empty() || v.len() > SCALAR_LEN {
            return None;
        }
        o.get_mut(SCALAR_LEN - v.len()..)?.copy_from_slice(v);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sig(r: &[u8], s: &[u8]) -> Vec<u8> {
        let mut body = vec![INTEGER, u8::try_from(r.len()).unwrap()];
        body.extend_from_slice(r);
        body.extend_from_slice(&[INTEGER, u8::try_from(s.len()).unwrap()]);
        body.extend_from_slice(s);
        let mut out = vec![SEQUENCE, u8::try_from(body.len()).unwrap()];
        out.extend(body);
        out
    }

    #[test]
    fn ecdsa_der_accepts_minimal_forms() {
        let got = ecdsa_signature(&sig(&[1], &[2])).unwrap();
        assert_eq!(got[31], 1);
        assert_eq!(got[63], 2);
        assert!(got[..31].iter().all(|&b| b == 0));
        // A leading zero to clear the sign bit, and full 32-byte values.
        let high = [0x80u8; 32];
        let mut padded = vec![0u8];
        padded.extend_from_slice(&high);
        let got = ecdsa_signature(&sig(&padded, &[0x7f; 32])).unwrap();
        assert_eq!(&got[..32], &high);
        assert_eq!(&got[32..], &[0x7f; 32]);
    }

    #[test]
    fn ecdsa_der_rejects() {
        let ok = sig(&[1], &[2]);
        assert!(ecdsa_signature(&ok).is_some());
        let mut trailing = ok.clone();
        trailing.push(0);
        let mut inner_trailing = sig(&[1], &[2]);
        inner_trailing[1] += 1;
        inner_trailing.push(0);
        // Long-form length where the short form fits.
        let mut long_len = vec![SEQUENCE, 0x81, 6];
        long_len.extend_from_slice(&ok[2..]);
        let mut long_int = vec![SEQUENCE, 7, INTEGER, 0x81, 1, 1];
        long_int.extend_from_slice(&[INTEGER, 1, 2]);
        let bad: [(&str, Vec<u8>); 15] = [
            ("trailing bytes", trailing),
            ("bytes after s inside the sequence", inner_trailing),
            ("non-minimal sequence length", long_len),
            ("non-minimal integer length", long_int),
            ("negative r", sig(&[0x80], &[2])),
            ("negative s", sig(&[1], &[0xff, 1])),
            ("needless leading zero", sig(&[0, 1], &[2])),
            ("r zero", sig(&[0], &[2])),
            ("s zero", sig(&[1], &[0])),
            ("empty integer", sig(&[], &[2])),
            ("r too long", sig(&[1; 33], &[2])),
            ("only one integer", vec![SEQUENCE, 3, INTEGER, 1, 1]),
            ("wrong outer tag", {
                let mut v = ok.clone();
                v[0] = 0x31;
                v
            }),
            ("truncated", ok[..ok.len() - 1].to_vec()),
            ("empty", Vec::new()),
        ];
        for (what, der) in bad {
            assert_eq!(ecdsa_signature(&der), None, "{what}");
        }
        // A 33-byte r with its sign-clearing zero is fine; 34 bytes are not.
        let mut r33 = vec![0u8];
        r33.extend_from_slice(&[0x80; 32]);
        assert!(ecdsa_signature(&sig(&r33, &[1])).is_some());
        let mut r34 = vec![0u8];
        r34.extend_from_slice(&[0x80; 33]);
        assert_eq!(ecdsa_signature(&sig(&r34, &[1])), None);
    }

    #[test]
    fn lengths() {
        assert_eq!(Reader::new(&[0x7f]).length(), Some(127));
        assert_eq!(Reader::new(&[0x81, 0x80]).length(), Some(128));
        assert_eq!(Reader::new(&[0x81, 0x7f]).length(), None);
        assert_eq!(Reader::new(&[0x82, 0x01, 0x00]).length(), Some(256));
        assert_eq!(Reader::new(&[0x82, 0x00, 0xff]).length(), None);
        assert_eq!(Reader::new(&[0x80]).length(), None);
        assert_eq!(Reader::new(&[0x83, 1, 0, 0]).length(), None);
        assert_eq!(Reader::new(&[0x82, 1]).length(), None);
        // A length past the end of the input.
        assert_eq!(Reader::new(&[OID, 5, 1]).read(OID), None);
    }

    fn ec_spki(point: &[u8], curve: &[u8]) -> Vec<u8> {
        let mut alg = vec![OID, u8::try_from(OID_EC.len()).unwrap()];
        alg.extend_from_slice(OID_EC);
        alg.extend_from_slice(&[OID, u8::try_from(curve.len()).unwrap()]);
        alg.extend_from_slice(curve);
        let mut body = vec![SEQUENCE, u8::try_from(alg.len()).unwrap()];
        body.extend(alg);
        body.extend_from_slice(&[BIT_STRING, u8::try_from(point.len() + 1).unwrap(), 0]);
        body.extend_from_slice(point);
        let mut out = vec![SEQUENCE, u8::try_from(body.len()).unwrap()];
        out.extend(body);
        out
    }

    #[test]
    fn spki_ec() {
        let mut point = [7u8; 65];
        point[0] = 4;
        assert_eq!(spki(&ec_spki(&point, OID_P256)), Some(Spki::P256(&point)));
        // Compressed points, other curves, trailing bytes.
        let mut compressed = [7u8; 33];
        compressed[0] = 2;
        assert_eq!(spki(&ec_spki(&compressed, OID_P256)), None);
        let mut hybrid = point;
        hybrid[0] = 6;
        assert_eq!(spki(&ec_spki(&hybrid, OID_P256)), None);
        let p384 = [0x2b, 0x81, 0x04, 0x00, 0x22];
        assert_eq!(spki(&ec_spki(&point, &p384)), None);
        let mut t = ec_spki(&point, OID_P256);
        t.push(0);
        assert_eq!(spki(&t), None);
    }

    #[test]
    fn pem() {
        let der = [0x30u8, 0x03, 0x02, 0x01, 0x01];
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let pem = alloc::format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n");
        assert_eq!(pem_public_key(&pem), Some(der.to_vec()));
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(pem_public_key(&crlf), Some(der.to_vec()));
        for bad in [
            pem.replace("PUBLIC KEY", "RSA PUBLIC KEY"),
            pem.replace(&b64, &b64.replace('=', "")),
            pem.replace(&b64, &alloc::format!("{b64} ")),
            alloc::format!("x{pem}"),
            alloc::format!("{pem}x"),
            pem.replace(&b64, "-_"),
        ] {
            assert_eq!(pem_public_key(&bad), None, "{bad:?}");
        }
    }
}
