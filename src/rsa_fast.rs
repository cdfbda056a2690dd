//! RSA signature verification (RFC 8017): the public key with its Montgomery constants
//! computed once at key load, the public operation s^e mod n, and the two JOSE encodings —
//! RSASSA-PKCS1-v1_5 (RS256/384/512) and RSASSA-PSS with MGF1 over the same hash and a salt as
//! long as the hash (PS256/384/512).
//!
//! Verify only, and **variable time**: every value here is public (key, signature, message,
//! and the encoded message recovered from them), so the arithmetic in [`crate::mont`] may
//! branch on data. There is no private-key code in this crate.
//!
//! RSASSA-PKCS1-v1_5 also takes SHA-1, for `CloudFront` signed URLs and cookies (their default
//! hash); the JOSE algorithms never use it.
//!
//! PKCS#1 v1.5 is checked by building the whole expected encoded message
//! `00 01 FF..FF 00 DigestInfo(hash)` and comparing it with the recovered one: nothing is
//! parsed, so the e = 3 forgeries that exploit lenient parsers (Bleichenbacher 2006) cannot
//! verify.

use alloc::vec::Vec;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::mont::{self, Modulus};

/// Smallest modulus accepted, in bits.
pub const MIN_BITS: usize = 2048;
/// Largest modulus accepted, in bits.
pub const MAX_BITS: usize = mont::MAX_BITS;

/// An RSA public key ready for verification: n with its Montgomery constants, e and the
/// modulus length k in bytes.
#[derive(Clone)]
pub struct RsaPublicKey {
    n: Modulus,
    e: u32,
    k: usize,
}

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RsaPublicKey({} bits, e = {})", self.n.bits(), self.e)
    }
}

impl RsaPublicKey {
    /// The key with modulus `n` and exponent `e` (big-endian, leading zero bytes allowed).
    ///
    /// # Errors
    /// `None` unless n is odd with [`MIN_BITS`] to [`MAX_BITS`] bits and e is odd with
    /// 3 <= e < 2^32.
    pub fn new(n: &[u8], e: &[u8]) -> Option<RsaPublicKey> {
        let e = strip_leading_zeros(e);
        if e.len() > 4 {
            return None;
        }
        let e = e.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        if e < 3 || e % 2 == 0 {
            return None;
        }
        let n = Modulus::new(n)?;
        if n.bits() < MIN_BITS {
            return None;
        }
        let k = n.bits().div_ceil(8);
        Some(RsaPublicKey { n, e, k })
    }

    /// Bit length of n.
    pub fn bits(&self) -> usize {
        self.n.bits()
    }

    /// Length of n in bytes, which is the length of every signature (k).
    pub fn size(&self) -> usize {
        self.k
    }

    /// The public exponent.
    pub fn exponent(&self) -> u32 {
        self.e
    }

