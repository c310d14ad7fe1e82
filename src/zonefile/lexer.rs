//! Master-file tokens (RFC 1035 section 5.1): words, quoted character-strings, comments,
//! parentheses and the ends of logical lines, each with its line, column and byte offset.
//!
//! The lexer knows the three things that cross token boundaries: a backslash escapes the next
//! byte (so `\;` and `\(` are word characters, and an escaped line feed continues a word),
//! quotes hold spaces and specials, and parentheses make line feeds inside them part of one
//! logical line. It keeps escapes as written; `text` decodes them where their meaning (a label
//! or an octet of a string) is known.
//!
//! It is strict where servers could read a byte differently: a control character (carriage
//! return included) outside an escape, a line feed inside quotes, and a quote touching a word
//! (`ab"cd"`) are errors rather than guesses, so what this reader accepts, BIND, Knot and NSD
//! read the same way.

use super::{Error, ErrorKind, Position};

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A run of characters up to a space, a line feed or a special (`;`, `(`, `)`, `"`);
    /// `text` keeps its escapes.
    Word,
    /// A quoted character-string; `text` is what lies between the quotes, escapes kept.
    Quoted,
    /// A comment; `text` is what follows the `;` up to the end of its line.
    Comment,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// A line feed outside parentheses: the end of a logical line (an entry).
    End,
}

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// What it is.
    pub(crate) kind: TokenKind,
    /// Its text (see [`TokenKind`]).
    pub(crate) text: &'a [u8],
    /// Where it starts (for a quoted string, its opening quote).
    pub(crate) position: Position,
    /// The byte offset where it starts.
    pub(crate) offset: usize,
}

/// Splits master-file text into [`Token`]s.
#[derive(Clone, Debug)]
pub(crate) struct Lexer<'a> {
    text: &'a [u8],
    at: usize,
    line: u32,
    line_start: usize,
    /// Parentheses open now.
    depth: u32,
    /// The outermost open parenthesis: where, and its offset.
    open: Option<(Position, usize)>,
    /// True when nothing was read yet or the last byte read was a line feed that ended a
    /// logical line: the next byte starts a fresh line, with no word, string, comment or
    /// parenthesis carried into it.
    clean: bool,
}

/// Byte classes, looked up once per byte of a word.
const WORD: u8 = 0;
const SPACE: u8 = 1;
const LINE_FEED: u8 = 2;
const SPECIAL: u8 = 3;
const BACKSLASH: u8 = 4;
const CONTROL: u8 = 5;

const fn classes() -> [u8; 256] {
    let mut table = [WORD; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = CONTROL;
        byte += 1;
    }
    table[0x7f] = CONTROL;
    table[b' ' as usize] = SPACE;
    table[b'\t' as usize] = SPACE;
    table[b'\n' as usize] = LINE_FEED;
    table[b';' as usize] = SPECIAL;
    table[b'(' as usize] = SPECIAL;
    table[b')' as usize] = SPECIAL;
    table[b'"' as usize] = SPECIAL;
    table[b'\\' as usize] = BACKSLASH;
    table
}

