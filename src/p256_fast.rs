//! ECDSA P-256 verification (ES256, FIPS 186-5 / SEC 1 4.1.4): the public point decoded and
//! expanded into a fixed-base table once at key load, the generator's table built once into the
//! binary, and u1 G + u2 Q as one interleaved comb over both tables.
//!
//! Verify only, and **variable time**: every value here is public (the key, the signature, the
//! message and its hash, and everything derived from them), so the arithmetic branches on data
//! and looks tables up by digit. There is no private-key code in this crate; never use this
//! module for one.
//!
//! Arithmetic: integers mod p and mod n in Montgomery form with R = 2^256, fully reduced after
//! every operation (so equal values have equal limbs), in little-endian limbs with double-width
//! products: `u32` limbs and `u64` products on 32-bit targets such as wasm32 (where a 32x32->64
//! product is one `i64.mul` and 64x64->128 is emulated), `u64` limbs with `u128` products on
//! 64-bit targets. Points are Jacobian (X/Z^2, Y/Z^3; Z = 0 is the point at infinity) with affine
//! table entries; the doubling uses a = -3.
//!
//! Scalar multiplication: a scalar is recoded into [`DIGITS`] signed digits of [`W`] bits
//! (|d| <= 2^(W-1)). The table of a point P holds, for every [`M`]-th digit position i and
//! j = 1..2^(W-1), the affine point j 2^(W i) P. The comb then needs only W (M - 1) doublings,
//! shared by both scalars, and one mixed addition per non-zero digit. Additions handle every
//! exceptional case (P = Q doubles, P = -Q gives infinity, infinity plus P is P), so u1 = 0 or
//! a key related to the generator cannot break the sum.
//!
//! The verdict compares x(R) with r without an inversion: x(R) mod n = r holds iff
//! X = r Z^2 (mod p), or r + n < p and X = (r + n) Z^2.

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
use sha2::{Digest, Sha256};

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
/// Limbs per 256-bit integer.
const N: usize = 256 / LIMB_BITS as usize;
/// A 256-bit integer, little-endian limbs.
type Limbs = [Limb; N];

// A limb product plus two limbs fits the double width: (2^w - 1)^2 + 2 (2^w - 1) = 2^2w - 1.
const _: () = assert!(Wide::BITS == 2 * LIMB_BITS && N * LIMB_BITS as usize == 256);

/// Window width of the signed digits.
pub const W: usize = 6;
/// Interleave of the comb: the table holds every M-th digit position.
pub const M: usize = 4;
/// Signed digits of a scalar below 2^256 (the top window absorbs the last carry).
pub const DIGITS: usize = 257usize.div_ceil(W);
/// Digit positions held by a table.
const POSITIONS: usize = DIGITS.div_ceil(M);
/// Multiples per position: 1..=2^(W-1).
const MULTIPLES: usize = 1 << (W - 1);
/// Affine points in one table.
pub const TABLE_LEN: usize = POSITIONS * MULTIPLES;

/// 256-bit constants as four little-endian 64-bit words, in limbs.
const fn limbs(words: [u64; 4]) -> Limbs {
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        let bit = i * LIMB_BITS as usize;
        out[i] = (words[bit / 64] >> (bit % 64)) as Limb;
        i += 1;
    }
    out
}

/// A prime modulus with its Montgomery constants (R = 2^256).
struct Modulus {
    /// The modulus.
    m: Limbs,
    /// -m^-1 mod 2^w.
    m_inv: Limb,
    /// R mod m: one in Montgomery form.
    one: Limbs,
    /// R^2 mod m.
    rr: Limbs,
}

