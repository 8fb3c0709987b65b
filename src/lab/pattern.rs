//! A tiny regular-expression matcher for the NoSQL `$regex` operator.
//!
//! The lab only needs the patterns injection payloads use (`.*`, `^a`, `[a-z]+`, `x?`), and must not be
//! ReDoS-able itself, so this is a memoised matcher over a small subset, linear in pattern × text:
//! literals, `.`, `\` escapes, classes `[a-z]` / `[^0-9]`, quantifiers `*` `+` `?`, anchors `^` `$`.
//! Groups and alternation are not supported; `(`, `)` and `|` match themselves.

/// Longest pattern accepted.
const MAX_PATTERN: usize = 256;

/// One pattern element.
#[derive(Debug, Clone)]
enum Atom {
    Any,
    Char(char),
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// How often an atom may repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    One,
    ZeroOrOne,
    ZeroOrMore,
    OneOrMore,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    items: Vec<(Atom, Repeat)>,
    anchored_start: bool,
    anchored_end: bool,
    case_insensitive: bool,
}

impl Pattern {
    /// Compiles `source`; `None` when it is too long or malformed (unclosed class, dangling quantifier).
    pub fn new(source: &str, case_insensitive: bool) -> Option<Self> {
        if source.chars().count() > MAX_PATTERN {
            return None;
        }
        let mut chars = source.chars().peekable();
        let anchored_start = chars.next_if_eq(&'^').is_some();
        let mut items: Vec<(Atom, Repeat)> = Vec::new();
        let mut anchored_end = false;
        while let Some(c) = chars.next() {
            let atom = match c {
                '$' if chars.peek().is_none() => {
                    anchored_end = true;
                    break;
                }
                '.' => Atom::Any,
                '\\' => Atom::Char(chars.next()?),
                '[' => parse_class(&mut chars)?,
                '*' | '+' | '?' => return None,
                other => Atom::Char(other),
            };
            let repeat = match chars.peek() {
                Some('*') => Repeat::ZeroOrMore,
                Some('+') => Repeat::OneOrMore,
                Some('?') => Repeat::ZeroOrOne,
                _ => Repeat::One,
            };
            if repeat != Repeat::One {
                chars.next();
            }
            items.push((atom, repeat));
        }
        Some(Self {
            items,
            anchored_start,
            anchored_end,
            case_insensitive,
        })
    }

    /// Whether the pattern matches somewhere in `text` (at its start when anchored with `^`).
    pub fn is_match(&self, text: &str) -> bool {
        let fold = |c: char| {
            if self.case_insensitive {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            }
        };
        let text: Vec<char> = text.chars().map(fold).collect();
        let starts: Vec<usize> = if self.anchored_start {
            vec![0]
        } else {
            (0..=text.len()).collect()
        };
        let mut memo = vec![None; (self.items.len() + 1) * (text.len() + 1)];
        starts
            .into_iter()
            .any(|start| self.match_at(0, start, &text, &mut memo, &fold))
    }

    /// Memoised: does items[item..] match text[pos..] (to the end when anchored with `$`)?
    fn match_at(
        &self,
        item: usize,
        pos: usize,
        text: &[char],
        memo: &mut [Option<bool>],
        fold: &dyn Fn(char) -> char,
    ) -> bool {
        let key = item * (text.len() + 1) + pos;
        if let Some(known) = memo.get(key).copied().flatten() {
            return known;
        }
        let result = match self.items.get(item) {
            None => !self.anchored_end || pos == text.len(),
            Some((atom, repeat)) => {
                let here = text.get(pos).is_some_and(|c| atom_matches(atom, *c, fold));
                match repeat {
                    Repeat::One => here && self.match_at(item + 1, pos + 1, text, memo, fold),
                    Repeat::ZeroOrOne => {
                        self.match_at(item + 1, pos, text, memo, fold)
                            || (here && self.match_at(item + 1, pos + 1, text, memo, fold))
                    }
                    // `x*` here: skip it, or eat one x and stay on the same item.
                    Repeat::ZeroOrMore => {
                        self.match_at(item + 1, pos, text, memo, fold)
                            || (here && self.match_at(item, pos + 1, text, memo, fold))
                    }
                    Repeat::OneOrMore => {
                        here && (self.match_at(item + 1, pos + 1, text, memo, fold)
                            || self.match_at(item, pos + 1, text, memo, fold))
                    }
                }
            }
        };
        if let Some(slot) = memo.get_mut(key) {
            *slot = Some(result);
        }
        result
    }
}

/// Parses a class after its `[`.
fn parse_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<Atom> {
    let negated = chars.next_if_eq(&'^').is_some();
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = chars.next()?;
        if c == ']' && !first {
            break;
        }
        first = false;
        let low = if c == '\\' { chars.next()? } else { c };
        let high = if chars.peek() == Some(&'-') {
            chars.next();
            match chars.next()? {
                // `[a-]`: the dash is literal.
                ']' => {
                    ranges.push((low, low));
                    ranges.push(('-', '-'));
                    break;
                }
                '\\' => chars.next()?,
                other => other,
            }
        } else {
            low
        };
        ranges.push((low, high));
    }
    Some(Atom::Class { negated, ranges })
}

fn atom_matches(atom: &Atom, c: char, fold: &dyn Fn(char) -> char) -> bool {
    match atom {
        Atom::Any => c != '\n',
        Atom::Char(expected) => fold(*expected) == c,
        Atom::Class { negated, ranges } => {
            let inside = ranges.iter().any(|(low, high)| {
                (fold(*low)..=fold(*high)).contains(&c) || (*low..=*high).contains(&c)
            });
            inside != *negated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn matches(pattern: &str, text: &str) -> bool {
        Pattern::new(pattern, false).expect("valid").is_match(text)
    }

    #[test]
    fn subset_semantics() {
        assert!(matches(".*", "Widget"));
        assert!(matches("", "Widget"));
        assert!(matches("^W", "Widget"));
        assert!(!matches("^w", "Widget"));
        assert!(Pattern::new("^w", true).expect("valid").is_match("Widget"));
        assert!(matches("dg", "Widget"));
        assert!(matches("^[A-Z][a-z]+t$", "Widget"));
        assert!(!matches("^[^W]", "Widget"));
        assert!(matches("^G.?adget$", "Gadget"));
        assert!(matches("a\\.b", "a.b"));
        assert!(!matches("a\\.b", "axb"));
        assert!(matches("x*", ""));
    }

    #[test]
    fn malformed_and_hostile_patterns() {
        for bad in ["*", "[abc", "a\\", "+x", &"a".repeat(300)] {
            assert!(Pattern::new(bad, false).is_none(), "{bad}");
        }
        // Catastrophic for a backtracking engine; linear here.
        let evil = "a*".repeat(60) + "b";
        assert!(!matches(&evil, &"a".repeat(200)));
    }
}
