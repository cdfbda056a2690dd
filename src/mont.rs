//! Montgomery arithmetic modulo a public odd modulus: the bignum under [`crate::rsa_fast`].
//!
//! **Variable time, public data only.** Branches, loop counts and memory access here depend on
//! the values. That is safe because only public values ever pass through: the modulus and
//! exponent of a public key, a signature, and the encoded message computed from it. Never use
//! this module for a private-key operation.
//!
//! Representation: little-endian limbs of w bits with double-width products: `u32` limbs
//! and `u64` products on 32-bit targets such as wasm32 (where 64x64->128 multiplies are
//! emulated and there is no add-with-carry, but a 32x32->64 product is one `i64.mul`), with
//! w = 28 up to 127 limbs (3556 bits, so 2048 and 3072-bit keys) and w = 27 above; `u64` limbs
//! and `u128` products on 64-bit targets, with w = 60 up to 127 limbs and w = 59 above. A
//! multiplication first sums the 2L columns of the product, then reduces them (Montgomery,
//! radix R = 2^(w L) for an L-limb modulus). Columns are double-width sums that are not carried
//! until the end: a column receives at most 2L products below 2^(2w) plus a carry, which fits
//! for every width (checked at compile time below). So the inner loops are only multiplies and
//! adds; they work four rows at a time ([`mac_rows`]) so that each column is loaded and stored
//! once per four products. Squaring adds each cross product once and doubles. Exponentiation
//! is left-to-right binary, so e = 65537 costs 16 squarings and 2 multiplications.

// The arithmetic keeps the textbook names (a, b, n, m for quotient digits, t for columns, l for
// limbs), also in the docs (a_i, x_(j-1)).
#![allow(clippy::many_single_char_names, clippy::doc_markdown)]

use alloc::vec;
use alloc::vec::Vec;

/// Largest modulus, in bits. The column bound in the module docs depends on it.
pub(crate) const MAX_BITS: usize = 8192;

/// Limb types and widths per target: `u32` limbs with `u64` products where 64x64->128
/// multiplies are emulated (wasm32), `u64` limbs with `u128` products on 64-bit targets.
#[cfg(not(target_pointer_width = "64"))]
mod width {
    /// One limb.
    pub(super) type Limb = u32;
    /// A product of two limbs, and a column sum.
    pub(super) type Wide = u64;
    /// Bits per limb up to [`MAX_LIMBS_HI`] limbs (3556 bits: 2048 and 3072-bit keys).
    pub(super) const W_HI: u32 = 28;
    /// Most limbs of [`W_HI`] bits.
    pub(super) const MAX_LIMBS_HI: usize = 127;
    /// Bits per limb above that.
    pub(super) const W_LO: u32 = 27;
    /// Limbs of [`W_LO`] bits for the largest modulus.
    pub(super) const MAX_LIMBS: usize = 304;
}

/// See the 32-bit `width`.
#[cfg(target_pointer_width = "64")]
mod width {
    /// One limb.
    pub(super) type Limb = u64;
    /// A product of two limbs, and a column sum.
    pub(super) type Wide = u128;
    /// Bits per limb up to [`MAX_LIMBS_HI`] limbs (7620 bits).
    pub(super) const W_HI: u32 = 60;
    /// Most limbs of [`W_HI`] bits.
    pub(super) const MAX_LIMBS_HI: usize = 127;
    /// Bits per limb above that.
    pub(super) const W_LO: u32 = 59;
    /// Limbs of [`W_LO`] bits for the largest modulus.
    pub(super) const MAX_LIMBS: usize = 139;
}

use width::{Limb, Wide, MAX_LIMBS, MAX_LIMBS_HI, W_HI, W_LO};

/// How many products of two w-bit limbs a `Wide` column can take on top of a carry (a column
/// sum shifted right by w).
#[allow(clippy::cast_possible_truncation)]
const fn column_capacity(w: u32) -> usize {
    ((Wide::MAX - (Wide::MAX >> w)) >> (2 * w)) as usize
}

