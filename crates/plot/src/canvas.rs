//! A thin layer over plotters' SVG backend: pixel-coordinate primitives, the palette, the legend.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::PlotError;
use crate::scale::text_width;

/// Tableau 10, then the light tones of Tableau 20: colour-blind-friendly, in this order.
pub(crate) const PALETTE: [RGBColor; 20] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
    RGBColor(0xA0, 0xCB, 0xE8),
    RGBColor(0xFF, 0xBE, 0x7D),
    RGBColor(0xFF, 0x9D, 0x9A),
    RGBColor(0x86, 0xBC, 0xB6),
    RGBColor(0x8C, 0xD1, 0x7D),
    RGBColor(0xF1, 0xCE, 0x63),
    RGBColor(0xD4, 0xA6, 0xC8),
    RGBColor(0xFA, 0xBF, 0xD2),
    RGBColor(0xD7, 0xB5, 0xA6),
    RGBColor(0x79, 0x70, 0x6E),
];

pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const AXIS: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub(crate) const GRID_MINOR: RGBColor = RGBColor(0xF0, 0xF0, 0xF0);
pub(crate) const BAND: RGBColor = RGBColor(0xF6, 0xF6, 0xF6);
pub(crate) const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// Font sizes (px, as rendered).
pub(crate) const TITLE_PX: f64 = 16.0;
pub(crate) const SUBTITLE_PX: f64 = 13.0;
pub(crate) const LABEL_PX: f64 = 12.0;
pub(crate) const TICK_PX: f64 = 11.0;
/// Outer padding.
pub(crate) const PAD: f64 = 12.0;

/// Names in order of first appearance; each name's colour is the palette entry at its index.
#[derive(Debug, Default)]
pub(crate) struct Colours {
    names: Vec<String>,
}

impl Colours {
    /// Registers `name` (if new) and returns its index.
    pub fn add(&mut self, name: &str) -> usize {
        match self.index(name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn colour_of(&self, name: &str) -> RGBColor {
        colour(self.index(name).unwrap_or(0))
    }
}

/// The palette colour of series number `i` (the palette repeats after 20 series).
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The legend's layout: one `(x offset, line)` per entry, within `width` px.
pub(crate) struct LegendLayout {
    pub items: Vec<(f64, usize)>,
    pub line_widths: Vec<f64>,
}

const SWATCH: f64 = 12.0;
const SWATCH_GAP: f64 = 5.0;
const ITEM_GAP: f64 = 18.0;
pub(crate) const LEGEND_LINE_H: f64 = 20.0;

impl LegendLayout {
    pub fn new(names: &[String], width: f64) -> Self {
        let mut items = Vec::new();
        let mut line_widths = vec![0.0];
        for name in names {
            let w = SWATCH + SWATCH_GAP + text_width(name, LABEL_PX);
            let line = line_widths.len() - 1;
            let x = line_widths[line];
            if x > 0.0 && x + w > width {
                line_widths.push(w + ITEM_GAP);
                items.push((0.0, line + 1));
            } else {
                line_widths[line] = x + w + ITEM_GAP;
                items.push((x, line));
            }
        }
        for w in &mut line_widths {
            *w = (*w - ITEM_GAP).max(0.0);
        }
        LegendLayout { items, line_widths }
    }

    pub fn height(&self) -> f64 {
        self.line_widths.len() as f64 * LEGEND_LINE_H
    }
}

fn drawing_error(e: impl std::fmt::Display) -> PlotError {
    PlotError::Drawing(e.to_string())
}

/// The root drawing area of one SVG document, in pixels.
pub(crate) struct Canvas<'a> {
    area: DrawingArea<SVGBackend<'a>, Shift>,
}

/// Draws an SVG of `size` px with `draw` and returns the document.
/// The height a chart's title takes above the legend (none for an empty title).
pub(crate) fn title_height(title: &str) -> f64 {
    if title.is_empty() {
        0.0
    } else {
        TITLE_PX + 12.0
    }
}

pub(crate) fn render(
    size: (f64, f64),
    draw: impl FnOnce(&Canvas) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let (w, h) = (size.0.ceil(), size.1.ceil());
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0 && w * h < 1e12) {
        return Err(PlotError::InvalidOption(format!("chart size {w}x{h} px")));
    }
    let mut buf = String::new();
    {
        let area = SVGBackend::with_string(&mut buf, (w as u32, h as u32)).into_drawing_area();
        area.fill(&BACKGROUND).map_err(drawing_error)?;
        let canvas = Canvas { area };
        draw(&canvas)?;
        canvas.area.present().map_err(drawing_error)?;
    }
    Ok(buf)
}

