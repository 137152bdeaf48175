//! rust_hot: main -> run -> work::churn (~60%) and work::inner::stir (~40%),
//! for argv[1] seconds; prints "ready" once running. The hot functions are
//! never inlined, so their own symbols name the samples.
use std::hint::black_box;
use std::time::{Duration, Instant};

mod work {
    #[inline(never)]
    pub fn churn(seed: u64) -> u64 {
        let mut x = seed;
        for i in 0..60_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        x
    }

    pub mod inner {
        #[inline(never)]
        pub fn stir(seed: u64) -> u64 {
            let mut x = seed;
            for i in 0..40_000u64 {
                x = std::hint::black_box(x.rotate_left(7) ^ i.wrapping_mul(0x9e3779b97f4a7c15));
            }
            x
        }
    }
}

#[inline(never)]
fn run(until: Instant) -> u64 {
    let mut sink = 0u64;
    while Instant::now() < until {
        sink ^= work::churn(black_box(sink));
        sink ^= work::inner::stir(black_box(sink));
    }
    sink
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(60.0);
    println!("ready");
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    println!("{}", run(until));
}
