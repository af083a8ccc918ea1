//! `mesh-ingress graph`: the picture of what a config renders, in every format, and `--explain`.
//!
//! - Golden files under `tests/graph/<case>.{mmd,dot,svg,txt}` (and `.html` for the README's
//!   example), written by the binary; `UPDATE_GOLDEN=1 cargo test --test graph` rewrites them and the
//!   README's picture.
//! - Every generated object of every golden case is attributed to a node with a reason, so the
//!   picture and `--explain` cover everything the function renders.
//! - Mermaid: a structural parse of every golden case's flowchart (ids, quoting, subgraphs, edges),
//!   and Mermaid itself rendering every one of them in headless Chromium (`target/mermaid/` from
//!   `scripts/fetch-mermaid.sh`).
//! - DOT: Graphviz renders every golden case's graph without a warning.
//! - SVG and HTML: headless Chromium draws the page; the screenshot shows every node's fill and
//!   text where the layout put it, and the DOM after layout shows every node's text inside its box
//!   and no two boxes overlapping.
//!
//! Chromium, Graphviz and Mermaid are skipped with a message on a laptop without them and required
//! in CI (`CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/browser.rs"]
mod browser;
#[path = "support/golden_cases.rs"]
mod golden_cases;
#[path = "support/tools.rs"]
mod tools;

use mesh_ingress::graph::{self, Format, Graph, NodeKind};
use mesh_ingress::pipeline::{self, Mode};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mesh-ingress");

/// The README's example: two AWS NLB gateways with Let's Encrypt and a demo app.
const MAIN_EXAMPLE: &str = "functions/mesh-ingress/examples/eks-nlb-letsencrypt/mesh-ingress.yaml";

/// Stored pictures: (name, config relative to the repository root).
const PICTURES: &[(&str, &str)] = &[
    ("eks-nlb-letsencrypt", MAIN_EXAMPLE),
    (
        "multicluster-east-west",
        "functions/mesh-ingress/examples/multicluster-east-west/cluster1/mesh-ingress.yaml",
    ),
    ("alb-nodeport", "functions/mesh-ingress/examples/alb-nodeport/mesh-ingress.yaml"),
    ("canary", "functions/mesh-ingress/examples/canary/mesh-ingress.yaml"),
    ("sni-tcp", "functions/mesh-ingress/examples/sni-tcp/mesh-ingress.yaml"),
    ("greenfield-mtls", "functions/mesh-ingress/examples/greenfield-mtls/mesh-ingress.yaml"),
    ("minimal-http01", "tests/golden/minimal-http01/config.yaml"),
    ("edge-jwt-admin", "tests/golden/edge-jwt-admin/config.yaml"),
    ("external-workload-aks", "tests/golden/external-workload-aks/config.yaml"),
    ("routes-redirect-rewrite-headers-cors", "tests/golden/routes-redirect-rewrite-headers-cors/config.yaml"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).current_dir(root()).output().unwrap()
}

fn graph_text(config: &str, format: &str) -> String {
    let output = run(&["graph", config, "--format", format]);
    assert!(
        output.status.success(),
        "graph {config} --format {format}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Compare with (or, with UPDATE_GOLDEN, write) a golden file; the mismatches are collected.
fn golden(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures
            .push(format!("{} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)", path.display())),
        Err(e) => failures.push(format!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display())),
    }
}

