import { SQL_NOW_MS } from '../now.js';

export const MODEL_STATUSES = ['active', 'archived'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/**
 * `sys_models`: ONNX models as rows, one per (name, version). `version` may be omitted on insert; an AFTER
 * INSERT trigger then sets it to max(version)+1 for that name. Decoding and validating the ONNX bytes is the
 * ml module's job (it installs the triggers that call its validator), the engine only stores them.
 */
export const modelsSchema = `
CREATE TABLE sys_models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL
    CONSTRAINT "sys_models.name must be 1-128 characters of A-Z, a-z, 0-9, '_', '-' and '.' (no '@')"
    CHECK (length(name) BETWEEN 1 AND 128 AND name NOT GLOB '*[^A-Za-z0-9_.-]*'),
  version INTEGER
    CONSTRAINT "sys_models.version must be a positive integer" CHECK (version IS NULL OR version >= 1),
  onnx BLOB NOT NULL
    CONSTRAINT "sys_models.onnx must be a BLOB holding an ONNX ModelProto" CHECK (typeof(onnx) = 'blob'),
  sha256 TEXT,
  task TEXT
    CONSTRAINT "sys_models.task must be one of: classification, regression, transform"
    CHECK (task IS NULL OR task IN ('classification', 'regression', 'transform')),
  opset INTEGER,
  inputs TEXT CONSTRAINT "sys_models.inputs must be JSON" CHECK (inputs IS NULL OR json_valid(inputs)),
  outputs TEXT CONSTRAINT "sys_models.outputs must be JSON" CHECK (outputs IS NULL OR json_valid(outputs)),
  feature_names TEXT
    CONSTRAINT "sys_models.feature_names must be a JSON array"
    CHECK (feature_names IS NULL OR (json_valid(feature_names) AND json_type(feature_names) = 'array')),
  metrics TEXT CONSTRAINT "sys_models.metrics must be JSON" CHECK (metrics IS NULL OR json_valid(metrics)),
  created_by TEXT NOT NULL DEFAULT 'user',
  created_at INTEGER NOT NULL DEFAULT (${SQL_NOW_MS}),
  status TEXT NOT NULL DEFAULT 'active'
    CONSTRAINT "sys_models.status must be one of: active, archived" CHECK (status IN ('active', 'archived'))
) STRICT;

CREATE UNIQUE INDEX sys_models_name_version ON sys_models(name, version);

CREATE TRIGGER sys_models_next_version AFTER INSERT ON sys_models
WHEN NEW.version IS NULL
BEGIN
  UPDATE sys_models
    SET version = (SELECT coalesce(max(version), 0) + 1 FROM sys_models WHERE name = NEW.name AND id <> NEW.id)
    WHERE id = NEW.id;
END;
`;