    /// The RSA public operation (RSAVP1): s^e mod n as exactly k big-endian bytes.
    ///
    /// # Errors
    /// `None` when the signature is not exactly k bytes or is not below n.
    pub fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.k {
            return None;
        }
        let s = self.n.element(sig)?;
        Some(self.n.to_be_bytes(&self.n.pow(&s, self.e), self.k))
    }

    /// RSASSA-PKCS1-v1_5 verification (RFC 8017 8.2.2) of `sig` over `msg` with hash `D`.
    pub fn verify_pkcs1v15<D: Pkcs1Hash>(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some(em) = self.public_op(sig) else {
            return false;
        };
        let hash = D::digest(msg);
        let t_len = D::DIGEST_INFO.len() + hash.len();
        // At least 8 bytes of FF padding.
        let Some(ps_len) = self.k.checked_sub(t_len + 3).filter(|&p| p >= 8) else {
            return false;
        };
        let expected = [0x00, 0x01]
            .iter()
            .chain(core::iter::repeat_n(&0xff, ps_len))
            .chain(&[0x00])
            .chain(D::DIGEST_INFO)
            .chain(hash.iter());
        em.iter().eq(expected)
    }

    /// RSASSA-PSS verification (RFC 8017 8.1.2 and EMSA-PSS-VERIFY, 9.1.2) of `sig` over
    /// `msg`, with MGF1 over the same hash `D` and a salt exactly as long as the hash.
    pub fn verify_pss<D: Digest>(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some(raw) = self.public_op(sig) else {
            return false;
        };
        let m_hash = D::digest(msg);
        let h_len = m_hash.len();
        let s_len = h_len;
        // emBits = modBits - 1; EM = I2OSP(m, emLen) fails unless the extra leading byte of
        // the k-byte value (when emLen = k - 1) is zero.
        let em_bits = self.n.bits() - 1;
        let em_len = em_bits.div_ceil(8);
        let Some((lead, em)) = raw.split_at_checked(self.k - em_len) else {
            return false;
        };
        if lead.iter().any(|&b| b != 0) || em_len < h_len + s_len + 2 {
            return false;
        }
        // Step 4: the trailer.
        let Some((&0xbc, rest)) = em.split_last() else {
            return false;
        };
        // Step 5: maskedDB || H.
        let Some((masked_db, h)) = rest.split_at_checked(em_len - h_len - 1) else {
            return false;
        };
        // Step 6: the leftmost 8 emLen - emBits bits must be zero.
        let keep = 0xffu8 >> (8 * em_len - em_bits);
        if masked_db.first().is_none_or(|&b| b & !keep != 0) {
            return false;
        }
        // Steps 7-9: DB = maskedDB xor MGF1(H), the leftmost bits cleared.
        let mut db = masked_db.to_vec();
        mgf1_xor::<D>(h, &mut db);
        if let Some(b) = db.first_mut() {
            *b &= keep;
        }
        // Step 10: PS zeros, then 0x01.
        let Some((ps, rest)) = db.split_at_checked(em_len - h_len - s_len - 2) else {
            return false;
        };
        let Some((&0x01, salt)) = rest.split_first() else {
            return false;
        };
        if ps.iter().any(|&b| b != 0) || salt.len() != s_len {
            return false;
        }
        // Steps 12-14: H' = Hash(00 x 8 || mHash || salt) must equal H.
        let h2 = D::new()
            .chain_update([0u8; 8])
            .chain_update(&m_hash)
            .chain_update(salt)
            .finalize();
        h2[..] == *h
    }
}

/// A hash usable with PKCS#1 v1.5: its DER `DigestInfo` prefix.
pub trait Pkcs1Hash: Digest {
    /// `DigestInfo` up to the hash value (RFC 8017 section 9.2, note 1).
    const DIGEST_INFO: &'static [u8];
}

/// SHA-1 (OID 1.3.14.3.2.26, RFC 8017 section 9.2 note 1): for `CloudFront` signatures only.
impl Pkcs1Hash for Sha1 {
    const DIGEST_INFO: &'static [u8] = &[
        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
    ];
}

impl Pkcs1Hash for Sha256 {
    const DIGEST_INFO: &'static [u8] = &[
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
}

impl Pkcs1Hash for Sha384 {
    const DIGEST_INFO: &'static [u8] = &[
        0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
        0x05, 0x00, 0x04, 0x30,
    ];
}

impl Pkcs1Hash for Sha512 {
    const DIGEST_INFO: &'static [u8] = &[
        0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
        0x05, 0x00, 0x04, 0x40,
    ];
}

