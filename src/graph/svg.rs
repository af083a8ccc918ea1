//! A standalone SVG image of the graph, laid out by [`super::layout`]: presentation attributes only
//! (no CSS, no script, no external font or image), so any viewer draws it the same way offline.
//!
//! Each node is a `<g class="node" id="node-<id>">` with a `<title>` tooltip listing the generated
//! objects it stands for; group bands are `<g class="group">`. Tests find nodes by those ids.

use super::layout::{self, LABEL_SIZE, LINE_HEIGHT, LINE_SIZE, Layout, PAD_X, PAD_Y, TITLE_SIZE};
use super::{Flow, Graph, NodeKind};
use std::fmt::Write;

/// Colours of a node kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Fill.
    pub fill: &'static str,
    /// Border.
    pub stroke: &'static str,
}

/// The colours of a node kind, shared by every format.
pub fn style(kind: NodeKind) -> Style {
    let (fill, stroke) = match kind {
        NodeKind::Clients => ("#eaeef2", "#57606a"),
        NodeKind::LoadBalancer | NodeKind::Service | NodeKind::Workload => ("#ddf4ff", "#0969da"),
        NodeKind::Gateway | NodeKind::Route => ("#dafbe1", "#1a7f37"),
        NodeKind::Certificate | NodeKind::Issuer | NodeKind::Secret => ("#fff8c5", "#9a6700"),
        NodeKind::Backend => ("#fbefff", "#8250df"),
        NodeKind::TrafficPolicy | NodeKind::EdgePolicy | NodeKind::MeshPolicy => ("#ffebe9", "#cf222e"),
        NodeKind::Unexplained => ("#ffffff", "#ff0000"),
    };
    Style { fill, stroke }
}

/// Font families: DejaVu Sans first, whose widths [`layout::text_width`] assumes.
pub const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";
/// Fill of group bands.
pub const BAND_FILL: &str = "#f6f8fa";
/// Page background.
pub const BACKGROUND: &str = "#ffffff";

/// Escape text for SVG and HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r:.1}") }
}

/// The SVG image of `graph`.
pub fn render(graph: &Graph) -> String {
    let layout = layout::layout(graph);
    svg(graph, &layout)
}

