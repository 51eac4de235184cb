//! Horizontal stacked bars, alone or as small multiples.

use plotters::style::text_anchor::{HPos, VPos};

use crate::canvas::{
    AXIS, Anchor, Canvas, Colours, GRID, LABEL_PX, LegendLayout, PAD, SUBTITLE_PX, TICK_PX, render,
    title_height,
};
use crate::scale::{Scale, text_width};
use crate::{PlotError, Stack, StackChart};

/// Height of one row (one stack).
const ROW_H: f64 = 24.0;
/// The bar's share of its row's height.
const BAR_SHARE: f64 = 0.7;
/// Minimum width of a chart.
const MIN_WIDTH: f64 = 800.0;
/// Minimum width of the plotting area of one panel.
const MIN_PLOT_W: f64 = 220.0;
/// Room right of the plot for the last tick label ("100%").
const RIGHT_PAD: f64 = 22.0;
/// Gap between the row labels and the plot.
const LABEL_GAP: f64 = 8.0;

/// The `(start, end)` extent of each segment of `stack` along the value axis: cumulative
/// values, or percentages of the row's total (the last segment then ends at exactly 100) when
/// `normalised`. A row whose total is zero has all extents `(0, 0)`.
pub fn segment_extents(stack: &Stack, normalised: bool) -> Vec<(f64, f64)> {
    let total: f64 = stack.segments.iter().map(|(_, v)| v).sum();
    let mut cum = 0.0;
    stack
        .segments
        .iter()
        .map(|(_, v)| {
            let start = cum;
            cum += v;
            if !normalised {
                (start, cum)
            } else if total > 0.0 {
                // Divide the sums themselves: the last end is total / total * 100 = 100 exactly.
                (start / total * 100.0, cum / total * 100.0)
            } else {
                (0.0, 0.0)
            }
        })
        .collect()
}

/// Checks one chart's data and registers its segment names; returns its largest row total.
fn validate(chart: &StackChart, colours: &mut Colours) -> Result<f64, PlotError> {
    if chart.stacks.is_empty() {
        return Err(PlotError::Empty(format!(
            "stack chart {:?} has no stacks",
            chart.title
        )));
    }
    let mut max_total: f64 = 0.0;
    let mut any = false;
    for stack in &chart.stacks {
        for (name, v) in &stack.segments {
            let what = || format!("segment {name:?} of {:?} in {:?}", stack.label, chart.title);
            if !v.is_finite() {
                return Err(PlotError::NonFinite {
                    what: what(),
                    value: *v,
                });
            }
            if *v < 0.0 {
                return Err(PlotError::Negative {
                    what: what(),
                    value: *v,
                });
            }
            colours.add(name);
            any = true;
        }
        let total: f64 = stack.segments.iter().map(|(_, v)| v).sum();
        if !total.is_finite() {
            return Err(PlotError::NonFinite {
                what: format!("total of {:?} in {:?}", stack.label, chart.title),
                value: total,
            });
        }
        max_total = max_total.max(total);
    }
    if !any {
        return Err(PlotError::Empty(format!(
            "no stack of {:?} has a segment",
            chart.title
        )));
    }
    Ok(max_total)
}

/// Width of the row-label column for these charts.
fn label_column(charts: &[StackChart]) -> f64 {
    charts
        .iter()
        .flat_map(|c| &c.stacks)
        .map(|s| text_width(&s.label, LABEL_PX))
        .fold(0.0, f64::max)
}

/// Height of a panel (title, rows, value axis, axis label).
fn panel_height(chart: &StackChart, title_px: Option<f64>, rows: usize) -> f64 {
    let title_h = title_px.map_or(0.0, |px| px + 10.0);
    let axis_h = 6.0 + TICK_PX + 6.0;
    let label_h = if chart.value_label.is_empty() {
        0.0
    } else {
        LABEL_PX + 8.0
    };
    title_h + rows as f64 * ROW_H + axis_h + label_h
}

/// Where a panel goes, and how wide its row-label column is.
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    label_w: f64,
}

