//! `sin` and `cos` for the WebAssembly build, in place of wasi-libc's.
//!
//! Why: the native build links glibc's libm, whose argument reduction is fast up to about 10^8;
//! wasi-libc's (musl's) is fast only below 2^20·π/2 ≈ 1.6·10^6 and above that takes a
//! multi-precision path about ten times slower (measured with callgrind: float-operation at
//! `--size large`, whose arguments reach 3·10^7). So the module links these, which reduce an
//! argument below 2^26 with a Cody–Waite reduction in double-double arithmetic (π/2 in five
//! pieces, each product with the quotient exact) and then evaluate musl's own kernels (the
//! `libm` crate, a Rust port of musl's libm) on the reduced argument with a first-order
//! correction for its low part. Everywhere else, and where the reduced argument is so small that
//! the reduction's error could show (below 2^-20), they are the `libm` crate's sin and cos, that
//! is, musl's. The symbols replace wasi-libc's at link time: the module calls these for every
//! `f64::sin` and `f64::cos`.

/// Where the fast reduction applies: from where musl's own medium path ends (it is as fast below)
/// to where the quotient still fits 26 bits, so that its product with each piece is exact.
const FAST_FROM: f64 = 1.5e6;
const FAST_TO: f64 = 67_108_864.0; // 2^26

/// 2/π.
const TWO_OVER_PI: f64 = f64::from_bits(0x3FE4_5F30_6DC9_C883);

/// π/2 as the sum of five doubles: the first four its next 27 significant bits each (so that a
/// quotient of up to 26 bits times each is exact), the last the rest, rounded; the sum is within
/// 2^-167 of π/2.
const PIO2: [f64; 5] = [
    f64::from_bits(0x3FF9_21FB_5400_0000),
    f64::from_bits(0x3E11_0B46_1000_0000),
    f64::from_bits(0x3C5A_6263_3000_0000),
    f64::from_bits(0x3A94_5C06_E000_0000),
    f64::from_bits(0x38CC_D129_024E_088A),
];

/// The reduced argument below which the reduction's absolute error (about 2^-100) could show in
/// the result's last bit: such arguments go the slow, exact way.
const TINY: f64 = 9.5367431640625e-7; // 2^-20

/// `x - q·π/2` as a double-double `(hi, lo)`, with `q`'s last two bits (the quadrant).
fn reduce(x: f64) -> (i32, f64, f64) {
    let q = (x * TWO_OVER_PI).round_ties_even();
    // Exact: q·PIO2[0] is exact and within a factor of two of x (Sterbenz).
    let mut hi = x - q * PIO2[0];
    let mut lo = 0.0;
    for piece in &PIO2[1..4] {
        let (sum, error) = two_sum(hi, -(q * piece));
        hi = sum;
        lo += error;
    }
    lo -= q * PIO2[4];
    let (hi, lo) = fast_two_sum(hi, lo);
    ((q as i64 & 3) as i32, hi, lo)
}

/// `a + b` and its rounding error (Knuth).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let sum = a + b;
    let b_part = sum - a;
    let a_part = sum - b_part;
    (sum, (a - a_part) + (b - b_part))
}

/// `a + b` and its rounding error, for |a| ≥ |b| (Dekker).
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let sum = a + b;
    (sum, b - (sum - a))
}

/// sin(hi + lo) for |hi| ≤ about π/4 and |lo| below hi's last bit.
fn sin_near_zero(hi: f64, lo: f64) -> f64 {
    libm::sin(hi) + lo * (1.0 - 0.5 * hi * hi)
}

/// cos(hi + lo) for |hi| ≤ about π/4 and |lo| below hi's last bit.
fn cos_near_zero(hi: f64, lo: f64) -> f64 {
    libm::cos(hi) - lo * hi
}

/// The quadrant and reduced argument of `x` when the fast reduction serves it.
fn reduced(x: f64) -> Option<(i32, f64, f64)> {
    let magnitude = x.abs();
    if !(FAST_FROM..FAST_TO).contains(&magnitude) {
        return None;
    }
    let (quadrant, hi, lo) = reduce(x);
    (hi.abs() >= TINY).then_some((quadrant, hi, lo))
}

/// The sine, as libm's `sin`.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn sin(x: f64) -> f64 {
    match reduced(x) {
        Some((0, hi, lo)) => sin_near_zero(hi, lo),
        Some((1, hi, lo)) => cos_near_zero(hi, lo),
        Some((2, hi, lo)) => -sin_near_zero(hi, lo),
        Some((_, hi, lo)) => -cos_near_zero(hi, lo),
        None => libm::sin(x),
    }
}

/// The cosine, as libm's `cos`.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn cos(x: f64) -> f64 {
    match reduced(x) {
        Some((0, hi, lo)) => cos_near_zero(hi, lo),
        Some((1, hi, lo)) => -sin_near_zero(hi, lo),
        Some((2, hi, lo)) => -cos_near_zero(hi, lo),
        Some((_, hi, lo)) => sin_near_zero(hi, lo),
        None => libm::cos(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many representable doubles lie between `a` and `b`.
    fn ulps(a: f64, b: f64) -> u64 {
        let ordered = |x: f64| {
            let bits = x.to_bits() as i64;
            if bits < 0 { i64::MIN - bits } else { bits }
        };
        ordered(a).abs_diff(ordered(b))
    }

    /// The inputs: integers across the fast range (float-operation's), doubles with fractions,
    /// negatives, the range's edges, and the doubles nearest to multiples of π/2 there.
    fn inputs() -> Vec<f64> {
        let mut xs: Vec<f64> = (0..200_000u64).map(|i| (i * 331) as f64).collect();
        let mut state = 0x5eed_u64;
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            xs.push(FAST_FROM + unit * (FAST_TO - FAST_FROM));
        }
        for k in (1_000_000u64..40_000_000).step_by(7_919) {
            let near = (k as f64) * std::f64::consts::FRAC_PI_2;
            xs.extend([near, near.next_up(), near.next_down(), -near]);
        }
        xs.extend([
            FAST_FROM,
            FAST_FROM.next_down(),
            FAST_TO.next_down(),
            FAST_TO,
            -FAST_FROM,
        ]);
        xs
    }

    #[test]
    fn sin_and_cos_stay_within_one_ulp_of_glibcs() {
        let (mut worst_sin, mut worst_cos) = (0, 0);
        for x in inputs() {
            let (s, c) = (sin(x), cos(x));
            worst_sin = worst_sin.max(ulps(s, x.sin()));
            worst_cos = worst_cos.max(ulps(c, x.cos()));
            assert!(
                ulps(s, x.sin()) <= 1,
                "sin({x:e}) = {s:e}, glibc {:e}",
                x.sin()
            );
            assert!(
                ulps(c, x.cos()) <= 1,
                "cos({x:e}) = {c:e}, glibc {:e}",
                x.cos()
            );
        }
        eprintln!("worst: sin {worst_sin} ulp, cos {worst_cos} ulp");
    }

    #[test]
    fn outside_the_fast_range_they_are_musls() {
        for x in [
            0.0,
            1.0,
            -2.5,
            1e5,
            1.4e6,
            1e8,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            assert_eq!(sin(x).to_bits(), libm::sin(x).to_bits(), "sin({x})");
            assert_eq!(cos(x).to_bits(), libm::cos(x).to_bits(), "cos({x})");
        }
    }
}
