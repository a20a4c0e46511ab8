//! The unique values every credential and the prompt carry in the secrecy tests, and the
//! search for them in what the gateway let out.

/// The OpenAI key the emulator accepts, and a wrong one it quotes back whole.
pub(crate) const OPENAI_KEY: &str = "sk-mkr-openai-key-5a1f0c3e9d7b2468";
pub(crate) const OPENAI_WRONG_KEY: &str = "sk-mkr-openai-wrong-8e2d4c6a0b1f3579";
pub(crate) const ANTHROPIC_KEY: &str = "sk-ant-mkr-anthropic-key-3c5e7a9b1d2f4680";
pub(crate) const ANTHROPIC_WRONG_KEY: &str = "sk-ant-mkr-anthropic-wrong-6b8d0f2a4c6e8a1c";
pub(crate) const AZURE_KEY: &str = "mkr-azure-api-key-0f1e2d3c4b5a69788796";
pub(crate) const AZURE_WRONG_KEY: &str = "mkr-azure-wrong-key-a5b4c3d2e1f0a9b8c7d6";
pub(crate) const AZURE_AD_TOKEN: &str = "mkr-entra-token-eyJ0eXAiOiJKV1QiLCJhbGciOiJ";
pub(crate) const AZURE_WRONG_AD_TOKEN: &str = "mkr-entra-wrong-eyJhbGciOiJSUzI1NiIsImtpZC";
pub(crate) const VERTEX_API_KEY: &str = "AIzaMkrVertexApiKey0123456789abcdefghij";
pub(crate) const VERTEX_WRONG_API_KEY: &str = "AIzaMkrVertexWrongKey9876543210zyxwvut";
/// Every access token the Vertex emulator issues starts so.
pub(crate) const VERTEX_TOKEN_PREFIX: &str = "ya29.mock-";
pub(crate) const AWS_KEY_ID: &str = "AKIAMKRBEDROCKKEY001";
pub(crate) const AWS_SECRET: &str = "mkrAwsSecret/K7MDENG+bPxRfiCYEXAMPLEKEY01";
pub(crate) const AWS_SESSION_TOKEN: &str = "mkr-aws-session-token-IQoJb3JpZ2luX2VjEJr";
pub(crate) const AWS_WRONG_KEY_ID: &str = "AKIAMKRBEDROCKWRONG9";
pub(crate) const AWS_WRONG_SECRET: &str = "mkrAwsWrongSecret/bPxRfiCYEXAMPLEKEY0002";
pub(crate) const AWS_WRONG_SESSION_TOKEN: &str = "mkr-aws-wrong-session-FwoGZXIvYXdzEBYaDH";
pub(crate) const TRACING_KEY: &str = "mkr-otlp-exporter-key-7d9f1b3d5f7a9c1e";
/// In every prompt; content tracing is off, so it may only come back as the model's echo.
pub(crate) const PROMPT: &str = "mkr-prompt-content-2f4a6c8e0a2c4e6a";

/// The credentials that must appear nowhere the gateway writes or answers.
pub(crate) fn credentials(private_key_line: &str) -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> = [
        ("OpenAI api_key", OPENAI_KEY),
        ("OpenAI wrong api_key", OPENAI_WRONG_KEY),
        ("Anthropic api_key", ANTHROPIC_KEY),
        ("Anthropic wrong api_key", ANTHROPIC_WRONG_KEY),
        ("Azure api-key", AZURE_KEY),
        ("Azure wrong api-key", AZURE_WRONG_KEY),
        ("Azure Entra token", AZURE_AD_TOKEN),
        ("Azure wrong Entra token", AZURE_WRONG_AD_TOKEN),
        ("Vertex API key", VERTEX_API_KEY),
        ("Vertex wrong API key", VERTEX_WRONG_API_KEY),
        ("Vertex access token", VERTEX_TOKEN_PREFIX),
        ("aws_access_key_id", AWS_KEY_ID),
        ("aws_secret_access_key", AWS_SECRET),
        ("aws_session_token", AWS_SESSION_TOKEN),
        ("wrong aws_access_key_id", AWS_WRONG_KEY_ID),
        ("wrong aws_secret_access_key", AWS_WRONG_SECRET),
        ("wrong aws_session_token", AWS_WRONG_SESSION_TOKEN),
        ("tracing exporter api_key", TRACING_KEY),
    ]
    .into_iter()
    .map(|(what, value)| (what, value.to_owned()))
    .collect();
    all.push(("Vertex private key", private_key_line.to_owned()));
    all
}

/// Where each marker of `markers` shows in `text`, as `what: place: ...context...`.
pub(crate) fn find(markers: &[(&str, String)], place: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (what, marker) in markers {
        if let Some(at) = text.find(marker.as_str()) {
            let start = text.floor_char_boundary(at.saturating_sub(200));
            let end = text.ceil_char_boundary((at + marker.len() + 100).min(text.len()));
            found.push(format!("{what} in {place}: ...{}...", &text[start..end]));
        }
    }
    found
}
