//! A simple layered layout for the SVG: columns by traffic order, one horizontal band per group.
//!
//! 1. Each node's column is the longest path to it from a node without predecessors; a node with
//!    successors but no predecessors moves right, next to its first successor's column, and a node
//!    without edges goes to the last column its group uses.
//! 2. Each group is a band across all columns; inside a band a column holds its nodes stacked.
//! 3. Nodes in a cell are ordered by the mean position of their neighbours (a few sweeps each way),
//!    which keeps most edges short and uncrossed.
//! 4. Edges leave a node's right side and enter the next one's left side at ports spread over the
//!    node's height; each ends in a horizontal run that carries its label, so labels of edges into
//!    one node never overlap.
//!
//! Text widths come from the advance widths of DejaVu Sans (the usual fallback sans-serif font),
//! rounded up, so text fits its box in the fonts browsers pick for `sans-serif`.

use super::{Flow, Graph};
use std::collections::BTreeMap;

/// Font size of a node's title (bold).
pub const TITLE_SIZE: f64 = 12.0;
/// Font size of a node's detail lines and group labels.
pub const LINE_SIZE: f64 = 11.0;
/// Font size of edge labels.
pub const LABEL_SIZE: f64 = 10.0;
/// Distance between text baselines.
pub const LINE_HEIGHT: f64 = 15.0;
/// Horizontal padding inside a node.
pub const PAD_X: f64 = 10.0;
/// Vertical padding inside a node.
pub const PAD_Y: f64 = 8.0;
const MARGIN: f64 = 16.0;
const ROW_GAP: f64 = 14.0;
const BAND_GAP: f64 = 12.0;
const BAND_HEADER: f64 = 24.0;
const BAND_PAD: f64 = 10.0;
const MIN_COLUMN_GAP: f64 = 56.0;
const MIN_NODE_WIDTH: f64 = 120.0;
/// Height the legend below the bands takes.
pub const LEGEND_HEIGHT: f64 = 34.0;

/// Advance widths of DejaVu Sans for ASCII 32..=126, in 1/2048 em.
const WIDTHS: [u16; 95] = [
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, // ' '../
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // 0-9
    690, 690, 1716, 1716, 1716, 1087, 2048, // :..@
    1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423,
    1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, // A-Z
    799, 690, 799, 1716, 1024, 1024, // [..`
    1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, 1300, 1300, 842,
    1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, // a-z
    1303, 690, 1303, 1716, // {..~
];

/// The width of `text` in pixels at `size`, rounded up a little (bold text is wider).
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(WIDTHS[c as usize - 32]),
            '·' => 651,
            '–' => 1024,
            '…' | '—' => 2048,
            '→' => 1716,
            _ => 1500,
        })
        .sum();
    let factor = if bold { 1.16 } else { 1.05 };
    (f64::from(units) / 2048.0 * size * factor).ceil()
}

/// A placed rectangle.
#[derive(Clone, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// A placed edge: a cubic Bézier from `start` to the start of its horizontal run, then the run to `end`.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgePath {
    /// Index into [`Graph::edges`].
    pub edge: usize,
    /// Where it leaves the source.
    pub start: (f64, f64),
    /// First control point.
    pub c1: (f64, f64),
    /// Second control point.
    pub c2: (f64, f64),
    /// Where the curve ends and the run starts.
    pub run: (f64, f64),
    /// Where it enters the target.
    pub end: (f64, f64),
    /// Width of the label (0 without one).
    pub label_width: f64,
}

/// The layout of a graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
    /// Group bands, by group id, in group order.
    pub groups: Vec<(String, Rect)>,
    /// Node boxes, by node id, in node order.
    pub nodes: Vec<(String, Rect)>,
    /// Edges, in edge order.
    pub edges: Vec<EdgePath>,
}

impl Layout {
    /// The box of node `id`.
    pub fn node(&self, id: &str) -> Option<&Rect> {
        self.nodes.iter().find(|(n, _)| n == id).map(|(_, r)| r)
    }
}