// The column bound of the module docs, checked at compile time for both widths: a column
// receives at most 2 L products (at most L of a_i b_j or a_i a_j, at most L of m_i n_j) plus
// a carry.
const _: () = assert!(
    MAX_BITS.div_ceil(W_LO as usize) <= MAX_LIMBS
        && 2 * MAX_LIMBS <= column_capacity(W_LO)
        && 2 * MAX_LIMBS_HI <= column_capacity(W_HI)
);

/// An odd modulus n >= 3 of at most [`MAX_BITS`] bits, with its Montgomery constants.
#[derive(Clone)]
pub(crate) struct Modulus {
    /// n, L limbs, the top one non-zero.
    n: Vec<Limb>,
    /// n with three zero limbs before and after (for [`mac_rows`]).
    n_padded: Vec<Limb>,
    /// -n^-1 mod 2^w.
    n0_inv: Limb,
    /// Bits per limb, w: [`W_HI`] or [`W_LO`].
    w: u32,
    /// The low w bits.
    mask: Limb,
    /// R^2 mod n.
    rr: Vec<Limb>,
    /// Bit length of n.
    bits: usize,
}

/// Buffers for one multiplication, reused across an exponentiation.
struct Scratch {
    /// The 2L column sums.
    t: Vec<Wide>,
    /// An operand with three zero limbs before and after (for [`mac_rows`]).
    padded: Vec<Limb>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            t: Vec::new(),
            padded: Vec::new(),
        }
    }

    /// Zeroed column sums for L limbs, and `x` padded.
    fn columns(&mut self, l: usize, x: &[Limb]) -> (&mut [Wide], &[Limb]) {
        self.t.clear();
        self.t.resize(2 * l, 0);
        self.padded.clear();
        self.padded.extend([0; 3].iter().chain(x).chain(&[0; 3]));
        (&mut self.t, &self.padded)
    }
}

impl Modulus {
    /// Precomputes the constants for `n` (big-endian, leading zero bytes allowed). `None`
    /// when n is even, below 3 or longer than [`MAX_BITS`].
    pub(crate) fn new(n_be: &[u8]) -> Option<Modulus> {
        let n_be = strip_leading_zeros(n_be);
        let first = *n_be.first()?;
        let bits = n_be
            .len()
            .checked_mul(8)?
            .checked_sub(usize_from(first.leading_zeros()))?;
        if !(2..=MAX_BITS).contains(&bits) || n_be.last()? & 1 == 0 {
            return None;
        }
        let w = if bits.div_ceil(usize_from(W_HI)) <= MAX_LIMBS_HI {
            W_HI
        } else {
            W_LO
        };
        let mask: Limb = (1 << w) - 1;
        let limbs = bits.div_ceil(usize_from(w));
        let n = limbs_from_be(n_be, limbs, w);
        let n0_inv = neg_inv(*n.first()?, mask);
        let n_padded = [0; 3].iter().chain(&n).chain(&[0; 3]).copied().collect();
        let mut m = Modulus {
            n,
            n_padded,
            n0_inv,
            w,
            mask,
            rr: Vec::new(),
            bits,
        };
        m.rr = m.r_squared();
        Some(m)
    }

    /// Bit length of n.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// Limb count L.
    fn limbs(&self) -> usize {
        self.n.len()
    }

    /// The big-endian integer `bytes` as limbs; `None` unless it is below n.
    pub(crate) fn element(&self, bytes: &[u8]) -> Option<Vec<Limb>> {
        let bytes = strip_leading_zeros(bytes);
        // (No multiplication of the untrusted length.)
        if bytes.len() > (self.limbs() * usize_from(self.w) + 8) / 8 {
            return None;
        }
        let mut x = limbs_from_be(bytes, self.limbs() + 1, self.w);
        if x.pop()? != 0 || !less(&x, &self.n) {
            return None;
        }
        Some(x)
    }

