/**
 * Prints a catalog query, parsed by pgsql-ast-parser, as SQLite SQL over the in-memory catalog database
 * (`catalog-db.ts`). Postgres arrays are JSON arrays there; casts to reg* types become look-ups by OID;
 * `~` is a regular-expression function; schema-qualified function names lose their schema. A construct it does
 * not know is an error naming it, never a guess.
 */
import type {
  DataTypeDef,
  Expr,
  From,
  OrderByStatement,
  SelectedColumn,
  SelectStatement,
  Statement,
} from 'pgsql-ast-parser';
import { InfrabaseError } from '../../../engine/index.js';

/** Schemas the catalog database has, as attached SQLite schemas. */
const CATALOG_SCHEMAS: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema']);

/** Postgres aggregate and scalar functions that SQLite has under another name. */
const RENAMED_FUNCTIONS: Readonly<Record<string, string>> = {
  string_agg: 'group_concat',
  array_agg: 'json_group_array',
  bool_and: 'min',
  bool_or: 'max',
  btrim: 'trim',
  strpos: 'instr',
  substring: 'substr',
};

/** Keywords Postgres evaluates to the session user, printed as the catalog's `pg_session_user()` function. */
const USER_KEYWORDS: ReadonlySet<string> = new Set(['user', 'current_user', 'session_user', 'current_role']);

const unsupported = (what: string) =>
  new InfrabaseError(
    'SQL_ERROR',
    `catalog query not supported: ${what} (infrabase answers a subset of pg_catalog)`,
  );

/** Translates one parsed catalog statement to SQLite. @throws InfrabaseError `SQL_ERROR` for what it does not know. */
export function toSqlite(statement: Statement): string {
  return new Printer().statement(statement);
}

class Printer {
  /** Aliases of table-valued functions in FROM (`generate_series(…) s`): a bare `s` means their `value`. */
  private readonly valueAliases = new Set<string>();

  statement(s: Statement): string {
    switch (s.type) {
      case 'select':
      case 'union':
      case 'union all':
      case 'values':
      case 'with':
        return this.select(s);
      default:
        throw unsupported(`a ${s.type} statement`);
    }
  }

  private select(s: SelectStatement): string {
    switch (s.type) {
      case 'union':
      case 'union all':
        return `${this.select(s.left)} ${s.type === 'union' ? 'UNION' : 'UNION ALL'} ${this.select(s.right)}`;
      case 'values':
        return `VALUES ${s.values.map((row) => `(${row.map((e) => this.expr(e)).join(', ')})`).join(', ')}`;
      case 'with':
        return `WITH ${s.bind
          .map((b) => `${ident(b.alias.name)} AS (${this.statement(b.statement as Statement)})`)
          .join(', ')} ${this.statement(s.in as Statement)}`;
      case 'with recursive':
        throw unsupported('WITH RECURSIVE');
      case 'select':
        break;
    }
    const parts: string[] = ['SELECT'];
    if (s.distinct === 'distinct') parts.push('DISTINCT');
    else if (Array.isArray(s.distinct)) throw unsupported('DISTINCT ON');
    // FROM first, so the aliases of table functions are known when the columns are printed.
    const from = s.from?.length ? this.fromList(s.from) : '';
    parts.push((s.columns ?? []).map((c) => this.column(c)).join(', ') || '*');
    if (from) parts.push(`FROM ${from}`);
    if (s.where) parts.push(`WHERE ${this.expr(s.where)}`);
    if (s.groupBy?.length) parts.push(`GROUP BY ${s.groupBy.map((e) => this.expr(e)).join(', ')}`);
    if (s.having) parts.push(`HAVING ${this.expr(s.having)}`);
    if (s.orderBy?.length) parts.push(`ORDER BY ${this.orderBy(s.orderBy)}`);
    if (s.limit?.limit) parts.push(`LIMIT ${this.expr(s.limit.limit)}`);
    if (s.limit?.offset) parts.push(`${s.limit.limit ? '' : 'LIMIT -1 '}OFFSET ${this.expr(s.limit.offset)}`);
    return parts.join(' ');
  }

  /** A result column; an unaliased function call or keyword is named after it, as Postgres names it. */
  private column(c: SelectedColumn): string {
    const e = this.expr(c.expr);
    if (c.alias) return `${e} AS ${ident(c.alias.name)}`;
    if (c.expr.type === 'call') return `${e} AS ${ident(c.expr.function.name.toLowerCase())}`;
    return c.expr.type === 'keyword' ? `${e} AS ${ident(c.expr.keyword)}` : e;
  }