/// Draws one stack chart in `frame` (with its title when `title_px` is set).
fn draw_panel(
    c: &Canvas,
    chart: &StackChart,
    max_total: f64,
    colours: &Colours,
    frame: &Frame,
    title_px: Option<f64>,
) -> Result<(), PlotError> {
    let x0 = frame.x + PAD + frame.label_w + LABEL_GAP;
    let x1 = frame.x + frame.w - PAD - RIGHT_PAD;
    let target = ((x1 - x0) / 70.0).clamp(2.0, 10.0) as usize;
    let scale = if chart.normalised {
        Scale::linear(0.0, 100.0, target)?
    } else {
        Scale::linear(0.0, max_total, target)?
    };
    let x = |v: f64| scale.px(v, x0, x1);
    let mut y = frame.y;
    if let Some(px) = title_px {
        let xc = ((x0 + x1) / 2.0).round() as i32;
        c.text(
            &chart.title,
            (xc, y.round() as i32),
            px,
            true,
            Anchor(HPos::Center, VPos::Top),
            false,
        )?;
        y += px + 10.0;
    }
    let top = y.round() as i32;
    let bottom = (y + chart.stacks.len() as f64 * ROW_H).round() as i32;

    for tick in scale.ticks(target + 1, chart.normalised) {
        let tx = x(tick.value);
        c.line(vec![(tx, top), (tx, bottom)], GRID, 1)?;
        if let Some(label) = &tick.label {
            c.line(vec![(tx, bottom), (tx, bottom + 4)], AXIS, 1)?;
            c.text(
                label,
                (tx, bottom + 6),
                TICK_PX,
                false,
                Anchor(HPos::Center, VPos::Top),
                false,
            )?;
        }
    }
    for (i, stack) in chart.stacks.iter().enumerate() {
        let row = y + i as f64 * ROW_H;
        let yc = row + ROW_H / 2.0;
        let (by0, by1) = (
            (yc - ROW_H * BAR_SHARE / 2.0).round() as i32,
            (yc + ROW_H * BAR_SHARE / 2.0).round() as i32,
        );
        let label_x = (x0 - LABEL_GAP).round() as i32;
        c.text(
            &stack.label,
            (label_x, yc.round() as i32),
            LABEL_PX,
            false,
            Anchor(HPos::Right, VPos::Center),
            false,
        )?;
        for ((name, _), (start, end)) in stack
            .segments
            .iter()
            .zip(segment_extents(stack, chart.normalised))
        {
            let (sx, ex) = (x(start), x(end));
            if ex > sx {
                c.rect((sx, by0), (ex, by1), colours.colour_of(name))?;
            }
        }
    }
    let left = x0.round() as i32;
    c.line(vec![(left, top), (left, bottom)], AXIS, 1)?;
    c.line(vec![(left, bottom), (x1.round() as i32, bottom)], AXIS, 1)?;
    if !chart.value_label.is_empty() {
        let ly = bottom as f64 + 6.0 + TICK_PX + 6.0;
        let xc = ((x0 + x1) / 2.0).round() as i32;
        c.text(
            &chart.value_label,
            (xc, ly.round() as i32),
            LABEL_PX,
            false,
            Anchor(HPos::Center, VPos::Top),
            false,
        )?;
    }
    Ok(())
}

pub(crate) fn stacked_bars(chart: &StackChart) -> Result<String, PlotError> {
    let mut colours = Colours::default();
    let max_total = validate(chart, &mut colours)?;
    let label_w = label_column(std::slice::from_ref(chart));
    let width = (2.0 * PAD + label_w + LABEL_GAP + 2.0 * MIN_PLOT_W + RIGHT_PAD).max(MIN_WIDTH);
    let legend = LegendLayout::new(colours.names(), width - 2.0 * PAD);
    let title_h = title_height(&chart.title);
    let top = PAD + title_h + legend.height() + 10.0;
    let height = top + panel_height(chart, None, chart.stacks.len()) + PAD;
    render((width, height), |c| {
        c.heading(&chart.title, &colours, &legend, width)?;
        let frame = Frame {
            x: 0.0,
            y: top,
            w: width,
            label_w,
        };
        draw_panel(c, chart, max_total, &colours, &frame, None)
    })
}

pub(crate) fn stacked_panels(
    title: &str,
    panels: &[StackChart],
    columns: usize,
) -> Result<String, PlotError> {
    if columns == 0 {
        return Err(PlotError::InvalidOption(
            "stacked panels need at least one column".into(),
        ));
    }
    if panels.is_empty() {
        return Err(PlotError::Empty("no panels".into()));
    }
    let mut colours = Colours::default();
    let max_totals = panels
        .iter()
        .map(|p| validate(p, &mut colours))
        .collect::<Result<Vec<_>, _>>()?;
    let columns = columns.min(panels.len());
    let rows = panels.len().div_ceil(columns);
    let label_w = label_column(panels);
    let min_panel_w = 2.0 * PAD + label_w + LABEL_GAP + MIN_PLOT_W + RIGHT_PAD;
    let width = (columns as f64 * min_panel_w).max(MIN_WIDTH);
    let panel_w = width / columns as f64;
    let max_rows = panels.iter().map(|p| p.stacks.len()).max().unwrap_or(0);
    let panel_h = panels
        .iter()
        .map(|p| panel_height(p, Some(SUBTITLE_PX), max_rows))
        .fold(0.0, f64::max)
        + 18.0;
    let legend = LegendLayout::new(colours.names(), width - 2.0 * PAD);
    let title_h = title_height(title);
    let top = PAD + title_h + legend.height() + 14.0;
    let height = top + rows as f64 * panel_h + PAD;
    render((width, height), |c| {
        c.heading(title, &colours, &legend, width)?;
        for (i, (panel, max_total)) in panels.iter().zip(max_totals).enumerate() {
            let frame = Frame {
                x: (i % columns) as f64 * panel_w,
                y: top + (i / columns) as f64 * panel_h,
                w: panel_w,
                label_w,
            };
            draw_panel(c, panel, max_total, &colours, &frame, Some(SUBTITLE_PX))?;
        }
        Ok(())
    })
}
