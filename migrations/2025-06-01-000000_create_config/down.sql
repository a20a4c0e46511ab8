DROP TABLE pipeline_plugins;
DROP TABLE pipelines;
DROP TABLE model_definitions;
DROP TABLE providers;
DROP TABLE secrets;
DROP TABLE config_revision;
DROP FUNCTION config_changed();
