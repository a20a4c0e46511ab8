//! Swagger UI's page and files, compiled into the binary.

use super::{SPEC_PATH, UI_PATH};

/// The page, and the script that points Swagger UI at [`SPEC_PATH`] of the same server.
/// Every path in them is relative to the page at [`UI_PATH`], so they work beneath any path
/// prefix a proxy adds; `/swagger-ui/`, where they would not, redirects to the page.
const PAGE: &[u8] = include_bytes!("index.html");
const INITIALIZER: &[u8] = include_bytes!("swagger-initializer.js");

/// A file served as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticFile {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// Where to send a browser that asked for the page with a trailing slash: back to the page,
/// by a path relative to the one asked for, so a proxy's prefix stays.
pub fn swagger_ui_redirect(path: &str) -> Option<&'static str> {
    (path.strip_suffix('/') == Some(UI_PATH)).then_some("../swagger-ui")
}

/// The Swagger UI file at `path`: the page at [`UI_PATH`], its assets at
/// `/swagger-ui/{file}`, or `None` for any other path.
pub fn swagger_ui(path: &str) -> Option<StaticFile> {
    let path = path.trim_end_matches('/');
    if path == UI_PATH {
        return Some(StaticFile {
            content_type: "text/html; charset=utf-8",
            body: PAGE,
        });
    }

    let file = path.strip_prefix(UI_PATH)?.strip_prefix('/')?;
    if file == "swagger-initializer.js" {
        return Some(StaticFile {
            content_type: "text/javascript; charset=utf-8",
            body: INITIALIZER,
        });
    }
    swagger_ui_redist::SwaggerUi::static_files()
        .iter()
        .find(|(asset, _)| asset.file_name() == file)
        .map(|(_, body)| StaticFile {
            content_type: content_type(file),
            body,
        })
}

/// The names of the files beneath [`UI_PATH`].
pub(crate) fn file_names() -> impl Iterator<Item = &'static str> {
    let assets = swagger_ui_redist::SwaggerUi::static_files()
        .iter()
        .map(|(asset, _)| asset.file_name());
    std::iter::once("swagger-initializer.js").chain(assets)
}

/// Whether `path` is the spec or Swagger UI, which hold no secret and are served without
/// authentication: the page's Authorize button is how a reader presents a token.
pub fn is_documentation(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == SPEC_PATH
        || path == UI_PATH
        || path
            .strip_prefix(UI_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, extension)| extension) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_assets_are_embedded() {
        let page = swagger_ui(UI_PATH).expect("the page");
        let html = std::str::from_utf8(page.body).expect("UTF-8");
        for asset in [
            "swagger-ui.css",
            "swagger-ui-bundle.js",
            "swagger-initializer.js",
        ] {
            // Relative to the page, so beneath a proxy's prefix too.
            assert!(
                html.contains(&format!("\"swagger-ui/{asset}\"")),
                "the page links {asset}"
            );
            let path = format!("{UI_PATH}/{asset}");
            assert!(
                swagger_ui(&path).is_some_and(|file| !file.body.is_empty()),
                "{path}"
            );
        }
        let script = std::str::from_utf8(INITIALIZER).expect("UTF-8");
        let spec = SPEC_PATH.trim_start_matches('/');
        assert!(script.contains(&format!("new URL(\"{spec}\", window.location.href)")));
    }

    #[test]
    fn the_page_with_a_trailing_slash_redirects_to_itself() {
        assert_eq!(swagger_ui_redirect("/swagger-ui/"), Some("../swagger-ui"));
        assert_eq!(swagger_ui_redirect(UI_PATH), None);
        assert_eq!(swagger_ui_redirect("/swagger-ui/swagger-ui.css"), None);
    }

    #[test]
    fn nothing_is_fetched_from_elsewhere() {
        let page = std::str::from_utf8(PAGE).expect("UTF-8");
        let script = std::str::from_utf8(INITIALIZER).expect("UTF-8");
        assert!(!page.contains("//"), "the page links only its own server");
        assert!(
            script.contains("validatorUrl: null"),
            "no badge from the online validator"
        );
    }

    #[test]
    fn every_file_named_is_served() {
        for name in file_names() {
            assert!(swagger_ui(&format!("{UI_PATH}/{name}")).is_some(), "{name}");
        }
    }

    #[test]
    fn other_paths_are_not_swagger_ui() {
        assert_eq!(swagger_ui("/swagger-ui/../openapi.json"), None);
        assert_eq!(swagger_ui("/swagger-uix"), None);
        assert!(!is_documentation("/swagger-uix"));
        assert!(is_documentation("/openapi.json"));
        assert!(is_documentation("/swagger-ui/index.css"));
    }
}