  private orderBy(items: readonly OrderByStatement[]): string {
    return items
      .map((o) => {
        let s = this.expr(o.by);
        if (o.order) s += ` ${o.order}`;
        if (o.nulls) s += ` NULLS ${o.nulls}`;
        return s;
      })
      .join(', ');
  }

  private fromList(items: readonly From[]): string {
    let out = '';
    items.forEach((f, i) => {
      const item = this.fromItem(f);
      if (i === 0) out = item;
      else if (!f.join) out += `, ${item}`;
      else {
        out += ` ${f.join.type} ${item}`;
        if (f.join.on) out += ` ON ${this.expr(f.join.on)}`;
        if (f.join.using?.length) out += ` USING (${f.join.using.map((n) => ident(n.name)).join(', ')})`;
      }
    });
    return out;
  }

  private fromItem(f: From): string {
    if (f.type === 'table') {
      const schema = f.name.schema?.toLowerCase();
      const name = f.name.name.toLowerCase();
      let table: string;
      if (schema && CATALOG_SCHEMAS.has(schema)) table = `${schema}.${ident(name)}`;
      else if (!schema && name.startsWith('pg_')) table = `pg_catalog.${ident(name)}`;
      else if (!schema) table = ident(f.name.name);
      else throw unsupported(`table ${schema}.${name} outside pg_catalog and information_schema`);
      return f.name.alias ? `${table} AS ${ident(f.name.alias)}` : table;
    }
    if (f.type === 'statement') return `(${this.select(f.statement)}) AS ${ident(f.alias)}`;
    // A function in FROM: its rows' one column is `value`.
    const fn = f.function.name.toLowerCase();
    const alias = f.alias?.name ?? fn;
    this.valueAliases.add(alias);
    const args = f.args.map((a) => this.expr(a)).join(', ');
    if (fn === 'unnest') return `json_each(${args}) AS ${ident(alias)}`;
    if (fn === 'generate_series') return `pg_generate_series(${args}) AS ${ident(alias)}`;
    // A scalar function in FROM is one row holding its result (an array stays one JSON value).
    return `(SELECT ${this.call(f)} AS value) AS ${ident(alias)}`;
  }

  expr(e: Expr): string {
    switch (e.type) {
      case 'ref':
        if (e.name === '*') return e.table ? `${ident(e.table.name)}.*` : '*';
        if (!e.table && this.valueAliases.has(e.name)) return `${ident(e.name)}.value`;
        return e.table ? `${ident(e.table.name)}.${ident(e.name)}` : ident(e.name);
      case 'parameter':
        return e.name;
      case 'string':
        return quote(e.value);
      case 'integer':
      case 'numeric':
        return String(e.value);
      case 'boolean':
        return e.value ? '1' : '0';
      case 'null':
        return 'NULL';
      case 'constant':
        return typeof e.value === 'string' ? quote(e.value) : String(e.value);
      case 'list':
        return `(${e.expressions.map((x) => this.expr(x)).join(', ')})`;
      case 'array':
        return `json_array(${e.expressions.map((x) => this.expr(x)).join(', ')})`;
      case 'array select':
        return this.arrayFromSelect(e.select);
      case 'arrayIndex':
        return `json_extract(${this.expr(e.array)}, '$[' || CAST((${this.expr(e.index)}) - 1 AS INTEGER) || ']')`;
      case 'keyword':
        if (USER_KEYWORDS.has(e.keyword)) return 'pg_session_user()';
        if (e.keyword === 'current_schema') return "'main'";
        if (e.keyword === 'current_catalog') return "'infrabase'";
        if (
          e.keyword === 'current_date' ||
          e.keyword === 'current_timestamp' ||
          e.keyword === 'current_time'
        ) {
          return e.keyword.toUpperCase();
        }
        throw unsupported(e.keyword);
      case 'case': {
        let s = 'CASE';
        if (e.value) s += ` ${this.expr(e.value)}`;
        for (const w of e.whens) s += ` WHEN ${this.expr(w.when)} THEN ${this.expr(w.value)}`;
        if (e.else) s += ` ELSE ${this.expr(e.else)}`;
        return `${s} END`;
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right);
      case 'unary':
        switch (e.op) {
          case 'NOT':
            return `(NOT ${this.expr(e.operand)})`;
          case '-':
          case '+':
            return `(${e.op}${this.expr(e.operand)})`;
          default:
            return `(${this.expr(e.operand)} ${e.op})`;
        }
      case 'ternary':
        return `(${this.expr(e.value)} ${e.op} ${this.expr(e.lo)} AND ${this.expr(e.hi)})`;
      case 'cast':
        return this.cast(e.operand, e.to);
      case 'call':
        return this.call(e);
      case 'select':
      case 'union':
      case 'union all':
      case 'values':
      case 'with':
        return `(${this.select(e)})`;
      default:
        throw unsupported(`expression ${e.type}`);
    }
  }