    /// `x` (below n) as `len` big-endian bytes; `len` must hold n.
    pub(crate) fn to_be_bytes(&self, x: &[Limb], len: usize) -> Vec<u8> {
        let mut le = Vec::with_capacity(len + 4);
        let mut acc: Wide = 0;
        let mut have = 0u32;
        for &limb in x {
            acc |= Wide::from(limb) << have;
            have += self.w;
            while have >= 8 {
                le.push(low_byte(acc));
                acc >>= 8;
                have -= 8;
            }
        }
        if have > 0 {
            le.push(low_byte(acc));
        }
        // Bytes past `len` are zero because x < n < 2^(8 * len).
        le.resize(len, 0);
        le.reverse();
        le
    }

    /// x^e mod n for x < n and any e. Left-to-right binary; the multiplication for the lowest
    /// bit also leaves Montgomery form (for e = 65537: 1 + 16 + 1 multiplications in all).
    pub(crate) fn pow(&self, x: &[Limb], e: u32) -> Vec<Limb> {
        let l = self.limbs();
        let mut s = Scratch::new();
        let Some(top) = e.checked_ilog2() else {
            return self.one();
        };
        if top == 0 {
            return x.to_vec();
        }
        let mut base = vec![0; l];
        self.mul(x, &self.rr, &mut base, &mut s);
        let mut acc = base.clone();
        let mut tmp = vec![0; l];
        for bit in (0..top).rev() {
            self.sqr(&acc, &mut tmp, &mut s);
            core::mem::swap(&mut acc, &mut tmp);
            let set = (e >> bit) & 1 == 1;
            if bit == 0 {
                // (x^(e-1) R) * x R^-1 = x^e; or * 1 R^-1 to leave Montgomery form.
                let last = if set { x.to_vec() } else { self.one() };
                self.mul(&acc, &last, &mut tmp, &mut s);
                core::mem::swap(&mut acc, &mut tmp);
            } else if set {
                self.mul(&acc, &base, &mut tmp, &mut s);
                core::mem::swap(&mut acc, &mut tmp);
            }
        }
        acc
    }

    /// 1 as an element.
    fn one(&self) -> Vec<Limb> {
        let mut one = vec![0; self.limbs()];
        if let Some(l0) = one.first_mut() {
            *l0 = 1;
        }
        one
    }

    /// R^2 mod n: 2^(bits-1) doubled up to 2R mod n (2 in Montgomery form), then raised to
    /// the power w L in Montgomery form, which is 2^(w L) R = R^2 mod n.
    fn r_squared(&self) -> Vec<Limb> {
        let l = self.limbs();
        let mut x = vec![0; l];
        let top = self.bits - 1;
        let w = usize_from(self.w);
        if let Some(limb) = x.get_mut(top / w) {
            // INVARIANT: top % w < w < Limb::BITS, so the shift is in range.
            *limb = 1 << (top % w);
        }
        // 2^(bits-1) < n; double it to 2^(w L + 1) mod n = 2R mod n.
        for _ in top..=l * w {
            self.double(&mut x);
        }
        let mut s = Scratch::new();
        let e = l * w;
        let mut acc = x.clone();
        let mut tmp = vec![0; l];
        for bit in (0..e.ilog2()).rev() {
            self.sqr(&acc, &mut tmp, &mut s);
            core::mem::swap(&mut acc, &mut tmp);
            if (e >> bit) & 1 == 1 {
                self.mul(&acc, &x, &mut tmp, &mut s);
                core::mem::swap(&mut acc, &mut tmp);
            }
        }
        acc
    }

    /// x = 2x mod n, for x < n.
    fn double(&self, x: &mut [Limb]) {
        let mut carry = 0;
        for limb in x.iter_mut() {
            let d = (*limb << 1) | carry;
            carry = d >> self.w;
            *limb = d & self.mask;
        }
        if carry != 0 || !less(x, &self.n) {
            sub_in_place(x, &self.n, self.mask);
        }
    }

