//! The report's charts as SVG (plotters' SVG backend): the same pictures on the screen and in
//! the PDF. Text is set in [`CHART_FONT`], a font the PDF embeds.

use crate::dutch::{dutch_integer, percent};
use crate::DocumentError;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;
use wijkwerk_core::report::YearReport;

/// The font family of the charts' text: one the PDF has (typst's Libertinus Serif).
pub const CHART_FONT: &str = "Libertinus Serif";

const WIDTH: u32 = 720;
const BLUE: RGBColor = RGBColor(31, 95, 168);
const ORANGE: RGBColor = RGBColor(224, 138, 30);
const GREEN: RGBColor = RGBColor(60, 154, 95);
const GREY: RGBColor = RGBColor(90, 90, 90);

/// One chart of the report: a stable key, a Dutch title, and the picture as a self-contained SVG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub key: String,
    pub title: String,
    pub svg: String,
}

/// A series of bars: its name in the legend, its colour, one value per category.
struct Series {
    name: &'static str,
    color: RGBColor,
    values: Vec<f64>,
}

#[derive(Clone, Copy)]
enum Scale {
    Count,
    Percent,
    Euros,
}

/// The report's charts: action points per kern (opened and closed), the on-time share per
/// department, and the werkkapitaal per kern (allocated, committed, spent).
pub fn report_charts(report: &YearReport) -> Vec<Chart> {
    let kernen: Vec<String> = report.kernen.iter().map(|k| k.name.clone()).collect();
    let mut charts = vec![chart(
        "actiepunten_per_kern",
        &format!(
            "Actiepunten per kern in {}: geopend en afgehandeld",
            report.year
        ),
        &kernen,
        vec![
            Series {
                name: "Geopend",
                color: BLUE,
                values: report
                    .kernen
                    .iter()
                    .map(|k| k.action_points.opened as f64)
                    .collect(),
            },
            Series {
                name: "Afgehandeld",
                color: GREEN,
                values: report
                    .kernen
                    .iter()
                    .map(|k| k.action_points.closed as f64)
                    .collect(),
            },
        ],
        Scale::Count,
    )];
    // Departments with something closed with a due date (others have no share to show).
    let departments: Vec<_> = report
        .departments
        .iter()
        .filter(|d| d.action_points.on_time_share.is_some())
        .collect();
    charts.push(chart(
        "op_tijd_per_afdeling",
        &format!("Op tijd afgehandeld per afdeling in {} (%)", report.year),
        &departments
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>(),
        vec![Series {
            name: "Op tijd afgehandeld",
            color: ORANGE,
            values: departments
                .iter()
                .map(|d| d.action_points.on_time_share.unwrap_or(0.0) * 100.0)
                .collect(),
        }],
        Scale::Percent,
    ));
    let euros = |f: fn(&wijkwerk_core::report::MoneyFigures) -> i64| -> Vec<f64> {
        report
            .kernen
            .iter()
            .map(|k| f(&k.werkkapitaal) as f64 / 100.0)
            .collect()
    };
    charts.push(chart(
        "werkkapitaal_per_kern",
        &format!("Werkkapitaal per kern in {}", report.year),
        &kernen,
        vec![
            Series {
                name: "Verdeeld",
                color: BLUE,
                values: euros(|w| w.allocated_cents),
            },
            Series {
                name: "Toegekend",
                color: ORANGE,
                values: euros(|w| w.committed_cents),
            },
            Series {
                name: "Uitgegeven",
                color: GREEN,
                values: euros(|w| w.spent_cents),
            },
        ],
        Scale::Euros,
    ));
    charts
}

/// A chart that could not be drawn still shows its title and the reason (never a broken SVG).
fn chart(
    key: &str,
    title: &str,
    categories: &[String],
    series: Vec<Series>,
    scale: Scale,
) -> Chart {
    let svg = match bars(title, categories, &series, scale) {
        Ok(svg) => svg,
        Err(e) => message(title, &e.to_string()),
    };
    Chart {
        key: key.to_owned(),
        title: title.to_owned(),
        svg,
    }
}

