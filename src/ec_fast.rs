//! ECDSA verification over the NIST prime curves: ES256 on P-256, ES384 on P-384 and ES512 on
//! P-521 (FIPS 186-5, SEC 1 4.1.4). The public point is decoded and expanded into a fixed-base
//! table once at key load, the generator's table exists once per process, and u1 G + u2 Q is
//! one interleaved comb over both tables.
//!
//! Verify only, and **variable time**: every value here is public (the key, the signature, the
//! message and its hash, and everything derived from them), so the arithmetic branches on data
//! and looks tables up by digit. There is no private-key code in this crate; never use this
//! module for one.
//!
//! One implementation, generic over the curve ([`Curve`]) and the limb count: each curve gets
//! its own copy with its constants folded in. Arithmetic: integers mod p and mod n in
//! Montgomery form with R = 2^(w L) for L limbs of w bits, fully reduced after every operation
//! (so equal values have equal limbs), little-endian, with double-width products: `u32` limbs
//! and `u64` products on 32-bit targets such as wasm32 (where a 32x32->64 product is one
//! `i64.mul` and 64x64->128 is emulated), `u64` limbs with `u128` products on 64-bit targets.
//! Points are Jacobian (X/Z^2, Y/Z^3; Z = 0 is the point at infinity) with affine table
//! entries; the doubling uses a = -3, which all three curves share.
//!
//! Scalar multiplication: a scalar is recoded into signed digits of W bits (|d| <= 2^(W-1)).
//! The table of a point P holds, for every M-th digit position i and j = 1..2^(W-1), the affine
//! point j 2^(W i) P. The comb then needs only W (M - 1) doublings, shared by both scalars, and
//! one mixed addition per non-zero digit. Additions handle every exceptional case (P = Q
//! doubles, P = -Q gives infinity, infinity plus P is P), so u1 = 0 or a key related to the
//! generator cannot break the sum.
//!
//! The verdict compares x(R) with r without an inversion: x(R) mod n = r holds iff
//! X = r Z^2 (mod p), or r + n < p and X = (r + n) Z^2.
//!
//! Generator tables are built on first use (with the first key of the curve) and kept for the
//! life of the process in a [`OnceBox`] (no lock and no `unsafe`: two threads that race both
//! build one, and one is kept). Baking P-256's into the binary instead would save that one-time
//! cost (about as much as one key load) but add 22.5 KB of incompressible data to every `.wasm`.

// Textbook names (x, y, z, a, b, n, p, r, s, w); limb casts with widths checked below (a cast
// to `Limb` is a no-op on one target and not on the other).
#![allow(
    clippy::many_single_char_names,
    clippy::doc_markdown,
    clippy::cast_possible_truncation,
    clippy::cast_lossless,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::unnecessary_cast
)]

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::marker::PhantomData;
use once_cell::race::OnceBox;
use sha2::{Digest, Sha256, Sha384, Sha512};

#[cfg(not(target_pointer_width = "64"))]
mod width {
    /// One limb.
    pub(super) type Limb = u32;
    /// A product of two limbs plus two limbs.
    pub(super) type Wide = u64;
}

#[cfg(target_pointer_width = "64")]
mod width {
    /// One limb.
    pub(super) type Limb = u64;
    /// A product of two limbs plus two limbs.
    pub(super) type Wide = u128;
}

use width::{Limb, Wide};

/// Bits per limb.
const LIMB_BITS: u32 = Limb::BITS;
/// Bytes per limb.
const LIMB_BYTES: usize = LIMB_BITS as usize / 8;
// A limb product plus two limbs fits the double width: (2^w - 1)^2 + 2 (2^w - 1) = 2^2w - 1.
const _: () = assert!(Wide::BITS == 2 * LIMB_BITS);

/// Limbs of a P-256 integer.
const L256: usize = 256 / LIMB_BITS as usize;
/// Limbs of a P-384 integer.
const L384: usize = 384 / LIMB_BITS as usize;
/// Limbs of a P-521 integer (544 or 576 bits).
const L521: usize = 521usize.div_ceil(LIMB_BITS as usize);

/// An integer of L little-endian limbs.
type Limbs<const L: usize> = [Limb; L];

/// Room for the signed digits of any curve's scalar (P-521: 105 with 5-bit windows; 131
/// with 4-bit ones).
const MAX_DIGITS: usize = 132;

/// A big-endian hex constant as limbs (evaluated at compile time).
const fn hex<const L: usize>(s: &str) -> Limbs<L> {
    let b = s.as_bytes();
    let mut out = [0; L];
    let mut i = 0;
    while i < b.len() {
        let c = b[b.len() - 1 - i];
        assert!(c.is_ascii_hexdigit());
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        let bit = 4 * i;
        out[bit / LIMB_BITS as usize] |= (v as Limb) << (bit % LIMB_BITS as usize);
        i += 1;
    }
    out
}

/// A prime modulus with its Montgomery constants.
struct Modulus<const L: usize> {
    /// The modulus.
    m: Limbs<L>,
    /// -m^-1 mod 2^w.
    m_inv: Limb,
    /// R mod m: one in Montgomery form.
    one: Limbs<L>,
    /// R^2 mod m.
    rr: Limbs<L>,
}