/// `out ^= MGF1(seed, out.len())` with hash `D` (RFC 8017 B.2.1).
fn mgf1_xor<D: Digest>(seed: &[u8], out: &mut [u8]) {
    let block = <D as Digest>::output_size().max(1);
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(block)) {
        let mask = D::new()
            .chain_update(seed)
            .chain_update(counter.to_be_bytes())
            .finalize();
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    b.get(zeros..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::rsa::traits::PublicKeyParts;
    use ::rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPrivateKey};
    use rand_chacha::rand_core::SeedableRng;

    fn keypair(bits: usize, seed: u64) -> (RsaPrivateKey, RsaPublicKey) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let private = RsaPrivateKey::new(&mut rng, bits).unwrap();
        let public =
            RsaPublicKey::new(&private.n().to_bytes_be(), &private.e().to_bytes_be()).unwrap();
        (private, public)
    }

    #[test]
    fn digest_info_prefixes_match_the_rsa_crate() {
        assert_eq!(
            Sha256::DIGEST_INFO,
            &Pkcs1v15Sign::new::<Sha256>().prefix[..]
        );
        assert_eq!(
            Sha384::DIGEST_INFO,
            &Pkcs1v15Sign::new::<Sha384>().prefix[..]
        );
        assert_eq!(
            Sha512::DIGEST_INFO,
            &Pkcs1v15Sign::new::<Sha512>().prefix[..]
        );
    }

    #[test]
    fn sha1_digest_info_is_rfc_8017s() {
        // RFC 8017 section 9.2, note 1, as printed: "SHA-1: (0x)30 21 30 09 06 05 2b 0e 03 02
        // 1a 05 00 04 14 || H."
        let printed = "30 21 30 09 06 05 2b 0e 03 02 1a 05 00 04 14";
        let want: Vec<u8> = printed
            .split(' ')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        assert_eq!(Sha1::DIGEST_INFO, &want[..]);
        assert_eq!(Sha1::DIGEST_INFO.len() + 20, 35);
    }

    #[test]
    fn pkcs1_sha1_round_trip_and_reject_changes() {
        let (private, key) = keypair(2048, 4);
        let msg = b"cloudfront policy";
        let scheme = || Pkcs1v15Sign {
            hash_len: Some(20),
            prefix: Sha1::DIGEST_INFO.into(),
        };
        let sig = private.sign(scheme(), &Sha1::digest(msg)).unwrap();
        assert!(key.verify_pkcs1v15::<Sha1>(msg, &sig));
        // The rsa crate's own verifier agrees on the encoding.
        assert!(private
            .to_public_key()
            .verify(scheme(), &Sha1::digest(msg), &sig)
            .is_ok());
        assert!(!key.verify_pkcs1v15::<Sha256>(msg, &sig));
        assert!(!key.verify_pkcs1v15::<Sha1>(b"cloudfront polic", &sig));
        for i in [0, 1, sig.len() / 2, sig.len() - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 0x01;
            assert!(!key.verify_pkcs1v15::<Sha1>(msg, &bad));
        }
        // A SHA-256 signature is not a SHA-1 one.
        let sig = private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
            .unwrap();
        assert!(!key.verify_pkcs1v15::<Sha1>(msg, &sig));
        // The hash without its DigestInfo (raw PKCS#1 over the bare digest) is refused.
        let sig = private
            .sign(Pkcs1v15Sign::new_unprefixed(), &Sha1::digest(msg))
            .unwrap();
        assert!(!key.verify_pkcs1v15::<Sha1>(msg, &sig));
    }

    #[test]
    fn key_checks() {
        let n2048 = [0xffu8; 256];
        assert!(RsaPublicKey::new(&n2048, &[1, 0, 1]).is_some());
        assert!(RsaPublicKey::new(&n2048, &[0, 0, 1, 0, 1]).is_some());
        assert!(RsaPublicKey::new(&n2048, &[3]).is_some());
        assert!(RsaPublicKey::new(&n2048, &[0xff, 0xff, 0xff, 0xff]).is_some());
        for bad_e in [
            &[][..],
            &[1],
            &[2],
            &[1, 0, 0],
            &[1, 0, 0, 0, 1],
            &[0xff; 5],
        ] {
            assert!(RsaPublicKey::new(&n2048, bad_e).is_none(), "{bad_e:?}");
        }
        let mut even = n2048;
        even[255] = 0xfe;
        assert!(RsaPublicKey::new(&even, &[1, 0, 1]).is_none());
        assert!(RsaPublicKey::new(&[0xff; 255], &[1, 0, 1]).is_none());
        assert!(RsaPublicKey::new(&[0xff; 1024], &[1, 0, 1]).is_some());
        assert!(RsaPublicKey::new(&[0xff; 1025], &[1, 0, 1]).is_none());
        let k = RsaPublicKey::new(&[&[0u8, 0, 1][..], &[0u8; 255], &[1]].concat(), &[3]).unwrap();
        assert_eq!((k.bits(), k.size(), k.exponent()), (2049, 257, 3));
    }

    #[test]
    fn public_op_edge_values() {
        let (private, key) = keypair(2048, 1);
        let n = private.n().to_bytes_be();
        let k = key.size();
        let one = BigUint::from(1u8);
        let pad = |x: &BigUint| {
            let b = x.to_bytes_be();
            [alloc::vec![0u8; k - b.len()], b].concat()
        };
        for s in [BigUint::from(0u8), one.clone(), private.n() - &one] {
            let want = s.modpow(private.e(), private.n());
            assert_eq!(key.public_op(&pad(&s)).unwrap(), pad(&want));
        }
        assert!(key.public_op(&n).is_none());
        assert!(key.public_op(&pad(&(private.n() + &one))).is_none());
        assert!(key.public_op(&[0xff; 256]).is_none());
        assert!(key.public_op(&[0; 255]).is_none());
        assert!(key.public_op(&[0; 257]).is_none());
    }

    #[test]
    fn pkcs1_and_pss_round_trip_and_reject_changes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for bits in [2048, 2049] {
            let (private, key) = keypair(bits, 2);
            let msg = b"edgeward";
            let sig = private
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
                .unwrap();
            assert!(key.verify_pkcs1v15::<Sha256>(msg, &sig));
            assert!(!key.verify_pkcs1v15::<Sha384>(msg, &sig));
            assert!(!key.verify_pkcs1v15::<Sha256>(b"edgewarD", &sig));
            assert!(!key.verify_pss::<Sha256>(msg, &sig));
            let sig = private
                .sign_with_rng(
                    &mut rng,
                    Pss::new_with_salt::<Sha512>(64),
                    &Sha512::digest(msg),
                )
                .unwrap();
            assert!(key.verify_pss::<Sha512>(msg, &sig), "{bits}");
            assert!(!key.verify_pss::<Sha256>(msg, &sig));
            assert!(!key.verify_pkcs1v15::<Sha512>(msg, &sig));
            for i in [0, 1, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x01;
                assert!(!key.verify_pss::<Sha512>(msg, &bad));
            }
            // A salt of another length is refused.
            let sig = private
                .sign_with_rng(
                    &mut rng,
                    Pss::new_with_salt::<Sha512>(32),
                    &Sha512::digest(msg),
                )
                .unwrap();
            assert!(!key.verify_pss::<Sha512>(msg, &sig));
        }
    }

    #[test]
    fn pkcs1_without_null_parameters_is_refused() {
        // The "acceptable" Wycheproof variant: DigestInfo without the NULL. We build the
        // encoded message by hand and sign it raw.
        let (private, key) = keypair(2048, 3);
        let hash = Sha256::digest(b"m");
        let prefix = [
            0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x04, 0x20,
        ];
        let t: Vec<u8> = prefix.iter().chain(hash.iter()).copied().collect();
        let sig = private.sign(Pkcs1v15Sign::new_unprefixed(), &t).unwrap();
        assert!(key.public_op(&sig).is_some());
        assert!(!key.verify_pkcs1v15::<Sha256>(b"m", &sig));
    }
}