    /// out = a b R^-1 mod n, for a, b < n: the product into 2L column sums, four rows
    /// a_i b per sweep, then [`Modulus::reduce`].
    fn mul(&self, a: &[Limb], b: &[Limb], out: &mut [Limb], s: &mut Scratch) {
        let l = self.limbs();
        let (t, b_padded) = s.columns(l, b);
        for (i, rows) in (0..).step_by(4).zip(a.chunks(4)) {
            let mut m: [Wide; 4] = [0; 4];
            for (mr, &ar) in m.iter_mut().zip(rows) {
                *mr = Wide::from(ar);
            }
            if let Some(cols) = t.get_mut(i..(i + l + 3).min(2 * l)) {
                mac_rows(cols, b_padded, m);
            }
        }
        self.reduce(t, out);
    }

    /// out = a^2 R^-1 mod n, for a < n: the cross products a_i a_j (i < j) once, four rows
    /// per sweep, doubled; plus the squares a_i^2; then [`Modulus::reduce`].
    fn sqr(&self, a: &[Limb], out: &mut [Limb], s: &mut Scratch) {
        let l = self.limbs();
        let (t, a_padded) = s.columns(l, a);
        let limb = |k: usize| a.get(k).map_or(0, |&x| Wide::from(x));
        let mut i = 0;
        // Rows i..i+4 add a_(i+r) a_k (k > i+r) to column i+r+k. From column 2i+7 on, all
        // four rows have a term there, and the operand limbs run a_(i+1+j-r): one sweep.
        while i + 8 <= l {
            for j in 0..6 {
                let Some(col) = t.get_mut(2 * i + 1 + j) else {
                    return;
                };
                for r in 0..=j / 2 {
                    *col += limb(i + r) * limb(i + 1 + j - r);
                }
            }
            let m = [limb(i), limb(i + 1), limb(i + 2), limb(i + 3)];
            if let (Some(cols), Some(x)) = (t.get_mut(2 * i + 7..i + l + 3), a_padded.get(i + 7..))
            {
                mac_rows(cols, x, m);
            }
            i += 4;
        }
        for (k, &ak) in a.iter().enumerate().skip(i) {
            if let (Some(cols), Some(rest)) = (t.get_mut(2 * k + 1..k + l), a.get(k + 1..)) {
                mac1(cols, rest, Wide::from(ak));
            }
        }
        for (pair, &ak) in t.chunks_exact_mut(2).zip(a) {
            if let [even, odd] = pair {
                *even = 2 * *even + Wide::from(ak) * Wide::from(ak);
                *odd *= 2;
            }
        }
        self.reduce(t, out);
    }

    /// Montgomery reduction of 2L column sums: column by column, add m_i n with m_i making
    /// column i a multiple of 2^w, and carry on. Four quotient digits per pass: each is found
    /// from what its column will hold after the rows before it, then the four rows m_i n are
    /// added in one sweep.
    fn reduce(&self, t: &mut [Wide], out: &mut [Limb]) {
        let l = self.limbs();
        let n = |k: usize| self.n.get(k).map_or(0, |&x| Wide::from(x));
        let digit = |col: Wide| Wide::from(low(col).wrapping_mul(self.n0_inv) & self.mask);
        let mut carry: Wide = 0;
        let mut i = 0;
        while i < l {
            let rows = (l - i).min(4);
            let Some(cols) = t.get_mut(i..i + l + rows - 1) else {
                return;
            };
            let mut m: [Wide; 4] = [0; 4];
            for r in 0..rows {
                let mut v = cols.get(r).map_or(0, |&x| x) + carry;
                for (q, &mq) in m.iter().take(r).enumerate() {
                    v += mq * n(r - q);
                }
                let mr = digit(v);
                if let Some(slot) = m.get_mut(r) {
                    *slot = mr;
                }
                carry = (v + mr * n(0)) >> self.w;
            }
            // Columns i..i+rows are now dead (their carries are in `carry`): add the rows to
            // the columns above them only.
            mac_rows(
                cols.get_mut(rows..).unwrap_or(&mut []),
                self.n_padded.get(rows..).unwrap_or(&[]),
                m,
            );
            i += rows;
        }
        self.finish(t, carry, out);
    }