/// Horizontal and vertical text anchors.
#[derive(Clone, Copy)]
pub(crate) struct Anchor(pub HPos, pub VPos);

impl Canvas<'_> {
    /// A filled rectangle between two corners.
    pub fn rect(
        &self,
        (x0, y0): (i32, i32),
        (x1, y1): (i32, i32),
        c: RGBColor,
    ) -> Result<(), PlotError> {
        self.area
            .draw(&Rectangle::new([(x0, y0), (x1, y1)], c.filled()))
            .map_err(drawing_error)
    }

    /// A polyline.
    pub fn line(&self, points: Vec<(i32, i32)>, c: RGBColor, width: u32) -> Result<(), PlotError> {
        self.area
            .draw(&PathElement::new(points, c.stroke_width(width)))
            .map_err(drawing_error)
    }

    /// Text at `pos`; `vertical` rotates it to read bottom to top (the anchor is then taken
    /// before rotation: `HPos::Right` puts the end of the text at `pos`).
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &self,
        s: &str,
        pos: (i32, i32),
        px: f64,
        bold: bool,
        anchor: Anchor,
        vertical: bool,
    ) -> Result<(), PlotError> {
        let font = FontDesc::new(
            FontFamily::SansSerif,
            // plotters writes font-size = size / 1.24.
            px * 1.24,
            if bold {
                FontStyle::Bold
            } else {
                FontStyle::Normal
            },
        );
        let font = if vertical {
            font.transform(FontTransform::Rotate270)
        } else {
            font
        };
        let style = font.color(&TEXT).pos(Pos::new(anchor.0, anchor.1));
        self.area
            .draw(&Text::new(s, pos, style))
            .map_err(drawing_error)
    }

    /// A chart's heading: its title (when not empty) centred at the top, then the legend.
    pub fn heading(
        &self,
        title: &str,
        colours: &Colours,
        legend: &LegendLayout,
        width: f64,
    ) -> Result<(), PlotError> {
        if !title.is_empty() {
            self.text(
                title,
                ((width / 2.0) as i32, PAD as i32),
                TITLE_PX,
                true,
                Anchor(HPos::Center, VPos::Top),
                false,
            )?;
        }
        self.legend(colours, legend, width / 2.0, PAD + title_height(title))
    }

    /// The legend (swatch + name per entry), lines centred on `centre_x`, from `top` down.
    pub fn legend(
        &self,
        colours: &Colours,
        layout: &LegendLayout,
        centre_x: f64,
        top: f64,
    ) -> Result<(), PlotError> {
        for (i, (name, &(x, line))) in colours.names().iter().zip(&layout.items).enumerate() {
            let x0 = centre_x - layout.line_widths[line] / 2.0 + x;
            let yc = top + (line as f64 + 0.5) * LEGEND_LINE_H;
            let (sx, sy) = (x0.round() as i32, (yc - SWATCH / 2.0).round() as i32);
            let s = SWATCH as i32;
            self.rect((sx, sy), (sx + s, sy + s), colour(i))?;
            self.text(
                name,
                ((x0 + SWATCH + SWATCH_GAP).round() as i32, yc.round() as i32),
                LABEL_PX,
                false,
                Anchor(HPos::Left, VPos::Center),
                false,
            )?;
        }
        Ok(())
    }
}