impl Modulus {
    /// The constants for an odd modulus m > 2^255, all computed at compile time.
    const fn new(m: Limbs) -> Modulus {
        // Newton's iteration for m^-1 mod 2^w: each step doubles the correct low bits.
        let mut inv: Limb = 1;
        let mut k = 0;
        while k < 7 {
            inv = inv.wrapping_mul((2 as Limb).wrapping_sub(m[0].wrapping_mul(inv)));
            k += 1;
        }
        // R mod m = 2^256 - m, as m > 2^255; then R^2 = R * 2^256 by 256 modular doublings.
        let one = sub_raw(&[0; N], &m).0;
        let mut rr = one;
        let mut k = 0;
        while k < 256 {
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

/// The field prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1.
const P: Modulus = Modulus::new(limbs([
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
]));

/// The group order n.
const NQ: Modulus = Modulus::new(limbs([
    0xf3b9_cac2_fc63_2551,
    0xbce6_faad_a717_9e84,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_0000_0000,
]));

/// The curve coefficient b (plain).
const B: Limbs = limbs([
    0x3bce_3c3e_27d2_604b,
    0x651d_06b0_cc53_b0f6,
    0xb3eb_bd55_7698_86bc,
    0x5ac6_35d8_aa3a_93e7,
]);

/// The generator's x (plain); the binary holds G only through its table.
#[cfg(test)]
const GX: Limbs = limbs([
    0xf4a1_3945_d898_c296,
    0x7703_7d81_2deb_33a0,
    0xf8bc_e6e5_63a4_40f2,
    0x6b17_d1f2_e12c_4247,
]);

/// The generator's y (plain).
#[cfg(test)]
const GY: Limbs = limbs([
    0xcbb6_4068_37bf_51f5,
    0x2bce_3357_6b31_5ece,
    0x8ee7_eb4a_7c0f_9e16,
    0x4fe3_42e2_fe1a_7f9b,
]);

// ---------------------------------------------------------------------------------------------
// Integers below 2^256.

/// a - b and the borrow out.
const fn sub_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut out = [0; N];
    let mut borrow = false;
    let mut i = 0;
    while i < N {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as Limb);
        out[i] = d;
        borrow = b1 | b2;
        i += 1;
    }
    (out, borrow)
}

/// a + b and the carry out.
const fn add_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut out = [0; N];
    let mut carry = false;
    let mut i = 0;
    while i < N {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(carry as Limb);
        out[i] = s;
        carry = c1 | c2;
        i += 1;
    }
    (out, carry)
}

/// a < b.
const fn less(a: &Limbs, b: &Limbs) -> bool {
    let mut i = N;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

const fn is_zero(a: &Limbs) -> bool {
    let mut i = 0;
    while i < N {
        if a[i] != 0 {
            return false;
        }
        i += 1;
    }
    true
}

/// (a + b) mod m for a, b < m.
const fn add_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (s, carry) = add_raw(a, b);
    if carry || !less(&s, m) {
        sub_raw(&s, m).0
    } else {
        s
    }
}

/// (a - b) mod m for a, b < m.
const fn sub_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (d, borrow) = sub_raw(a, b);
    if borrow {
        add_raw(&d, m).0
    } else {
        d
    }
}

/// A modulus as a type, so that each one gets its own copy of the multiplication with the
/// constants folded in (p has limbs 0, 1 and all-ones, and -p^-1 = 1 mod 2^32).
trait Params {
    const MD: Modulus;
}

/// The field prime.
struct Fp;
impl Params for Fp {
    const MD: Modulus = P;
}

/// The group order.
struct Fn;
impl Params for Fn {
    const MD: Modulus = NQ;
}

/// Montgomery product a b R^-1 mod m for a, b < m (CIOS: one row of a b, then one reduction
/// step, per limb of b). The result is fully reduced.
#[inline]
fn mont_mul<T: Params>(a: &Limbs, b: &Limbs) -> Limbs {
    let m = &T::MD.m;
    let mut t = [0 as Limb; N];
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
        for j in 1..N {
            let uv = t[j] as Wide + q as Wide * m[j] as Wide + c;
            t[j - 1] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        let uv = top as Wide + c;
        t[N - 1] = uv as Limb;
        t_hi = top_carry + (uv >> LIMB_BITS) as Limb;
    }
    // t < 2m.
    if t_hi != 0 || !less(&t, m) {
        sub_raw(&t, m).0
    } else {
        t
    }
}

