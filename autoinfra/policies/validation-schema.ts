import { NODE_PROVIDERS, NODE_ROLES, NODE_SPEC_COLUMNS } from '../../engine/index.js';

/** Keys accepted in `sys_scaling_policies.node_template`: the desired columns of `sys_nodes`. */
export const NODE_TEMPLATE_KEYS = NODE_SPEC_COLUMNS;

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * Checks a policy row (`NEW`) that the table's CHECK constraints cannot express, each with a literal
 * message (SQLite 3.40's RAISE takes only literals) saying what is wrong and what is accepted. Every
 * `sys_nodes` row a policy can insert is valid, so a breaching sample can never fail its transaction.
 */
const checks: readonly [when: string, message: string][] = [
  [
    `NEW.metric = '' OR NEW.metric GLOB '*[^a-zA-Z0-9_:]*' OR substr(NEW.metric, 1, 1) GLOB '[0-9]'`,
    'sys_scaling_policies.metric must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)',
  ],
  [
    `json_valid(NEW.label_match) AND EXISTS (SELECT 1 FROM json_each(NEW.label_match)
       WHERE type <> 'text' OR key = '' OR key GLOB '*[^a-zA-Z0-9_]*' OR substr(key, 1, 1) GLOB '[0-9]')`,
    'sys_scaling_policies.label_match must map label names ([a-zA-Z_][a-zA-Z0-9_]*) to string values, e.g. {"node_role":"data"}',
  ],
  [
    `json_valid(NEW.node_template) AND json_type(NEW.node_template) = 'object'
       AND EXISTS (SELECT 1 FROM json_each(NEW.node_template) WHERE key NOT IN (${list(NODE_TEMPLATE_KEYS)}))`,
    `sys_scaling_policies.node_template accepts only the keys: ${NODE_TEMPLATE_KEYS.join(', ')}`,
  ],
  [
    `json_valid(NEW.node_template) AND json_type(NEW.node_template) = 'object'
       AND EXISTS (SELECT 1 FROM json_each(NEW.node_template)
                   WHERE key IN ('provider', 'region', 'zone', 'instance_type', 'image', 'role') AND type <> 'text')`,
    'sys_scaling_policies.node_template: provider, region, zone, instance_type, image and role must be strings',
  ],
  [
    `json_valid(NEW.node_template) AND json_extract(NEW.node_template, '$.provider') NOT IN (${list(NODE_PROVIDERS)})`,
    `sys_scaling_policies.node_template.provider must be one of: ${NODE_PROVIDERS.join(', ')}`,
  ],
  [
    `json_valid(NEW.node_template) AND json_extract(NEW.node_template, '$.role') NOT IN (${list(NODE_ROLES)})`,
    `sys_scaling_policies.node_template.role must be one of: ${NODE_ROLES.join(', ')}`,
  ],
  [
    `json_valid(NEW.node_template) AND json_type(NEW.node_template, '$.labels') IS NOT NULL
       AND (json_type(NEW.node_template, '$.labels') <> 'object'
            OR EXISTS (SELECT 1 FROM json_each(NEW.node_template, '$.labels')
                       WHERE type <> 'text' OR key = '' OR key GLOB '*[^a-zA-Z0-9_./-]*'))`,
    'sys_scaling_policies.node_template.labels must be an object of string values with keys of a-z, A-Z, 0-9, _ . / -',
  ],
  [
    `json_valid(NEW.node_template) AND json_type(NEW.node_template, '$.spec') IS NOT NULL
       AND json_type(NEW.node_template, '$.spec') <> 'object'`,
    'sys_scaling_policies.node_template.spec must be a JSON object',
  ],
  [
    `NEW.action = 'scale_out' AND NEW.max_nodes < 1`,
    'sys_scaling_policies.max_nodes must be >= 1 for a scale_out policy',
  ],
];

const trigger = (name: string, event: string) => `
DROP TRIGGER IF EXISTS ${name};
CREATE TRIGGER ${name} ${event} ON sys_scaling_policies
BEGIN
${checks.map(([when, message]) => `  SELECT RAISE(ABORT, '${message.replaceAll("'", "''")}') WHERE ${when};`).join('\n')}
END;`;

/** BEFORE INSERT / BEFORE UPDATE triggers rejecting invalid policies with a clear message. */
export const validationSchema = `
${trigger('sys_scaling_policies_validate_insert', 'BEFORE INSERT')}
${trigger('sys_scaling_policies_validate_update', 'BEFORE UPDATE OF metric, label_match, node_template, action, max_nodes')}
`;