static CLASS: [u8; 256] = classes();

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`, line 1.
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            at: 0,
            line: 1,
            line_start: 0,
            depth: 0,
            open: None,
            clean: true,
        }
    }

    /// True when the text read so far ends at the start of a fresh line: empty, or its last
    /// byte is a line feed outside parentheses, quotes, comments and escapes. Text that follows
    /// such a point is read exactly as it would be on its own.
    pub(crate) fn at_clean_line_start(&self) -> bool {
        self.clean
    }

    fn position(&self, offset: usize) -> Position {
        Position {
            line: self.line,
            column: u32::try_from(offset - self.line_start + 1).unwrap_or(u32::MAX),
        }
    }

    fn error(&self, kind: ErrorKind, offset: usize) -> Error {
        Error {
            kind: Box::new(kind),
            position: self.position(offset),
            offset,
        }
    }

    fn new_line(&mut self, after: usize) {
        self.line = self.line.saturating_add(1);
        self.line_start = after;
    }

    /// The next token, an error (after which the lexer continues with the bytes that follow
    /// the offending one), or `None` at the end.
    pub(crate) fn next_token(&mut self) -> Option<Result<Token<'a>, Error>> {
        loop {
            let Some(&byte) = self.text.get(self.at) else {
                // The end inside parentheses: report the opening one, once.
                if self.depth > 0 {
                    self.depth = 0;
                    let (position, offset) = self.open.take()?;
                    return Some(Err(Error {
                        kind: Box::new(ErrorKind::UnclosedParenthesis),
                        position,
                        offset,
                    }));
                }
                return None;
            };
            let start = self.at;
            match CLASS[usize::from(byte)] {
                SPACE => {
                    self.at += 1;
                    self.clean = false;
                }
                LINE_FEED => {
                    let position = self.position(start);
                    self.at += 1;
                    self.new_line(self.at);
                    self.clean = self.depth == 0;
                    if self.depth == 0 {
                        return Some(Ok(self.token(TokenKind::End, start, self.at, position)));
                    }
                }
                SPECIAL => {
                    self.clean = false;
                    return Some(match byte {
                        b';' => Ok(self.comment(start)),
                        b'(' => {
                            let position = self.position(start);
                            self.at += 1;
                            if self.depth == 0 {
                                self.open = Some((position, start));
                            }
                            self.depth = self.depth.saturating_add(1);
                            Ok(self.token(TokenKind::Open, start, self.at, position))
                        }
                        b')' => {
                            let position = self.position(start);
                            self.at += 1;
                            if self.depth == 0 {
                                Err(self.error(ErrorKind::UnbalancedParenthesis, start))
                            } else {
                                self.depth -= 1;
                                Ok(self.token(TokenKind::Close, start, self.at, position))
                            }
                        }
                        _ => self.quoted(start),
                    });
                }
                CONTROL => {
                    self.at += 1;
                    self.clean = false;
                    return Some(Err(self.error(ErrorKind::ControlCharacter(byte), start)));
                }
                _ => {
                    self.clean = false;
                    return Some(self.word(start));
                }
            }
        }
    }

    fn token(&self, kind: TokenKind, start: usize, end: usize, position: Position) -> Token<'a> {
        Token {
            kind,
            text: &self.text[start..end],
            position,
            offset: start,
        }
    }

    /// A comment, from its `;` to the end of its line (the line feed is left for the next
    /// token). Comments are not interpreted, so any byte but a line feed may appear in one.
    fn comment(&mut self, start: usize) -> Token<'a> {
        let position = self.position(start);
        let end =
            memchr::memchr(b'\n', &self.text[start..]).map_or(self.text.len(), |at| start + at);
        self.at = end;
        self.token(TokenKind::Comment, start + 1, end, position)
    }

    fn word(&mut self, start: usize) -> Result<Token<'a>, Error> {
        let position = self.position(start);
        let mut at = start;
        loop {
            // The common case first: a run of plain word bytes.
            at += self.text[at..]
                .iter()
                .take_while(|&&byte| CLASS[usize::from(byte)] == WORD)
                .count();
            let Some(&byte) = self.text.get(at) else {
                break;
            };
            match CLASS[usize::from(byte)] {
                BACKSLASH => {
                    // `\X` is X itself, whatever X is; a line feed escaped this way belongs to
                    // the word (and moves the line count on).
                    match self.text.get(at + 1) {
                        Some(b'\n') => {
                            at += 2;
                            self.new_line(at);
                        }
                        Some(_) => at += 2,
                        None => {
                            self.at = self.text.len();
                            return Err(self.error(ErrorKind::EscapeAtEnd, at));
                        }
                    }
                }
                SPECIAL if byte == b'"' => {
                    // `ab"cd"`: one word with quotes in it, or a word and a string? Servers
                    // differ, so neither.
                    self.at = at + 1;
                    return Err(self.error(ErrorKind::QuoteTouchesWord, at));
                }
                _ => break,
            }
        }
        self.at = at;
        Ok(Token {
            kind: TokenKind::Word,
            text: &self.text[start..at],
            position,
            offset: start,
        })
    }

    fn quoted(&mut self, start: usize) -> Result<Token<'a>, Error> {
        let position = self.position(start);
        let mut at = start + 1;
        loop {
            let Some(&byte) = self.text.get(at) else {
                self.at = at;
                return Err(Error {
                    kind: Box::new(ErrorKind::UnterminatedQuote),
                    position,
                    offset: start,
                });
            };
            match byte {
                b'"' => break,
                b'\\' => match self.text.get(at + 1) {
                    Some(b'\n') | None => {
                        return Err(self.unterminated(start, position, at + 1));
                    }
                    Some(_) => at += 2,
                },
                b'\n' => return Err(self.unterminated(start, position, at)),
                b'\t' => at += 1,
                _ if CLASS[usize::from(byte)] == CONTROL => {
                    // Skip the rest of the string so the next token is what follows it.
                    let rest = &self.text[at..];
                    self.at = at
                        + memchr::memchr2(b'"', b'\n', rest)
                            .map_or(rest.len(), |end| end + usize::from(rest[end] == b'"'));
                    return Err(self.error(ErrorKind::ControlCharacter(byte), at));
                }
                _ => at += 1,
            }
        }
        self.at = at + 1;
        // A string must be followed by a separator: `"ab"cd` is refused as `ab"cd"` is.
        let touches = self.text.get(self.at).is_some_and(|&next| {
            next == b'"' || matches!(CLASS[usize::from(next)], WORD | BACKSLASH)
        });
        if touches {
            let offset = self.at;
            self.at += 1;
            return Err(self.error(ErrorKind::QuoteTouchesWord, offset));
        }
        Ok(Token {
            kind: TokenKind::Quoted,
            text: &self.text[start + 1..at],
            position,
            offset: start,
        })
    }

    /// A quote not closed on its line: the error points at the opening quote, and reading goes
    /// on at the line feed, so the line ends where it ends for the reader.
    fn unterminated(&mut self, start: usize, position: Position, resume: usize) -> Error {
        self.at = resume.min(self.text.len());
        Error {
            kind: Box::new(ErrorKind::UnterminatedQuote),
            position,
            offset: start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Result<(TokenKind, String, u32, u32), ErrorKind>> {
        let mut lexer = Lexer::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(token) = lexer.next_token() {
            out.push(
                token
                    .map(|token| {
                        (
                            token.kind,
                            String::from_utf8_lossy(token.text).into_owned(),
                            token.position.line,
                            token.position.column,
                        )
                    })
                    .map_err(|error| *error.kind),
            );
        }
        out
    }

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokens(text)
            .into_iter()
            .map(|token| token.expect("no error").0)
            .collect()
    }

    #[test]
    fn words_strings_comments_and_line_ends_carry_their_positions() {
        use TokenKind::*;
        assert_eq!(
            tokens("www\t300 IN TXT \"a b;c\" ; note\n\tA 1.2.3.4"),
            [
                Ok((Word, "www".into(), 1, 1)),
                Ok((Word, "300".into(), 1, 5)),
                Ok((Word, "IN".into(), 1, 9)),
                Ok((Word, "TXT".into(), 1, 12)),
                Ok((Quoted, "a b;c".into(), 1, 16)),
                Ok((Comment, " note".into(), 1, 24)),
                Ok((End, "\n".into(), 1, 30)),
                Ok((Word, "A".into(), 2, 2)),
                Ok((Word, "1.2.3.4".into(), 2, 4)),
            ]
        );
    }

    #[test]
    fn line_feeds_inside_parentheses_do_not_end_the_line() {
        use TokenKind::*;
        assert_eq!(
            kinds("@ SOA a. b. (\n 1 ; serial\n 2 )\nx"),
            [
                Word, Word, Word, Word, Open, Word, Comment, Word, Close, End, Word
            ]
        );
    }

    #[test]
    fn escapes_keep_specials_and_line_feeds_inside_a_word() {
        use TokenKind::*;
        let mut lexer = Lexer::new(b"a\\;b\\(c\\\nd e");
        let word = lexer.next_token().unwrap().unwrap();
        assert_eq!((word.kind, word.text), (Word, &b"a\\;b\\(c\\\nd"[..]));
        let next = lexer.next_token().unwrap().unwrap();
        assert_eq!(
            (next.text, next.position.line, next.position.column),
            (&b"e"[..], 2, 3)
        );
        assert!(!lexer.at_clean_line_start());
    }

    #[test]
    fn what_servers_could_read_differently_is_refused() {
        let errors: Vec<ErrorKind> = [
            "a\rb",
            "ab\"cd\"",
            "\"ab\"cd",
            "\"ab\"\"cd\"",
            "\"ab\ncd\"",
            "\"ab",
            "\"a\u{1}b\"",
            ")",
            "( a",
            "a\\",
        ]
        .iter()
        .map(|text| {
            tokens(text)
                .into_iter()
                .find_map(Result::err)
                .unwrap_or_else(|| panic!("{text:?} is accepted"))
        })
        .collect();
        assert_eq!(
            errors,
            [
                ErrorKind::ControlCharacter(b'\r'),
                ErrorKind::QuoteTouchesWord,
                ErrorKind::QuoteTouchesWord,
                ErrorKind::QuoteTouchesWord,
                ErrorKind::UnterminatedQuote,
                ErrorKind::UnterminatedQuote,
                ErrorKind::ControlCharacter(1),
                ErrorKind::UnbalancedParenthesis,
                ErrorKind::UnclosedParenthesis,
                ErrorKind::EscapeAtEnd,
            ]
        );
    }

    #[test]
    fn an_unclosed_parenthesis_is_reported_where_it_opened() {
        let mut lexer = Lexer::new(b"a (\nb\nc");
        let mut last = None;
        while let Some(token) = lexer.next_token() {
            last = Some(token);
        }
        let error = last.unwrap().unwrap_err();
        assert_eq!(
            (*error.kind, error.position, error.offset),
            (
                ErrorKind::UnclosedParenthesis,
                Position { line: 1, column: 3 },
                2
            )
        );
    }

    #[test]
    fn a_clean_line_start_is_only_after_a_line_feed_that_ends_a_line() {
        let clean = |text: &str| {
            let mut lexer = Lexer::new(text.as_bytes());
            while lexer.next_token().is_some() {}
            lexer.at_clean_line_start()
        };
        assert!(clean(""));
        assert!(clean("a b\n"));
        assert!(clean("a ; comment\n"));
        assert!(!clean("a b"));
        assert!(!clean("a\n\t"));
        assert!(!clean("; comment"));
        assert!(!clean("a (\n"));
        assert!(!clean("a\\\n"));
    }
}
