//! Grouped vertical bars with error whiskers.

use plotters::style::text_anchor::{HPos, VPos};

use crate::canvas::{
    AXIS, Anchor, BAND, Colours, GRID, GRID_MINOR, LABEL_PX, LegendLayout, PAD, TEXT, TICK_PX,
    render, title_height,
};
use crate::scale::{Scale, text_width};
use crate::{BarChart, PlotError};

/// Width of one bar slot, in px.
const SLOT_PX: f64 = 14.0;
/// Widest bar slot (few bars in a wide chart), in px.
const MAX_SLOT_PX: f64 = 48.0;
/// Minimum width of the whole chart.
const MIN_WIDTH: f64 = 800.0;
/// Height of the plotting area.
const PLOT_H: f64 = 380.0;

/// Checks the data; returns the series in order of first appearance and the value range
/// (including interval ends).
fn validate(chart: &BarChart) -> Result<(Colours, f64, f64), PlotError> {
    if chart.groups.is_empty() {
        return Err(PlotError::Empty("the bar chart has no groups".into()));
    }
    let mut colours = Colours::default();
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for group in &chart.groups {
        let mut seen = Vec::new();
        for bar in &group.bars {
            if seen.contains(&&bar.series) {
                return Err(PlotError::DuplicateSeries {
                    group: group.label.clone(),
                    series: bar.series.clone(),
                });
            }
            seen.push(&bar.series);
            colours.add(&bar.series);
            let what =
                |part: &str| format!("{part} of {:?} in group {:?}", bar.series, group.label);
            let values = [
                ("value", Some(bar.value)),
                ("low", bar.low),
                ("high", bar.high),
            ];
            for (part, v) in values {
                let Some(v) = v else { continue };
                if !v.is_finite() {
                    return Err(PlotError::NonFinite {
                        what: what(part),
                        value: v,
                    });
                }
                if chart.log_scale && v <= 0.0 {
                    return Err(PlotError::NonPositiveOnLogScale {
                        what: what(part),
                        value: v,
                    });
                }
                min = min.min(v);
                max = max.max(v);
            }
            if let (Some(low), Some(high)) = (bar.low, bar.high)
                && low > high
            {
                return Err(PlotError::InvalidInterval {
                    what: what("interval"),
                    low,
                    high,
                });
            }
        }
    }
    if colours.len() == 0 {
        return Err(PlotError::Empty(
            "no group of the bar chart has a bar".into(),
        ));
    }
    Ok((colours, min, max))
}

