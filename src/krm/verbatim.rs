//! Passing items through as the text they came in.
//!
//! kpt writes a function's output items back to the package's files in the style the function wrote
//! them: a re-serialized item loses its flow mappings (`{app: web}`), its quoting (`'yes'` becomes
//! `"yes"`) and its anchors, even when nothing changed. So in KRM mode an item this function does not
//! touch is written back as its original text.
//!
//! kpt and kustomize lay a ResourceList out in block style, with `items:` at column 0 and each item a
//! sequence entry whose dash is at column 0. The input is cut at those dashes. The cut is used only
//! when it is unambiguous: as many segments as items, each naming its item's kind and name, and items
//! with anchors, aliases, tags or merge keys are re-parsed and compared first. Anything else falls
//! back to re-serialization, which is always semantically identical.

use super::io::{self, Limits};
use super::object;
use serde_json::Value;
use std::ops::Range;

/// Byte ranges of each item's text in `text` (`None` where the text cannot be reused).
pub fn item_segments(text: &str, items: &[Value], limits: &Limits) -> Vec<Option<Range<usize>>> {
    let fallback = || vec![None; items.len()];
    let Some(segments) = segment(text) else {
        return fallback();
    };
    if segments.len() != items.len() {
        return fallback();
    }
    segments
        .into_iter()
        .zip(items)
        .map(|(range, item)| reusable(&text[range.clone()], item, limits).then_some(range))
        .collect()
}

/// Line start offsets and lines (without the newline) of `text` from `from`.
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = from;
    text[from..].split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// Cut the `items:` block sequence at its column-0 dashes.
pub(crate) fn segment(text: &str) -> Option<Vec<Range<usize>>> {
    let mut lines = lines_from(text, 0);
    // The top-level `items:` key, followed by nothing but an optional comment.
    let (items_line_start, items_line) = lines.find(|(_, line)| {
        line.strip_prefix("items:")
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    })?;
    let mut starts = Vec::new();
    let mut end = text.len();
    for (start, line) in lines_from(text, items_line_start + items_line.len()).skip(1) {
        let first = line.chars().next();
        match first {
            Some('-') if line == "-" || line.starts_with("- ") => starts.push(start),
            // Another top-level key or a document marker ends the sequence.
            Some(c) if c != ' ' && c != '#' && c != '\t' => {
                end = start;
                break;
            }
            _ => {}
        }
    }
    let mut ranges = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let stop = starts.get(i + 1).copied().unwrap_or(end);
        // Only the line break that ends the segment is dropped (the writer adds it back). Blank lines
        // and trailing spaces before the next item may be part of a value: a keep-chomped block
        // scalar (`|+`) ends with them.
        let body = &text[start..stop];
        let body = body.strip_suffix('\n').map(|b| b.strip_suffix('\r').unwrap_or(b)).unwrap_or(body);
        ranges.push(start..start + body.len());
    }
    Some(ranges)
}

pub(crate) fn reusable(segment: &str, item: &Value, limits: &Limits) -> bool {
    // A cheap check that the cut is aligned: the segment names its item.
    let name = object::name(item);
    let kind = object::kind(item);
    if !segment.contains(kind) || !segment.contains(name) {
        return false;
    }
    // Anchors, aliases, tags and merge keys may refer across items or change how the text reads on
    // its own: reuse the text only if it reads back as the same value.
    let suspicious = segment.contains(['&', '*', '!']) || segment.contains("<<");
    if suspicious {
        let doc = format!("items:\n{segment}\n");
        return io::parse_document(&doc, "item", limits)
            .ok()
            .and_then(|v| v.get("items").and_then(|i| i.get(0)).cloned())
            .is_some_and(|parsed| &parsed == item);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Value> {
        io::parse_document(text, "t", &Limits::default()).unwrap()["items"].as_array().unwrap().clone()
    }

    #[test]
    fn cuts_block_items_with_their_comments_and_styles() {
        let text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- # head comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n    x: 'yes' # quoted\n\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: b\nfunctionConfig:\n  kind: X\n";
        let items = parse(text);
        let segments = item_segments(text, &items, &Limits::default());
        let texts: Vec<&str> = segments.iter().map(|r| &text[r.clone().unwrap()]).collect();
        assert_eq!(
            texts[0],
            "- # head comment\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n    x: 'yes' # quoted\n"
        );
        assert_eq!(texts[1], "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: b");
    }

    #[test]
    fn keeps_the_trailing_lines_of_keep_chomped_scalars() {
        let text = "items:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n  data:\n    k: |+\n      yes\n\n- apiVersion: v1\n  kind: B\n  metadata: {name: b}\n  s: |\n    spaces   \nfunctionConfig: {}\n";
        let items = parse(text);
        let segments = item_segments(text, &items, &Limits::default());
        for (segment, item) in segments.iter().zip(&items) {
            let doc = format!("items:\n{}\n", &text[segment.clone().unwrap()]);
            let reread = io::parse_document(&doc, "t", &Limits::default()).unwrap();
            assert_eq!(&reread["items"][0], item);
        }
    }

    #[test]
    fn falls_back_when_the_layout_is_not_standard() {
        let flow = "items: [{apiVersion: v1, kind: A, metadata: {name: a}}]\n";
        assert_eq!(item_segments(flow, &parse(flow), &Limits::default()), vec![None]);
        let wide = "items:\n  - apiVersion: v1\n    kind: A\n    metadata: {name: a}\n";
        assert_eq!(item_segments(wide, &parse(wide), &Limits::default()), vec![None]);
    }

    #[test]
    fn checks_anchors_by_reparsing() {
        let local = "items:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n  x: &x [1]\n  y: *x\n";
        assert!(item_segments(local, &parse(local), &Limits::default())[0].is_some());
        let across = "items:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n  x: &x [1]\n- apiVersion: v1\n  kind: B\n  metadata: {name: b}\n  y: *x\n";
        let segments = item_segments(across, &parse(across), &Limits::default());
        assert!(segments[0].is_some());
        assert!(segments[1].is_none(), "an alias to another item cannot stand alone");
    }

    #[test]
    fn column_zero_comments_and_block_scalars_stay_with_their_item() {
        // Inside an item only comments can start at column 0 (YAML requires content to be indented),
        // so a column-0 dash always starts an item.
        let text = "items:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n# a comment at column 0\n  data:\n    s: |\n      - not an item\n- apiVersion: v1\n  kind: B\n  metadata: {name: b}\n";
        let items = parse(text);
        assert_eq!(items.len(), 2);
        let segments = item_segments(text, &items, &Limits::default());
        assert!(text[segments[0].clone().unwrap()].ends_with("- not an item"));
    }
}
