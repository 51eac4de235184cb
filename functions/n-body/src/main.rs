//! The Computer Language Benchmarks Game's n-body: the Jovian planets orbiting the sun, advanced
//! with a symplectic integrator; prints the system's energy before and after.
// Coordinates are indexed 0..3 on purpose: the formulas read like the physics they implement.
#![allow(clippy::needless_range_loop)]
use wasmfaas_workload::cli::Args;

const PI: f64 = std::f64::consts::PI;
const SOLAR_MASS: f64 = 4.0 * PI * PI;
const DAYS_PER_YEAR: f64 = 365.24;

#[derive(Clone, Copy)]
struct Body {
    position: [f64; 3],
    velocity: [f64; 3],
    mass: f64,
}

fn jovian_planets() -> [Body; 5] {
    let planet = |p: [f64; 3], v: [f64; 3], m: f64| Body {
        position: p,
        velocity: [
            v[0] * DAYS_PER_YEAR,
            v[1] * DAYS_PER_YEAR,
            v[2] * DAYS_PER_YEAR,
        ],
        mass: m * SOLAR_MASS,
    };
    [
        Body {
            position: [0.0; 3],
            velocity: [0.0; 3],
            mass: SOLAR_MASS,
        },
        // Jupiter
        planet(
            [
                4.841_431_442_464_72e0,
                -1.160_320_044_027_428_4e0,
                -1.036_220_444_711_231_1e-1,
            ],
            [
                1.660_076_642_744_037e-3,
                7.699_011_184_197_404e-3,
                -6.904_600_169_720_63e-5,
            ],
            9.547_919_384_243_266e-4,
        ),
        // Saturn
        planet(
            [
                8.343_366_718_244_58e0,
                4.124_798_564_124_305e0,
                -4.035_234_171_143_214e-1,
            ],
            [
                -2.767_425_107_268_624e-3,
                4.998_528_012_349_172e-3,
                2.304_172_975_737_639_3e-5,
            ],
            2.858_859_806_661_308e-4,
        ),
        // Uranus
        planet(
            [
                1.289_436_956_213_913_1e1,
                -1.511_115_140_169_863_1e1,
                -2.233_075_788_926_557_3e-1,
            ],
            [
                2.964_601_375_647_616e-3,
                2.378_471_739_594_809_5e-3,
                -2.965_895_685_402_375_6e-5,
            ],
            4.366_244_043_351_563e-5,
        ),
        // Neptune
        planet(
            [
                1.537_969_711_485_091_1e1,
                -2.591_931_460_998_796_4e1,
                1.792_587_729_503_711_8e-1,
            ],
            [
                2.680_677_724_903_893_2e-3,
                1.628_241_700_382_423e-3,
                -9.515_922_545_197_159e-5,
            ],
            5.151_389_020_466_114_5e-5,
        ),
    ]
}

fn offset_momentum(bodies: &mut [Body; 5]) {
    let mut momentum = [0.0; 3];
    for body in bodies.iter() {
        for k in 0..3 {
            momentum[k] += body.velocity[k] * body.mass;
        }
    }
    for k in 0..3 {
        bodies[0].velocity[k] = -momentum[k] / SOLAR_MASS;
    }
}

fn energy(bodies: &[Body; 5]) -> f64 {
    let mut e = 0.0;
    for (i, a) in bodies.iter().enumerate() {
        let v = a.velocity;
        e += 0.5 * a.mass * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for b in &bodies[i + 1..] {
            let d = [0, 1, 2].map(|k| a.position[k] - b.position[k]);
            e -= a.mass * b.mass / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        }
    }
    e
}

fn advance(bodies: &mut [Body; 5], dt: f64) {
    for i in 0..bodies.len() {
        let (left, right) = bodies.split_at_mut(i + 1);
        let a = &mut left[i];
        for b in right.iter_mut() {
            let d = [0, 1, 2].map(|k| a.position[k] - b.position[k]);
            let distance_squared = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let magnitude = dt / (distance_squared * distance_squared.sqrt());
            for k in 0..3 {
                a.velocity[k] -= d[k] * b.mass * magnitude;
                b.velocity[k] += d[k] * a.mass * magnitude;
            }
        }
    }
    for body in bodies.iter_mut() {
        for k in 0..3 {
            body.position[k] += dt * body.velocity[k];
        }
    }
}

fn main() {
    let args = Args::from_env("n-body", "<steps>");
    let steps: u64 = args.parse(0, "steps");
    let mut bodies = jovian_planets();
    offset_momentum(&mut bodies);
    println!("energy_before: {:.9}", energy(&bodies));
    for _ in 0..steps {
        advance(&mut bodies, 0.01);
    }
    println!("energy_after: {:.9}", energy(&bodies));
    println!("steps: {steps}");
}