fn err(message: impl ToString) -> DocumentError {
    DocumentError::Chart {
        chart: String::new(),
        message: message.to_string(),
    }
}

fn font(size: u32) -> TextStyle<'static> {
    (CHART_FONT, size).into_font().color(&BLACK)
}

/// Horizontal grouped bars, one group per category (top to bottom in the given order).
fn bars(
    title: &str,
    categories: &[String],
    series: &[Series],
    scale: Scale,
) -> Result<String, DocumentError> {
    if categories.is_empty() {
        return Ok(message(title, "Geen gegevens voor deze grafiek."));
    }
    let n = categories.len();
    let per_group = 8.0 + 14.0 * series.len() as f64;
    let height = (90.0 + per_group * n as f64 + if series.len() > 1 { 30.0 } else { 0.0 }) as u32;
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = ((longest as f64) * 6.6 + 16.0).clamp(60.0, 240.0) as u32;

    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let x_max = match scale {
        Scale::Percent => 100.0,
        Scale::Count => (max * 1.1).ceil().max(4.0),
        Scale::Euros => nice_ceiling(max * 1.05).max(100.0),
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, font(17))
            .margin(12)
            .margin_right(28)
            .x_label_area_size(28)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
            .map_err(err)?;
        let x_labels = match scale {
            Scale::Count => (x_max as usize + 1).min(11),
            Scale::Percent => 11,
            Scale::Euros => 6,
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(x_labels)
            .x_label_formatter(&|v| axis_label(*v, scale))
            .label_style(font(12))
            .axis_style(GREY)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(err)?;

        // Category i occupies [n-1-i, n-i] on the y axis (the first at the top).
        let bar = 0.8 / series.len() as f64;
        for (s_index, s) in series.iter().enumerate() {
            let color = s.color;
            let rects = s.values.iter().enumerate().map(move |(i, v)| {
                let top = (n - i) as f64 - 0.1 - bar * s_index as f64;
                let value = if v.is_finite() {
                    v.clamp(0.0, x_max)
                } else {
                    0.0
                };
                Rectangle::new([(0.0, top - bar * 0.92), (value, top)], color.filled())
            });
            let drawn = chart.draw_series(rects).map_err(err)?;
            if series.len() > 1 {
                drawn.label(s.name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            }
        }
        // The values at the end of the bars.
        for (s_index, s) in series.iter().enumerate() {
            for (i, v) in s.values.iter().enumerate() {
                let top = (n - i) as f64 - 0.1 - bar * s_index as f64;
                let y = top - bar * 0.46;
                let value = if v.is_finite() {
                    v.clamp(0.0, x_max)
                } else {
                    0.0
                };
                let (px, py) = chart.backend_coord(&(value, y));
                root.draw(&Text::new(
                    value_label(*v, scale),
                    (px + 4, py),
                    font(11).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
            }
        }
        // The category names, right-aligned left of the axis.
        for (i, name) in categories.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            root.draw(&Text::new(
                name.clone(),
                (px - 8, py),
                font(12).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(200, 200, 200))
                .label_font(font(12))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A small SVG with a title and one sentence (no data, or a chart that could not be drawn).
fn message(title: &str, text: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 90)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let _ = root.draw(&Text::new(title.to_owned(), (12, 14), font(17)));
        let _ = root.draw(&Text::new(text.to_owned(), (12, 54), font(13)));
        let _ = root.present();
    }
    svg
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `v`.
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * power)
}

fn axis_label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Count if (v - v.round()).abs() > 1e-6 => String::new(),
        Scale::Count => dutch_integer(v.round() as i64),
        Scale::Percent => format!("{}%", v.round() as i64),
        Scale::Euros => format!("\u{20ac} {}", dutch_integer(v.round() as i64)),
    }
}

fn value_label(v: f64, scale: Scale) -> String {
    match scale {
        Scale::Count => dutch_integer(v.round() as i64),
        Scale::Percent => format!("{}%", percent(v / 100.0)),
        Scale::Euros => format!("\u{20ac} {}", dutch_integer(v.round() as i64)),
    }
}
