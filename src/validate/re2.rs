//! RE2 syntax, which Istio checks with Go's `regexp` and Envoy runs with RE2. The `regex-syntax`
//! parser accepts a superset of RE2; [`check`] parses with it and then refuses what RE2 would refuse
//! (or read differently): class set operations and nested classes, the `x`, `u` and `R` flags, the
//! `\<`, `\>` and `\b{...}` word assertions, `\u` and `\U` escapes, repetition counts above 1000,
//! and Unicode property names RE2 does not know. Istio also limits a regex to 1024 characters.

use regex_syntax::ast::{
    self, Assertion, AssertionKind, Ast, ClassSetBinaryOp, ClassSetItem, ClassUnicodeKind, Flag, Flags,
    FlagsItemKind, GroupKind, HexLiteralKind, Literal, LiteralKind, RepetitionKind, RepetitionRange, Visitor,
};

/// Istio's limit on the length of a regular expression (Envoy's program size limit, approximated).
pub const MAX_LENGTH: usize = 1024;

/// Check an RE2 regular expression: `Err(reason)` phrased to follow "... is not valid: ".
pub fn check(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("it is empty".to_string());
    }
    if pattern.len() > MAX_LENGTH {
        return Err(format!("it is {} characters long, Istio's limit is {MAX_LENGTH}", pattern.len()));
    }
    let ast = ast::parse::Parser::new().parse(pattern).map_err(|e| e.kind().to_string())?;
    ast::visit(&ast, Re2)?;
    regex_syntax::hir::translate::Translator::new()
        .translate(pattern, &ast)
        .map_err(|e| e.kind().to_string())?;
    Ok(())
}

/// General category names RE2 accepts in `\p{...}` (besides one-letter names and scripts).
const RE2_CATEGORIES: &[&str] = &[
    "Any", "Cc", "Cf", "Co", "Cs", "Ll", "Lm", "Lo", "Lt", "Lu", "Mc", "Me", "Mn", "Nd", "Nl", "No", "Pc",
    "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "Sc", "Sk", "Sm", "So", "Zl", "Zp", "Zs",
];

/// Property names the `regex` crate accepts and RE2 does not (long category names and binary
/// properties); everything else that looks like a script name (`Greek`, `Old_Italic`) is accepted.
const NOT_RE2: &[&str] = &[
    "Alphabetic",
    "Alpha",
    "Assigned",
    "ASCII",
    "Cased_Letter",
    "Close_Punctuation",
    "Connector_Punctuation",
    "Control",
    "Currency_Symbol",
    "Dash",
    "Dash_Punctuation",
    "Decimal_Number",
    "Digit",
    "Emoji",
    "Enclosing_Mark",
    "Final_Punctuation",
    "Format",
    "Hex_Digit",
    "Ideographic",
    "Initial_Punctuation",
    "Letter",
    "Letter_Number",
    "Line_Separator",
    "Lowercase",
    "Lowercase_Letter",
    "Mark",
    "Math",
    "Math_Symbol",
    "Modifier_Letter",
    "Modifier_Symbol",
    "Nonspacing_Mark",
    "Number",
    "Open_Punctuation",
    "Other",
    "Other_Letter",
    "Other_Number",
    "Other_Punctuation",
    "Other_Symbol",
    "Paragraph_Separator",
    "Private_Use",
    "Punctuation",
    "Separator",
    "Space_Separator",
    "Spacing_Mark",
    "Surrogate",
    "Symbol",
    "Titlecase_Letter",
    "Unassigned",
    "Uppercase",
    "Uppercase_Letter",
    "White_Space",
    "Whitespace",
];

fn unicode_name(name: &str) -> Result<(), String> {
    let script_like = name.split('_').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_lowercase())
    });
    if RE2_CATEGORIES.contains(&name) || (script_like && !NOT_RE2.contains(&name)) {
        Ok(())
    } else {
        Err(format!(
            "RE2 knows \\p{{{name}}} only as a general category (such as Lu) or a script (such as Greek), spelled exactly"
        ))
    }
}