/// Montgomery square a^2 R^-1 mod m for a < m: the 2N-limb square with each cross product
/// computed once and doubled, then N reduction steps. Fully reduced.
#[inline]
fn mont_sqr<T: Params>(a: &Limbs) -> Limbs {
    let m = &T::MD.m;
    let mut t = [0 as Limb; 2 * N];
    // Cross products a_i a_j, i < j.
    for i in 0..N {
        let mut c: Wide = 0;
        for j in i + 1..N {
            let uv = t[i + j] as Wide + a[i] as Wide * a[j] as Wide + c;
            t[i + j] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        t[i + N] = c as Limb;
    }
    // Doubled, plus the squares a_i^2.
    let mut c: Wide = 0;
    let mut shifted_out: Limb = 0;
    for i in 0..N {
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
    // Reduction: t = (t + q m) / 2^w, N times.
    let mut extra: Wide = 0;
    for i in 0..N {
        let q = t[i].wrapping_mul(T::MD.m_inv);
        let mut c: Wide = 0;
        for j in 0..N {
            let uv = t[i + j] as Wide + q as Wide * m[j] as Wide + c;
            t[i + j] = uv as Limb;
            c = uv >> LIMB_BITS;
        }
        let uv = t[i + N] as Wide + c + extra;
        t[i + N] = uv as Limb;
        extra = uv >> LIMB_BITS;
    }
    let mut out = [0 as Limb; N];
    out.copy_from_slice(&t[N..]);
    // out < 2m.
    if extra != 0 || !less(&out, m) {
        sub_raw(&out, m).0
    } else {
        out
    }
}

/// Big-endian 32 bytes as an integer (any value below 2^256).
fn from_be(bytes: &[u8; 32]) -> Limbs {
    let mut out = [0; N];
    for (limb, chunk) in out.iter_mut().zip(bytes.rchunks_exact(N_BYTES)) {
        *limb = chunk.iter().fold(0, |acc, &b| (acc << 8) | Limb::from(b));
    }
    out
}

/// Bytes per limb.
const N_BYTES: usize = LIMB_BITS as usize / 8;

/// The integer as 32 big-endian bytes.
fn to_be(a: &Limbs) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.rchunks_exact_mut(N_BYTES).zip(a) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Field elements mod p and scalars mod n.

/// An element of GF(p) in Montgomery form, fully reduced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fe(Limbs);

impl Fe {
    const ZERO: Fe = Fe([0; N]);
    const ONE: Fe = Fe(P.one);

    /// The integer `a` (below p) into Montgomery form.
    fn from_int(a: &Limbs) -> Fe {
        Fe(mont_mul::<Fp>(a, &P.rr))
    }

    /// A big-endian coordinate; `None` unless it is below p.
    fn from_be(bytes: &[u8; 32]) -> Option<Fe> {
        let a = from_be(bytes);
        less(&a, &P.m).then(|| Fe::from_int(&a))
    }

    /// The plain integer.
    fn to_int(self) -> Limbs {
        let mut one = [0; N];
        one[0] = 1;
        mont_mul::<Fp>(&self.0, &one)
    }

    fn mul(&self, b: &Fe) -> Fe {
        Fe(mont_mul::<Fp>(&self.0, &b.0))
    }

    fn sqr(&self) -> Fe {
        Fe(mont_sqr::<Fp>(&self.0))
    }

    fn add(&self, b: &Fe) -> Fe {
        Fe(add_mod(&self.0, &b.0, &P.m))
    }

    fn sub(&self, b: &Fe) -> Fe {
        Fe(sub_mod(&self.0, &b.0, &P.m))
    }

    fn dbl(&self) -> Fe {
        self.add(self)
    }

    fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    fn is_zero(&self) -> bool {
        is_zero(&self.0)
    }

    /// a^-1 (0 for 0), by Fermat: a^(p-2). Only at key load.
    fn invert(&self) -> Fe {
        Fe(pow_m2::<Fp>(&self.0))
    }
}

/// a^(m-2) mod m in Montgomery form (the inverse of a for prime m; 0 for 0): left-to-right with
/// a 4-bit fixed window.
fn pow_m2<T: Params>(a: &Limbs) -> Limbs {
    let md = &T::MD;
    let e = sub_raw(&md.m, &limbs([2, 0, 0, 0])).0;
    let mut table = [md.one; 16];
    for i in 1..16 {
        table[i] = mont_mul::<T>(&table[i - 1], a);
    }
    let mut acc = md.one;
    for i in (0..64).rev() {
        for _ in 0..4 {
            acc = mont_sqr::<T>(&acc);
        }
        let bit = i * 4;
        let nibble = (e[bit / LIMB_BITS as usize] >> (bit % LIMB_BITS as usize)) & 0xf;
        if nibble != 0 {
            acc = mont_mul::<T>(&acc, &table[nibble as usize]);
        }
    }
    acc
}

/// a^-1 mod n for 0 < a < n (plain integers), by the binary extended Euclidean algorithm:
/// variable time (every step branches on the value), so for public values only. 0 for 0.
fn invert_vartime(a: &Limbs, n: &Limbs) -> Limbs {
    /// x / 2 mod n for x < n (n odd): halve x, or x + n when x is odd.
    fn half_mod(x: &mut Limbs, n: &Limbs) {
        let carry = if x[0] & 1 == 1 {
            let (sum, carry) = add_raw(x, n);
            *x = sum;
            carry
        } else {
            false
        };
        shr1(x, carry);
    }
    fn shr1(x: &mut Limbs, top: bool) {
        for i in 0..N - 1 {
            x[i] = (x[i] >> 1) | (x[i + 1] << (LIMB_BITS - 1));
        }
        x[N - 1] = (x[N - 1] >> 1) | (Limb::from(top) << (LIMB_BITS - 1));
    }
    let mut one = [0; N];
    one[0] = 1;
    if is_zero(a) {
        return [0; N];
    }
    // Invariants: x1 a = u and x2 a = v (mod n); gcd(u, v) = gcd(a, n) = 1.
    let (mut u, mut v) = (*a, *n);
    let (mut x1, mut x2) = (one, [0; N]);
    while u != one && v != one {
        // Only u = v = 1 could make one of them zero, and that ends the loop first; the check
        // keeps a zero (a multiple of n passed in) from halving forever.
        if is_zero(&u) || is_zero(&v) {
            return [0; N];
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
// Points.

/// An affine point (never the point at infinity).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Affine {
    x: Fe,
    y: Fe,
}

/// A Jacobian point (X/Z^2, Y/Z^3); Z = 0 is the point at infinity.
#[derive(Clone, Copy, Debug)]
struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Affine {
    /// y^2 = x^3 - 3x + b.
    fn is_on_curve(&self) -> bool {
        let b = Fe::from_int(&B);
        let rhs = self
            .x
            .sqr()
            .mul(&self.x)
            .sub(&self.x.dbl().add(&self.x))
            .add(&b);
        self.y.sqr() == rhs
    }

    fn neg(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.neg(),
        }
    }

    fn to_jacobian(self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y,
            z: Fe::ONE,
        }
    }
}

impl Jacobian {
    const INFINITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// 2P (dbl-2001-b, a = -3: 3M + 5S). Infinity stays infinity (Z3 = 2 Y Z = 0); P-256 has
    /// no point of order 2, so Y = 0 does not occur otherwise.
    fn double(&self) -> Jacobian {
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
    fn add_affine(&self, q: &Affine) -> Jacobian {
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
                Jacobian::INFINITY
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

    /// P + Q (add-2007-bl: 11M + 5S), with the exceptional cases. Only at table building.
    fn add(&self, q: &Jacobian) -> Jacobian {
        if self.is_infinity() {
            return *q;
        }
        if q.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.sqr();
        let z2z2 = q.z.sqr();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z).mul(&z2z2);
        let s2 = q.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let i = h.dbl().sqr();
        let j = h.mul(&i);
        let r = r.dbl();
        let v = u1.mul(&i);
        let x3 = r.sqr().sub(&j).sub(&v.dbl());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&j).dbl());
        let z3 = self.z.add(&q.z).sqr().sub(&z1z1).sub(&z2z2).mul(&h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }
}

/// The affine form of every point, with one field inversion for all (Montgomery's trick).
/// `None` if any is the point at infinity.
fn batch_to_affine(points: &[Jacobian]) -> Option<Vec<Affine>> {
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
    let mut out = alloc::vec![Affine { x: Fe::ZERO, y: Fe::ZERO }; points.len()];
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

/// The comb table of `p`: entry `pos * MULTIPLES + j - 1` is j 2^(W M pos) p.
fn build_table(p: &Affine) -> Option<Box<[Affine]>> {
    let mut points = Vec::with_capacity(TABLE_LEN);
    let mut base = p.to_jacobian();
    for _ in 0..POSITIONS {
        let mut multiple = base;
        points.push(multiple);
        for _ in 1..MULTIPLES {
            multiple = multiple.add(&base);
            points.push(multiple);
        }
        for _ in 0..W * M {
            base = base.double();
        }
    }
    Some(batch_to_affine(&points)?.into_boxed_slice())
}

mod g_table;

/// The generator's comb table, in the binary: built once by `build_table` and written out by
/// the test `g_table_is_built_from_g` (with `EDGEWARD_WRITE_G_TABLE=<path>`), which also checks
/// it. Baked rather than built at key load: it is the same for every key, and no_std without
/// `unsafe` has no lazily initialised global. 22.5 KB in the binary instead of 22.5 KB and ~1.4
/// ms (wasm) per key.
static G_TABLE: [Affine; TABLE_LEN] = affine_table(g_table::G_TABLE);

/// Montgomery-form words (four little-endian u64 per coordinate) as affine points. A table of
/// the wrong length (after W or M changed) leaves the rest zero, and the test above fails.
// Evaluated at compile time only (the static above).
#[allow(clippy::large_stack_arrays)]
const fn affine_table(words: &[[[u64; 4]; 2]]) -> [Affine; TABLE_LEN] {
    let mut out = [Affine {
        x: Fe::ZERO,
        y: Fe::ZERO,
    }; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN && i < words.len() {
        out[i] = Affine {
            x: Fe(limbs(words[i][0])),
            y: Fe(limbs(words[i][1])),
        };
        i += 1;
    }
    out
}

/// `k` (below 2^256) as [`DIGITS`] signed digits d_i of W bits, k = sum d_i 2^(W i),
/// -2^(W-1) < d_i <= 2^(W-1).
fn recode(k: &Limbs) -> [i8; DIGITS] {
    let mut out = [0i8; DIGITS];
    let mut carry = 0u32;
    for (i, d) in out.iter_mut().enumerate() {
        let bit = i * W;
        let limb = bit / LIMB_BITS as usize;
        let shift = bit % LIMB_BITS as usize;
        let mut window = k.get(limb).map_or(0, |&l| (l >> shift) as u32);
        if shift + W > LIMB_BITS as usize {
            window |= k
                .get(limb + 1)
                .map_or(0, |&l| (l << (LIMB_BITS as usize - shift)) as u32);
        }
        let v = (window & ((1 << W) - 1)) + carry;
        if v > 1 << (W - 1) {
            *d = (v as i32 - (1 << W)) as i8;
            carry = 1;
        } else {
            *d = v as i8;
            carry = 0;
        }
    }
    out
}

/// u1 G + u2 Q for the comb tables of G and Q.
fn double_mul(g_table: &[Affine], u1: &Limbs, q_table: &[Affine], u2: &Limbs) -> Jacobian {
    let d1 = recode(u1);
    let d2 = recode(u2);
    let mut acc = Jacobian::INFINITY;
    for k in (0..M).rev() {
        if !acc.is_infinity() {
            for _ in 0..W {
                acc = acc.double();
            }
        }
        for pos in 0..POSITIONS {
            let i = pos * M + k;
            for (digits, table) in [(&d1, g_table), (&d2, q_table)] {
                let d = digits.get(i).copied().unwrap_or(0);
                if d == 0 {
                    continue;
                }
                let idx = pos * MULTIPLES + usize::from(d.unsigned_abs()) - 1;
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

/// A P-256 public key ready for verification: its comb table, whose first entry is the point
/// itself (one pointer, so that key enums stay small).
#[derive(Clone)]
pub struct P256PublicKey {
    table: Box<[Affine; TABLE_LEN]>,
}

impl core::fmt::Debug for P256PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "P256PublicKey({:02x?})", &self.x_bytes()[..4])
    }
}

impl P256PublicKey {
    /// The key with affine coordinates `x` and `y` (32 big-endian bytes each).
    ///
    /// # Errors
    /// `None` unless both coordinates are below p and the point is on the curve (the point at
    /// infinity has no affine coordinates; every other curve point generates the whole group,
    /// as the cofactor is 1).
    pub fn from_affine(x: &[u8; 32], y: &[u8; 32]) -> Option<P256PublicKey> {
        let q = Affine {
            x: Fe::from_be(x)?,
            y: Fe::from_be(y)?,
        };
        if !q.is_on_curve() {
            return None;
        }
        Some(P256PublicKey {
            table: build_table(&q)?.try_into().ok()?,
        })
    }

    /// The x coordinate, 32 big-endian bytes.
    pub fn x_bytes(&self) -> [u8; 32] {
        to_be(&self.table[0].x.to_int())
    }

    /// The y coordinate, 32 big-endian bytes.
    pub fn y_bytes(&self) -> [u8; 32] {
        to_be(&self.table[0].y.to_int())
    }

    /// ES256: ECDSA over SHA-256 of `msg` with `sig` = r || s (32 bytes each).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let hash: [u8; 32] = Sha256::digest(msg).into();
        self.verify_prehash(&hash, sig)
    }

    /// ECDSA verification of a message hash (any hash function) with `sig` = r || s: false
    /// unless the signature is exactly 64 bytes with 0 < r, s < n and
    /// x(u1 G + u2 Q) mod n = r. The hash becomes an integer as in SEC 1 and the `ecdsa`
    /// crate's `bits2field`: its leftmost 256 bits, a shorter hash left-padded with zeros, a
    /// hash shorter than 16 bytes refused.
    pub fn verify_prehash(&self, hash: &[u8], sig: &[u8]) -> bool {
        if hash.len() < 16 {
            return false;
        }
        let mut e_bytes = [0u8; 32];
        let take = hash.len().min(32);
        if let (Some(dst), Some(src)) = (e_bytes.get_mut(32 - take..), hash.get(..take)) {
            dst.copy_from_slice(src);
        }
        let Some((r_bytes, s_bytes)) = sig.split_first_chunk::<32>().and_then(|(r, rest)| {
            let s: &[u8; 32] = rest.try_into().ok()?;
            Some((r, s))
        }) else {
            return false;
        };
        let r = from_be(r_bytes);
        let s = from_be(s_bytes);
        if is_zero(&r) || is_zero(&s) || !less(&r, &NQ.m) || !less(&s, &NQ.m) {
            return false;
        }
        // e = hash mod n (at most 256 bits; 2^256 < 2n, so one subtraction).
        let mut e = from_be(&e_bytes);
        if !less(&e, &NQ.m) {
            e = sub_raw(&e, &NQ.m).0;
        }
        // w = s^-1 in Montgomery form; u = x w R R^-1 = x w, plain.
        let w = mont_mul::<Fn>(&invert_vartime(&s, &NQ.m), &NQ.rr);
        let u1 = mont_mul::<Fn>(&e, &w);
        let u2 = mont_mul::<Fn>(&r, &w);
        let point = double_mul(&G_TABLE, &u1, &self.table[..], &u2);
        if point.is_infinity() {
            return false;
        }
        let zz = point.z.sqr();
        // r < n < p, so r is a field element.
        if Fe::from_int(&r).mul(&zz) == point.x {
            return true;
        }
        // x(R) in [n, p) reduces to x - n: r + n must be a field element too.
        let (rn, carry) = add_raw(&r, &NQ.m);
        !carry && less(&rn, &P.m) && Fe::from_int(&rn).mul(&zz) == point.x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::rsa::BigUint;

    fn int(hex: &str) -> Limbs {
        let mut bytes = [0u8; 32];
        let raw: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        bytes[32 - raw.len()..].copy_from_slice(&raw);
        from_be(&bytes)
    }

    fn big(a: &Limbs) -> BigUint {
        BigUint::from_bytes_be(&to_be(a))
    }

    fn limbs_of(b: &BigUint) -> Limbs {
        let raw = b.to_bytes_be();
        let mut bytes = [0u8; 32];
        bytes[32 - raw.len()..].copy_from_slice(&raw);
        from_be(&bytes)
    }

    const P_HEX: &str = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    const N_HEX: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

    /// Edge values below m: 0, 1, 2, m-1, m-2, powers of two and limb boundaries, all-ones
    /// patterns, and a few mixed ones.
    fn edge_values(m: &Limbs) -> Vec<Limbs> {
        let mb = big(m);
        let mut v: Vec<BigUint> = [0u32, 1, 2, 3].iter().map(|&x| BigUint::from(x)).collect();
        for k in [1u32, 2, 3, 17, 255] {
            v.push(&mb - BigUint::from(k));
        }
        for bits in [
            31usize, 32, 63, 64, 95, 96, 127, 128, 191, 192, 223, 224, 255,
        ] {
            let two = BigUint::from(1u32) << bits;
            v.push(&two % &mb);
            v.push((&two - BigUint::from(1u32)) % &mb);
            v.push((&two + BigUint::from(1u32)) % &mb);
        }
        v.push(((BigUint::from(1u32) << 256) - BigUint::from(1u32)) % &mb);
        v.push(
            BigUint::parse_bytes(
                b"aaaaaaaa55555555aaaaaaaa55555555aaaaaaaa55555555aaaaaaaa55555555",
                16,
            )
            .unwrap()
                % &mb,
        );
        v.push(
            BigUint::parse_bytes(
                b"8000000080000000800000008000000080000000800000008000000080000000",
                16,
            )
            .unwrap()
                % &mb,
        );
        v.push(&mb >> 1);
        v.iter().map(limbs_of).collect()
    }

    #[test]
    fn constants() {
        assert_eq!(P.m, int(P_HEX));
        assert_eq!(NQ.m, int(N_HEX));
        for md in [&P, &NQ] {
            assert_eq!(md.m[0].wrapping_mul(md.m_inv), Limb::MAX, "-m^-1");
            let r = BigUint::from(1u32) << 256;
            assert_eq!(big(&md.one), &r % big(&md.m));
            assert_eq!(big(&md.rr), (&r * &r) % big(&md.m));
        }
        let g = Affine {
            x: Fe::from_int(&GX),
            y: Fe::from_int(&GY),
        };
        assert!(g.is_on_curve());
    }

    /// Montgomery products, squares, sums and differences at edge values against `BigUint`,
    /// mod p and mod n.
    fn arithmetic<T: Params>() {
        let m = big(&T::MD.m);
        let r_inv = (BigUint::from(1u32) << 256).modpow(&(&m - BigUint::from(2u32)), &m);
        let values = edge_values(&T::MD.m);
        for a in &values {
            let (ab, bb) = (big(a), &m);
            assert_eq!(
                big(&mont_sqr::<T>(a)),
                (&ab * &ab * &r_inv) % bb,
                "sqr {ab:x}"
            );
            for b in &values {
                let b_big = big(b);
                let want = (&ab * &b_big * &r_inv) % bb;
                assert_eq!(big(&mont_mul::<T>(a, b)), want, "{ab:x} * {b_big:x}");
                assert_eq!(big(&add_mod(a, b, &T::MD.m)), (&ab + &b_big) % bb);
                assert_eq!(big(&sub_mod(a, b, &T::MD.m)), (&ab + bb - &b_big) % bb);
            }
            if !is_zero(a) {
                // a (a^-1 in Montgomery form) = R mod m: the Montgomery one.
                let inv = pow_m2::<T>(a);
                assert_eq!(
                    mont_mul::<T>(a, &inv),
                    mont_mul::<T>(&T::MD.one, &T::MD.one)
                );
            }
        }
    }

    #[test]
    fn field_arithmetic_at_edge_values() {
        arithmetic::<Fp>();
    }

    #[test]
    fn scalar_arithmetic_at_edge_values() {
        arithmetic::<Fn>();
    }

    #[test]
    fn bytes_round_trip_and_range() {
        for a in edge_values(&P.m) {
            assert_eq!(from_be(&to_be(&a)), a);
            assert_eq!(Fe::from_be(&to_be(&a)).unwrap().to_int(), a);
        }
        assert!(Fe::from_be(&to_be(&P.m)).is_none());
        assert!(Fe::from_be(&[0xff; 32]).is_none());
    }

    #[test]
    fn recoding_sums_back() {
        let mut ks = edge_values(&NQ.m);
        ks.push([Limb::MAX; N]);
        ks.push(int(
            "8888888888888888888888888888888888888888888888888888888888888888",
        ));
        ks.push(int(
            "f7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df7df",
        ));
        for k in ks {
            let digits = recode(&k);
            assert_eq!(num_sum(&digits), big(&k));
            for d in digits {
                assert!(-(1 << (W - 1)) < i32::from(d) && i32::from(d) <= 1 << (W - 1));
            }
        }
    }

    /// sum d_i 2^(W i), positive and negative parts apart (`BigUint` has no sign).
    fn num_sum(digits: &[i8]) -> BigUint {
        let (mut pos, mut neg) = (BigUint::from(0u32), BigUint::from(0u32));
        for (i, &d) in digits.iter().enumerate() {
            let v = BigUint::from(d.unsigned_abs()) << (W * i);
            if d > 0 {
                pos += v;
            } else {
                neg += v;
            }
        }
        pos - neg
    }

    fn g() -> Affine {
        Affine {
            x: Fe::from_int(&GX),
            y: Fe::from_int(&GY),
        }
    }

    fn affine(p: &Jacobian) -> Affine {
        batch_to_affine(&[*p]).unwrap()[0]
    }

    /// k P by double-and-add from the top bit.
    fn mul_slow(p: &Affine, k: &BigUint) -> Jacobian {
        let mut acc = Jacobian::INFINITY;
        for i in (0..k.bits()).rev() {
            acc = acc.double();
            if (k >> i) & BigUint::from(1u32) == BigUint::from(1u32) {
                acc = acc.add_affine(p);
            }
        }
        acc
    }

    #[test]
    fn exceptional_additions() {
        let g = g();
        let gj = g.to_jacobian();
        let g2 = affine(&gj.double());
        // P + P doubles, in both additions.
        assert_eq!(affine(&gj.add_affine(&g)), g2);
        assert_eq!(affine(&gj.add(&gj)), g2);
        // P + (-P) is infinity.
        assert!(gj.add_affine(&g.neg()).is_infinity());
        assert!(gj.add(&g.neg().to_jacobian()).is_infinity());
        // Infinity is neutral, and doubles to itself.
        assert_eq!(affine(&Jacobian::INFINITY.add_affine(&g)), g);
        assert_eq!(affine(&Jacobian::INFINITY.add(&gj)), g);
        assert_eq!(affine(&gj.add(&Jacobian::INFINITY)), g);
        assert!(Jacobian::INFINITY.double().is_infinity());
        // A non-normalised Z: 2G + G = 3G either way.
        let g3 = affine(&gj.double().add_affine(&g));
        assert_eq!(affine(&gj.add(&gj.double())), g3);
        // n G = infinity; (n - 1) G = -G.
        let n = big(&NQ.m);
        assert!(mul_slow(&g, &n).is_infinity());
        assert_eq!(affine(&mul_slow(&g, &(&n - BigUint::from(1u32)))), g.neg());
    }

    #[test]
    fn table_entries_are_the_multiples() {
        let g = g();
        let table = build_table(&g).unwrap();
        assert_eq!(table.len(), TABLE_LEN);
        for pos in 0..POSITIONS {
            for j in [1, 2, MULTIPLES - 1, MULTIPLES] {
                let k = BigUint::from(j) << (W * M * pos);
                assert_eq!(
                    table[pos * MULTIPLES + j - 1],
                    affine(&mul_slow(&g, &k)),
                    "{pos} {j}"
                );
            }
        }
    }

    /// Four little-endian u64 words.
    fn words(a: &Limbs) -> [u64; 4] {
        let b = to_be(a);
        core::array::from_fn(|i| u64::from_be_bytes(b[24 - 8 * i..32 - 8 * i].try_into().unwrap()))
    }

    #[test]
    fn g_table_is_built_from_g() {
        let table = build_table(&g()).unwrap();
        if let Ok(path) = std::env::var("EDGEWARD_WRITE_G_TABLE") {
            use std::fmt::Write as _;
            let mut src = std::string::String::from(
                "//! The P-256 generator's comb table (see `G_TABLE` in the parent module): written by\n\
                 //! `EDGEWARD_WRITE_G_TABLE=src/p256_fast/g_table.rs cargo test --lib g_table_is_built_from_g`.\n\
                 //! Affine points in Montgomery form, x then y, four little-endian u64 words each.\n\n\
                 #![allow(clippy::unreadable_literal)]\n\n\
                 #[rustfmt::skip]\n\
                 pub(super) const G_TABLE: &[[[u64; 4]; 2]] = &[\n",
            );
            let hex = |w: [u64; 4]| w.map(|v| std::format!("{v:#018x}")).join(", ");
            for p in &table {
                let [x, y] = [words(&p.x.0), words(&p.y.0)];
                writeln!(src, "    [[{}], [{}]],", hex(x), hex(y)).unwrap();
            }
            src.push_str("];\n");
            std::fs::write(path, src).unwrap();
        }
        assert_eq!(table.len(), TABLE_LEN);
        assert_eq!(g_table::G_TABLE.len(), TABLE_LEN, "regenerate g_table.rs");
        assert!(table.iter().eq(G_TABLE.iter()), "regenerate g_table.rs");
    }

    #[test]
    fn double_mul_matches_the_slow_way() {
        let g = g();
        let table = build_table(&g).unwrap();
        let q = affine(&mul_slow(&g, &BigUint::from(0x1234_5678u32)));
        let q_table = build_table(&q).unwrap();
        let n = big(&NQ.m);
        let mut cases: Vec<(BigUint, BigUint)> = Vec::new();
        for a in edge_values(&NQ.m) {
            cases.push((big(&a), BigUint::from(7u32)));
            cases.push((BigUint::from(5u32), big(&a)));
        }
        // u1 G + u2 Q = infinity (u1 = -0x12345678 u2), and = 2 u1 G (u1 = 0x12345678 u2).
        cases.push((&n - BigUint::from(0x1234_5678u32), BigUint::from(1u32)));
        cases.push((BigUint::from(0x1234_5678u32), BigUint::from(1u32)));
        for (u1, u2) in cases {
            let fast = double_mul(&table, &limbs_of(&u1), &q_table, &limbs_of(&u2));
            let k = (&u1 + &u2 * BigUint::from(0x1234_5678u32)) % &n;
            let slow = mul_slow(&g, &k);
            assert_eq!(fast.is_infinity(), slow.is_infinity(), "{u1:x} {u2:x}");
            if !slow.is_infinity() {
                assert_eq!(affine(&fast), affine(&slow), "{u1:x} {u2:x}");
            }
        }
    }

    #[test]
    fn point_decoding() {
        let gx = to_be(&GX);
        let gy = to_be(&GY);
        assert!(P256PublicKey::from_affine(&gx, &gy).is_some());
        let key = P256PublicKey::from_affine(&gx, &gy).unwrap();
        assert_eq!((key.x_bytes(), key.y_bytes()), (gx, gy));
        // Off the curve, the identity's usual encodings, coordinates >= p.
        let mut bad_y = gy;
        bad_y[31] ^= 1;
        assert!(P256PublicKey::from_affine(&gx, &bad_y).is_none());
        assert!(P256PublicKey::from_affine(&[0; 32], &[0; 32]).is_none());
        // (x, y + p) is the same point, but y is not below p... y + p overflows 2^256 for G's y,
        // so use -y = p - y, whose representative plus p does fit.
        let neg_y = sub_raw(&P.m, &GY).0;
        assert!(P256PublicKey::from_affine(&gx, &to_be(&neg_y)).is_some());
        let too_big = add_raw(&neg_y, &P.m).0;
        assert!(P256PublicKey::from_affine(&gx, &to_be(&too_big)).is_none());
        assert!(P256PublicKey::from_affine(&to_be(&P.m), &gy).is_none());
    }

    #[test]
    fn signature_ranges() {
        let key = P256PublicKey::from_affine(&to_be(&GX), &to_be(&GY)).unwrap();
        let n = to_be(&NQ.m);
        let one = to_be(&int("01"));
        for (r, s) in [
            ([0; 32], one),
            (one, [0; 32]),
            (n, one),
            (one, n),
            ([0xff; 32], one),
        ] {
            let sig = [r, s].concat();
            assert!(!key.verify(b"m", &sig));
        }
        assert!(!key.verify(b"m", &[1; 63]));
        assert!(!key.verify(b"m", &[1; 65]));
        assert!(!key.verify(b"m", &[]));
    }
}
