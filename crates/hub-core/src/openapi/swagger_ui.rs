//! Swagger UI's page and files, compiled into the binary.

use super::{SPEC_PATH, UI_PATH};

/// The page, and the script that points Swagger UI at [`SPEC_PATH`] of the same server.
/// Asset paths are absolute so the page works at `/swagger-ui` and `/swagger-ui/` alike.
const PAGE: &[u8] = include_bytes!("index.html");
const INITIALIZER: &[u8] = include_bytes!("swagger-initializer.js");

/// A file served as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticFile {
    pub content_type: &'static str,
    pub body: &'static [u8],
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
        let page = swagger_ui("/swagger-ui/").expect("the page");
        let html = std::str::from_utf8(page.body).expect("UTF-8");
        for asset in [
            "swagger-ui.css",
            "swagger-ui-bundle.js",
            "swagger-initializer.js",
        ] {
            let path = format!("{UI_PATH}/{asset}");
            assert!(html.contains(&path), "the page links {path}");
            assert!(
                swagger_ui(&path).is_some_and(|file| !file.body.is_empty()),
                "{path}"
            );
        }
        let script = std::str::from_utf8(INITIALIZER).expect("UTF-8");
        assert!(script.contains(&format!("url: \"{SPEC_PATH}\"")));
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
