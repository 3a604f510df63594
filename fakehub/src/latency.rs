//! How long fakehub takes to answer an API request, as GitHub does from a
//! data centre: fixed, or drawn from a log-normal distribution given by its
//! median and 99th percentile (GitHub's latencies have a long tail).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The latency of every REST request (the control API answers at once).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Latency {
    /// Answer at once.
    #[default]
    None,
    /// The same for every request.
    Fixed { ms: u64 },
    /// Log-normal, with this median and 99th percentile.
    Distribution { p50_ms: u64, p99_ms: u64 },
}

impl Latency {
    /// `100` (fixed) or `80,400` (median and 99th percentile), in ms.
    pub fn parse(text: &str) -> Result<Latency, String> {
        let number = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{text}` is not `MS` or `P50_MS,P99_MS`"))
        };
        match text.split_once(',') {
            None => Ok(match number(text)? {
                0 => Latency::None,
                ms => Latency::Fixed { ms },
            }),
            Some((p50, p99)) => {
                let (p50_ms, p99_ms) = (number(p50)?, number(p99)?);
                if p50_ms == 0 || p99_ms < p50_ms {
                    return Err(format!(
                        "`{text}`: the median must be above 0 and at most the 99th percentile"
                    ));
                }
                Ok(Latency::Distribution { p50_ms, p99_ms })
            }
        }
    }

    /// One draw.
    pub fn sample(&self) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed { ms } => Duration::from_millis(ms),
            Latency::Distribution { p50_ms, p99_ms } => {
                // ln X ~ N(mu, sigma): mu = ln p50, and p99 is mu + 2.326 sigma.
                let mu = (p50_ms as f64).ln();
                let sigma = ((p99_ms as f64).ln() - mu) / 2.326;
                let ms = (mu + sigma * standard_normal()).exp();
                Duration::from_micros((ms * 1000.0).min(60_000_000.0) as u64)
            }
        }
    }
}

/// A standard normal draw (Box-Muller over a xorshift generator): good
/// enough for latencies, and no dependency.
fn standard_normal() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
    let next = || {
        let mut x = STATE.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        STATE.store(x, Ordering::Relaxed);
        // (0, 1]: never ln(0).
        ((x >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    let (u1, u2) = (next(), next());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fixed_and_distributions() {
        assert_eq!(Latency::parse("100"), Ok(Latency::Fixed { ms: 100 }));
        assert_eq!(Latency::parse("0"), Ok(Latency::None));
        assert_eq!(
            Latency::parse("80,400"),
            Ok(Latency::Distribution {
                p50_ms: 80,
                p99_ms: 400
            })
        );
        assert!(Latency::parse("400,80").is_err());
        assert!(Latency::parse("fast").is_err());
    }

    #[test]
    fn a_distribution_has_the_median_and_tail_it_was_given() {
        let latency = Latency::Distribution {
            p50_ms: 80,
            p99_ms: 400,
        };
        let mut draws: Vec<Duration> = (0..20_000).map(|_| latency.sample()).collect();
        draws.sort();
        let p50 = draws[draws.len() / 2].as_millis();
        let p99 = draws[draws.len() * 99 / 100].as_millis();
        assert!((70..=90).contains(&p50), "median {p50} ms");
        assert!((320..=500).contains(&p99), "p99 {p99} ms");
    }
}