fn flags(flags: &Flags) -> Result<(), String> {
    for item in &flags.items {
        if let FlagsItemKind::Flag(flag @ (Flag::Unicode | Flag::CRLF | Flag::IgnoreWhitespace)) = item.kind {
            let letter = match flag {
                Flag::Unicode => 'u',
                Flag::CRLF => 'R',
                _ => 'x',
            };
            return Err(format!("RE2 has no flag {letter:?} (it supports i, m, s and U)"));
        }
    }
    Ok(())
}

fn literal(lit: &Literal) -> Result<(), String> {
    match lit.kind {
        LiteralKind::HexFixed(HexLiteralKind::UnicodeShort | HexLiteralKind::UnicodeLong)
        | LiteralKind::HexBrace(HexLiteralKind::UnicodeShort | HexLiteralKind::UnicodeLong) => {
            Err("RE2 has no \\u or \\U escapes; write \\x{...}".to_string())
        }
        _ => Ok(()),
    }
}

struct Re2;

impl Visitor for Re2 {
    type Output = ();
    type Err = String;

    fn finish(self) -> Result<(), String> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), String> {
        match ast {
            Ast::Flags(set) => flags(&set.flags),
            Ast::Group(group) => match &group.kind {
                GroupKind::NonCapturing(f) => flags(f),
                _ => Ok(()),
            },
            Ast::Literal(lit) => literal(lit),
            Ast::Assertion(assertion) => match assertion.as_ref() {
                Assertion {
                    kind:
                        AssertionKind::WordBoundaryStart
                        | AssertionKind::WordBoundaryEnd
                        | AssertionKind::WordBoundaryStartAngle
                        | AssertionKind::WordBoundaryEndAngle
                        | AssertionKind::WordBoundaryStartHalf
                        | AssertionKind::WordBoundaryEndHalf,
                    ..
                } => Err("RE2 has only the word boundaries \\b and \\B".to_string()),
                _ => Ok(()),
            },
            Ast::ClassUnicode(class) => match &class.kind {
                ClassUnicodeKind::OneLetter(_) => Ok(()),
                ClassUnicodeKind::Named(name) => unicode_name(name),
                ClassUnicodeKind::NamedValue { .. } => {
                    Err("RE2 has no \\p{name=value} classes; write \\p{Greek} or \\p{Lu}".to_string())
                }
            },
            Ast::Repetition(rep) => match &rep.op.kind {
                RepetitionKind::Range(
                    RepetitionRange::Exactly(n)
                    | RepetitionRange::AtLeast(n)
                    | RepetitionRange::Bounded(_, n),
                ) if *n > 1000 => Err(format!("RE2 allows repetition counts up to 1000, not {n}")),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), String> {
        match item {
            ClassSetItem::Bracketed(_) => Err("RE2 has no nested character classes".to_string()),
            ClassSetItem::Literal(lit) => literal(lit),
            ClassSetItem::Unicode(class) => match &class.kind {
                ClassUnicodeKind::Named(name) => unicode_name(name),
                ClassUnicodeKind::NamedValue { .. } => {
                    Err("RE2 has no \\p{name=value} classes; write \\p{Greek} or \\p{Lu}".to_string())
                }
                ClassUnicodeKind::OneLetter(_) => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn visit_class_set_binary_op_pre(&mut self, _op: &ClassSetBinaryOp) -> Result<(), String> {
        Err("RE2 has no class set operations (&&, --, ~~)".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn re2_syntax_is_accepted() {
        for ok in [
            "^/v[0-9]+/items",
            "/api/.*",
            "(?i)^/Shop",
            r"\p{Greek}+",
            r"\pL\d\w\s",
            r"(?P<id>\d+)",
            r"[[:alpha:]]{2,1000}",
            r"\x{263a}",
            r"\/escaped",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
    }

    #[test]
    fn what_re2_refuses_is_refused() {
        for bad in [
            "",
            "(unclosed",
            "[a-z&&[^aeiou]]",
            "[a[bc]]",
            "(?x) a b",
            r"\<word\>",
            r"\b{start}x",
            r"\u0041",
            "a{1001}",
            r"\p{Alphabetic}",
            r"\p{greek}",
            r"\p{sc=Greek}",
            r"(a)\1",
            "(?=lookahead)",
        ] {
            assert!(check(bad).is_err(), "{bad} was accepted");
        }
        assert!(check(&"a".repeat(1025)).is_err());
    }
}