/// Lay out `graph`.
pub fn layout(graph: &Graph) -> Layout {
    let n = graph.nodes.len();
    let index: BTreeMap<&str, usize> =
        graph.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let edges: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .filter_map(|e| Some((*index.get(e.from.as_str())?, *index.get(e.to.as_str())?)))
        .collect();
    let forward = acyclic(n, &edges);
    let mut weight: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    for (e, &(s, t)) in graph.edges.iter().zip(&edges) {
        let w = if e.flow == Flow::Traffic { 4.0 } else { 1.0 };
        let entry = weight.entry((s, t)).or_insert(w);
        *entry = entry.max(w);
    }
    let preds = |v: usize| forward.iter().filter(move |(_, t)| *t == v).map(|(s, _)| *s);
    let succs = |v: usize| forward.iter().filter(move |(s, _)| *s == v).map(|(_, t)| *t);

    // 1. Columns.
    let mut column = vec![0usize; n];
    for &v in &topological(n, &forward) {
        column[v] = preds(v).map(|p| column[p] + 1).max().unwrap_or(0);
    }
    for v in 0..n {
        if preds(v).next().is_none()
            && let Some(first) = succs(v).map(|s| column[s]).min()
        {
            column[v] = first.saturating_sub(1).max(column[v]);
        }
    }
    let group_of: Vec<usize> = graph
        .nodes
        .iter()
        .map(|node| graph.groups.iter().position(|g| g.id == node.group).unwrap_or(0))
        .collect();
    for v in 0..n {
        if preds(v).next().is_none() && succs(v).next().is_none() {
            column[v] = (0..n)
                .filter(|&u| {
                    u != v
                        && group_of[u] == group_of[v]
                        && (preds(u).next().is_some() || succs(u).next().is_some())
                })
                .map(|u| column[u])
                .max()
                .unwrap_or(0);
        }
    }
    let columns = column.iter().max().map_or(0, |m| m + 1);

    // Node sizes; a node is tall enough to keep the labels of its incoming edges apart.
    let size: Vec<(f64, f64)> = graph
        .nodes
        .iter()
        .map(|node| {
            let w = node
                .lines
                .iter()
                .map(|l| text_width(l, LINE_SIZE, false))
                .chain(std::iter::once(text_width(&node.title, TITLE_SIZE, true)))
                .fold(0.0, f64::max)
                + 2.0 * PAD_X;
            let labelled =
                graph.edges.iter().filter(|e| e.to == node.id && !e.label.is_empty()).count() as f64;
            let h = (2.0 * PAD_Y + LINE_HEIGHT * (1 + node.lines.len()) as f64).max(16.0 * (labelled + 1.0));
            (w.max(MIN_NODE_WIDTH), h)
        })
        .collect();

    // 3. Order within cells by neighbours' positions.
    let mut order: Vec<usize> = (0..n).collect();
    let rank = |order: &[usize]| {
        let mut r = vec![0.0; n];
        for (i, &v) in order.iter().enumerate() {
            r[v] = (group_of[v] * n * 2 + i) as f64;
        }
        r
    };
    for sweep in 0..6 {
        let r = rank(&order);
        // Traffic edges count more than configuration edges: the traffic path should run straight.
        let key = |v: usize| {
            let neighbours: Vec<(usize, f64)> = if sweep % 2 == 0 {
                preds(v).map(|u| (u, weight[&(u, v)])).collect()
            } else {
                succs(v).map(|u| (u, weight[&(v, u)])).collect()
            };
            let total: f64 = neighbours.iter().map(|(_, w)| w).sum();
            if neighbours.is_empty() {
                r[v]
            } else {
                neighbours.iter().map(|&(u, w)| r[u] * w).sum::<f64>() / total
            }
        };
        let keys: Vec<f64> = (0..n).map(key).collect();
        order.sort_by(|&a, &b| {
            (group_of[a], column[a])
                .cmp(&(group_of[b], column[b]))
                .then(keys[a].total_cmp(&keys[b]))
                .then(a.cmp(&b))
        });
    }

    // Column widths and the gaps before each column (wide enough for the labels ending there).
    let mut widths = vec![0.0f64; columns];
    for v in 0..n {
        widths[column[v]] = widths[column[v]].max(size[v].0);
    }
    let label_width = |e: &super::Edge| {
        if e.label.is_empty() { 0.0 } else { text_width(&e.label, LABEL_SIZE, false) + 8.0 }
    };
    let mut gaps = vec![MIN_COLUMN_GAP; columns];
    for (e, &(_, t)) in graph.edges.iter().zip(&edges) {
        gaps[column[t]] = gaps[column[t]].max(label_width(e) + 40.0);
    }
    let mut x = vec![0.0; columns];
    let mut left = MARGIN + BAND_PAD;
    for c in 0..columns {
        if c > 0 {
            left += gaps[c];
        }
        x[c] = left;
        left += widths[c];
    }
    // Wide enough for the legend.
    let width = (left + BAND_PAD + MARGIN).max(640.0);

    // 2. Bands, and nodes stacked and centred in their cells.
    let mut rects: Vec<Rect> = vec![Rect { x: 0.0, y: 0.0, w: 0.0, h: 0.0 }; n];
    let mut groups = Vec::new();
    let mut top = MARGIN + 26.0;
    for (gi, group) in graph.groups.iter().enumerate() {
        let cells: Vec<Vec<usize>> = (0..columns)
            .map(|c| order.iter().copied().filter(|&v| group_of[v] == gi && column[v] == c).collect())
            .collect();
        let cell_height = |cell: &Vec<usize>| {
            cell.iter().map(|&v| size[v].1).sum::<f64>() + ROW_GAP * (cell.len().saturating_sub(1)) as f64
        };
        let content = cells.iter().map(cell_height).fold(0.0, f64::max);
        if cells.iter().all(Vec::is_empty) {
            groups.push((
                group.id.clone(),
                Rect { x: MARGIN, y: top, w: width - 2.0 * MARGIN, h: BAND_HEADER },
            ));
            top += BAND_HEADER + BAND_GAP;
            continue;
        }
        let band_top = top;
        let inner = band_top + BAND_HEADER;
        for (c, cell) in cells.iter().enumerate() {
            let mut y = inner + (content - cell_height(cell)) / 2.0;
            for &v in cell {
                rects[v] = Rect { x: x[c], y, w: size[v].0, h: size[v].1 };
                y += size[v].1 + ROW_GAP;
            }
        }
        let h = BAND_HEADER + content + BAND_PAD;
        groups.push((group.id.clone(), Rect { x: MARGIN, y: band_top, w: width - 2.0 * MARGIN, h }));
        top = band_top + h + BAND_GAP;
    }
    let height = top + LEGEND_HEIGHT + MARGIN;

    // 4. Edges with spread ports.
    let mut out_ports: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut in_ports: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &(s, t)) in edges.iter().enumerate() {
        out_ports.entry(s).or_default().push(i);
        in_ports.entry(t).or_default().push(i);
    }
    let centre = |v: usize| rects[v].y + rects[v].h / 2.0;
    for list in out_ports.values_mut() {
        list.sort_by(|&a, &b| centre(edges[a].1).total_cmp(&centre(edges[b].1)).then(a.cmp(&b)));
    }
    for list in in_ports.values_mut() {
        list.sort_by(|&a, &b| centre(edges[a].0).total_cmp(&centre(edges[b].0)).then(a.cmp(&b)));
    }
    let port = |ports: &BTreeMap<usize, Vec<usize>>, v: usize, e: usize| {
        let list = ports.get(&v).map(Vec::as_slice).unwrap_or_default();
        let k = list.iter().position(|&x| x == e).unwrap_or(0) as f64;
        rects[v].y + rects[v].h * (k + 1.0) / (list.len().max(1) as f64 + 1.0)
    };
    let mut paths = Vec::new();
    let mut ei = 0;
    for (i, e) in graph.edges.iter().enumerate() {
        let (Some(&s), Some(&t)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else { continue };
        let start = (rects[s].x + rects[s].w, port(&out_ports, s, ei));
        let end = (rects[t].x, port(&in_ports, t, ei));
        let lw = label_width(e);
        let run_x = (end.0 - lw - 6.0).max(start.0 + 6.0);
        let dx = ((run_x - start.0) / 2.0).max(24.0);
        paths.push(EdgePath {
            edge: i,
            start,
            c1: (start.0 + dx, start.1),
            c2: (run_x - dx, end.1),
            run: (run_x, end.1),
            end,
            label_width: lw,
        });
        ei += 1;
    }
    Layout {
        width,
        height,
        groups,
        nodes: graph.nodes.iter().zip(rects).map(|(node, r)| (node.id.clone(), r)).collect(),
        edges: paths,
    }
}