  private binary(op: string, left: Expr, right: Expr): string {
    const l = this.expr(left);
    switch (op) {
      case '~':
      case '~*':
        return `pg_regex_match(${l}, ${this.expr(right)}, ${op === '~*' ? 1 : 0})`;
      case '!~':
      case '!~*':
        return `(NOT pg_regex_match(${l}, ${this.expr(right)}, ${op === '!~*' ? 1 : 0}))`;
      case 'ILIKE':
        return `(${l} LIKE ${this.expr(right)})`;
      case 'NOT ILIKE':
        return `(${l} NOT LIKE ${this.expr(right)})`;
      case '!=':
        return `(${l} <> ${this.expr(right)})`;
      case 'IN':
      case 'NOT IN':
        return `(${l} ${op} ${this.expr(right)})`;
      case '=':
        if (right.type === 'call' && right.function.name.toLowerCase() === 'any') {
          return `(${l} IN (SELECT value FROM json_each(${this.expr(right.args[0])})))`;
        }
        return `(${l} = ${this.expr(right)})`;
      case 'AND':
      case 'OR':
      case 'LIKE':
      case 'NOT LIKE':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '||':
        return `(${l} ${op} ${this.expr(right)})`;
      default:
        throw unsupported(`operator ${op}`);
    }
  }

  private cast(operand: Expr, to: DataTypeDef): string {
    if (to.kind === 'array') return this.expr(operand);
    const type = to.name.toLowerCase();
    const value = this.expr(operand);
    switch (type) {
      case 'regclass':
        return operand.type === 'string'
          ? `(SELECT oid FROM pg_catalog.pg_class WHERE relname = ${value})`
          : `(SELECT relname FROM pg_catalog.pg_class WHERE oid = ${value})`;
      case 'regnamespace':
        return `(SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${value})`;
      case 'regtype':
        return `(SELECT typname FROM pg_catalog.pg_type WHERE oid = ${value})`;
      case 'regproc':
      case 'regprocedure':
        return value;
      case 'text':
      case 'varchar':
      case 'name':
      case 'char':
      case 'bpchar':
      case 'character varying':
        return `CAST(${value} AS TEXT)`;
      case 'int':
      case 'int2':
      case 'int4':
      case 'int8':
      case 'integer':
      case 'smallint':
      case 'bigint':
      case 'oid':
        return `CAST(${value} AS INTEGER)`;
      case 'float4':
      case 'float8':
      case 'real':
      case 'double precision':
      case 'numeric':
        return `CAST(${value} AS REAL)`;
      default:
        return value;
    }
  }

  private call(e: Extract<Expr, { type: 'call' }>): string {
    if (e.over || e.withinGroup || e.filter)
      throw unsupported(`window or filtered aggregate ${e.function.name}`);
    const schema = e.function.schema?.toLowerCase();
    if (schema && schema !== 'pg_catalog') throw unsupported(`function ${schema}.${e.function.name}`);
    const name = e.function.name.toLowerCase();
    const mapped = RENAMED_FUNCTIONS[name] ?? name;
    const args = e.args.map((a) => (a.type === 'ref' && a.name === '*' && !a.table ? '*' : this.expr(a)));
    const distinct = e.distinct === 'distinct' ? 'DISTINCT ' : '';
    const order = e.orderBy?.length ? ` ORDER BY ${this.orderBy(e.orderBy)}` : '';
    return `${mapped}(${distinct}${args.join(', ')}${order})`;
  }

  /** `ARRAY(SELECT x …)` as the JSON array of the select's one column. */
  private arrayFromSelect(select: SelectStatement): string {
    if (select.type === 'select' && select.columns?.length === 1) {
      const inner = this.select({
        ...select,
        columns: [{ ...select.columns[0], alias: { name: 'pg_array_value' } }],
      });
      return `(SELECT json_group_array(pg_array_value) FROM (${inner}))`;
    }
    throw unsupported('ARRAY(…) of anything but a one-column SELECT');
  }
}

/** A double-quoted SQLite identifier. */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQLite string literal. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
