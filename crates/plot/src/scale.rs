//! Value scales (linear and log10), their ticks and tick labels: pure functions.

use crate::PlotError;

/// One tick of a value axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    pub value: f64,
    /// `None` for a minor (unlabelled) tick.
    pub label: Option<String>,
}

/// A value axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    /// `lo..hi`, ticks every `step`.
    Linear { lo: f64, hi: f64, step: f64 },
    /// `10^lo_exp..10^hi_exp`.
    Log { lo_exp: i32, hi_exp: i32 },
}

/// A "nice" step (1, 2 or 5 times a power of ten) of at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 + 1e-9 {
        1.0
    } else if norm <= 2.0 + 1e-9 {
        2.0
    } else if norm <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    m * mag
}

impl Scale {
    /// A linear scale covering `min..=max` and zero, with about `target` ticks.
    pub fn linear(min: f64, max: f64, target: usize) -> Result<Scale, PlotError> {
        let mut lo = min.min(0.0);
        let mut hi = max.max(0.0);
        if hi - lo <= 0.0 {
            hi = lo + 1.0;
        }
        let span = hi - lo;
        if !span.is_finite() {
            return Err(PlotError::InvalidOption(format!(
                "value range {lo}..{hi} is too wide to draw"
            )));
        }
        let step = nice_step(span / target.max(1) as f64);
        lo = (lo / step).floor() * step;
        hi = (hi / step).ceil() * step;
        Ok(Scale::Linear { lo, hi, step })
    }

    /// A log10 scale of whole decades covering `min..=max` (both > 0); the lowest value stays
    /// at least 0.3 decade above the axis so that its bar is visible.
    pub fn log(min: f64, max: f64) -> Scale {
        let lo_exp = (min.log10() - 0.3).floor() as i32;
        let hi_exp = (max.log10().ceil() as i32).max(lo_exp + 1);
        Scale::Log { lo_exp, hi_exp }
    }

    /// The smallest value on the axis (where bars start on a log axis).
    pub fn lo(&self) -> f64 {
        match *self {
            Scale::Linear { lo, .. } => lo,
            Scale::Log { lo_exp, .. } => 10f64.powi(lo_exp),
        }
    }

    /// Where `v` lies on the axis: 0 at the low end, 1 at the high end (clamped a bit beyond).
    pub fn frac(&self, v: f64) -> f64 {
        let f = match *self {
            Scale::Linear { lo, hi, .. } => (v - lo) / (hi - lo),
            Scale::Log { lo_exp, hi_exp } => {
                (v.log10() - f64::from(lo_exp)) / f64::from(hi_exp - lo_exp)
            }
        };
        if f.is_nan() {
            0.0
        } else {
            f.clamp(-0.05, 1.05)
        }
    }

    /// Pixel position of `v` on an axis running from pixel `start` (low end) to `end`.
    pub fn px(&self, v: f64, start: f64, end: f64) -> i32 {
        (start + (end - start) * self.frac(v)).round() as i32
    }

    /// The ticks: labelled major ones and, on a log axis of few decades, minor ones at 2..9.
    /// `max_labels` bounds the number of labelled ticks; `percent` appends "%" to labels.
    pub fn ticks(&self, max_labels: usize, percent: bool) -> Vec<Tick> {
        let max_labels = max_labels.max(2);
        let mut ticks = Vec::new();
        match *self {
            Scale::Linear { lo, hi, step } => {
                let n = (((hi - lo) / step).round() as usize).min(1000);
                let every = n.div_ceil(max_labels - 1).max(1);
                let decimals = (-step.log10().floor()).max(0.0) as usize;
                for i in 0..=n {
                    let value = lo + step * i as f64;
                    let label = (i % every == 0).then(|| {
                        let mut s = format!("{value:.decimals$}");
                        if s.starts_with('-') && s.trim_matches(['-', '0', '.']).is_empty() {
                            s.remove(0);
                        }
                        if percent {
                            s.push('%');
                        }
                        s
                    });
                    ticks.push(Tick { value, label });
                }
            }
            Scale::Log { lo_exp, hi_exp } => {
                let decades = (hi_exp - lo_exp) as usize;
                let every = decades.div_ceil(max_labels - 1).max(1);
                for (i, e) in (lo_exp..=hi_exp).enumerate() {
                    let value = 10f64.powi(e);
                    let label = (i % every == 0).then(|| {
                        let mut s = format_power_of_ten(e);
                        if percent {
                            s.push('%');
                        }
                        s
                    });
                    ticks.push(Tick { value, label });
                    if e < hi_exp && decades <= 8 {
                        for m in 2..=9 {
                            ticks.push(Tick {
                                value: f64::from(m) * value,
                                label: None,
                            });
                        }
                    }
                }
            }
        }
        ticks
    }
}

/// `10^e` written out plainly for `-4 <= e <= 5` ("0.001", "10000"), else as "1e-7".
pub(crate) fn format_power_of_ten(e: i32) -> String {
    match e {
        -4..=-1 => format!("0.{}1", "0".repeat((-e - 1) as usize)),
        0..=5 => format!("1{}", "0".repeat(e as usize)),
        _ => format!("1e{e}"),
    }
}

/// A generous estimate of the rendered width of `text` at font size `px` in a sans-serif font
/// (DejaVu Sans, the widest common default, averages about 0.6 em per character).
pub(crate) fn text_width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * 0.62
}