/// The edges without those that close a cycle (found by depth-first search in node order).
fn acyclic(n: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut back = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            let out: Vec<(usize, usize)> =
                edges.iter().enumerate().filter(|(_, (s, _))| *s == v).map(|(i, (_, t))| (i, *t)).collect();
            if let Some(&(i, t)) = out.get(*next) {
                *next += 1;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 => back.push(i),
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    edges.iter().enumerate().filter(|(i, _)| !back.contains(i)).map(|(_, e)| *e).collect()
}

/// Nodes in an order where every edge goes forward (the edges must be acyclic).
fn topological(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    for &(_, t) in edges {
        indegree[t] += 1;
    }
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).rev().collect();
    let mut out = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        out.push(v);
        for &(s, t) in edges {
            if s == v {
                indegree[t] -= 1;
                if indegree[t] == 0 {
                    ready.push(t);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_broken_and_order_is_topological() {
        let edges = [(0, 1), (1, 2), (2, 0), (2, 3)];
        let forward = acyclic(4, &edges);
        assert_eq!(forward, [(0, 1), (1, 2), (2, 3)]);
        assert_eq!(topological(4, &forward), [0, 1, 2, 3]);
    }

    #[test]
    fn text_widths_follow_the_font() {
        assert!(text_width("mmmm", 10.0, false) > text_width("iiii", 10.0, false) * 3.0);
        assert!(text_width("Gateway", 12.0, true) > text_width("Gateway", 12.0, false));
    }
}
