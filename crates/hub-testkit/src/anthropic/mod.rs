//! A strict emulator of Anthropic's Messages API (PROTOCOLS.md section 2), a sibling of the
//! OpenAI emulator sharing its recording, faults, pacing and token counting.
//!
//! It answers `POST /v1/messages` whole or as an event stream with `event:` lines, and
//! refuses what the real API refuses: a missing key or `anthropic-version`, a body without
//! `max_tokens`, a `system` role message, fields the API does not know, empty turns, and
//! tool calls without their results in the next turn.

mod api;
mod content;
mod error;
mod fields;
mod mock;
mod reply;
mod request;

pub use mock::{ANTHROPIC_MODELS, AnthropicConfig, AnthropicMock, StreamError};