    /// Columns L..2L (plus the last carry) are the result, below 2n: normalise them into
    /// limbs and subtract n once if needed.
    fn finish(&self, t: &[Wide], carry: Wide, out: &mut [Limb]) {
        let mut c = carry;
        for (o, &tj) in out.iter_mut().zip(t.get(self.limbs()..).unwrap_or(&[])) {
            let v = tj + c;
            *o = low(v) & self.mask;
            c = v >> self.w;
        }
        if c != 0 || !less(out, &self.n) {
            sub_in_place(out, &self.n, self.mask);
        }
    }
}

impl core::fmt::Debug for Modulus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Modulus({} bits)", self.bits)
    }
}

/// t_j += p x_j over the shorter of the two, unrolled by four (fewer loop back-edges in wasm
/// engines).
#[inline]
fn mac1(t: &mut [Wide], x: &[Limb], p: Wide) {
    let len = t.len().min(x.len());
    let (Some(t), Some(x)) = (t.get_mut(..len), x.get(..len)) else {
        return;
    };
    let (mut ts, mut xs) = (t.chunks_exact_mut(4), x.chunks_exact(4));
    for (tc, xc) in (&mut ts).zip(&mut xs) {
        if let ([t0, t1, t2, t3], &[x0, x1, x2, x3]) = (tc, xc) {
            *t0 += p * Wide::from(x0);
            *t1 += p * Wide::from(x1);
            *t2 += p * Wide::from(x2);
            *t3 += p * Wide::from(x3);
        }
    }
    for (tj, &xj) in ts.into_remainder().iter_mut().zip(xs.remainder()) {
        *tj += p * Wide::from(xj);
    }
}

/// t_j += m_0 x_j + m_1 x_(j-1) + m_2 x_(j-2) + m_3 x_(j-3): four rows at once, where `x`
/// is the operand preceded by three zero limbs and followed by three more, offset so that
/// `x[j + 3]` is x_j. The three previous limbs stay in registers.
#[inline]
fn mac_rows(t: &mut [Wide], x: &[Limb], m: [Wide; 4]) {
    let [m0, m1, m2, m3] = m;
    let (mut x1, mut x2, mut x3): (Wide, Wide, Wide) = (0, 0, 0);
    let mut xs = x.iter();
    // Prime the window with x_(j-1), x_(j-2), x_(j-3) for the first j.
    for _ in 0..3 {
        x3 = x2;
        x2 = x1;
        x1 = xs.next().map_or(0, |&v| Wide::from(v));
    }
    for (tj, &xj) in t.iter_mut().zip(xs) {
        let x0 = Wide::from(xj);
        *tj += m0 * x0 + m1 * x1 + m2 * x2 + m3 * x3;
        x3 = x2;
        x2 = x1;
        x1 = x0;
    }
}

/// a < b, for limb vectors of the same length.
fn less(a: &[Limb], b: &[Limb]) -> bool {
    a.iter().rev().lt(b.iter().rev())
}

/// a -= b, for a (plus an implicit carry limb) at least b and below 2b.
fn sub_in_place(a: &mut [Limb], b: &[Limb], mask: Limb) {
    let mut borrow: Limb = 0;
    for (x, &y) in a.iter_mut().zip(b) {
        let d = x.wrapping_sub(y).wrapping_sub(borrow);
        borrow = d >> (Limb::BITS - 1);
        *x = d & mask;
    }
}

