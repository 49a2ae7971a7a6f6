import protobuf from 'protobufjs';
import { InfrabaseError } from '../../engine/index.js';
import { ONNX_SCHEMA_VERSION } from './onnx-schema.js';

/** Protobuf wire types by scalar field type (protobuf encoding spec). */
const WIRE_TYPE: Record<string, number> = {
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
  int32: 0,
  int64: 0,
  uint32: 0,
  uint64: 0,
  sint32: 0,
  sint64: 0,
  bool: 0,
  string: 2,
  bytes: 2,
};
const LENGTH_DELIMITED = 2;

/** Deepest message nesting accepted (protobuf's C++ parser, which onnxruntime uses, stops at 100 too). */
export const MAX_MESSAGE_DEPTH = 100;

/**
 * Walks the protobuf wire format of `bytes` against `type` and its nested message types, so that every field
 * a model carries is one the schema declares. protobufjs (like most decoders) silently skips unknown fields;
 * a field the schema does not know is exactly where a newer ONNX feature (for example a function's attribute
 * defaults) could hide a tensor from validation while onnxruntime still reads it.
 *
 * @param where readable path of the message in errors, e.g. `model`.
 * @throws InfrabaseError `INVALID_ARGUMENT` naming the path, the field number and the message type when a
 *   field is not declared (reserved numbers included), has the wrong wire type, overruns its message, or when
 *   messages nest deeper than {@link MAX_MESSAGE_DEPTH}.
 */
export function assertKnownFields(
  bytes: Uint8Array,
  type: protobuf.Type,
  label: string,
  where = type.name,
): void {
  const reader = protobuf.Reader.create(bytes);
  walk(reader, bytes.byteLength, type, where, 1, label);
}

function walk(
  reader: protobuf.Reader,
  end: number,
  type: protobuf.Type,
  where: string,
  depth: number,
  label: string,
): void {
  const refuse = (what: string) =>
    new InfrabaseError(
      'INVALID_ARGUMENT',
      `${label}: ${where}: ${what}; only models made of the fields of the ONNX schema (${ONNX_SCHEMA_VERSION}) are accepted`,
    );
  if (depth > MAX_MESSAGE_DEPTH) throw refuse(`messages nest deeper than ${MAX_MESSAGE_DEPTH} levels`);
  const seen = new Map<number, number>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = type.fieldsById[id];
    if (!field) {
      throw refuse(
        `field number ${id} (wire type ${wire}) is not a field of onnx.${type.name}${isReserved(type, id) ? ' (it is reserved)' : ''}`,
      );
    }
    const index = seen.get(id) ?? 0;
    seen.set(id, index + 1);
    const path = field.repeated ? `${where}.${field.name}[${index}]` : `${where}.${field.name}`;
    const child = field.resolvedType;
    if (child instanceof protobuf.Type) {
      if (wire !== LENGTH_DELIMITED) throw refuse(`${field.name} has wire type ${wire}, expected a message`);
      const length = reader.uint32();
      const stop = reader.pos + length;
      if (stop > end) throw refuse(`${field.name} runs ${stop - end} bytes past its enclosing message`);
      walk(reader, stop, child, path, depth + 1, label);
      continue;
    }
    const expected = child instanceof protobuf.Enum ? 0 : WIRE_TYPE[field.type];
    const packed = field.repeated && expected !== LENGTH_DELIMITED && wire === LENGTH_DELIMITED;
    if (wire !== expected && !packed) {
      throw refuse(`${field.name} (${field.type}) has wire type ${wire}, expected ${expected}`);
    }
    reader.skipType(wire);
    if (reader.pos > end) throw refuse(`${field.name} runs past its enclosing message`);
  }
  if (reader.pos !== end) throw refuse('the message is truncated');
}

/** Whether `id` is a reserved field number of `type` (ranges are inclusive, as in the .proto text). */
function isReserved(type: protobuf.Type, id: number): boolean {
  return (type.reserved ?? []).some((r) => Array.isArray(r) && r[0] <= id && id <= r[1]);
}
