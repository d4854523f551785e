//! A guard run before any parser: it measures how deeply an input nests and refuses one that
//! nests deeper than a limit.
//!
//! The SPARQL parser is recursive, so a query tens of thousands of groups deep would exhaust the
//! thread's stack and kill the process; the RDF parsers get the same guard so every input is
//! bounded the same way. The scan is a small lexer that skips strings, IRIs and comments, so
//! brackets inside them do not count, and it never allocates.

use crate::store::{Located, StoreError};

/// The lexical family of an input, which decides what opens and closes a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// SPARQL queries and updates, Turtle, TriG, N-Triples and N-Quads.
    SparqlOrTurtle,
    /// JSON-LD.
    Json,
    /// RDF/XML.
    Xml,
}

/// Fails with [`StoreError::TooDeep`] when `input` nests deeper than `limit`.
pub fn check_depth(input: &[u8], syntax: Syntax, limit: usize) -> Result<(), StoreError> {
    let mut scanner = Scanner {
        input,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        limit,
    };
    match syntax {
        Syntax::SparqlOrTurtle => scanner.sparql_or_turtle(),
        Syntax::Json => scanner.json(),
        Syntax::Xml => scanner.xml(),
    }
}

struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    line: u64,
    line_start: usize,
    depth: usize,
    limit: usize,
}

