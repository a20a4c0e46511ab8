//! The mock's stand-in for a tokenizer: one token per whitespace-separated word.
//!
//! Real token counts depend on the model's vocabulary; words keep the numbers predictable, so a
//! test can compute the expected `usage` and the `max_tokens` cut-off by eye.

/// How many tokens `text` holds.
pub(crate) fn count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// `text` cut into one piece per token, each word carrying the whitespace before it, so the
/// pieces concatenate back to `text` exactly. Streams send one piece per event.
pub(crate) fn pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut space_start = 0;
    let mut after_space = false;

    for (index, ch) in text.char_indices() {
        if ch.is_whitespace() && !after_space {
            space_start = index;
        }
        let word_starts = after_space && !ch.is_whitespace();
        // Leading whitespace joins the first word rather than standing alone.
        if word_starts && count(&text[start..space_start]) > 0 {
            pieces.push(&text[start..space_start]);
            start = space_start;
        }
        after_space = ch.is_whitespace();
    }

    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// The first `limit` tokens of `text`, or `None` when it already fits.
pub(crate) fn truncate(text: &str, limit: usize) -> Option<String> {
    let pieces = pieces(text);
    (count(text) > limit).then(|| pieces[..limit].concat())
}

/// `text` up to the earliest stop sequence, or `None` when none occurs. The returned text does
/// not contain the sequence, as the API documents.
pub(crate) fn cut_at_stop(text: &str, stop: &[&str]) -> Option<String> {
    stop.iter()
        .filter(|sequence| !sequence.is_empty())
        .filter_map(|sequence| text.find(sequence))
        .min()
        .map(|end| text[..end].to_owned())
}

/// `text` cut into pieces of at most `size` characters, for streaming tool-call arguments.
pub(crate) fn fragments(text: &str, size: usize) -> Vec<&str> {
    let mut fragments = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest
            .char_indices()
            .nth(size)
            .map_or(rest.len(), |(index, _)| index);
        let (fragment, tail) = rest.split_at(end);
        fragments.push(fragment);
        rest = tail;
    }
    fragments
}

/// Why a generated reply ended, and the reply itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Generated {
    pub(crate) text: String,
    pub(crate) finish_reason: &'static str,
}

/// Applies the stop sequences, then the token limit, to a full reply.
pub(crate) fn generate(reply: &str, stop: &[&str], max_tokens: Option<usize>) -> Generated {
    // A stop sequence is a natural end, so it reports "stop" like an unhindered reply.
    let text = cut_at_stop(reply, stop).unwrap_or_else(|| reply.to_owned());

    match max_tokens.and_then(|limit| truncate(&text, limit)) {
        Some(text) => Generated {
            text,
            finish_reason: "length",
        },
        None => Generated {
            text,
            finish_reason: "stop",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_concatenate_back_to_the_text() {
        let text = "  Echo:  hello\nworld ";
        let pieces = pieces(text);

        assert_eq!(pieces, vec!["  Echo:", "  hello", "\nworld "]);
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces.len(), count(text));
    }

    #[test]
    fn truncation_keeps_whole_words() {
        assert_eq!(truncate("a b c", 2), Some("a b".to_owned()));
        assert_eq!(truncate("a b c", 3), None);
        assert_eq!(truncate("a b c", 0), Some(String::new()));
    }

    #[test]
    fn stop_sequences_cut_before_the_earliest_match() {
        assert_eq!(
            cut_at_stop("one two three", &["three", "two"]),
            Some("one ".to_owned())
        );
        assert_eq!(cut_at_stop("one", &["", "x"]), None);
    }

    #[test]
    fn generation_reports_why_it_ended() {
        assert_eq!(generate("a b c", &[], Some(2)).finish_reason, "length");
        assert_eq!(generate("a b c", &["b"], Some(2)).text, "a ");
        assert_eq!(generate("a b c", &[], None).finish_reason, "stop");
    }

    #[test]
    fn fragments_respect_character_boundaries() {
        assert_eq!(fragments("{\"é\":1}", 3), vec!["{\"é", "\":1", "}"]);
        assert!(fragments("", 3).is_empty());
    }
}