/// The SVG of `graph` placed by `layout`.
pub fn svg(graph: &Graph, layout: &Layout) -> String {
    let mut out = String::new();
    let (w, h) = (n(layout.width), n(layout.height));
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\" role=\"img\" aria-label=\"{}\">",
        escape(&graph.title)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&graph.title));
    out.push_str("<defs>\n");
    for (id, colour) in [("arrow", "#57606a"), ("arrow-config", "#8c959f")] {
        let _ = writeln!(
            out,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"{BACKGROUND}\"/>");
    let _ = writeln!(
        out,
        "<text x=\"16\" y=\"30\" font-size=\"16\" font-weight=\"bold\" fill=\"#1b1f24\">{}</text>",
        escape(&graph.title)
    );
    for (id, rect) in &layout.groups {
        let Some(group) = graph.groups.iter().find(|g| &g.id == id) else { continue };
        let _ = writeln!(
            out,
            "<g class=\"group\" id=\"{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{BAND_FILL}\" stroke=\"#d0d7de\"/><text x=\"{}\" y=\"{}\" font-size=\"{LINE_SIZE}\" font-weight=\"bold\" fill=\"#57606a\">{}</text></g>",
            n(rect.x),
            n(rect.y),
            n(rect.w),
            n(rect.h),
            n(rect.x + 10.0),
            n(rect.y + 16.0),
            escape(&group.label)
        );
    }
    for path in &layout.edges {
        let edge = &graph.edges[path.edge];
        let (colour, dash, marker) = match edge.flow {
            Flow::Traffic => ("#57606a", "", "arrow"),
            Flow::Config => ("#8c959f", " stroke-dasharray=\"5 4\"", "arrow-config"),
        };
        let _ = writeln!(
            out,
            "<path class=\"edge\" d=\"M{},{} C{},{} {},{} {},{} L{},{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.3\"{dash} marker-end=\"url(#{marker})\"/>",
            n(path.start.0),
            n(path.start.1),
            n(path.c1.0),
            n(path.c1.1),
            n(path.c2.0),
            n(path.c2.1),
            n(path.run.0),
            n(path.run.1),
            n(path.end.0),
            n(path.end.1)
        );
    }
    for (node, (id, rect)) in graph.nodes.iter().zip(&layout.nodes) {
        let style = style(node.kind);
        let objects: Vec<String> = graph.objects_of(id).map(|p| super::object_name(&p.object)).collect();
        let tooltip = if objects.is_empty() {
            format!("{} (not rendered by this config)", node.title)
        } else {
            objects.join("\n")
        };
        let dash = if node.rendered { "" } else { " stroke-dasharray=\"5 4\"" };
        let _ = write!(
            out,
            "<g class=\"node\" id=\"node-{id}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.2\"{dash}/>",
            escape(&tooltip),
            n(rect.x),
            n(rect.y),
            n(rect.w),
            n(rect.h),
            style.fill,
            style.stroke
        );
        let x = n(rect.x + PAD_X);
        let mut y = rect.y + PAD_Y + TITLE_SIZE;
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{}\" font-size=\"{TITLE_SIZE}\" font-weight=\"bold\" fill=\"#1b1f24\">{}</text>",
            n(y),
            escape(&node.title)
        );
        for line in &node.lines {
            y += LINE_HEIGHT;
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{}\" font-size=\"{LINE_SIZE}\" fill=\"#424a53\">{}</text>",
                n(y),
                escape(line)
            );
        }
        out.push_str("</g>\n");
    }
    // Labels last, over edges and nodes.
    for path in &layout.edges {
        let edge = &graph.edges[path.edge];
        if edge.label.is_empty() {
            continue;
        }
        let x = path.run.0 + 2.0;
        let y = path.run.1;
        let _ = writeln!(
            out,
            "<g class=\"label\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"13\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\"/><text x=\"{}\" y=\"{}\" font-size=\"{LABEL_SIZE}\" fill=\"#424a53\">{}</text></g>",
            n(x),
            n(y - 6.5),
            n(path.label_width - 4.0),
            n(x + 2.0),
            n(y + 3.5),
            escape(&edge.label)
        );
    }
    legend(&mut out, layout);
    out.push_str("</svg>\n");
    out
}

fn legend(out: &mut String, layout: &Layout) {
    let y = layout.height - layout::LEGEND_HEIGHT;
    let x = 24.0;
    let _ = writeln!(
        out,
        "<g class=\"legend\"><path d=\"M{},{} h36\" stroke=\"#57606a\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/><text x=\"{}\" y=\"{}\" font-size=\"{LINE_SIZE}\" fill=\"#424a53\">traffic</text><path d=\"M{},{} h36\" stroke=\"#8c959f\" stroke-width=\"1.3\" stroke-dasharray=\"5 4\" marker-end=\"url(#arrow-config)\"/><text x=\"{}\" y=\"{}\" font-size=\"{LINE_SIZE}\" fill=\"#424a53\">configures</text><rect x=\"{}\" y=\"{}\" width=\"28\" height=\"14\" rx=\"4\" fill=\"#ffffff\" stroke=\"#57606a\" stroke-dasharray=\"5 4\"/><text x=\"{}\" y=\"{}\" font-size=\"{LINE_SIZE}\" fill=\"#424a53\">not rendered by this config (exists or is written elsewhere)</text></g>",
        n(x),
        n(y + 10.0),
        n(x + 44.0),
        n(y + 14.0),
        n(x + 110.0),
        n(y + 10.0),
        n(x + 154.0),
        n(y + 14.0),
        n(x + 240.0),
        n(y + 3.0),
        n(x + 276.0),
        n(y + 14.0),
    );
}