impl Scanner<'_> {
    fn peek(&self, offset: usize) -> Option<u8> {
        self.input.get(self.pos + offset).copied()
    }

    /// Moves past one byte, keeping the line count.
    fn bump(&mut self) {
        if self.input[self.pos] == b'\n' {
            self.line += 1;
            self.line_start = self.pos + 1;
        }
        self.pos += 1;
    }

    fn open(&mut self) -> Result<(), StoreError> {
        self.depth += 1;
        if self.depth > self.limit {
            let column = String::from_utf8_lossy(&self.input[self.line_start..=self.pos])
                .chars()
                .count() as u64;
            return Err(StoreError::TooDeep {
                depth: self.depth,
                limit: self.limit,
                at: Located {
                    line: self.line,
                    column,
                },
            });
        }
        Ok(())
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn sparql_or_turtle(&mut self) -> Result<(), StoreError> {
        while let Some(c) = self.peek(0) {
            match c {
                b'{' | b'(' | b'[' => self.open()?,
                b'}' | b')' | b']' => self.close(),
                b'#' => {
                    self.skip_until_newline();
                    continue;
                }
                b'"' | b'\'' => {
                    self.skip_string(c);
                    continue;
                }
                b'<' => {
                    if let Some(len) = self.iri_length() {
                        for _ in 0..len {
                            self.bump();
                        }
                        continue;
                    }
                }
                _ => {}
            }
            self.bump();
        }
        Ok(())
    }

    /// The length of an `IRIREF` token starting here, if one does: `<` then characters an IRI
    /// may hold, then `>`. A `<` that starts none is SPARQL's less-than.
    fn iri_length(&self) -> Option<usize> {
        let rest = &self.input[self.pos + 1..];
        for (i, &b) in rest.iter().enumerate() {
            match b {
                b'>' => return Some(i + 2),
                b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' => return None,
                0..=0x20 => return None,
                _ => {}
            }
        }
        None
    }

    fn skip_until_newline(&mut self) {
        while let Some(c) = self.peek(0) {
            self.bump();
            if c == b'\n' {
                break;
            }
        }
    }

    /// Skips a short or long (triple-quoted) string literal with its escapes.
    fn skip_string(&mut self, quote: u8) {
        let long = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let opener = if long { 3 } else { 1 };
        for _ in 0..opener {
            self.bump();
        }
        while let Some(c) = self.peek(0) {
            if c == b'\\' {
                self.bump();
                if self.peek(0).is_some() {
                    self.bump();
                }
                continue;
            }
            if c == quote {
                if !long {
                    self.bump();
                    return;
                }
                if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                    for _ in 0..3 {
                        self.bump();
                    }
                    return;
                }
            }
            if c == b'\n' && !long {
                // An unterminated short string: let the parser report it.
                return;
            }
            self.bump();
        }
    }

    fn json(&mut self) -> Result<(), StoreError> {
        while let Some(c) = self.peek(0) {
            match c {
                b'{' | b'[' => self.open()?,
                b'}' | b']' => self.close(),
                b'"' => {
                    self.bump();
                    while let Some(c) = self.peek(0) {
                        self.bump();
                        if c == b'\\' {
                            if self.peek(0).is_some() {
                                self.bump();
                            }
                        } else if c == b'"' {
                            break;
                        }
                    }
                    continue;
                }
                _ => {}
            }
            self.bump();
        }
        Ok(())
    }

    fn xml(&mut self) -> Result<(), StoreError> {
        while let Some(c) = self.peek(0) {
            if c != b'<' {
                self.bump();
                continue;
            }
            match self.peek(1) {
                Some(b'/') => {
                    self.close();
                    self.skip_tag();
                }
                Some(b'!') if self.input[self.pos..].starts_with(b"<!--") => {
                    self.skip_past(b"-->");
                }
                Some(b'!') if self.input[self.pos..].starts_with(b"<![CDATA[") => {
                    self.skip_past(b"]]>");
                }
                Some(b'?' | b'!') => {
                    self.skip_tag();
                }
                _ => {
                    self.open()?;
                    if self.skip_tag() {
                        self.close();
                    }
                }
            }
        }
        Ok(())
    }

    /// Skips a tag up to its `>`, honouring quoted attribute values; tells whether it was
    /// self-closing (`/>`).
    fn skip_tag(&mut self) -> bool {
        let mut quote = None;
        let mut previous = 0;
        while let Some(c) = self.peek(0) {
            self.bump();
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'"' || c == b'\'' => quote = Some(c),
                None if c == b'>' => return previous == b'/',
                None => {}
            }
            previous = c;
        }
        false
    }

    fn skip_past(&mut self, end: &[u8]) {
        while self.pos < self.input.len() {
            if self.input[self.pos..].starts_with(end) {
                for _ in 0..end.len() {
                    self.bump();
                }
                return;
            }
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(input: &str, syntax: Syntax, limit: usize) -> bool {
        check_depth(input.as_bytes(), syntax, limit).is_ok()
    }

    #[test]
    fn brackets_inside_strings_iris_and_comments_do_not_count() {
        let q = "SELECT * WHERE { ?s <http://x/((((> \"((((\" . # ((((\n ?s ?p '''{{{{'''}";
        assert!(depth_ok(q, Syntax::SparqlOrTurtle, 1));
    }

    #[test]
    fn a_hash_inside_an_iri_does_not_hide_what_follows() {
        let q = "SELECT * WHERE { <http://x#y> ?p ((((1)))) }";
        assert!(!depth_ok(q, Syntax::SparqlOrTurtle, 3));
        assert!(depth_ok(q, Syntax::SparqlOrTurtle, 5));
    }

    #[test]
    fn less_than_is_not_an_iri() {
        let q = "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ((?o > 1))) }";
        assert!(depth_ok(q, Syntax::SparqlOrTurtle, 4));
        assert!(!depth_ok(q, Syntax::SparqlOrTurtle, 3));
    }

    #[test]
    fn too_deep_names_the_place() {
        let q = format!("ASK {{\n  {}", "(".repeat(10));
        let err = check_depth(q.as_bytes(), Syntax::SparqlOrTurtle, 5).unwrap_err();
        match err {
            StoreError::TooDeep { at, depth, .. } => {
                assert_eq!(depth, 6);
                assert_eq!((at.line, at.column), (2, 7));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn json_and_xml_nesting_is_measured() {
        let deep_json = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert!(!depth_ok(&deep_json, Syntax::Json, 10));
        assert!(depth_ok(
            r#"{"a": "[[[[[[[[", "b": [1, 2]}"#,
            Syntax::Json,
            2
        ));
        let xml = "<?xml version='1.0'?><!-- <a><a><a> --><r><a x='>'><b/><b/></a></r>";
        assert!(depth_ok(xml, Syntax::Xml, 3));
        assert!(!depth_ok(xml, Syntax::Xml, 2));
    }
}