impl<const L: usize> Modulus<L> {
    /// The constants for an odd modulus m > 1, all computed at compile time.
    const fn new(m: Limbs<L>) -> Modulus<L> {
        // Newton's iteration for m^-1 mod 2^w: each step doubles the correct low bits.
        let mut inv: Limb = 1;
        let mut k = 0;
        while k < 7 {
            inv = inv.wrapping_mul((2 as Limb).wrapping_sub(m[0].wrapping_mul(inv)));
            k += 1;
        }
        // R mod m = 2^(w L) mod m by w L modular doublings of 1; R^2 by as many more.
        let mut one = [0; L];
        one[0] = 1;
        let mut k = 0;
        while k < L * LIMB_BITS as usize {
            one = add_mod(&one, &one, &m);
            k += 1;
        }
        let mut rr = one;
        let mut k = 0;
        while k < L * LIMB_BITS as usize {
            rr = add_mod(&rr, &rr, &m);
            k += 1;
        }
        Modulus {
            m,
            m_inv: inv.wrapping_neg(),
            one,
            rr,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Integers of L limbs.

/// a - b and the borrow out.
const fn sub_raw<const L: usize>(a: &Limbs<L>, b: &Limbs<L>) -> (Limbs<L>, bool) {
    let mut out = [0; L];
    let mut borrow = false;
    let mut i = 0;
    while i < L {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as Limb);
        out[i] = d;
        borrow = b1 | b2;
        i += 1;
    }
    (out, borrow)
}

/// a + b and the carry out.
const fn add_raw<const L: usize>(a: &Limbs<L>, b: &Limbs<L>) -> (Limbs<L>, bool) {
    let mut out = [0; L];
    let mut carry = false;
    let mut i = 0;
    while i < L {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(carry as Limb);
        out[i] = s;
        carry = c1 | c2;
        i += 1;
    }
    (out, carry)
}

/// a < b.
const fn less<const L: usize>(a: &Limbs<L>, b: &Limbs<L>) -> bool {
    let mut i = L;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

const fn is_zero<const L: usize>(a: &Limbs<L>) -> bool {
    let mut i = 0;
    while i < L {
        if a[i] != 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// (a + b) mod m for a, b < m.
const fn add_mod<const L: usize>(a: &Limbs<L>, b: &Limbs<L>, m: &Limbs<L>) -> Limbs<L> {
    let (s, carry) = add_raw(a, b);
    if carry || !less(&s, m) {
        sub_raw(&s, m).0
    } else {
        s
    }
}

/// (a - b) mod m for a, b < m.
const fn sub_mod<const L: usize>(a: &Limbs<L>, b: &Limbs<L>, m: &Limbs<L>) -> Limbs<L> {
    let (d, borrow) = sub_raw(a, b);
    if borrow {
        add_raw(&d, m).0
    } else {
        d
    }
}

/// Big-endian bytes as an integer; `None` if they do not fit in L limbs.
fn from_be<const L: usize>(bytes: &[u8]) -> Option<Limbs<L>> {
    let mut out = [0; L];
    for (i, &b) in bytes.iter().rev().enumerate() {
        let limb = out.get_mut(i / LIMB_BYTES)?;
        *limb |= Limb::from(b) << (8 * (i % LIMB_BYTES));
    }
    Some(out)
}

/// The low `len` bytes of the integer, big-endian.
fn to_be<const L: usize>(a: &Limbs<L>, len: usize) -> Vec<u8> {
    let mut out = alloc::vec![0u8; len];
    for (i, byte) in out.iter_mut().rev().enumerate() {
        let limb = a.get(i / LIMB_BYTES).copied().unwrap_or(0);
        *byte = (limb >> (8 * (i % LIMB_BYTES))) as u8;
    }
    out
}

/// A modulus as a type, so that each one gets its own copy of the multiplication with the
/// constants folded in (P-256's p has limbs 0, 1 and all-ones, and -p^-1 = 1 mod 2^32).
trait Params<const L: usize> {
    const MD: Modulus<L>;
}

/// A curve's field prime.
struct Fp<C>(PhantomData<C>);
impl<C: Curve<L>, const L: usize> Params<L> for Fp<C> {
    const MD: Modulus<L> = C::P;
}

/// A curve's group order.
struct Fn<C>(PhantomData<C>);
impl<C: Curve<L>, const L: usize> Params<L> for Fn<C> {
    const MD: Modulus<L> = C::N;
}

/// Montgomery product a b R^-1 mod m for a < R and b < m (CIOS: one row of a b, then one
/// reduction step, per limb of b). The result is fully reduced: the sum before the last
/// subtraction is (a b + q m) / R < (R m + R m) / R = 2m.
#[inline]
fn mont_mul<T: Params<L>, const L: usize>(a: &Limbs<L>, b: &Limbs<L>) -> Limbs<L> {
    let m = &T::MD.m;
    let mut t = [0 as Limb; L];
    let mut t_hi: Limb = 0;
    for &bi in b {
        // t += a * b_i.
        let mut c: Wide = 0;
        for (tj, &aj) in t.iter_mut().zip(a) {
            let uv = *tj as Wide + aj as Wide * bi as Wide + c;
            *tj = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        let uv = t_hi as Wide + c;
        let top = uv as Limb;
        let top_carry = (uv >> LIMB_BITS) as Limb;
        // t = (t + q m) / 2^w, q chosen to clear the low limb.
        let q = t[0].wrapping_mul(T::MD.m_inv);
        let mut c = (t[0] as Wide + q as Wide * m[0] as Wide) >> LIMB_BITS;
        for j in 1..L {
            let uv = t[j] as Wide + q as Wide * m[j] as Wide + c;
            t[j - 1] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        let uv = top as Wide + c;
        t[L - 1] = uv as Limb;
        t_hi = top_carry + (uv >> LIMB_BITS) as Limb;
    }
    // t < 2m.
    if t_hi != 0 || !less(&t, m) {
        sub_raw(&t, m).0
    } else {
        t
    }
}

/// Montgomery square a^2 R^-1 mod m for a < m: the 2L-limb square with each cross product
/// computed once and doubled, then L reduction steps. Fully reduced.
#[inline]
fn mont_sqr<T: Params<L>, const L: usize>(a: &Limbs<L>) -> Limbs<L> {
    let m = &T::MD.m;
    // 2L limbs (stable Rust has no [Limb; 2 * L]: the largest curve's size, the rest unused).
    let mut t = [0 as Limb; 2 * L521];
    // Cross products a_i a_j, i < j.
    for i in 0..L {
        let mut c: Wide = 0;
        for j in i + 1..L {
            let uv = t[i + j] as Wide + a[i] as Wide * a[j] as Wide + c;
            t[i + j] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        t[i + L] = c as Limb;
    }
    // Doubled, plus the squares a_i^2.
    let mut c: Wide = 0;
    let mut shifted_out: Limb = 0;
    for i in 0..L {
        let sq = a[i] as Wide * a[i] as Wide;
        let lo = (t[2 * i] << 1) | shifted_out;
        let hi = (t[2 * i + 1] << 1) | (t[2 * i] >> (LIMB_BITS - 1));
        shifted_out = t[2 * i + 1] >> (LIMB_BITS - 1);
        let uv = lo as Wide + (sq as Limb) as Wide + c;
        t[2 * i] = uv as Limb;
        let uv = hi as Wide + (sq >> LIMB_BITS) + (uv >> LIMB_BITS);
        t[2 * i + 1] = uv as Limb;
        c = uv >> LIMB_BITS;
    }
    // Reduction: t = (t + q m) / 2^w, L times.
    let mut extra: Wide = 0;
    for i in 0..L {
        let q = t[i].wrapping_mul(T::MD.m_inv);
        let mut c: Wide = 0;
        for j in 0..L {
            let uv = t[i + j] as Wide + q as Wide * m[j] as Wide + c;
            t[i + j] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        let uv = t[i + L] as Wide + c + extra;
        t[i + L] = uv as Limb;
        extra = uv >> LIMB_BITS;
    }
    let mut out = [0 as Limb; L];
    out.copy_from_slice(&t[L..2 * L]);
    // out < 2m.
    if extra != 0 || !less(&out, m) {
        sub_raw(&out, m).0
    } else {
        out
    }
}

/// a^(m-2) mod m in Montgomery form (the inverse of a for prime m; 0 for 0): left-to-right with
/// a 4-bit fixed window.
// Cold (table building): kept out of line, here and below, so that the unrolled arithmetic is
// not copied into every caller.
#[inline(never)]
fn pow_m2<T: Params<L>, const L: usize>(a: &Limbs<L>) -> Limbs<L> {
    let md = &T::MD;
    let mut two = [0; L];
    two[0] = 2;
    let e = sub_raw(&md.m, &two).0;
    let mut table = [md.one; 16];
    for i in 1..16 {
        table[i] = mont_mul::<T, L>(&table[i - 1], a);
    }
    let mut acc = md.one;
    for i in (0..L * LIMB_BITS as usize / 4).rev() {
        for _ in 0..4 {
            acc = mont_sqr::<T, L>(&acc);
        }
        let bit = i * 4;
        let nibble = (e[bit / LIMB_BITS as usize] >> (bit % LIMB_BITS as usize)) & 0xf;
        if nibble != 0 {
            acc = mont_mul::<T, L>(&acc, &table[nibble as usize]);
        }
    }
    acc
}

/// a^-1 mod n for 0 < a < n (plain integers), by the binary extended Euclidean algorithm:
/// variable time (every step branches on the value), so for public values only. 0 for 0.
#[inline(never)]
fn invert_vartime<const L: usize>(a: &Limbs<L>, n: &Limbs<L>) -> Limbs<L> {
    /// x / 2 mod n for x < n (n odd): halve x, or x + n when x is odd.
    fn half_mod<const L: usize>(x: &mut Limbs<L>, n: &Limbs<L>) {
        let carry = if x[0] & 1 == 1 {
            let (sum, carry) = add_raw(x, n);
            *x = sum;
            carry
        } else {
            false
        };
        shr1(x, carry);
    }
    fn shr1<const L: usize>(x: &mut Limbs<L>, top: bool) {
        for i in 0..L - 1 {
            x[i] = (x[i] >> 1) | (x[i + 1] << (LIMB_BITS - 1));
        }
        x[L - 1] = (x[L - 1] >> 1) | (Limb::from(top) << (LIMB_BITS - 1));
    }
    let mut one = [0; L];
    one[0] = 1;
    if is_zero(a) {
        return [0; L];
    }
    // Invariants: x1 a = u and x2 a = v (mod n); gcd(u, v) = gcd(a, n) = 1.
    let (mut u, mut v) = (*a, *n);
    let (mut x1, mut x2) = (one, [0; L]);
    while u != one && v != one {
        // Only u = v = 1 could make one of them zero, and that ends the loop first; the check
        // keeps a zero (a multiple of n passed in) from halving forever.
        if is_zero(&u) || is_zero(&v) {
            return [0; L];
        }
        while u[0] & 1 == 0 {
            shr1(&mut u, false);
            half_mod(&mut x1, n);
        }
        while v[0] & 1 == 0 {
            shr1(&mut v, false);
            half_mod(&mut x2, n);
        }
        if less(&u, &v) {
            v = sub_raw(&v, &u).0;
            x2 = sub_mod(&x2, &x1, n);
        } else {
            u = sub_raw(&u, &v).0;
            x1 = sub_mod(&x1, &x2, n);
        }
    }
    if u == one {
        x1
    } else {
        x2
    }
}

// ---------------------------------------------------------------------------------------------
// Curves.

/// One curve's constants, on a marker type; `L` is its limb count on this target.
trait Curve<const L: usize>: Copy + Eq + core::fmt::Debug + Send + Sync + 'static {
    /// The field prime p.
    const P: Modulus<L>;
    /// The group order n.
    const N: Modulus<L>;
    /// The coefficient b of y^2 = x^3 - 3x + b (plain).
    const B: Limbs<L>;
    /// The generator's coordinates (plain).
    const G: (Limbs<L>, Limbs<L>);
    /// Bytes of a coordinate, and of each of r and s.
    const BYTES: usize;
    /// Bits of n.
    const N_BITS: usize;
    /// Window width of the signed digits.
    const W: usize;
    /// Interleave of the comb: a table holds every M-th digit position.
    const M: usize;

    /// Signed digits of a scalar below n (the top window absorbs the last carry).
    const DIGITS: usize = (Self::N_BITS + 1).div_ceil(Self::W);
    /// Digit positions held by a table.
    const POSITIONS: usize = Self::DIGITS.div_ceil(Self::M);
    /// Multiples per position: 1..=2^(W-1).
    const MULTIPLES: usize = 1 << (Self::W - 1);
    /// Affine points in one table.
    const TABLE_LEN: usize = Self::POSITIONS * Self::MULTIPLES;

    /// The generator's comb table.
    fn g_table() -> &'static [Affine<Self, L>];
}

/// P-256 (secp256r1): ES256.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct P256;

impl Curve<L256> for P256 {
    const P: Modulus<L256> = Modulus::new(hex(
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    ));
    const N: Modulus<L256> = Modulus::new(hex(
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    ));
    const B: Limbs<L256> = hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    const G: (Limbs<L256>, Limbs<L256>) = (
        hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
        hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
    );
    const BYTES: usize = 32;
    const N_BITS: usize = 256;
    const W: usize = 6;
    const M: usize = 4;

    fn g_table() -> &'static [Affine<P256, L256>] {
        static TABLE: OnceBox<Vec<Affine<P256, L256>>> = OnceBox::new();
        TABLE.get_or_init(|| Box::new(generator_table()))
    }
}

/// P-384 (secp384r1): ES384.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct P384;

impl Curve<L384> for P384 {
    const P: Modulus<L384> = Modulus::new(hex(
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    ));
    const N: Modulus<L384> = Modulus::new(hex(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    ));
    const B: Limbs<L384> = hex(
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
    );
    const G: (Limbs<L384>, Limbs<L384>) = (
        hex("aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7"),
        hex("3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f"),
    );
    const BYTES: usize = 48;
    const N_BITS: usize = 384;
    const W: usize = 5;
    const M: usize = 4;

    fn g_table() -> &'static [Affine<P384, L384>] {
        static TABLE: OnceBox<Vec<Affine<P384, L384>>> = OnceBox::new();
        TABLE.get_or_init(|| Box::new(generator_table()))
    }
}

/// P-521 (secp521r1): ES512.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct P521;

impl Curve<L521> for P521 {
    const P: Modulus<L521> = Modulus::new(hex(
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ));
    const N: Modulus<L521> = Modulus::new(hex(
        "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ));
    const B: Limbs<L521> = hex(
        "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    );
    const G: (Limbs<L521>, Limbs<L521>) = (
        hex("00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66"),
        hex("011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650"),
    );
    const BYTES: usize = 66;
    const N_BITS: usize = 521;
    const W: usize = 5;
    const M: usize = 4;

    fn g_table() -> &'static [Affine<P521, L521>] {
        static TABLE: OnceBox<Vec<Affine<P521, L521>>> = OnceBox::new();
        TABLE.get_or_init(|| Box::new(generator_table()))
    }
}

/// The generator's table, built on first use. It cannot fail for the generator; if it did, an
/// empty table would make every signature fail.
fn generator_table<C: Curve<L>, const L: usize>() -> Vec<Affine<C, L>> {
    let g = Affine {
        x: Fe::from_int(&C::G.0),
        y: Fe::from_int(&C::G.1),
    };
    build_table(&g).map(Vec::from).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Field elements mod p.

/// An element of GF(p) in Montgomery form, fully reduced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fe<C, const L: usize>(Limbs<L>, PhantomData<C>);

impl<C: Curve<L>, const L: usize> Fe<C, L> {
    const ZERO: Self = Fe([0; L], PhantomData);
    const ONE: Self = Fe(C::P.one, PhantomData);

    /// The integer `a` (below R) into Montgomery form, reduced mod p.
    fn from_int(a: &Limbs<L>) -> Self {
        Fe(mont_mul::<Fp<C>, L>(a, &C::P.rr), PhantomData)
    }

    /// A big-endian coordinate of exactly `C::BYTES` bytes; `None` unless it is below p.
    fn from_be(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != C::BYTES {
            return None;
        }
        let a = from_be::<L>(bytes)?;
        less(&a, &C::P.m).then(|| Fe::from_int(&a))
    }

    /// The plain integer.
    fn to_int(self) -> Limbs<L> {
        let mut one = [0; L];
        one[0] = 1;
        mont_mul::<Fp<C>, L>(&self.0, &one)
    }

    fn mul(&self, b: &Self) -> Self {
        Fe(mont_mul::<Fp<C>, L>(&self.0, &b.0), PhantomData)
    }

    fn sqr(&self) -> Self {
        Fe(mont_sqr::<Fp<C>, L>(&self.0), PhantomData)
    }

    fn add(&self, b: &Self) -> Self {
        Fe(add_mod(&self.0, &b.0, &C::P.m), PhantomData)
    }

    fn sub(&self, b: &Self) -> Self {
        Fe(sub_mod(&self.0, &b.0, &C::P.m), PhantomData)
    }

    fn dbl(&self) -> Self {
        self.add(self)
    }

    fn neg(&self) -> Self {
        Self::ZERO.sub(self)
    }

    fn is_zero(&self) -> bool {
        is_zero(&self.0)
    }

    /// a^-1 (0 for 0), by Fermat: a^(p-2). Only at table building.
    fn invert(&self) -> Self {
        Fe(pow_m2::<Fp<C>, L>(&self.0), PhantomData)
    }
}

// ---------------------------------------------------------------------------------------------
// Points.

/// An affine point (never the point at infinity).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Affine<C, const L: usize> {
    x: Fe<C, L>,
    y: Fe<C, L>,
}

/// A Jacobian point (X/Z^2, Y/Z^3); Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Jacobian<C, const L: usize> {
    x: Fe<C, L>,
    y: Fe<C, L>,
    z: Fe<C, L>,
}

impl<C: Curve<L>, const L: usize> Affine<C, L> {
    /// y^2 = x^3 - 3x + b.
    fn is_on_curve(&self) -> bool {
        let b = Fe::from_int(&C::B);
        let rhs = self
            .x
            .sqr()
            .mul(&self.x)
            .sub(&self.x.dbl().add(&self.x))
            .add(&b);
        self.y.sqr() == rhs
    }

    fn neg(&self) -> Self {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }

    fn to_jacobian(self) -> Jacobian<C, L> {
        Jacobian {
            x: self.x,
            y: self.y,
            z: Fe::ONE,
        }
    }
}

impl<C: Curve<L>, const L: usize> Jacobian<C, L> {
    const INFINITY: Self = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// 2P (dbl-2001-b, a = -3: 3M + 5S). Infinity stays infinity (Z3 = 2 Y Z = 0); the curves
    /// have prime order, so no point of order 2 and Y = 0 does not occur otherwise.
    fn double(&self) -> Self {
        let delta = self.z.sqr();
        let gamma = self.y.sqr();
        let beta = self.x.mul(&gamma);
        let t = self.x.sub(&delta).mul(&self.x.add(&delta));
        let alpha = t.dbl().add(&t);
        let beta4 = beta.dbl().dbl();
        let x3 = alpha.sqr().sub(&beta4.dbl());
        let z3 = self.y.add(&self.z).sqr().sub(&gamma).sub(&delta);
        let gamma2 = gamma.sqr();
        let y3 = alpha.mul(&beta4.sub(&x3)).sub(&gamma2.dbl().dbl().dbl());
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q for affine Q (madd-2007-bl: 7M + 4S), with the exceptional cases: P infinite
    /// gives Q, P = Q doubles, P = -Q gives infinity.
    fn add_affine(&self, q: &Affine<C, L>) -> Self {
        if self.is_infinity() {
            return q.to_jacobian();
        }
        let z1z1 = self.z.sqr();
        let u2 = q.x.mul(&z1z1);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Self::INFINITY
            };
        }
        let hh = h.sqr();
        let i = hh.dbl().dbl();
        let j = h.mul(&i);
        let r = r.dbl();
        let v = self.x.mul(&i);
        let x3 = r.sqr().sub(&j).sub(&v.dbl());
        let y3 = r.mul(&v.sub(&x3)).sub(&self.y.mul(&j).dbl());
        let z3 = self.z.add(&h).sqr().sub(&z1z1).sub(&hh);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }
}

/// The affine form of every point, with one field inversion for all (Montgomery's trick).
/// `None` if any is the point at infinity.
#[inline(never)]
fn batch_to_affine<C: Curve<L>, const L: usize>(
    points: &[Jacobian<C, L>],
) -> Option<Vec<Affine<C, L>>> {
    // prefix[i] = z_0 ... z_(i-1).
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::ONE;
    for p in points {
        if p.is_infinity() {
            return None;
        }
        prefix.push(acc);
        acc = acc.mul(&p.z);
    }
    let mut inv = acc.invert();
    let mut out = alloc::vec![
        Affine {
            x: Fe::ZERO,
            y: Fe::ZERO
        };
        points.len()
    ];
    for ((p, pre), slot) in points.iter().zip(&prefix).zip(&mut out).rev() {
        // inv = (z_0 ... z_i)^-1 here.
        let zi = inv.mul(pre);
        inv = inv.mul(&p.z);
        let zi2 = zi.sqr();
        *slot = Affine {
            x: p.x.mul(&zi2),
            y: p.y.mul(&zi2).mul(&zi),
        };
    }
    Some(out)
}

/// The comb table of `p`: entry `pos * MULTIPLES + j - 1` is j 2^(W M pos) p. The base of
/// every position (W M doublings apart) goes affine first, in one batch, so that the multiples
/// are mixed additions; then all of them go affine in a second batch.
#[inline(never)]
fn build_table<C: Curve<L>, const L: usize>(p: &Affine<C, L>) -> Option<Box<[Affine<C, L>]>> {
    let mut bases = Vec::with_capacity(C::POSITIONS);
    let mut base = p.to_jacobian();
    for pos in 0..C::POSITIONS {
        bases.push(base);
        if pos + 1 < C::POSITIONS {
            for _ in 0..C::W * C::M {
                base = base.double();
            }
        }
    }
    let bases = batch_to_affine(&bases)?;
    let mut points = Vec::with_capacity(C::TABLE_LEN);
    for b in &bases {
        let mut multiple = b.to_jacobian();
        points.push(multiple);
        for _ in 1..C::MULTIPLES {
            multiple = multiple.add_affine(b);
            points.push(multiple);
        }
    }
    Some(batch_to_affine(&points)?.into_boxed_slice())
}

/// `k` (below 2^N_BITS) as `C::DIGITS` signed digits d_i of W bits, k = sum d_i 2^(W i),
/// -2^(W-1) < d_i <= 2^(W-1); the rest of the array is zero.
fn recode<C: Curve<L>, const L: usize>(k: &Limbs<L>) -> [i8; MAX_DIGITS] {
    const { assert!(C::DIGITS <= MAX_DIGITS && C::W <= 7) };
    let w = C::W;
    let mut out = [0i8; MAX_DIGITS];
    let mut carry = 0u32;
    for (i, d) in out.iter_mut().take(C::DIGITS).enumerate() {
        let bit = i * w;
        let limb = bit / LIMB_BITS as usize;
        let shift = bit % LIMB_BITS as usize;
        let mut window = k.get(limb).map_or(0, |&l| (l >> shift) as u32);
        if shift + w > LIMB_BITS as usize {
            window |= k
                .get(limb + 1)
                .map_or(0, |&l| (l << (LIMB_BITS as usize - shift)) as u32);
        }
        let v = (window & ((1 << w) - 1)) + carry;
        if v > 1 << (w - 1) {
            *d = (v as i32 - (1 << w)) as i8;
            carry = 1;
        } else {
            *d = v as i8;
            carry = 0;
        }
    }
    out
}

/// u1 G + u2 Q for the comb tables of G and Q.
fn double_mul<C: Curve<L>, const L: usize>(
    g_table: &[Affine<C, L>],
    u1: &Limbs<L>,
    q_table: &[Affine<C, L>],
    u2: &Limbs<L>,
) -> Jacobian<C, L> {
    let d1 = recode::<C, L>(u1);
    let d2 = recode::<C, L>(u2);
    let mut acc = Jacobian::INFINITY;
    for k in (0..C::M).rev() {
        if !acc.is_infinity() {
            for _ in 0..C::W {
                acc = acc.double();
            }
        }
        for pos in 0..C::POSITIONS {
            let i = pos * C::M + k;
            for (digits, table) in [(&d1, g_table), (&d2, q_table)] {
                let d = digits.get(i).copied().unwrap_or(0);
                if d == 0 {
                    continue;
                }
                let idx = pos * C::MULTIPLES + usize::from(d.unsigned_abs()) - 1;
                if let Some(t) = table.get(idx) {
                    acc = if d > 0 {
                        acc.add_affine(t)
                    } else {
                        acc.add_affine(&t.neg())
                    };
                }
            }
        }
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// Keys and verification.

/// A public key ready for verification: its comb table, whose first entry is the point itself
/// (one pointer, so that key enums stay small).
#[derive(Clone)]
struct Key<C, const L: usize> {
    table: Box<[Affine<C, L>]>,
}

impl<C: Curve<L>, const L: usize> Key<C, L> {
    fn from_affine(x: &[u8], y: &[u8]) -> Option<Self> {
        let q = Affine {
            x: Fe::from_be(x)?,
            y: Fe::from_be(y)?,
        };
        if !q.is_on_curve() {
            return None;
        }
        // The generator's table, on the first key of the curve: key loads pay the one-time
        // cost, never a verification.
        let g_len = C::g_table().len();
        let table = build_table(&q)?;
        debug_assert!(g_len == C::TABLE_LEN && table.len() == C::TABLE_LEN);
        Some(Key { table })
    }

    /// The point's coordinates, big-endian.
    fn coordinates(&self) -> (Vec<u8>, Vec<u8>) {
        self.table.first().map_or_else(Default::default, |q| {
            (
                to_be(&q.x.to_int(), C::BYTES),
                to_be(&q.y.to_int(), C::BYTES),
            )
        })
    }

    /// See the public `verify_prehash` methods.
    fn verify_prehash(&self, hash: &[u8], sig: &[u8]) -> bool {
        let bytes = C::BYTES;
        if hash.len() < bytes / 2 || sig.len() != 2 * bytes {
            return false;
        }
        let (r_bytes, s_bytes) = sig.split_at(bytes);
        let (Some(r), Some(s)) = (from_be::<L>(r_bytes), from_be::<L>(s_bytes)) else {
            return false;
        };
        let n = &C::N.m;
        if is_zero(&r) || is_zero(&s) || !less(&r, n) || !less(&s, n) {
            return false;
        }
        // e: the leftmost BYTES bytes of the hash, a shorter one left-padded. It is below R,
        // and the Montgomery product below reduces it mod n.
        let Some(e) = hash.get(..hash.len().min(bytes)).and_then(from_be::<L>) else {
            return false;
        };
        // w = s^-1 in Montgomery form; u = x w R R^-1 = x w mod n, plain.
        let w = mont_mul::<Fn<C>, L>(&invert_vartime(&s, n), &C::N.rr);
        let u1 = mont_mul::<Fn<C>, L>(&e, &w);
        let u2 = mont_mul::<Fn<C>, L>(&r, &w);
        let point = double_mul(C::g_table(), &u1, &self.table, &u2);
        if point.is_infinity() {
            return false;
        }
        let zz = point.z.sqr();
        // r < n < p, so r is a field element.
        if Fe::from_int(&r).mul(&zz) == point.x {
            return true;
        }
        // x(R) in [n, p) reduces to x - n: r + n must be a field element too.
        let (rn, carry) = add_raw(&r, n);
        !carry && less(&rn, &C::P.m) && Fe::from_int(&rn).mul(&zz) == point.x
    }
}

/// The public key types, one per curve.
macro_rules! public_key {
    ($(#[$doc:meta])* $name:ident, $curve:ident, $limbs:ident, $hash:ident, $alg:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Key<$curve, $limbs>);

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let x = self.x_bytes();
                write!(f, "{}({:02x?})", stringify!($name), x.get(..4).unwrap_or(&[]))
            }
        }

        impl $name {
            /// Bytes of each coordinate, and of each of r and s.
            pub const BYTES: usize = <$curve as Curve<$limbs>>::BYTES;

            /// The key with affine coordinates `x` and `y` (big-endian, exactly
            #[doc = concat!("[`", stringify!($name), "::BYTES`]")]
            /// bytes each).
            ///
            /// # Errors
            /// `None` unless both coordinates have the right length, are below p and the point
            /// is on the curve (the point at infinity has no affine coordinates; every other
            /// curve point generates the whole group, as the cofactor is 1).
            pub fn from_affine(x: &[u8], y: &[u8]) -> Option<Self> {
                Key::from_affine(x, y).map(Self)
            }

            /// The x coordinate, big-endian.
            pub fn x_bytes(&self) -> Vec<u8> {
                self.0.coordinates().0
            }

            /// The y coordinate, big-endian.
            pub fn y_bytes(&self) -> Vec<u8> {
                self.0.coordinates().1
            }

            #[doc = concat!($alg, ": ECDSA over ", stringify!($hash), " of `msg` with `sig` = r || s.")]
            pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
                self.0.verify_prehash(&$hash::digest(msg), sig)
            }

            /// ECDSA verification of a message hash (any hash function) with `sig` = r || s:
            /// false unless the signature is exactly 2 BYTES long with 0 < r, s < n and
            /// x(u1 G + u2 Q) mod n = r. The hash becomes an integer as in the `ecdsa` crate's
            /// `bits2field`: its leftmost BYTES bytes, a shorter hash left-padded with zeros,
            /// a hash shorter than BYTES / 2 refused; then reduced mod n. (For P-521 and a hash
            /// of 66 bytes or more that is not FIPS 186-5's leftmost 521 bits; ES512's SHA-512
            /// is 64 bytes, where the two agree.)
            pub fn verify_prehash(&self, hash: &[u8], sig: &[u8]) -> bool {
                self.0.verify_prehash(hash, sig)
            }
        }
    };
}

public_key!(
    /// A P-256 public key with its comb table (ES256).
    P256PublicKey, P256, L256, Sha256, "ES256"
);
public_key!(
    /// A P-384 public key with its comb table (ES384).
    P384PublicKey, P384, L384, Sha384, "ES384"
);
public_key!(
    /// A P-521 public key with its comb table (ES512).
    P521PublicKey, P521, L521, Sha512, "ES512"
);

#[cfg(test)]
mod tests {
    use super::*;
    use ::rsa::BigUint;

    fn big<const L: usize>(a: &Limbs<L>) -> BigUint {
        BigUint::from_bytes_be(&to_be(a, L * LIMB_BYTES))
    }

    fn limbs_of<const L: usize>(b: &BigUint) -> Limbs<L> {
        from_be(&b.to_bytes_be()).unwrap()
    }

    fn one() -> BigUint {
        BigUint::from(1u32)
    }

    /// Edge values below m: 0..3, m-1, m-2, powers of two and limb boundaries with their
    /// neighbours, all-ones and alternating patterns, m/2.
    fn edge_values<const L: usize>(m: &Limbs<L>) -> Vec<Limbs<L>> {
        let mb = big(m);
        let bits = mb.bits();
        let mut v: Vec<BigUint> = [0u32, 1, 2, 3].iter().map(|&x| BigUint::from(x)).collect();
        for k in [1u32, 2, 3, 17, 255] {
            v.push(&mb - BigUint::from(k));
        }
        let mut boundaries: Vec<usize> =
            (1..=bits / 32).flat_map(|i| [32 * i - 1, 32 * i]).collect();
        boundaries.extend([95, 96, 224, bits - 1]);
        for b in boundaries {
            let two = one() << b;
            for x in [&two - one(), two.clone(), &two + one()] {
                v.push(x % &mb);
            }
        }
        v.push(((one() << bits) - one()) % &mb);
        let pattern = |unit: u8| BigUint::from_bytes_be(&alloc::vec![unit; bits.div_ceil(8)]);
        v.push(pattern(0xaa) % &mb);
        v.push(pattern(0x55) % &mb);
        v.push(pattern(0x80) % &mb);
        v.push(&mb >> 1);
        v.iter().map(limbs_of).collect()
    }

    fn g<C: Curve<L>, const L: usize>() -> Affine<C, L> {
        Affine {
            x: Fe::from_int(&C::G.0),
            y: Fe::from_int(&C::G.1),
        }
    }

    fn affine<C: Curve<L>, const L: usize>(p: &Jacobian<C, L>) -> Affine<C, L> {
        batch_to_affine(&[*p]).unwrap()[0]
    }

    /// k P by double-and-add from the top bit.
    fn mul_slow<C: Curve<L>, const L: usize>(p: &Affine<C, L>, k: &BigUint) -> Jacobian<C, L> {
        let mut acc = Jacobian::INFINITY;
        for i in (0..k.bits()).rev() {
            acc = acc.double();
            if (k >> i) & one() == one() {
                acc = acc.add_affine(p);
            }
        }
        acc
    }

    /// Runs a generic check on every curve.
    macro_rules! every_curve {
        ($check:ident) => {
            $check::<P256, L256>();
            $check::<P384, L384>();
            $check::<P521, L521>();
        };
    }

    fn constants<C: Curve<L>, const L: usize>() {
        let (p, n) = (big(&C::P.m), big(&C::N.m));
        assert_eq!(n.bits(), C::N_BITS);
        assert_eq!(p.bits().div_ceil(8), C::BYTES);
        assert!(n < p);
        let r = one() << (L * LIMB_BITS as usize);
        for md in [&C::P, &C::N] {
            assert_eq!(md.m[0].wrapping_mul(md.m_inv), Limb::MAX, "-m^-1");
            assert_eq!(big(&md.one), &r % big(&md.m));
            assert_eq!(big(&md.rr), (&r * &r) % big(&md.m));
        }
        // Both primes (Fermat to a few bases), G on the curve with order n.
        for m in [&p, &n] {
            for base in [2u32, 3, 5, 7] {
                assert_eq!(BigUint::from(base).modpow(&(m - one()), m), one());
            }
        }
        let g = g::<C, L>();
        assert!(g.is_on_curve());
        assert!(mul_slow(&g, &n).is_infinity());
        assert_eq!(affine(&mul_slow(&g, &(&n - one()))), g.neg());
        assert!(C::TABLE_LEN > 0 && C::DIGITS <= MAX_DIGITS);
    }

    #[test]
    fn curve_constants() {
        every_curve!(constants);
        // The published primes' shapes.
        assert_eq!(big(&P521::P.m), (one() << 521) - one());
        let two = |e: usize| one() << e;
        assert_eq!(
            big(&P384::P.m),
            two(384) - two(128) - two(96) + two(32) - one()
        );
        assert_eq!(
            big(&P256::P.m),
            two(256) - two(224) + two(192) + two(96) - one()
        );
    }

    /// Montgomery products, squares, sums and differences at edge values against `BigUint`.
    fn arithmetic<T: Params<L>, const L: usize>() {
        let m = big(&T::MD.m);
        let r = one() << (L * LIMB_BITS as usize);
        let r_inv = r.modpow(&(&m - BigUint::from(2u32)), &m);
        let values = edge_values(&T::MD.m);
        for a in &values {
            let ab = big(a);
            assert_eq!(
                big(&mont_sqr::<T, L>(a)),
                (&ab * &ab * &r_inv) % &m,
                "sqr {ab:x}"
            );
            for b in &values {
                let b_big = big(b);
                let want = (&ab * &b_big * &r_inv) % &m;
                assert_eq!(big(&mont_mul::<T, L>(a, b)), want, "{ab:x} * {b_big:x}");
                assert_eq!(big(&add_mod(a, b, &T::MD.m)), (&ab + &b_big) % &m);
                assert_eq!(big(&sub_mod(a, b, &T::MD.m)), (&ab + &m - &b_big) % &m);
            }
            if !is_zero(a) {
                // a (a^-1 in Montgomery form) = R mod m: the Montgomery one.
                let inv = pow_m2::<T, L>(a);
                assert_eq!(
                    mont_mul::<T, L>(a, &inv),
                    mont_mul::<T, L>(&T::MD.one, &T::MD.one)
                );
                assert_eq!(
                    big(&invert_vartime(a, &T::MD.m)),
                    ab.modpow(&(&m - BigUint::from(2u32)), &m)
                );
            }
        }
        // The first factor may be any value below R (an unreduced hash): still fully reduced.
        let high = [Limb::MAX; L];
        for b in &values {
            let want = (big(&high) * big(b) * &r_inv) % &m;
            assert_eq!(big(&mont_mul::<T, L>(&high, b)), want);
        }
    }

    fn field_and_scalar_arithmetic<C: Curve<L>, const L: usize>() {
        arithmetic::<Fp<C>, L>();
        arithmetic::<Fn<C>, L>();
    }

    #[test]
    fn arithmetic_at_edge_values() {
        every_curve!(field_and_scalar_arithmetic);
    }

    fn bytes<C: Curve<L>, const L: usize>() {
        for a in edge_values(&C::P.m) {
            let be = to_be(&a, C::BYTES);
            assert_eq!(from_be::<L>(&be).unwrap(), a);
            assert_eq!(Fe::<C, L>::from_be(&be).unwrap().to_int(), a);
        }
        assert!(Fe::<C, L>::from_be(&to_be(&C::P.m, C::BYTES)).is_none());
        assert!(Fe::<C, L>::from_be(&alloc::vec![0xff; C::BYTES]).is_none());
        assert!(Fe::<C, L>::from_be(&alloc::vec![0; C::BYTES - 1]).is_none());
        assert!(Fe::<C, L>::from_be(&alloc::vec![0; C::BYTES + 1]).is_none());
        assert!(from_be::<L>(&alloc::vec![1; L * LIMB_BYTES + 1]).is_none());
    }

    #[test]
    fn bytes_round_trip_and_range() {
        every_curve!(bytes);
    }

    /// sum d_i 2^(W i), positive and negative parts apart (`BigUint` has no sign).
    fn num_sum(digits: &[i8], w: usize) -> BigUint {
        let (mut pos, mut neg) = (BigUint::from(0u32), BigUint::from(0u32));
        for (i, &d) in digits.iter().enumerate() {
            let v = BigUint::from(d.unsigned_abs()) << (w * i);
            if d > 0 {
                pos += v;
            } else {
                neg += v;
            }
        }
        pos - neg
    }

    fn recoding<C: Curve<L>, const L: usize>() {
        let mut ks = edge_values(&C::N.m);
        let n = big(&C::N.m);
        ks.push(limbs_of(&((one() << C::N_BITS) - one())));
        ks.push(limbs_of(
            &(BigUint::from_bytes_be(&alloc::vec![0x88; C::BYTES]) % &n),
        ));
        ks.push(limbs_of(
            &(BigUint::from_bytes_be(&alloc::vec![0xf7; C::BYTES]) % &n),
        ));
        for k in ks {
            let digits = recode::<C, L>(&k);
            assert_eq!(num_sum(&digits, C::W), big(&k));
            assert!(digits[C::DIGITS..].iter().all(|&d| d == 0));
            for d in digits {
                assert!(-(1 << (C::W - 1)) < i32::from(d) && i32::from(d) <= 1 << (C::W - 1));
            }
        }
    }

    #[test]
    fn recoding_sums_back() {
        every_curve!(recoding);
    }

    fn exceptional<C: Curve<L>, const L: usize>() {
        let g = g::<C, L>();
        let gj = g.to_jacobian();
        let g2 = affine(&gj.double());
        // P + P doubles, also with a non-normalised Z.
        assert_eq!(affine(&gj.add_affine(&g)), g2);
        let g4 = affine(&gj.double().double());
        assert_eq!(affine(&gj.double().add_affine(&g2)), g4);
        // P + (-P) is infinity, also with a non-normalised Z.
        assert!(gj.add_affine(&g.neg()).is_infinity());
        assert!(gj.double().add_affine(&g2.neg()).is_infinity());
        // Infinity is neutral, and doubles to itself.
        assert_eq!(affine(&Jacobian::INFINITY.add_affine(&g)), g);
        assert!(Jacobian::<C, L>::INFINITY.double().is_infinity());
        // 2G + G = 3G = G + 2G.
        let g3 = affine(&gj.double().add_affine(&g));
        assert_eq!(affine(&g2.to_jacobian().add_affine(&g)), g3);
        assert_eq!(affine(&gj.add_affine(&g2)), g3);
    }

    #[test]
    fn exceptional_additions() {
        every_curve!(exceptional);
    }

    fn table_entries<C: Curve<L>, const L: usize>() {
        let g = g::<C, L>();
        let table = build_table(&g).unwrap();
        assert_eq!(table.len(), C::TABLE_LEN);
        assert_eq!(C::g_table().len(), C::TABLE_LEN);
        assert!(table.iter().eq(C::g_table().iter()));
        for pos in [0, 1, C::POSITIONS - 1] {
            for j in [1, 2, C::MULTIPLES - 1, C::MULTIPLES] {
                let k = BigUint::from(j) << (C::W * C::M * pos);
                assert_eq!(
                    table[pos * C::MULTIPLES + j - 1],
                    affine(&mul_slow(&g, &k)),
                    "{pos} {j}"
                );
            }
        }
    }

    /// Every curve's generator table is the comb table of G.
    #[test]
    fn table_entries_are_the_multiples() {
        every_curve!(table_entries);
    }

    fn double_mul_slow<C: Curve<L>, const L: usize>() {
        let g = g::<C, L>();
        let secret = BigUint::from(0x1234_5678u32);
        let q = affine(&mul_slow(&g, &secret));
        let q_table = build_table(&q).unwrap();
        let n = big(&C::N.m);
        let mut cases: Vec<(BigUint, BigUint)> = Vec::new();
        for a in edge_values(&C::N.m).into_iter().step_by(3) {
            cases.push((big(&a), BigUint::from(7u32)));
            cases.push((BigUint::from(5u32), big(&a)));
        }
        // u1 G + u2 Q = infinity (u1 = -secret u2), and = 2 u1 G (u1 = secret u2).
        cases.push((&n - &secret, one()));
        cases.push((secret.clone(), one()));
        for (u1, u2) in cases {
            let fast = double_mul(C::g_table(), &limbs_of(&u1), &q_table, &limbs_of(&u2));
            let k = (&u1 + &u2 * &secret) % &n;
            let slow = mul_slow(&g, &k);
            assert_eq!(fast.is_infinity(), slow.is_infinity(), "{u1:x} {u2:x}");
            if !slow.is_infinity() {
                assert_eq!(affine(&fast), affine(&slow), "{u1:x} {u2:x}");
            }
        }
    }

    #[test]
    fn double_mul_matches_the_slow_way() {
        every_curve!(double_mul_slow);
    }

    fn decoding<C: Curve<L>, const L: usize>() {
        let (gx, gy) = (to_be(&C::G.0, C::BYTES), to_be(&C::G.1, C::BYTES));
        let key = Key::<C, L>::from_affine(&gx, &gy).unwrap();
        assert_eq!(key.coordinates(), (gx.clone(), gy.clone()));
        // Off the curve, the identity's usual encoding, wrong lengths.
        let mut bad_y = gy.clone();
        bad_y[C::BYTES - 1] ^= 1;
        assert!(Key::<C, L>::from_affine(&gx, &bad_y).is_none());
        let zero = alloc::vec![0; C::BYTES];
        assert!(Key::<C, L>::from_affine(&zero, &zero).is_none());
        assert!(Key::<C, L>::from_affine(&gx[1..], &gy).is_none());
        assert!(Key::<C, L>::from_affine(&[&[0][..], &gx].concat(), &gy).is_none());
        // -G = (x, p - y) is a key; (x, p - y + p) names the same point but is not below p.
        let neg_y = sub_raw(&C::P.m, &C::G.1).0;
        assert!(Key::<C, L>::from_affine(&gx, &to_be(&neg_y, C::BYTES)).is_some());
        let (too_big, carry) = add_raw(&neg_y, &C::P.m);
        if !carry && big(&too_big).bits().div_ceil(8) <= C::BYTES {
            assert!(Key::<C, L>::from_affine(&gx, &to_be(&too_big, C::BYTES)).is_none());
        }
        assert!(Key::<C, L>::from_affine(&to_be(&C::P.m, C::BYTES), &gy).is_none());
    }

    #[test]
    fn point_decoding() {
        every_curve!(decoding);
    }

    fn ranges<C: Curve<L>, const L: usize>() {
        let (gx, gy) = (to_be(&C::G.0, C::BYTES), to_be(&C::G.1, C::BYTES));
        let key = Key::<C, L>::from_affine(&gx, &gy).unwrap();
        let hash = alloc::vec![7u8; C::BYTES];
        let n = to_be(&C::N.m, C::BYTES);
        let mut one = alloc::vec![0u8; C::BYTES];
        one[C::BYTES - 1] = 1;
        let zero = alloc::vec![0u8; C::BYTES];
        let ff = alloc::vec![0xffu8; C::BYTES];
        for (r, s) in [
            (&zero, &one),
            (&one, &zero),
            (&n, &one),
            (&one, &n),
            (&ff, &one),
        ] {
            assert!(!key.verify_prehash(&hash, &[&r[..], s].concat()));
        }
        for len in [0, 2 * C::BYTES - 1, 2 * C::BYTES + 1] {
            assert!(!key.verify_prehash(&hash, &alloc::vec![1; len]));
        }
        // The private key 1: (r, s) = (x(kG), k^-1 (e + r)) for k = 2, e = the hash.
        let nb = big(&C::N.m);
        let k = BigUint::from(2u32);
        let r = big(&affine(&mul_slow(&g::<C, L>(), &k)).x.to_int()) % &nb;
        let e = BigUint::from_bytes_be(&hash) % &nb;
        let s = (k.modpow(&(&nb - BigUint::from(2u32)), &nb) * (&e + &r)) % &nb;
        let sig = [
            to_be(&limbs_of::<L>(&r), C::BYTES),
            to_be(&limbs_of::<L>(&s), C::BYTES),
        ]
        .concat();
        assert!(key.verify_prehash(&hash, &sig));
        assert!(
            !key.verify_prehash(&hash[..C::BYTES / 2 - 1], &sig),
            "short hash"
        );
        let mut bad = sig.clone();
        bad[2 * C::BYTES - 1] ^= 1;
        assert!(!key.verify_prehash(&hash, &bad));
    }

    #[test]
    fn signature_ranges() {
        every_curve!(ranges);
    }
}
