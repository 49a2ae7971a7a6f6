import protobuf from 'protobufjs';
import { schemaType } from './schema-root.js';

/** A message reached from the model, with its schema type and a readable path such as `graph.node[2] 'c'.attribute[0] 'value'.t`. */
export interface Reached {
  readonly message: Record<string, unknown>;
  readonly type: protobuf.Type;
  readonly path: string;
}

/**
 * Every message reachable from a decoded ModelProto, found through the schema (every message-typed field of
 * every message, recursively), so no position that can hold a tensor is left out: graph initializers, sparse
 * initializers, node attributes (`t`, `tensors`, `sparse_tensor`, `sparse_tensors`, subgraphs `g`/`graphs`),
 * model-local functions with their nodes and attribute defaults (`attribute_proto`), and `training_info`
 * initialization/algorithm graphs. Depth is bounded by the decoder's nesting limit.
 */
export function* reachableMessages(model: object): Generator<Reached> {
  yield* visit(model as Record<string, unknown>, schemaType('ModelProto'), 'model');
}

function* visit(message: Record<string, unknown>, type: protobuf.Type, path: string): Generator<Reached> {
  yield { message, type, path };
  for (const field of type.fieldsArray) {
    const child = field.resolvedType;
    if (!(child instanceof protobuf.Type)) continue;
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    if (field.repeated) {
      const items = value as Array<Record<string, unknown>>;
      for (let i = 0; i < items.length; i++) {
        const name = items[i].name;
        const at = typeof name === 'string' && name ? ` '${name}'` : '';
        yield* visit(items[i], child, `${path}.${field.name}[${i}]${at}`);
      }
    } else {
      yield* visit(value as Record<string, unknown>, child, `${path}.${field.name}`);
    }
  }
}
