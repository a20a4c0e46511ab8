//! The plugins a pipeline is built from, each a tower layer or service.

pub(crate) mod logging;
pub(crate) mod model_router;
pub(crate) mod trace;