pub(crate) fn grouped_bars(chart: &BarChart) -> Result<String, PlotError> {
    let (colours, min, max) = validate(chart)?;
    let scale = if chart.log_scale {
        Scale::log(min, max)
    } else {
        Scale::linear(min, max, 8)?
    };
    let ticks = scale.ticks(12, false);
    let n_series = colours.len() as f64;
    let n_groups = chart.groups.len() as f64;

    // Horizontal layout: [pad][value label][tick labels][ticks][plot][pad].
    let tick_w = ticks
        .iter()
        .filter_map(|t| t.label.as_deref())
        .map(|l| text_width(l, TICK_PX))
        .fold(0.0, f64::max);
    let left =
        PAD + if chart.value_label.is_empty() {
            0.0
        } else {
            LABEL_PX + 10.0
        } + tick_w
            + 10.0;
    let right = PAD + 8.0;
    let width = (left + right + n_groups * (n_series + 1.0) * SLOT_PX).max(MIN_WIDTH);
    let plot_w = width - left - right;
    let group_w = plot_w / n_groups;
    let slot_w = (group_w / (n_series + 1.0)).min(MAX_SLOT_PX);

    // Group labels: horizontal when they all fit in their group, else vertical.
    let label_w = chart
        .groups
        .iter()
        .map(|g| text_width(&g.label, LABEL_PX))
        .fold(0.0, f64::max);
    let vertical = label_w + 6.0 > group_w;
    let label_h = if vertical { label_w } else { LABEL_PX } + 14.0;

    // Vertical layout: [pad][title][legend][plot][group labels][pad].
    let legend = LegendLayout::new(colours.names(), width - 2.0 * PAD);
    let title_h = title_height(&chart.title);
    let top = PAD + title_h + legend.height() + 10.0;
    let bottom = top + PLOT_H;
    let height = bottom + label_h + PAD;
    let y = |v: f64| scale.px(v, bottom, top);
    let (l, r, t, b) = (
        left.round() as i32,
        (left + plot_w).round() as i32,
        top.round() as i32,
        bottom.round() as i32,
    );

    render((width, height), |c| {
        c.heading(&chart.title, &colours, &legend, width)?;

        // Alternate group bands, then the grid.
        for gi in (1..chart.groups.len()).step_by(2) {
            let x0 = left + gi as f64 * group_w;
            c.rect(
                (x0.round() as i32, t),
                ((x0 + group_w).round() as i32, b),
                BAND,
            )?;
        }
        for tick in &ticks {
            let ty = y(tick.value);
            let grid = if tick.label.is_some() {
                GRID
            } else {
                GRID_MINOR
            };
            c.line(vec![(l, ty), (r, ty)], grid, 1)?;
            if let Some(label) = &tick.label {
                c.line(vec![(l - 5, ty), (l, ty)], AXIS, 1)?;
                c.text(
                    label,
                    (l - 8, ty),
                    TICK_PX,
                    false,
                    Anchor(HPos::Right, VPos::Center),
                    false,
                )?;
            }
        }
        if !chart.value_label.is_empty() {
            let x = (PAD + LABEL_PX / 2.0).round() as i32;
            let yc = ((top + bottom) / 2.0).round() as i32;
            c.text(
                &chart.value_label,
                (x, yc),
                LABEL_PX,
                false,
                Anchor(HPos::Center, VPos::Center),
                true,
            )?;
        }

        // Bars and whiskers.
        let base = if chart.log_scale { scale.lo() } else { 0.0 };
        for (gi, group) in chart.groups.iter().enumerate() {
            let gx = left + gi as f64 * group_w + (group_w - n_series * slot_w) / 2.0;
            for bar in &group.bars {
                let si = colours.index(&bar.series).unwrap_or(0) as f64;
                let x0 = gx + si * slot_w;
                let gap = if slot_w >= 6.0 { 1.0 } else { 0.0 };
                let (bx0, bx1) = (
                    (x0 + gap).round() as i32,
                    (x0 + slot_w - gap).round() as i32,
                );
                c.rect(
                    (bx0, y(bar.value)),
                    (bx1.max(bx0 + 1), y(base)),
                    colours.colour_of(&bar.series),
                )?;
                if bar.low.is_some() || bar.high.is_some() {
                    let xc = (x0 + slot_w / 2.0).round() as i32;
                    let cap = (slot_w * 0.25).round().max(1.0) as i32;
                    let (lo, hi) = (
                        y(bar.low.unwrap_or(bar.value)),
                        y(bar.high.unwrap_or(bar.value)),
                    );
                    c.line(vec![(xc, lo), (xc, hi)], TEXT, 1)?;
                    for end in [bar.low.map(|_| lo), bar.high.map(|_| hi)]
                        .into_iter()
                        .flatten()
                    {
                        c.line(vec![(xc - cap, end), (xc + cap, end)], TEXT, 1)?;
                    }
                }
            }
        }

        // Axes: left, bottom, and the zero line of a linear axis with negative values.
        c.line(vec![(l, t), (l, b)], AXIS, 1)?;
        c.line(vec![(l, b), (r, b)], AXIS, 1)?;
        if !chart.log_scale && scale.lo() < 0.0 {
            c.line(vec![(l, y(0.0)), (r, y(0.0))], AXIS, 1)?;
        }

        // Group labels.
        for (gi, group) in chart.groups.iter().enumerate() {
            let xc = (left + (gi as f64 + 0.5) * group_w).round() as i32;
            c.line(vec![(xc, b), (xc, b + 4)], AXIS, 1)?;
            let anchor = if vertical {
                Anchor(HPos::Right, VPos::Center)
            } else {
                Anchor(HPos::Center, VPos::Top)
            };
            c.text(&group.label, (xc, b + 8), LABEL_PX, false, anchor, vertical)?;
        }
        Ok(())
    })
}