#[test]
fn pictures_match_their_golden_files() {
    let mut failures = Vec::new();
    for (name, config) in PICTURES {
        let dir = root().join("tests/graph");
        for (format, extension) in [("mermaid", "mmd"), ("dot", "dot"), ("svg", "svg")] {
            golden(&dir.join(format!("{name}.{extension}")), &graph_text(config, format), &mut failures);
        }
        let explain = run(&["graph", config, "--explain"]);
        assert!(explain.status.success());
        golden(&dir.join(format!("{name}.txt")), &String::from_utf8(explain.stdout).unwrap(), &mut failures);
    }
    golden(
        &root().join("tests/graph/eks-nlb-letsencrypt.html"),
        &graph_text(MAIN_EXAMPLE, "html"),
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The graph of every golden case that renders, built in-process as `graph` builds it.
fn golden_graphs() -> Vec<(String, Graph, usize)> {
    golden_cases::cases()
        .into_iter()
        .filter(|case| !case.name.starts_with("error-"))
        .map(|case| {
            let config = mesh_ingress::api::decode_config(Some(&case.config))
                .unwrap_or_else(|_| panic!("{}: the config does not decode", case.name));
            let (model, _, generated) = pipeline::generate(&config, None, Mode::Stream);
            let generated = generated.unwrap_or_else(|| panic!("{}: nothing rendered", case.name));
            let others: Vec<_> =
                case.input.iter().filter(|i| !mesh_ingress::commands::is_local_config(i)).cloned().collect();
            (case.name.clone(), graph::build(&model, &generated, &others), generated.len())
        })
        .collect()
}

#[test]
fn every_generated_object_of_every_golden_case_is_explained() {
    let mut failures = Vec::new();
    for (name, graph, count) in golden_graphs() {
        assert_eq!(graph.objects.len(), count, "{name}: every generated object is listed once");
        for object in graph.objects.iter().filter(|o| !o.explained) {
            failures.push(format!(
                "{name}: {} has no provenance: {}",
                graph::object_name(&object.object),
                object.why
            ));
        }
        let ids: BTreeSet<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.len(), graph.nodes.len(), "{name}: node ids are unique");
        let groups: BTreeSet<&str> = graph.groups.iter().map(|g| g.id.as_str()).collect();
        for node in &graph.nodes {
            assert!(groups.contains(node.group.as_str()), "{name}: {} is in a group that is drawn", node.id);
        }
        for edge in &graph.edges {
            assert!(ids.contains(edge.from.as_str()) && ids.contains(edge.to.as_str()), "{name}: {edge:?}");
        }
        for object in &graph.objects {
            assert!(
                ids.contains(object.node.as_str()) || groups.contains(object.node.as_str()),
                "{name}: {} points at nothing drawn",
                graph::object_name(&object.object)
            );
        }
        assert!(graph.nodes.iter().all(|n| n.kind != NodeKind::Unexplained) || !failures.is_empty());
        // Deterministic: the same input draws the same picture.
        assert_eq!(graph::render(&graph, Format::Svg), graph::render(&graph.clone(), Format::Svg));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A structural parse of a Mermaid flowchart as `graph` writes it: the header, subgraphs closed,
/// nodes declared once inside a subgraph with a quoted label and a known shape, edges between
/// declared nodes with quoted labels, ids Mermaid reads as plain ids.
fn check_mermaid(name: &str, text: &str) -> Result<(usize, usize), String> {
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && id != "end"
            && !id.starts_with(['o', 'x'])
    };
    // Only the markup `graph` writes: `<b>` around the title and `<br>` between lines.
    let label_ok = |label: &str| {
        let text = label.replacen("<b>", "", 1).replacen("</b>", "", 1).replace("<br>", "");
        !text.contains(['"', '\n', '<', '>'])
    };
    let mut lines = text.lines().filter(|l| !l.trim_start().starts_with("%%"));
    if lines.next() != Some("flowchart LR") {
        return Err(format!("{name}: the first statement must be `flowchart LR`"));
    }
    let shapes = [("([", "])"), ("[(", ")]"), ("[[", "]]"), ("[/", "/]"), ("[", "]")];
    let (mut depth, mut nodes, mut edges, mut subgraphs) = (0, BTreeSet::new(), 0, BTreeSet::new());
    for line in lines {
        let statement = line.trim();
        if let Some(rest) = statement.strip_prefix("subgraph ") {
            let (id, label) =
                rest.split_once('[').ok_or(format!("{name}: subgraph without label: {line}"))?;
            if !id_ok(id)
                || !label.starts_with('"')
                || !label.ends_with("\"]")
                || !label_ok(&label[1..label.len() - 2])
            {
                return Err(format!("{name}: bad subgraph: {line}"));
            }
            subgraphs.insert(id.to_string());
            depth += 1;
        } else if statement == "end" {
            if depth == 0 {
                return Err(format!("{name}: `end` without subgraph"));
            }
            depth -= 1;
        } else if statement.starts_with("classDef ") || statement.starts_with("class ") {
            if let Some(ids) = statement.strip_prefix("class ") {
                for id in ids.split_whitespace().next().unwrap_or_default().split(',') {
                    if !nodes.contains(id) {
                        return Err(format!("{name}: class for an undeclared node {id}"));
                    }
                }
            }
        } else if let Some((from, rest)) =
            statement.split_once(' ').filter(|(_, rest)| rest.starts_with("-->") || rest.starts_with("-.->"))
        {
            // An edge: `a --> b`, `a -.-> b`, `a -->|"label"| b`.
            let (arrow, rest) = rest.split_at(rest.find(['|', ' ']).unwrap_or(rest.len()));
            if arrow != "-->" && arrow != "-.->" {
                return Err(format!("{name}: unknown statement: {line}"));
            }
            let to = if let Some(labelled) = rest.strip_prefix("|\"") {
                let (label, to) =
                    labelled.split_once("\"| ").ok_or(format!("{name}: bad edge label: {line}"))?;
                if !label_ok(label) {
                    return Err(format!("{name}: bad edge label: {line}"));
                }
                to
            } else {
                rest.trim()
            };
            for id in [from, to] {
                if !nodes.contains(id) {
                    return Err(format!("{name}: edge to an undeclared node {id}: {line}"));
                }
            }
            edges += 1;
        } else {
            // A node: `id<open>"label"<close>` inside a subgraph.
            if depth != 1 {
                return Err(format!("{name}: node outside a subgraph: {line}"));
            }
            let split = statement.find(['[', '(']).ok_or(format!("{name}: unknown statement: {line}"))?;
            let (id, shape) = statement.split_at(split);
            let Some((open, close)) = shapes
                .iter()
                .find(|(o, c)| shape.starts_with(&format!("{o}\"")) && shape.ends_with(&format!("\"{c}")))
            else {
                return Err(format!("{name}: unknown node shape: {line}"));
            };
            let label = &shape[open.len() + 1..shape.len() - close.len() - 1];
            if !id_ok(id) || !label_ok(label) || subgraphs.contains(id) || !nodes.insert(id.to_string()) {
                return Err(format!("{name}: bad or repeated node: {line}"));
            }
        }
    }
    if depth != 0 {
        return Err(format!("{name}: a subgraph is not closed"));
    }
    Ok((nodes.len(), edges))
}

#[test]
fn mermaid_of_every_golden_case_is_well_formed() {
    for (name, graph, _) in golden_graphs() {
        let text = graph::render(&graph, Format::Mermaid);
        let (nodes, edges) = check_mermaid(&name, &text).unwrap();
        assert_eq!((nodes, edges), (graph.nodes.len(), graph.edges.len()), "{name}");
    }
    assert!(check_mermaid("bad", "flowchart LR\n  a --> b\n").is_err());
    assert!(check_mermaid("bad", "flowchart LR\n  subgraph g[\"x\"]\n    end[\"y\"]\n  end\n").is_err());
}

#[test]
fn dot_of_every_golden_case_renders_with_graphviz() {
    if !tools::require("dot", &["-V"]) {
        return;
    }
    let dir = tools::temp_dir("graph-dot");
    for (name, graph, _) in golden_graphs() {
        let path = dir.join(format!("{name}.dot"));
        std::fs::write(&path, graph::render(&graph, Format::Dot)).unwrap();
        let output = Command::new("dot").arg("-Tsvg").arg(&path).output().unwrap();
        assert!(output.status.success(), "{name}: dot failed: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stderr.is_empty(), "{name}: dot warns: {}", String::from_utf8_lossy(&output.stderr));
        let svg = String::from_utf8(output.stdout).unwrap();
        for node in &graph.nodes {
            assert!(
                svg.contains(&format!("<title>{}</title>", node.id)),
                "{name}: dot drew no node {}",
                node.id
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Mermaid's standalone bundle: `$MERMAID_JS`, else what `scripts/fetch-mermaid.sh` put in target/.
fn mermaid_js() -> Option<PathBuf> {
    let path = std::env::var_os("MERMAID_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/mermaid/mermaid.min.js"));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Mermaid is required in CI: run scripts/fetch-mermaid.sh (expected {})", path.display());
    }
    eprintln!(
        "SKIPPED: Mermaid not found at {}; run scripts/fetch-mermaid.sh to render with it",
        path.display()
    );
    None
}

/// Mermaid renders the stored pictures (rendering every golden case would take minutes on two
/// cores; the structural check above covers those).
#[test]
fn mermaid_renders_the_stored_pictures_in_a_browser() {
    let Some(mermaid) = mermaid_js() else { return };
    if !browser::available() {
        return;
    }
    let diagrams: Vec<serde_json::Value> = PICTURES
        .iter()
        .map(|(name, config)| {
            let text = graph_text(config, "mermaid");
            let nodes = check_mermaid(name, &text).unwrap().0;
            serde_json::json!({"name": name, "text": text, "nodes": nodes})
        })
        .collect();
    let dir = tools::temp_dir("graph-mermaid");
    let page = dir.join("mermaid.html");
    // GitHub renders Markdown diagrams with securityLevel strict; so does this page.
    std::fs::write(
        &page,
        format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><script src="file://{}"></script></head><body><pre id="result">pending</pre><script>
const diagrams = {};
mermaid.initialize({{ startOnLoad: false, securityLevel: 'strict' }});
(async () => {{
  const results = [];
  for (const [i, d] of diagrams.entries()) {{
    try {{
      const {{ svg }} = await mermaid.render('diagram' + i, d.text);
      const drawn = (svg.match(/class="node /g) || []).length;
      results.push({{ name: d.name, ok: true, drawn, nodes: d.nodes }});
    }} catch (e) {{
      results.push({{ name: d.name, ok: false, error: String(e && e.message || e) }});
    }}
  }}
  document.getElementById('result').textContent = JSON.stringify(results);
}})();
</script></body></html>"#,
            mermaid.display(),
            serde_json::to_string(&diagrams).unwrap().replace("</", "<\\/")
        ),
    )
    .unwrap();
    let dom = browser::dump_dom(&page, &dir);
    let start = dom.find("<pre id=\"result\">").unwrap() + "<pre id=\"result\">".len();
    let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let json = json.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let results: Vec<serde_json::Value> =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("Mermaid did not finish ({e}): {json}"));
    assert_eq!(results.len(), PICTURES.len());
    for result in &results {
        assert_eq!(result["ok"], true, "Mermaid cannot render {}: {}", result["name"], result["error"]);
        assert_eq!(
            result["drawn"], result["nodes"],
            "{}: Mermaid drew a different number of nodes",
            result["name"]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hand_written_routes_into_the_gateways_are_drawn_dashed() {
    let (_, graph, _) =
        golden_graphs().into_iter().find(|(name, _, _)| name == "package-checks-clean").unwrap();
    let route = graph.node("route_shop_catalog").expect("the hand-written VirtualService catalog is drawn");
    assert!(!route.rendered && route.lines.iter().any(|l| l.contains("written by hand")));
    let edge = |from: &str, to: &str| graph.edges.iter().find(|e| e.from == from && e.to == to);
    assert!(edge("gateway_external", "route_shop_catalog").is_some(), "bound to the config's gateway");
    assert_eq!(edge("route_shop_catalog", "backend_shop_catalog").unwrap().label, "v1; mirror");
    assert!(graph.node("route_shop_catalog_internal").is_none(), "a route of the sidecars only is left out");
}

fn main_example_graph() -> Graph {
    golden_graphs().into_iter().find(|(name, _, _)| name == "example-eks-nlb-letsencrypt").unwrap().1
}

#[test]
fn svg_screenshot_shows_every_node_where_the_layout_put_it() {
    if !browser::available() {
        return;
    }
    let graph = main_example_graph();
    let layout = graph::layout::layout(&graph);
    let dir = tools::temp_dir("graph-svg");
    let page = dir.join("picture.svg");
    std::fs::write(&page, graph::svg::svg(&graph, &layout)).unwrap();
    let (width, height) = (layout.width.ceil() as u32, layout.height.ceil() as u32);
    let image = browser::Image::read(&browser::screenshot(&page, width, height, &dir));
    assert_eq!((image.width, image.height), (width, height), "the screenshot has the picture's size");
    let background = browser::hex(graph::svg::BACKGROUND);
    let (drawn, total) =
        image.count(0.0, 0.0, f64::from(width), f64::from(height), |p| !browser::near(p, background, 4));
    assert!(drawn * 5 > total, "the page is mostly blank: {drawn} of {total} pixels drawn");
    for ((id, rect), node) in layout.nodes.iter().zip(&graph.nodes) {
        let fill = browser::hex(graph::svg::style(node.kind).fill);
        let inner = (rect.x + 3.0, rect.y + 3.0, rect.w - 6.0, rect.h - 6.0);
        let (filled, area) = image.count(inner.0, inner.1, inner.2, inner.3, |p| browser::near(p, fill, 6));
        assert!(filled * 2 > area, "node {id}: only {filled} of {area} pixels have its fill");
        // The title's glyphs: dark pixels in the first line.
        let (ink, _) = image.count(rect.x, rect.y, rect.w, 24.0, |p| p.iter().all(|&c| c < 110));
        assert!(ink > 40, "node {id}: its title is not drawn ({ink} dark pixels)");
        // Nothing of the node outside its box: no pixel of its fill just left of it.
        let (left, column) =
            image.count(rect.x - 4.0, rect.y + 4.0, 2.0, rect.h - 8.0, |p| !browser::near(p, fill, 6));
        assert_eq!(left, column, "node {id} bleeds past its left edge");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn html_page_is_self_contained_and_every_text_fits_its_box() {
    let page = graph_text(MAIN_EXAMPLE, "html");
    for forbidden in ["<script", "<link", "@import", " src=", "href=", "<image", "<img", "<iframe"] {
        assert!(!page.contains(forbidden), "the page loads something ({forbidden})");
    }
    // The only url() references are the page's own arrow markers.
    assert!(
        page.match_indices("url(").all(|(i, _)| page[i..].starts_with("url(#")),
        "the page loads something"
    );
    if !browser::available() {
        return;
    }
    let graph = main_example_graph();
    let dir = tools::temp_dir("graph-html");
    // The screenshot: the picture at the top of the page is drawn.
    let plain = dir.join("page.html");
    std::fs::write(&plain, &page).unwrap();
    let layout = graph::layout::layout(&graph);
    let image = browser::Image::read(&browser::screenshot(
        &plain,
        layout.width as u32 + 40,
        layout.height as u32 + 200,
        &dir,
    ));
    for kind in [NodeKind::Workload, NodeKind::Gateway, NodeKind::Certificate, NodeKind::Backend] {
        let fill = browser::hex(graph::svg::style(kind).fill);
        let (hits, _) = image.count(0.0, 0.0, f64::from(image.width), f64::from(image.height), |p| p == fill);
        assert!(hits > 2000, "the page shows no {kind:?} node ({hits} pixels of its fill)");
    }
    // The DOM after layout, measured by a probe script added to a copy of the page.
    let probe = r#"<script>
const nodes = [...document.querySelectorAll('g.node')].map(g => {
  const box = g.querySelector('rect').getBoundingClientRect();
  const texts = [...g.querySelectorAll('text')].map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });
  return { id: g.id, box: [box.left, box.top, box.right, box.bottom], texts };
});
const svg = document.querySelector('svg').getBoundingClientRect();
const rows = document.querySelectorAll('tbody tr').length;
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify({ svg: [svg.width, svg.height], rows, nodes });
document.body.appendChild(pre);
</script></body>"#;
    let measured = dir.join("probe.html");
    std::fs::write(&measured, page.replace("</body>", probe)).unwrap();
    let dom = browser::dump_dom(&measured, &dir);
    let start = dom.find("<pre id=\"probe\">").unwrap() + "<pre id=\"probe\">".len();
    let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let probe: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(probe["rows"], graph.objects.len(), "one table row per generated object");
    assert!(probe["svg"][0].as_f64().unwrap() >= layout.width - 1.0);
    let nodes = probe["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), graph.nodes.len());
    let rect = |v: &serde_json::Value| -> [f64; 4] { [0, 1, 2, 3].map(|i| v[i].as_f64().unwrap()) };
    for node in nodes {
        let b = rect(&node["box"]);
        for text in node["texts"].as_array().unwrap() {
            let t = rect(text);
            assert!(
                t[0] >= b[0] && t[2] <= b[2] + 0.5 && t[1] >= b[1] - 0.5 && t[3] <= b[3] + 0.5,
                "{}: text {t:?} overflows its box {b:?}",
                node["id"]
            );
        }
    }
    for (i, a) in nodes.iter().enumerate() {
        for other in &nodes[i + 1..] {
            let (p, q) = (rect(&a["box"]), rect(&other["box"]));
            let overlap = p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3];
            assert!(!overlap, "{} overlaps {}", a["id"], other["id"]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's picture is the Mermaid of the main example, as the command writes it.
#[test]
fn readme_shows_the_picture_of_the_main_example() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let marker = format!("<!-- generated by: mesh-ingress graph {MAIN_EXAMPLE} -->");
    let start =
        readme.find(&marker).unwrap_or_else(|| panic!("README.md has no `{marker}` line")) + marker.len();
    let open = "\n```mermaid\n";
    assert!(readme[start..].starts_with(open), "a ```mermaid block follows the marker");
    let body = start + open.len();
    let end = body + readme[body..].find("```\n").unwrap();
    let expected = graph_text(MAIN_EXAMPLE, "mermaid");
    if updating() {
        std::fs::write(&path, format!("{}{expected}{}", &readme[..body], &readme[end..])).unwrap();
        return;
    }
    // The `--explain` excerpt quotes the command's lines as they are.
    let command = format!("$ mesh-ingress graph {MAIN_EXAMPLE} --explain\n");
    let excerpt = readme.find(&command).expect("README.md shows `graph --explain`") + command.len();
    let explained = String::from_utf8(run(&["graph", MAIN_EXAMPLE, "--explain"]).stdout).unwrap();
    for line in readme[excerpt..excerpt + readme[excerpt..].find("```").unwrap()].lines() {
        assert!(
            line == "..." || explained.lines().any(|l| l == line),
            "README.md quotes a stale line: {line}"
        );
    }
    assert!(
        readme[body..end] == expected,
        "README.md's picture is stale: UPDATE_GOLDEN=1 cargo test --test graph rewrites it"
    );
}

#[test]
fn format_follows_the_output_file_and_errors_exit_1() {
    let dir = tools::temp_dir("graph-cli");
    for (extension, starts) in [
        ("mmd", "%% "),
        ("md", "```mermaid\n%% "),
        ("dot", "// "),
        ("svg", "<svg "),
        ("html", "<!DOCTYPE html>"),
    ] {
        let out = dir.join(format!("picture.{extension}"));
        let output = run(&["graph", MAIN_EXAMPLE, "-o", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stdout.is_empty());
        assert!(std::fs::read_to_string(&out).unwrap().starts_with(starts), "{extension}");
    }
    let output = run(&["graph", MAIN_EXAMPLE, "--explain", "--format", "dot"]);
    assert_eq!(output.status.code(), Some(2), "--explain draws nothing, so a format makes no sense");
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "apiVersion: mesh-ingress.dev/v1alpha1\nkind: MeshIngress\nmetadata: {name: x}\nspec:\n  gateways: [{name: external, servers: [{port: 443, protocol: HTTPS, tls: {certificate: nope}}]}]\n").unwrap();
    let output = run(&["graph", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no picture of a config with errors");
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: spec.gateways[0]"));
    let _ = std::fs::remove_dir_all(&dir);
}