/// -x^-1 mod 2^w (`mask` = 2^w - 1) for odd x (Newton: each step doubles the correct low
/// bits, from 3 to 96).
fn neg_inv(x: Limb, mask: Limb) -> Limb {
    let two: Limb = 2;
    let mut inv = x;
    for _ in 0..5 {
        inv = inv.wrapping_mul(two.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg() & mask
}

/// Big-endian bytes into `limbs` limbs (more if the value needs them).
fn limbs_from_be(bytes: &[u8], limbs: usize, w: u32) -> Vec<Limb> {
    let mask: Limb = (1 << w) - 1;
    let mut out = Vec::with_capacity(limbs);
    let mut acc: Wide = 0;
    let mut have = 0u32;
    for &b in bytes.iter().rev() {
        acc |= Wide::from(b) << have;
        have += 8;
        if have >= w {
            out.push(low(acc) & mask);
            acc >>= w;
            have -= w;
        }
    }
    if have > 0 {
        out.push(low(acc) & mask);
    }
    if out.len() < limbs {
        out.resize(limbs, 0);
    }
    out
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    b.get(zeros..).unwrap_or(&[])
}

/// The low limb-width bits.
#[inline]
#[allow(clippy::cast_possible_truncation)]
fn low(x: Wide) -> Limb {
    x as Limb
}

/// The low 8 bits.
#[inline]
#[allow(clippy::cast_possible_truncation)]
fn low_byte(x: Wide) -> u8 {
    x as u8
}

/// u32 to usize (lossless on every target we build for: 32 and 64-bit).
#[inline]
fn usize_from(x: u32) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::rsa::BigUint;

    fn big(m: &Modulus, x: &[Limb]) -> BigUint {
        BigUint::from_bytes_be(&m.to_be_bytes(x, x.len() * 8))
    }

    fn modulus(n: &BigUint) -> Modulus {
        Modulus::new(&n.to_bytes_be()).unwrap()
    }

    fn elem(m: &Modulus, x: &BigUint) -> Vec<Limb> {
        m.element(&x.to_bytes_be()).unwrap()
    }

    /// Moduli that stress carries: all-ones, 2^k + 1, limb-boundary sizes, a 27-bit multiple.
    fn edge_moduli() -> Vec<BigUint> {
        let one = BigUint::from(1u8);
        let mut v = Vec::new();
        for bits in [
            2usize, 27, 28, 54, 55, 64, 2048, 2049, 2052, 2053, 3072, 4096, 8192,
        ] {
            v.push((&one << bits) - &one);
            v.push((&one << (bits - 1)) + &one);
        }
        v.push(BigUint::from(3u8));
        v.push(BigUint::from((1u32 << 27) - 1));
        v.push(BigUint::from((1u32 << 28) - 1));
        // The last size with W_HI-bit limbs, and the first with W_LO-bit ones.
        let last_hi = usize_from(W_HI) * MAX_LIMBS_HI;
        for bits in [last_hi, last_hi + 1] {
            v.push((&one << bits) - &one);
            v.push((&one << (bits - 1)) + &one);
        }
        v
    }

    fn samples(n: &BigUint) -> Vec<BigUint> {
        let one = BigUint::from(1u8);
        let mut v = vec![
            BigUint::from(0u8),
            one.clone(),
            BigUint::from(2u8),
            n - &one,
            n - BigUint::from(2u8),
            n >> 1usize,
        ];
        // All-ones limbs below n.
        let bits = n.bits();
        for k in [27usize, 54, bits - 1] {
            if k < bits {
                v.push((&one << k) - &one);
            }
        }
        v.retain(|x| x < n);
        v
    }

    #[test]
    fn neg_inv_is_the_montgomery_constant() {
        for x in [1, 3, 5, 0x7ff_ffff, 0x123_4567, 0xfff_ffff, Limb::MAX] {
            for mask in [(1 << W_LO) - 1, (1 << W_HI) - 1] {
                assert_eq!(
                    x.wrapping_mul(neg_inv(x, mask)).wrapping_add(1) & mask,
                    0,
                    "{x}"
                );
            }
        }
    }

    #[test]
    fn bytes_round_trip() {
        let n = (BigUint::from(1u8) << 2053usize) - BigUint::from(1u8);
        let m = modulus(&n);
        for x in samples(&n) {
            let limbs = elem(&m, &x);
            assert_eq!(big(&m, &limbs), x);
            let b = m.to_be_bytes(&limbs, 257);
            assert_eq!(BigUint::from_bytes_be(&b), x);
        }
    }

    #[test]
    fn rejects_even_tiny_and_huge_moduli() {
        assert!(Modulus::new(&[]).is_none());
        assert!(Modulus::new(&[0, 0]).is_none());
        assert!(Modulus::new(&[1]).is_none());
        assert!(Modulus::new(&[0x10, 0x00]).is_none());
        assert!(Modulus::new(&[0xff; 1025]).is_none());
        assert!(Modulus::new(&[0xff; 1024]).is_some());
        assert!(Modulus::new(&[0, 0, 3]).is_some());
        // Limb width: W_HI up to MAX_LIMBS_HI limbs, W_LO above.
        let one = BigUint::from(1u8);
        let last_hi = usize_from(W_HI) * MAX_LIMBS_HI;
        for (bits, w) in [
            (2048usize, W_HI),
            (last_hi, W_HI),
            (last_hi + 1, W_LO),
            (8192, W_LO),
        ] {
            let n = (&one << bits) - &one;
            assert_eq!(modulus(&n).w, w, "{bits}");
        }
    }

    #[test]
    fn elements_must_be_below_n() {
        let n = (BigUint::from(1u8) << 2049usize) + BigUint::from(1u8);
        let m = modulus(&n);
        for bad in [n.clone(), &n + BigUint::from(1u8), &n << 1usize] {
            assert!(m.element(&bad.to_bytes_be()).is_none());
        }
        assert!(m.element(&[0xff; 400]).is_none());
        assert!(m.element(&[0; 400]).is_some());
    }

    #[test]
    fn mul_sqr_and_r_squared_match_num_bigint() {
        for n in edge_moduli() {
            let m = modulus(&n);
            let r = BigUint::from(1u8) << (m.limbs() * usize::try_from(m.w).unwrap());
            assert_eq!(big(&m, &m.rr), (&r * &r) % &n, "R^2 for {} bits", n.bits());
            let mut s = Scratch::new();
            let xs = samples(&n);
            for a in &xs {
                for b in &xs {
                    let (ea, eb) = (elem(&m, a), elem(&m, b));
                    let mut out = vec![0; m.limbs()];
                    m.mul(&ea, &eb, &mut out, &mut s);
                    // out R = a b (mod n)
                    assert_eq!(
                        (big(&m, &out) * &r) % &n,
                        (a * b) % &n,
                        "mul, {} bits",
                        n.bits()
                    );
                    assert!(big(&m, &out) < n);
                    if a == b {
                        let mut sq = vec![0; m.limbs()];
                        m.sqr(&ea, &mut sq, &mut s);
                        assert_eq!(sq, out, "sqr, {} bits", n.bits());
                    }
                }
            }
        }
    }

    #[test]
    fn pow_matches_num_bigint() {
        for n in edge_moduli() {
            let m = modulus(&n);
            for x in samples(&n) {
                for e in [0u32, 1, 2, 3, 17, 65537, 0x8000_0001, u32::MAX] {
                    let got = big(&m, &m.pow(&elem(&m, &x), e));
                    assert_eq!(
                        got,
                        x.modpow(&BigUint::from(e), &n),
                        "{} bits e={e}",
                        n.bits()
                    );
                }
            }
        }
    }
}
