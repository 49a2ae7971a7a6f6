/**
 * The Postgres wire messages infrabase reads and writes after authentication (protocol 3.0,
 * https://www.postgresql.org/docs/current/protocol-message-formats.html). Framing and field encoding use
 * node-postgres' own reader and writer (`pg-protocol`); startup, TLS and SCRAM are pg-gateway's.
 */
import { BackendError } from 'pg-gateway';
import { BufferReader } from 'pg-protocol/dist/buffer-reader.js';
import { Writer } from 'pg-protocol/dist/buffer-writer.js';

/** A frontend message of the extended or simple query protocol, decoded. */
export type FrontendMessage =
  | { readonly type: 'query'; readonly sql: string }
  | {
      readonly type: 'parse';
      readonly name: string;
      readonly sql: string;
      /** Parameter type OIDs the client named; 0 = unspecified. */
      readonly paramTypes: readonly number[];
    }
  | {
      readonly type: 'bind';
      readonly portal: string;
      readonly statement: string;
      /** Format code per parameter (0 text, 1 binary), already expanded from the message's 0/1/n codes. */
      readonly paramFormats: readonly number[];
      /** Raw parameter values; null is SQL NULL. */
      readonly params: readonly (Buffer | null)[];
      /** Result format codes as sent: none (all text), one (for all columns) or one per column. */
      readonly resultFormats: readonly number[];
    }
  | { readonly type: 'describe'; readonly target: 'statement' | 'portal'; readonly name: string }
  | { readonly type: 'execute'; readonly portal: string; readonly maxRows: number }
  | { readonly type: 'close'; readonly target: 'statement' | 'portal'; readonly name: string }
  | { readonly type: 'sync' }
  | { readonly type: 'flush' }
  | { readonly type: 'terminate' }
  | { readonly type: 'unsupported'; readonly code: string };

/**
 * Decodes one whole frontend message (type byte, int32 length, body) as pg-gateway hands it over.
 * @throws Error on a truncated message (the connection is then beyond repair).
 */
export function decodeFrontendMessage(message: Uint8Array): FrontendMessage {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const reader = new BufferReader();
  reader.setBuffer(5, buf);
  const code = String.fromCharCode(buf[0]);
  switch (code) {
    case 'Q':
      return { type: 'query', sql: reader.cstring() };
    case 'P': {
      const name = reader.cstring();
      const sql = reader.cstring();
      const n = reader.int16();
      const paramTypes: number[] = [];
      for (let i = 0; i < n; i++) paramTypes.push(reader.uint32());
      return { type: 'parse', name, sql, paramTypes };
    }
    case 'B': {
      const portal = reader.cstring();
      const statement = reader.cstring();
      const formatCodes = int16s(reader);
      const n = reader.int16();
      const params: (Buffer | null)[] = [];
      for (let i = 0; i < n; i++) {
        const length = reader.int32();
        params.push(length < 0 ? null : Buffer.from(reader.bytes(length)));
      }
      const paramFormats = params.map((_, i) =>
        formatCodes.length === 1 ? formatCodes[0] : (formatCodes[i] ?? 0),
      );
      return { type: 'bind', portal, statement, paramFormats, params, resultFormats: int16s(reader) };
    }
    case 'D':
    case 'C': {
      const target = reader.byte() === 0x53 /* S */ ? 'statement' : 'portal';
      return { type: code === 'D' ? 'describe' : 'close', target, name: reader.cstring() };
    }
    case 'E':
      return { type: 'execute', portal: reader.cstring(), maxRows: reader.int32() };
    case 'S':
      return { type: 'sync' };
    case 'H':
      return { type: 'flush' };
    case 'X':
      return { type: 'terminate' };
    default:
      return { type: 'unsupported', code };
  }
}

function int16s(reader: BufferReader): number[] {
  const n = reader.int16();
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(reader.int16());
  return out;
}

/** A result column as RowDescription announces it. */
export interface FieldDescription {
  readonly name: string;
  readonly typeOid: number;
  /** pg_type.typlen: bytes of a fixed-size type, -1 for variable length. */
  readonly typeSize: number;
  /** 0 text, 1 binary. */
  readonly format: number;
}

/** Builds backend messages; one instance per connection (the writer's buffer is reused). */
export class BackendMessages {
  private readonly writer = new Writer();

  private empty(code: string): Buffer {
    return this.writer.flush(code.charCodeAt(0));
  }

  parseComplete(): Buffer {
    return this.empty('1');
  }
  bindComplete(): Buffer {
    return this.empty('2');
  }
  closeComplete(): Buffer {
    return this.empty('3');
  }
  noData(): Buffer {
    return this.empty('n');
  }
  emptyQueryResponse(): Buffer {
    return this.empty('I');
  }
  portalSuspended(): Buffer {
    return this.empty('s');
  }

  /** ReadyForQuery with the transaction status: `I` idle, `T` in a transaction block, `E` failed block. */
  readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
    return this.writer.addString(status).flush(0x5a);
  }

  parameterStatus(name: string, value: string): Buffer {
    return this.writer.addCString(name).addCString(value).flush(0x53);
  }

  /** BackendKeyData: the process id and secret a CancelRequest must quote. */
  backendKeyData(processId: number, secret: number): Buffer {
    return this.writer.addInt32(processId).addInt32(secret).flush(0x4b);
  }

  parameterDescription(typeOids: readonly number[]): Buffer {
    this.writer.addInt16(typeOids.length);
    for (const oid of typeOids) this.writer.addInt32(oid);
    return this.writer.flush(0x74);
  }

  rowDescription(fields: readonly FieldDescription[]): Buffer {
    this.writer.addInt16(fields.length);
    for (const f of fields) {
      this.writer
        .addCString(f.name)
        .addInt32(0) // table OID: not a column of a Postgres table
        .addInt16(0) // attribute number
        .addInt32(f.typeOid)
        .addInt16(f.typeSize)
        .addInt32(-1) // type modifier
        .addInt16(f.format);
    }
    return this.writer.flush(0x54);
  }

  /** DataRow from already encoded column values; null is SQL NULL. */
  dataRow(values: readonly (Buffer | null)[]): Buffer {
    this.writer.addInt16(values.length);
    for (const v of values) {
      if (v === null) this.writer.addInt32(-1);
      else this.writer.addInt32(v.length).add(v);
    }
    return this.writer.flush(0x44);
  }

  /** CommandComplete with its tag, e.g. `SELECT 3`, `INSERT 0 1`. */
  commandComplete(tag: string): Buffer {
    return this.writer.addCString(tag).flush(0x43);
  }

  /** ErrorResponse (severity ERROR unless given) with a SQLSTATE and the message. */
  error(code: string, message: string, severity: 'ERROR' | 'FATAL' = 'ERROR'): Buffer {
    return Buffer.from(BackendError.create({ severity, code, message }).flush());
  }

  /** NoticeResponse (severity WARNING). */
  notice(code: string, message: string): Buffer {
    this.writer.addString('S').addCString('WARNING').addString('V').addCString('WARNING');
    this.writer.addString('C').addCString(code).addString('M').addCString(message).addCString('');
    return this.writer.flush(0x4e);
  }
}
